"""Finding a picture turned a few degrees inside its frame, and straightening it
(`bastion.media.tilt`)."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from bastion.media.tilt import Geometry, find_tilt, straightened
from bastion.pdq import hamming_distance, hash_rgb
from bastion.robustness.photos import default_photos
from bastion.samples import sample_pixels

#: PDQ's match threshold.
THRESHOLD = 31
#: Real photographs (matplotlib's sample, installed with the dev tools; scikit-image's and
#: perception's where the bench extra is installed) and generated fixtures.
NAMES = (
    "matplotlib:grace_hopper.jpg",
    "skimage:astronaut.png",
    "skimage:chelsea.png",
    "skimage:coffee.png",
    "skimage:motorcycle_left.png",
    "perception:image1.jpg",
    "fixture:1003",
)


@cache
def photos() -> dict[str, Image.Image]:
    found = {p.name: p.image for p in default_photos(fixtures=5)}
    return {name: found[name] for name in NAMES if name in found}


def photo(name: str) -> Image.Image:
    image = photos().get(name)
    if image is None:
        pytest.skip(f"{name} is not installed")
    return image


def through_jpeg(image: Image.Image, quality: int = 85) -> np.ndarray:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))


def tilted(image: Image.Image, degrees: float, *, expand: bool, fill: str) -> Image.Image:
    """`image` turned as an editor turns it, the opened corners filled with `fill`."""
    colours = {"black": (0, 0, 0), "white": (255, 255, 255), "blue": (40, 90, 200)}
    if fill in colours:
        return image.rotate(
            degrees, Image.Resampling.BICUBIC, expand=expand, fillcolor=colours[fill]
        )
    assert fill == "blurred"  # a blurred copy of the picture behind the turned one
    turned = image.convert("RGBA").rotate(degrees, Image.Resampling.BICUBIC, expand=expand)
    behind = image.resize(turned.size).filter(ImageFilter.GaussianBlur(12)).convert("RGBA")
    behind.alpha_composite(turned)
    return behind.convert("RGB")


def pdq_distance(a: np.ndarray, b: Image.Image) -> int:
    return hamming_distance(hash_rgb(a).hash, hash_rgb(np.asarray(b)).hash)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("degrees", [-8, -4, -2, 2, 4, 8])
@pytest.mark.parametrize("expand", [True, False], ids=["enlarged", "same canvas"])
def test_a_tilted_photo_is_found_and_straightened_to_its_hash(
    name: str, degrees: int, expand: bool
) -> None:
    image = photo(name)
    pixels = through_jpeg(tilted(image, degrees, expand=expand, fill="black"))
    assert pdq_distance(pixels, image) > THRESHOLD  # what the tilt costs without straightening
    found = find_tilt(pixels)
    assert found is not None
    assert found.geometry is (Geometry.ENLARGED if expand else Geometry.SAME)
    assert abs(found.degrees - degrees) <= 0.3
    upright = straightened(pixels, found)
    if expand:
        assert abs(upright.shape[1] - image.width) <= 2
        assert abs(upright.shape[0] - image.height) <= 2
    if expand or abs(degrees) <= 2:
        assert pdq_distance(upright, image) <= THRESHOLD
    else:  # the same canvas cut the corners off: the centres still meet (``centre_70``)
        assert pdq_distance(centre(upright), Image.fromarray(centre(np.asarray(image)))) <= (
            THRESHOLD
        )


def centre(pixels: np.ndarray) -> np.ndarray:
    h, w = pixels.shape[:2]
    dy, dx = round(h * 0.15), round(w * 0.15)
    return np.ascontiguousarray(pixels[dy : h - dy, dx : w - dx])


@pytest.mark.parametrize("fill", ["white", "blue"])
@pytest.mark.parametrize("name", NAMES[:4])
def test_the_fill_colour_does_not_matter(name: str, fill: str) -> None:
    image = photo(name)
    pixels = through_jpeg(tilted(image, -4, expand=True, fill=fill))
    found = find_tilt(pixels)
    assert found is not None
    assert abs(found.degrees + 4) <= 0.3
    assert pdq_distance(straightened(pixels, found), image) <= THRESHOLD


def test_a_blurred_copy_behind_the_picture_is_found_when_its_edge_shows() -> None:
    image = Image.fromarray(sample_pixels(1003, 640, 480))
    pixels = through_jpeg(tilted(image, 8, expand=True, fill="blurred"))
    found = find_tilt(pixels)
    assert found is not None
    assert pdq_distance(straightened(pixels, found), image) <= THRESHOLD


@pytest.mark.parametrize("name", NAMES)
def test_an_untilted_photo_has_no_tilt(name: str) -> None:
    assert find_tilt(through_jpeg(photo(name))) is None


def lines(kind: str) -> Image.Image:
    """Straight lines an ordinary photo has: a road, a roof, stripes, a page of text."""
    canvas = Image.new("RGB", (640, 480), (200, 200, 190))
    draw = ImageDraw.Draw(canvas)
    if kind == "stripes":
        for x in range(-480, 640, 40):
            draw.polygon([(x, 480), (x + 20, 480), (x + 500, 0), (x + 480, 0)], fill=(40, 60, 90))
    elif kind == "road":
        draw.polygon([(0, 480), (640, 480), (360, 150), (280, 150)], fill=(70, 70, 70))
        draw.line([(320, 480), (320, 150)], fill=(250, 250, 250), width=6)
    elif kind == "roof":
        draw.polygon([(20, 300), (320, 40), (620, 300)], fill=(150, 40, 30))
        draw.rectangle((80, 300, 560, 470), fill=(230, 220, 200))
    else:
        for row in range(14):
            draw.text((30, 20 + row * 32), "a line of text, turned a little " * 2, fill=(0, 0, 0))
        canvas = canvas.rotate(3, Image.Resampling.BICUBIC, fillcolor=(200, 200, 190))
    return canvas


@pytest.mark.parametrize("kind", ["stripes", "road", "roof", "text"])
def test_straight_lines_in_a_picture_are_not_a_tilted_frame(kind: str) -> None:
    assert find_tilt(through_jpeg(lines(kind))) is None


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((1, 1, 3), np.uint8),
        np.zeros((20, 30, 3), np.uint8),
        np.full((480, 640, 3), 128, np.uint8),
        np.zeros((8, 4000, 3), np.uint8),
        np.zeros((3000, 60, 3), np.uint8),
        np.zeros((480, 640), np.uint8),
        sample_pixels(5, 4000, 3000),
    ],
    ids=["empty", "one pixel", "tiny", "flat", "a strip", "a tall strip", "grey", "huge"],
)
def test_odd_images_have_no_tilt(pixels: np.ndarray) -> None:
    assert find_tilt(pixels) is None
