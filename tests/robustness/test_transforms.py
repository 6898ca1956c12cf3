"""The families of edits: every transform makes a decodable JPEG, deterministically, and
does what its name says."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from bastion.robustness.transforms import BY_NAME, FAMILIES, TILT_MEMBERS, TRANSFORMS, Transform
from bastion.samples import sample_pixels

IMAGE = Image.fromarray(sample_pixels(3, 320, 240))


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.name)
def test_each_transform_is_a_seeded_jpeg(transform: Transform) -> None:
    first = transform.encode(IMAGE, np.random.default_rng(1))
    assert first == transform.encode(IMAGE, np.random.default_rng(1))
    with Image.open(io.BytesIO(first)) as decoded:
        assert decoded.format == "JPEG"
        assert min(decoded.size) >= 8


def test_the_ladder_holds_every_edit_the_issue_names() -> None:
    names = set(BY_NAME)
    for q in (95, 75, 50, 30, 10):
        assert f"jpeg_q{q}" in names
    for share in (5, 10, 20, 30):
        assert {f"crop_{share}", f"crop_{share}_offcentre"} <= names
    assert {"pad_10", "pad_20", "letterbox_10", "letterbox_20"} <= names
    assert {f"rotate_{d}" for d in (2, 4, -4, 10, 25)} <= names
    assert {"rotate90", "rotate180", "rotate270", "flip_horizontal", "flip_vertical"} <= names
    assert {"transpose", "transverse", "blur", "noise", "screenshot", "caption_bars"} <= names
    assert {"logo_10", "logo_25", "text_watermark", "greyscale", "sepia", "hue"} <= names
    mild = {t.family for t in TRANSFORMS if t.mild}
    assert mild == {"jpeg", "resize", "filter", "colour", "overlay"}
    assert list(FAMILIES) == [
        "jpeg", "resize", "crop", "pad", "tilt", "dihedral", "filter", "colour", "overlay",
        "screenshot", "chain",
    ]  # fmt: skip
    assert {t.name for t in TRANSFORMS if t.mild and t.family == "colour"} == {
        "gamma_0.6", "gamma_1.6"
    }  # fmt: skip


def size_of(name: str) -> tuple[int, int]:
    with Image.open(io.BytesIO(BY_NAME[name].encode(IMAGE, np.random.default_rng(0)))) as i:
        return i.size


def test_geometry_is_what_the_names_say() -> None:
    assert size_of("crop_10") == (288, 216)
    assert size_of("crop_30_offcentre") == (224, 168)
    assert size_of("pad_20") == (384, 288)
    assert size_of("letterbox_20") == (320, 288)
    assert size_of("resize_0.5x") == (160, 120)
    assert size_of("rotate90") == (240, 320)
    assert size_of("rotate_10") == (320, 240)


def decoded(name: str) -> np.ndarray:
    with Image.open(io.BytesIO(BY_NAME[name].encode(IMAGE, np.random.default_rng(0)))) as i:
        return np.asarray(i.convert("RGB"), np.float32)


def test_every_family_makes_its_edit_several_ways() -> None:
    tilt = {t.name for t in FAMILIES["tilt"]}
    for degrees in (4, -4):
        for fill in ("black", "white", "blurred", "mirrored"):
            assert f"tilt_{degrees}_grown_{fill}" in tilt
        assert {f"rotate_{degrees}", f"tilt_{degrees}_same_white", f"straighten_{degrees}"} <= tilt
    assert TILT_MEMBERS[10] == (
        "tilt_10_grown_black", "tilt_10_grown_white", "tilt_10_grown_blurred",
        "tilt_10_grown_mirrored", "rotate_10", "tilt_10_same_white",
    )  # fmt: skip
    crops = {t.name for t in FAMILIES["crop"]}
    assert {"crop_10", "crop_10_offcentre", "crop_10_corner", "crop_10_side"} <= crops
    scalers = {
        t.name.rsplit("_", 1)[1] for t in FAMILIES["resize"] if t.name.startswith("resize_0.75x")
    }
    assert scalers == {"nearest", "bilinear", "bicubic", "lanczos", "box"}
    assert {"pad_20_black", "pad_20_grey", "pad_20_blue", "pad_20_blurred"} <= set(BY_NAME)
    assert len(FAMILIES["screenshot"]) == 4


def test_a_tilt_on_a_grown_canvas_holds_the_whole_picture_and_fills_its_corners() -> None:
    w, h = IMAGE.size
    c, s = math.cos(math.radians(4)), math.sin(math.radians(4))
    expected = (w * c + h * s, w * s + h * c)
    for fill, colour in (("black", 0), ("white", 255)):
        pixels = decoded(f"tilt_4_grown_{fill}")
        assert abs(pixels.shape[1] - expected[0]) <= 2
        assert abs(pixels.shape[0] - expected[1]) <= 2
        for corner in (pixels[:3, :3], pixels[-3:, -3:], pixels[:3, -3:], pixels[-3:, :3]):
            assert np.abs(corner - colour).mean() < 12
    same = decoded("tilt_4_same_white")
    assert same.shape[:2] == (h, w)
    assert np.abs(same[:2, :2] - 255).mean() < 12
    for fill in ("blurred", "mirrored"):  # the corners carry picture, not one flat colour
        corner = decoded(f"tilt_4_grown_{fill}")[:6, :6]
        assert corner.shape[:2] == (6, 6)
        assert corner.std() > 1.0


def test_a_mirrored_fill_reflects_the_picture_across_its_edge() -> None:
    pixels = decoded("tilt_10_grown_mirrored")
    grey = pixels.mean(axis=2)
    width = grey.shape[1]
    # The turned picture's top corner touches the top edge; just left of it along the top
    # row, the fill mirrors the picture, so it is nothing like a flat colour.
    assert grey[1, : width // 4].std() > 3.0


def test_straightening_enlarges_the_turned_picture_back_to_its_size() -> None:
    pixels = decoded("straighten_4")
    assert pixels.shape[:2] == (IMAGE.height, IMAGE.width)
    corners = [pixels[:2, :2], pixels[-2:, -2:]]
    assert all(np.abs(c).mean() > 5 for c in corners)  # no black fill left in the corners


def test_crops_sit_where_their_names_say() -> None:
    original = np.asarray(IMAGE, np.float32)
    corner = decoded("crop_20_corner")
    h, w = corner.shape[:2]
    assert (w, h) == (256, 192)
    assert np.abs(corner - original[:h, :w]).mean() < 6  # the top-left corner kept
    side = decoded("crop_20_side")
    top = (IMAGE.height - h) // 2
    assert np.abs(side - original[top : top + h, :w]).mean() < 6


def test_a_blurred_pad_puts_the_picture_over_a_blurred_copy_of_itself() -> None:
    pixels = decoded("pad_20_blurred")
    assert pixels.shape[:2] == (288, 384)
    middle = pixels[24:264, 32:352]
    assert np.abs(middle - np.asarray(IMAGE, np.float32)).mean() < 6
    band = pixels[:20]
    assert band.std() > 1.0  # not a flat colour
    assert np.abs(np.diff(band, axis=1)).mean() < np.abs(np.diff(middle, axis=1)).mean() / 2


@pytest.mark.parametrize(
    "name", ["screenshot", "screenshot_phone", "screenshot_window", "screenshot_chat"]
)
def test_screenshots_hold_the_picture_inside_larger_chrome(name: str) -> None:
    pixels = decoded(name)
    assert pixels.shape[0] > IMAGE.height
    assert pixels.shape[1] > IMAGE.width
