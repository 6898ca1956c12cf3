"""Finding the picture inside flat borders of an image (`picture_box`)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bastion.media.borders import Box, picture_box
from bastion.samples import sample_pixels

W, H = 480, 360


def photo() -> Image.Image:
    return Image.fromarray(sample_pixels(11, W, H))


def through_jpeg(image: Image.Image, quality: int = 85) -> np.ndarray:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))


def framed(colour: tuple[int, int, int], dx: int, dy: int) -> Image.Image:
    canvas = Image.new("RGB", (W + 2 * dx, H + 2 * dy), colour)
    canvas.paste(photo(), (dx, dy))
    return canvas


def close_to(box: Box | None, expected: Box, slack: int = 2) -> bool:
    assert box is not None
    pairs = zip(vars(box).values(), vars(expected).values(), strict=True)
    return all(abs(a - b) <= slack for a, b in pairs)


def test_a_photo_without_borders_has_no_box() -> None:
    assert picture_box(np.asarray(photo())) is None
    assert picture_box(through_jpeg(photo(), 40)) is None


@pytest.mark.parametrize(
    ("colour", "dx", "dy", "slack"),
    [
        ((255, 255, 255), 48, 36, 1),
        ((0, 0, 0), 0, 40, 1),
        ((30, 120, 200), 60, 0, 1),
        # The picture's edge shares JPEG blocks with the whole frame: ringing fills them.
        ((250, 250, 250), 9, 7, 2),
    ],
    ids=["white padding", "letterbox", "blue pillarbox", "thin frame"],
)
def test_flat_borders_of_any_colour_are_found_to_the_pixel(
    colour: tuple[int, int, int], dx: int, dy: int, slack: int
) -> None:
    pixels = through_jpeg(framed(colour, dx, dy))
    assert close_to(picture_box(pixels), Box(dy, dy + H, dx, dx + W), slack=slack)


def test_caption_bars_with_text_are_cut_when_a_gap_parts_them_from_the_picture() -> None:
    bar = 60
    canvas = Image.new("RGB", (W, H + 2 * bar), (255, 255, 255))
    canvas.paste(photo(), (0, bar))
    draw = ImageDraw.Draw(canvas)
    draw.text((20, 12), "A CAPTION ON TOP", fill=(0, 0, 0), font_size=28)
    draw.text((20, H + bar + 12), "AND ONE BELOW", fill=(0, 0, 0), font_size=28)
    assert close_to(picture_box(through_jpeg(canvas)), Box(bar, bar + H, 0, W))


def test_a_picture_in_a_screenshot_is_found_inside_the_page() -> None:
    canvas = Image.new("RGB", (700, 620), (240, 240, 240))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, 700, 40), fill=(60, 90, 150))
    draw.text((10, 8), "a post", fill=(255, 255, 255), font_size=22)
    canvas.paste(photo(), (110, 90))
    draw.text((110, 470), "12 likes  3 comments", fill=(90, 90, 90), font_size=20)
    assert close_to(picture_box(through_jpeg(canvas)), Box(90, 90 + H, 110, 110 + W))


def test_a_large_image_is_probed_small_and_refined_at_full_size() -> None:
    big = framed((255, 255, 255), 200, 150).resize((4 * (W + 400), 4 * (H + 300)))
    found = picture_box(np.asarray(big))
    assert close_to(found, Box(600, 600 + 4 * H, 800, 800 + 4 * W), slack=4)


def test_mostly_flat_images_are_not_cut_to_a_sliver() -> None:
    flat = Image.new("RGB", (W, H), (128, 128, 128))
    ImageDraw.Draw(flat).ellipse((200, 150, 240, 190), fill=(255, 0, 0))
    assert picture_box(np.asarray(flat)) is None  # under MIN_CONTENT of a side
    assert picture_box(np.zeros((H, W, 3), np.uint8)) is None
