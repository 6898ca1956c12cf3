"""Keypoints: found on real images, none on tiny or flat ones, serialised and read back
exactly, malformed values refused."""

from __future__ import annotations

import base64
import struct

import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from bastion.errors import InvalidSignalError
from bastion.keypoints import Keypoints, extract
from bastion.keypoints.features import FEATURES, MAX_KEYPOINTS, SIDE
from bastion.samples import sample_pixels
from bastion.signals import MatchingOptions, OrbSignal, get_signal_type


def photo() -> np.ndarray:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_keypoints_are_found_spread_over_the_reduced_image() -> None:
    big = np.asarray(Image.fromarray(photo()).resize((2048, 2400)))
    found = extract(big)
    assert len(found) == FEATURES
    assert max(found.width, found.height) == SIDE
    assert found.descriptors.shape == (FEATURES, 32)
    columns = np.minimum(3, (found.points[:, 0] * 4 / found.width).astype(int))
    rows = np.minimum(3, (found.points[:, 1] * 4 / found.height).astype(int))
    assert len(set(zip(rows.tolist(), columns.tolist(), strict=True))) >= 12


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((4, 4, 3), np.uint8),
        np.full((300, 400, 3), 128, np.uint8),
        np.zeros((20, 900, 3), np.uint8),
    ],
    ids=["tiny", "flat", "a thin strip"],
)
def test_tiny_and_flat_images_have_no_keypoints_and_match_nothing(pixels: np.ndarray) -> None:
    found = extract(pixels)
    assert len(found) == 0
    value = OrbSignal.compute(pixels).value
    assert len(OrbSignal.decode(value)) == 0
    index = OrbSignal.new_index(MatchingOptions())
    index.add([1], [OrbSignal.compute(photo()).value])
    assert index.query(value, 0) == []


def test_values_round_trip_exactly() -> None:
    found = extract(sample_pixels(3))
    value = OrbSignal.encode(found)
    back = OrbSignal.decode(value)
    assert (back.width, back.height) == (found.width, found.height)
    assert np.array_equal(back.descriptors, found.descriptors)
    assert np.abs(back.points - found.points).max() <= 1 / 32
    assert OrbSignal.normalize(value) == value
    assert OrbSignal.normalize(value[:40] + "\n" + value[40:]) == value
    assert get_signal_type("orb") is OrbSignal
    assert all(OrbSignal.normalize(v) == v for v in OrbSignal.examples())


def _value(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _header(version: int = 1, width: int = 100, height: int = 80, count: int = 0) -> bytes:
    return struct.pack("<BHHH", version, width, height, count)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base64!", "not base64"),
        (_value(b"\x01\x02"), "shorter than its header"),
        (_value(_header(version=2)), "version 2"),
        (_value(_header(width=0)), "size 0x80"),
        (_value(_header(width=5000)), "size 5000x80"),
        (_value(_header(count=MAX_KEYPOINTS + 1)), "keypoints \\(at most"),
        (_value(_header(count=2) + bytes(36)), "do not hold 2 keypoints"),
        (_value(_header(count=0) + b"x"), "do not hold 0 keypoints"),
        (_value(_header(count=1) + struct.pack("<HH", 100 * 16 + 1, 0) + bytes(32)), "outside"),
        ("A" * 200_000, "longer than"),
    ],
)
def test_malformed_values_are_refused(value: str, message: str) -> None:
    with pytest.raises(InvalidSignalError, match=message):
        OrbSignal.normalize(value)


def test_a_value_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidSignalError, match="expected base64 text"):
        OrbSignal.normalize(b"abc")  # type: ignore[arg-type]


def test_keypoints_serialise_to_36_bytes_each() -> None:
    found = extract(photo())
    assert len(found.to_bytes()) == 7 + 36 * len(found)
    assert isinstance(Keypoints.from_bytes(found.to_bytes()), Keypoints)
