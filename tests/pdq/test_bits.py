"""Hash layout, Hamming distance and the median the bits are thresholded at."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.pdq import hamming_distance
from bastion.pdq._bits import bits_from_hex, dct_median, hash_from_dct, hex_from_bits
from tests.pdq import literal


def test_bit_k_is_word_k_div_16_printed_most_significant_word_first() -> None:
    # The reference's setBit(k) sets bit k % 16 of word k / 16; the text prints
    # word 15 first.  Bit 0 is the last hex digit, bit 255 the first.
    for k in (0, 1, 15, 16, 17, 100, 255):
        bits = np.zeros(256, dtype=np.bool_)
        bits[k] = True
        text = hex_from_bits(bits.reshape(16, 16))
        assert int(text, 16) == 1 << k
        assert len(text) == 64
        assert text == text.lower()


def test_hex_round_trip() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        bits = rng.random((16, 16)) < 0.5
        assert np.array_equal(bits_from_hex(hex_from_bits(bits)), bits)


def test_hash_sets_bits_above_the_median() -> None:
    values = np.arange(256, dtype=np.float32).reshape(16, 16)
    # Median is the 128th smallest, 127: values 128..255 are above it.
    assert hash_from_dct(values) == "f" * 32 + "0" * 32


@pytest.mark.parametrize("seed", range(30))
def test_median_matches_torben(seed: int) -> None:
    rng = np.random.default_rng(seed)
    if seed % 3 == 0:  # many ties
        values = rng.integers(-3, 4, 256).astype(np.float32)
    elif seed % 3 == 1:
        values = rng.normal(0, 1000, 256).astype(np.float32)
    else:
        values = np.full(256, np.float32(seed), dtype=np.float32)
    assert dct_median(values) == literal.torben(list(values))


def test_hamming_distance() -> None:
    a = "0" * 64
    assert hamming_distance(a, a) == 0
    assert hamming_distance(a, "f" * 64) == 256
    assert hamming_distance(a, "0" * 63 + "3") == 2
    assert hamming_distance("F" * 64, "f" * 64) == 0


@pytest.mark.parametrize("bad", ["", "0" * 63, "0" * 65, "g" * 64, " " + "0" * 63, "0x" + "0" * 62])
def test_hamming_distance_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError, match="not a PDQ hash"):
        hamming_distance(bad, "0" * 64)
