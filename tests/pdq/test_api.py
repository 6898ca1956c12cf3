"""The public API of bastion.pdq."""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import pytest
from PIL import Image

import bastion.pdq as pdq
from bastion.pdq import PdqDigest, PdqMode, hash_image, hash_rgb
from tests.pdq.synth import jpeg_bytes, photo_like

HEX64 = re.compile(r"[0-9a-f]{64}")


def test_exports() -> None:
    assert set(pdq.__all__) >= {
        "PdqMode",
        "PdqDigest",
        "hash_rgb",
        "hash_image",
        "hamming_distance",
    }
    for name in pdq.__all__:
        assert hasattr(pdq, name)


def test_mode_values() -> None:
    assert PdqMode.REFERENCE == "reference"
    assert PdqMode.FAST == "fast"
    assert PdqMode("fast") is PdqMode.FAST


@pytest.mark.parametrize("mode", list(PdqMode))
def test_digest_shape(mode: PdqMode) -> None:
    digest = hash_rgb(np.asarray(photo_like(320, 240, seed=1)), mode)
    assert HEX64.fullmatch(digest.hash)
    assert isinstance(digest.quality, int)
    assert 0 <= digest.quality <= 100
    hashes = digest.dihedral()
    assert len(hashes) == 8
    assert hashes["original"] == digest.hash
    assert all(HEX64.fullmatch(h) for h in hashes.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        digest.hash = "0" * 64  # type: ignore[misc]


def test_digest_equality_ignores_nothing_but_the_dihedral_cache() -> None:
    digest = hash_rgb(np.asarray(photo_like(100, 100, seed=2)))
    bare = PdqDigest(digest.hash, digest.quality)
    assert bare == digest
    assert hash(bare) == hash(digest)
    with pytest.raises(ValueError, match="dihedral"):
        bare.dihedral()
    assert bare.oriented(1) == digest.hash


def test_strings_are_accepted_as_modes() -> None:
    pixels = np.asarray(photo_like(200, 150, seed=3))
    assert hash_rgb(pixels, "fast") == hash_rgb(pixels, PdqMode.FAST)  # type: ignore[arg-type]


def test_non_contiguous_arrays() -> None:
    pixels = np.asarray(photo_like(300, 200, seed=4))
    view = pixels[::-1, ::2]
    for mode in PdqMode:
        assert hash_rgb(view, mode) == hash_rgb(np.ascontiguousarray(view), mode)


@pytest.mark.parametrize(
    ("array", "error"),
    [
        (np.zeros((10, 10, 3), dtype=np.float32), TypeError),
        (np.zeros((10, 10, 3), dtype=np.uint16), TypeError),
        (np.zeros((10, 10), dtype=np.uint8), ValueError),
        (np.zeros((10, 10, 4), dtype=np.uint8), ValueError),
        ([[[0, 0, 0]]], TypeError),
    ],
)
def test_hash_rgb_rejects_other_arrays(array: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        hash_rgb(array)  # type: ignore[arg-type]


def test_hash_image_reference_is_convert_rgb() -> None:
    image = photo_like(150, 120, seed=5).convert("RGBA")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with Image.open(io.BytesIO(buffer.getvalue())) as opened:
        digest = hash_image(opened)
    assert digest == hash_rgb(np.asarray(image.convert("RGB")))


def test_hash_image_ignores_exif_orientation() -> None:
    image = photo_like(160, 120, seed=6)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as opened:
        digest = hash_image(opened)
    with Image.open(io.BytesIO(data)) as opened:
        assert digest == hash_rgb(np.asarray(opened.convert("RGB")))
        assert opened.size == (160, 120)


@pytest.mark.parametrize("mode", list(PdqMode))
def test_truncated_jpeg_raises(mode: PdqMode) -> None:
    data = jpeg_bytes(photo_like(1600, 1200, seed=7))
    truncated = io.BytesIO(data[: len(data) // 2])
    with Image.open(truncated) as opened, pytest.raises(OSError, match="truncated"):
        hash_image(opened, mode)


@pytest.mark.parametrize("mode", list(PdqMode))
def test_corrupt_png_raises(mode: PdqMode) -> None:
    buffer = io.BytesIO()
    photo_like(300, 300, seed=8).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[200:260] = bytes(60)  # clobber compressed data
    with (
        Image.open(io.BytesIO(bytes(data))) as opened,
        pytest.raises((OSError, SyntaxError, ValueError)),
    ):
        hash_image(opened, mode)
