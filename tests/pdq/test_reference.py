"""Reference mode, piece by piece and end to end against the literal oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bastion.pdq import PdqMode, hash_rgb
from bastion.pdq._dct import DCT_MATRIX, dct16_reference
from bastion.pdq._reference import (
    luma_reference,
    quality_from_block,
    sample_indices,
    window_size,
)
from tests.pdq import literal
from tests.pdq.synth import gradient, photo_like


def test_luma_is_float32_arithmetic() -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    assert np.array_equal(luma_reference(pixels), np.array(literal.luma(pixels), dtype=np.float32))


def test_luma_of_every_channel_value() -> None:
    values = np.arange(256, dtype=np.uint8)
    pixels = np.stack([values, np.roll(values, 85), np.roll(values, 170)], axis=-1)[np.newaxis]
    assert np.array_equal(luma_reference(pixels), np.array(literal.luma(pixels), dtype=np.float32))


@pytest.mark.parametrize(
    ("length", "window"), [(5, 1), (128, 1), (129, 2), (256, 2), (257, 3), (1004, 8), (4032, 32)]
)
def test_window_size(length: int, window: int) -> None:
    assert window_size(length) == window


def test_sample_indices_are_pixel_centres() -> None:
    assert list(sample_indices(64)) == list(range(64))
    assert list(sample_indices(128)) == [2 * i + 1 for i in range(64)]
    assert sample_indices(5)[0] == 0
    assert sample_indices(5)[-1] == 4


def test_dct_matrix() -> None:
    assert DCT_MATRIX.dtype == np.float32
    assert DCT_MATRIX.shape == (16, 64)
    assert np.array_equal(DCT_MATRIX, np.array(literal.dct_matrix(), dtype=np.float32))
    # Rows are orthonormal DCT-II basis functions 1..16.
    assert np.allclose(DCT_MATRIX.astype(np.float64) @ DCT_MATRIX.T, np.eye(16), atol=1e-6)
    assert math.isclose(DCT_MATRIX[0, 0], math.sqrt(2 / 64) * math.cos(math.pi / 128), rel_tol=1e-6)


def test_dct_products_round_like_the_reference() -> None:
    rng = np.random.default_rng(2)
    block = (rng.random((64, 64)) * 255).astype(np.float32)
    d = np.array(literal.dct_matrix(), dtype=np.float32)
    temp = np.zeros((16, 64), dtype=np.float32)
    for i in range(16):
        for j in range(64):
            acc = np.float32(0)
            for k in range(64):
                acc = np.float32(acc + np.float32(d[i, k] * block[k, j]))
            temp[i, j] = acc
    expected = np.zeros((16, 16), dtype=np.float32)
    for i in range(16):
        for j in range(16):
            acc = np.float32(0)
            for k in range(64):
                acc = np.float32(acc + np.float32(temp[i, k] * d[j, k]))
            expected[i, j] = acc
    assert np.array_equal(dct16_reference(block), expected)


def test_quality() -> None:
    assert quality_from_block(np.zeros((64, 64), dtype=np.float32)) == 0
    stripes = np.tile(np.array([0, 255], dtype=np.float32), (64, 32))
    assert quality_from_block(stripes) == 100
    # One step of 2.56 grey levels counts 1 per pair (100 * 2.56 / 255 truncates to 1).
    ramp = np.tile(np.arange(64, dtype=np.float32) * np.float32(2.56), (64, 1))
    assert quality_from_block(ramp) == (64 * 63) // 90


@pytest.mark.parametrize(
    "shape", [(5, 5), (5, 6), (6, 5), (7, 9), (13, 200), (64, 64), (64, 65), (65, 64), (130, 70)]
)
def test_small_images_match_the_literal_oracle(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    pixels = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    digest = hash_rgb(pixels)
    assert (digest.hash, digest.quality) == literal.pdq(pixels)


@pytest.mark.parametrize("seed", range(3))
def test_photo_like_images_match_the_literal_oracle(seed: int) -> None:
    pixels = np.asarray(photo_like(97 + 50 * seed, 140 - 20 * seed, seed))
    digest = hash_rgb(pixels)
    assert (digest.hash, digest.quality) == literal.pdq(pixels)


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (4, 100), (100, 4), (4, 4)])
@pytest.mark.parametrize("mode", list(PdqMode))
def test_images_below_five_pixels_hash_to_zero(shape: tuple[int, int], mode: PdqMode) -> None:
    digest = hash_rgb(np.full((*shape, 3), 77, dtype=np.uint8), mode)
    assert digest.hash == "0" * 64
    assert digest.quality == 0
    assert set(digest.dihedral().values()) == {"0" * 64}


def test_flat_image_has_quality_zero() -> None:
    assert hash_rgb(np.full((300, 200, 3), 128, dtype=np.uint8)).quality == 0


def test_gradient_image() -> None:
    digest = hash_rgb(gradient(300, 200))
    assert 0 <= digest.quality <= 100
    assert (digest.hash, digest.quality) == literal.pdq(gradient(300, 200))
