"""Scoring: recall per transform, the 99.99% threshold, µAP and the false-match model."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from bastion.robustness import evaluate
from bastion.robustness.evaluate import Code, Configuration, Hasher, score
from bastion.robustness.photos import Photo, PhotoSet
from bastion.robustness.transforms import Transform

RNG = np.random.default_rng(5)
#: One random 256-bit code per photo, far apart (about 128 bits) from every other.
CODES = [RNG.integers(0, 256, 32, dtype=np.uint8) for _ in range(12)]


def flipped(code: np.ndarray, bits: int) -> str:
    out = np.unpackbits(code.copy())
    out[:bits] ^= 1
    return np.packbits(out).tobytes().hex()


def photo(index: int) -> Photo:
    """A flat image whose red level says which photo it is."""
    return Photo(f"p{index}", Image.new("RGB", (64, 48), (index * 20 + 5, 90, 90)))


def which(data: bytes) -> tuple[int, bool]:
    """The photo an image shows, and whether it was inverted."""
    with Image.open(io.BytesIO(data)) as image:
        red, green, _ = (int(v) for v in np.asarray(image.convert("RGB")).reshape(-1, 3).mean(0))
    inverted = green > 128
    red = 255 - red if inverted else red
    return round((red - 5) / 20), inverted


def toy_hasher() -> Hasher:
    """Codes of a photo: its own code banked and looked up; an inverted copy is 20 bits
    off through a derived code (`how` "near") and 100 bits off otherwise."""

    def bank(data: bytes) -> list[Code]:
        index, _ = which(data)
        return [Code(CODES[index].tobytes().hex())]

    def query(data: bytes) -> list[Code]:
        index, inverted = which(data)
        if not inverted:
            return [Code(flipped(CODES[index], 3))]
        return [Code(flipped(CODES[index], 100)), Code(flipped(CODES[index], 20), "near")]

    return Hasher(
        "toy", 256, 10, bank, query,
        (Configuration("plain"), Configuration("near", lambda how: how == "near")),
    )  # fmt: skip


TRANSFORMS = [
    Transform("same", "test", True, lambda image, rng: image, quality=95),
    Transform(
        "inverted", "test", False,
        lambda image, rng: Image.eval(image, lambda v: 255 - v), quality=95,
    ),
]  # fmt: skip


def test_recall_thresholds_and_µap_follow_the_codes() -> None:
    photos = PhotoSet([photo(i) for i in range(8)], [photo(i) for i in range(8, 12)], [])
    calls: list[int] = []
    plain, near = score(
        toy_hasher(), photos, transforms=TRANSFORMS, on_image=lambda: calls.append(1)
    )
    assert len(calls) == 8 + 2 * 12  # every reference banked, every photo edited twice
    assert [t.name for t in plain.transforms] == ["same", "inverted"]
    same, inverted = plain.transforms
    assert (same.queries, same.recall_default, same.distances) == (8, 1.0, [3] * 8)
    assert (inverted.recall_default, inverted.distances) == (0.0, [100] * 8)
    # Every pair within 100 bits is right, so precision alone would allow 100 bits or more;
    # against 10M hashes, 100 bits would make thousands of false matches per query.
    assert plain.precision_threshold is not None
    assert plain.precision_threshold >= 100
    assert plain.operating_threshold is not None
    assert 3 <= plain.operating_threshold < 100
    assert plain.false_matches_at_bank <= evaluate.MAX_FALSE_MATCHES
    assert (plain.recall_operating, plain.recall_default) == (0.5, 0.5)
    assert near.transforms[1].distances == [20] * 8
    assert near.transforms[1].recall_default == 0.0  # 20 > the default 10
    assert near.transforms[1].recall_operating == 1.0
    assert near.recall_operating == 1.0
    assert near.micro_ap == pytest.approx(1.0)
    assert (plain.code_pairs, near.code_pairs) == (1.0, 1.5)
    assert plain.unrelated_pairs == 8 * 7 * 2 + 4 * 8 * 2
    assert plain.unrelated_within == 0


def test_micro_average_precision_ranks_every_pair() -> None:
    rows = [(0, 0, np.array([0, 100])), (0, None, np.array([90, 120]))]
    assert evaluate._micro_ap(rows, 256) == 1.0
    # The right pair ranks second behind a wrong one; a second query finds nothing.
    rows = [(0, 0, np.array([50, 10])), (0, 1, np.array([257, 257]))]
    assert evaluate._micro_ap(rows, 256) == pytest.approx((1 / 2) / 2)


def test_the_precision_threshold_stops_before_the_first_close_unrelated_pair() -> None:
    assert evaluate._operating_threshold([0, 5, 29], [30, 100, 120], 256) == 29
    assert evaluate._operating_threshold([50], [10], 256) is None


def test_the_false_match_model_is_the_binomial_for_independent_bits() -> None:
    unrelated = [120, 136] * 50  # mean 128, variance 64: fair, independent bits
    expected = sum(math.comb(256, k) for k in range(101)) / 2**256
    assert evaluate.tail(unrelated, 256, 100, 1.0) == pytest.approx(expected, rel=1e-9)
    assert evaluate.tail(unrelated, 256, 100, 3.0) == pytest.approx(3 * expected, rel=1e-9)
    # Correlated bits (a wider spread) make close distances far likelier.
    wide = [108, 148] * 50
    assert evaluate.tail(wide, 256, 60, 1.0) > 1e6 * evaluate.tail(unrelated, 256, 60, 1.0)
    assert math.isnan(evaluate.tail(unrelated, 256, None, 1.0))
