"""The ladder of edits: every transform makes a decodable JPEG, deterministically."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bastion.robustness.transforms import BY_NAME, TRANSFORMS, Transform
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
    assert {f"rotate_{d}" for d in (2, 4, 10, 25)} <= names
    assert {"rotate90", "rotate180", "rotate270", "flip_horizontal", "flip_vertical"} <= names
    assert {"transpose", "transverse", "blur", "noise", "screenshot", "caption_bars"} <= names
    assert {"logo_10", "logo_25", "text_watermark", "greyscale", "sepia", "hue"} <= names
    mild = {t.family for t in TRANSFORMS if t.mild}
    assert mild == {"jpeg", "resize", "filter", "colour", "overlay"}
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
