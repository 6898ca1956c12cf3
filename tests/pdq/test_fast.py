"""Fast mode stays within Meta's 10-bit conformance distance of reference mode."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bastion.pdq import PdqDigest, PdqMode, hamming_distance, hash_image, hash_rgb
from bastion.pdq._fast import reduction_factor
from tests.pdq.synth import jpeg_bytes, photo_like

TOLERANCE = 10  # Meta: within 10 bits for images of quality >= 80
QUALITY_TOLERANCE = 5


def _check_close(reference: PdqDigest, fast: PdqDigest, label: str) -> None:
    if reference.quality >= 80:
        distance = hamming_distance(reference.hash, fast.hash)
        assert distance <= TOLERANCE, f"{label}: fast is {distance} bits from reference"
    assert abs(reference.quality - fast.quality) <= QUALITY_TOLERANCE, label


@pytest.mark.conformance
def test_shared_images(
    shared_images: list[Path],
    pdq_dir: Path,
    reference_digest: Callable[[str], PdqDigest],
    fast_digest: Callable[[str], PdqDigest],
) -> None:
    checked = 0
    for path in shared_images:
        relative = path.relative_to(pdq_dir).as_posix()
        reference, fast = reference_digest(relative), fast_digest(relative)
        _check_close(reference, fast, relative)
        checked += reference.quality >= 80
    assert checked >= 40


def _both(image: Image.Image, data: bytes | None = None) -> None:
    pixels = np.asarray(image.convert("RGB"))
    reference = hash_rgb(pixels)
    _check_close(reference, hash_rgb(pixels, PdqMode.FAST), f"array {image.size}")
    if data is not None:
        with Image.open(io.BytesIO(data)) as decoded:
            reference = hash_image(decoded)
        with Image.open(io.BytesIO(data)) as decoded:
            fast = hash_image(decoded, PdqMode.FAST)
        _check_close(reference, fast, f"jpeg {image.size}")


@pytest.mark.parametrize(
    "size", [(5, 5), (9, 40), (64, 64), (100, 75), (257, 255), (640, 480), (1024, 200), (1203, 901)]
)
def test_generated_images(size: tuple[int, int]) -> None:
    image = photo_like(*size, seed=size[0])
    _both(image, jpeg_bytes(image))


@pytest.mark.slow
@pytest.mark.parametrize(
    "size", [(1920, 1080), (2448, 3264), (3001, 2001), (4032, 3024), (6000, 600), (300, 5000)]
)
@pytest.mark.parametrize("seed", range(2))
def test_generated_large_images(size: tuple[int, int], seed: int) -> None:
    image = photo_like(*size, seed=seed + 10)
    _both(image, jpeg_bytes(image))


def test_jpeg_is_decoded_reduced() -> None:
    image = photo_like(2048, 1536, seed=3, noise=0)
    data = jpeg_bytes(image)
    factor = reduction_factor(2048, 1536)
    assert factor >= 4
    with Image.open(io.BytesIO(data)) as opened:
        hash_image(opened, PdqMode.FAST)
        assert opened.size[0] < 2048  # draft() made libjpeg decode at a fraction
    with Image.open(io.BytesIO(data)) as opened:
        reference = hash_image(opened)
    with Image.open(io.BytesIO(data)) as opened:
        fast = hash_image(opened, PdqMode.FAST)
    assert hamming_distance(reference.hash, fast.hash) <= TOLERANCE


def test_already_loaded_jpeg_still_hashes() -> None:
    image = photo_like(1200, 900, seed=4)
    with Image.open(io.BytesIO(jpeg_bytes(image))) as opened:
        opened.load()
        fast = hash_image(opened, PdqMode.FAST)
        assert opened.size == (1200, 900)
        reference = hash_image(opened)
    assert hamming_distance(reference.hash, fast.hash) <= TOLERANCE


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF"])
def test_other_formats(fmt: str) -> None:
    image = photo_like(900, 700, seed=5)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    with Image.open(io.BytesIO(buffer.getvalue())) as opened:
        reference = hash_image(opened)
    with Image.open(io.BytesIO(buffer.getvalue())) as opened:
        fast = hash_image(opened, PdqMode.FAST)
    _check_close(reference, fast, fmt)


@pytest.mark.parametrize(
    ("width", "height", "factor"), [(100, 100, 1), (512, 512, 2), (4032, 3024, 12)]
)
def test_reduction_keeps_two_pixels_per_window(width: int, height: int, factor: int) -> None:
    assert reduction_factor(width, height) == factor


@pytest.mark.parametrize(
    ("label", "mode", "options"),
    [
        ("progressive", "RGB", {"progressive": True, "quality": 90}),
        ("greyscale", "L", {"quality": 90}),
        ("cmyk", "CMYK", {"quality": 90}),
        ("low-quality", "RGB", {"quality": 50}),
        ("no-subsampling", "RGB", {"quality": 90, "subsampling": 0}),
    ],
)
def test_jpeg_variants_decode_reduced(label: str, mode: str, options: dict[str, object]) -> None:
    buffer = io.BytesIO()
    photo_like(1600, 1200, seed=9).convert(mode).save(buffer, format="JPEG", **options)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as opened:
        reference = hash_image(opened)
    with Image.open(io.BytesIO(data)) as opened:
        fast = hash_image(opened, PdqMode.FAST)
        assert opened.size == (400, 300), label
    assert hamming_distance(reference.hash, fast.hash) <= TOLERANCE, label
    assert abs(reference.quality - fast.quality) <= QUALITY_TOLERANCE, label
