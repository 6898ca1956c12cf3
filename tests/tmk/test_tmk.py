"""TMK+PDQF descriptors: the reference `.tmk` layout and the level-1/level-2 scores."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from bastion.errors import InvalidTmkError
from bastion.tmk import LEVEL1_THRESHOLD, LEVEL2_THRESHOLD, TmkFeatures, level1_score, level2_score


def descriptor(
    seed: int, periods: tuple[int, ...] = (5, 9), m: int = 6, d: int = 16
) -> TmkFeatures:
    """A random descriptor shaped like a real one: features L2-normalised, scaled by sqrt(a_j)."""
    rng = np.random.default_rng(seed)
    coefficients = np.linspace(0.2, 0.01, m).astype(np.float32)

    def features() -> np.ndarray:
        raw = rng.normal(size=(len(periods), m, d))
        raw /= np.linalg.norm(raw, axis=2, keepdims=True)
        return (raw * np.sqrt(coefficients)[None, :, None]).astype(np.float32)

    return TmkFeatures(
        frames_per_second=15,
        periods=periods,
        coefficients=coefficients,
        pure_average=rng.normal(size=d).astype(np.float32),
        cos=features(),
        sin=features(),
        frame_count=100,
    )


# Conformance with Meta's reference files -------------------------------------------------


def reference_pairs(shared_testdata: Path) -> list[tuple[float, float, Path, Path]]:
    video = shared_testdata / "video"
    pairs = []
    for line in (video / "tmk-expected-scores.txt").read_text().splitlines():
        level1, level2, a, b = line.split()
        pairs.append(
            (
                float(level1),
                float(level2),
                video / "tmk-sample-hashes" / a,
                video / "tmk-sample-hashes" / b,
            )
        )
    return pairs


def test_reference_scores_are_reproduced(shared_testdata: Path) -> None:
    pairs = reference_pairs(shared_testdata)
    assert len(pairs) == 32
    for level1, level2, path_a, path_b in pairs:
        a = TmkFeatures.from_bytes(path_a.read_bytes())
        b = TmkFeatures.from_bytes(path_b.read_bytes())
        for x, y in ((a, b), (b, a)):
            assert level1_score(x, y) == pytest.approx(level1, abs=1e-4), (path_a.name, path_b.name)
            assert level2_score(x, y) == pytest.approx(level2, abs=1e-4), (path_a.name, path_b.name)
        same = level1 >= LEVEL1_THRESHOLD and level2 >= LEVEL2_THRESHOLD
        assert same == (path_a.name.split("-")[0] == path_b.name.split("-")[0])


def test_reference_files_round_trip_byte_for_byte(shared_testdata: Path) -> None:
    files = sorted((shared_testdata / "video" / "tmk-sample-hashes").glob("*.tmk"))
    assert len(files) == 15
    for path in files:
        raw = path.read_bytes()
        features = TmkFeatures.from_bytes(raw)
        assert (features.periods, len(features.coefficients), features.dimension) == (
            (2731, 4391, 9767, 14653),
            32,
            256,
        )
        assert features.to_bytes() == raw
        assert level2_score(features, features) == pytest.approx(1.0, abs=1e-5)


# Properties on generated descriptors -----------------------------------------------------


def test_scores_of_generated_descriptors() -> None:
    a, b = descriptor(1), descriptor(2)
    assert level2_score(a, a) == pytest.approx(1.0, abs=1e-6)
    assert level1_score(a, a) == pytest.approx(1.0, abs=1e-6)
    assert level2_score(a, b) == pytest.approx(level2_score(b, a), abs=1e-9)
    assert level1_score(a, b) == pytest.approx(level1_score(b, a), abs=1e-9)
    assert -1.0 <= level1_score(a, b) <= 1.0
    assert level2_score(a, b) < 0.9
    assert TmkFeatures.from_bytes(a.to_bytes()).to_bytes() == a.to_bytes()


def test_features_are_read_only() -> None:
    with pytest.raises(ValueError, match="read-only"):
        descriptor(3).cos[0, 0, 0] = 1.0


# Bad input ---------------------------------------------------------------------------------


def header(
    periods: int = 2, m: int = 6, d: int = 16, fps: int = 15, magic: bytes = b"TMK1FVECPDQF"
) -> bytes:
    return magic + struct.pack("<5i", fps, periods, m, d, 100)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "32-byte header"),
        (b"TMK1FVEC", "32-byte header"),
        (header(magic=b"RIFFWAVEPDQF"), "not a TMK feature-vector file"),
        (header(magic=b"TMK1FVECDCTX"), "unsupported TMK frame-feature algorithm"),
        (header(periods=2**31 - 1), "implausible TMK sizes"),
        (header(m=0), "implausible TMK sizes"),
        (header(d=10**9), "implausible TMK header"),
        (header(fps=0), "implausible TMK header"),
        (header(), "truncated or padded"),
    ],
)
def test_malformed_files_are_refused_clearly(data: bytes, message: str) -> None:
    with pytest.raises(InvalidTmkError, match=message):
        TmkFeatures.from_bytes(data)


def test_truncated_padded_and_non_finite_files_are_refused() -> None:
    good = descriptor(4).to_bytes()
    with pytest.raises(InvalidTmkError, match="truncated or padded"):
        TmkFeatures.from_bytes(good[:-1])
    with pytest.raises(InvalidTmkError, match="truncated or padded"):
        TmkFeatures.from_bytes(good + b"\0\0\0\0")
    poisoned = bytearray(good)
    poisoned[-4:] = struct.pack("<f", float("nan"))
    with pytest.raises(InvalidTmkError, match="NaN"):
        TmkFeatures.from_bytes(bytes(poisoned))
    periods = bytearray(good)
    periods[32:36] = struct.pack("<i", -3)
    with pytest.raises(InvalidTmkError, match="periods must be positive"):
        TmkFeatures.from_bytes(bytes(periods))


def test_incompatible_descriptors_are_not_compared() -> None:
    with pytest.raises(InvalidTmkError, match="cannot be compared"):
        level2_score(descriptor(5), descriptor(6, periods=(5, 11)))
    with pytest.raises(InvalidTmkError, match="cannot be compared"):
        level1_score(descriptor(5), descriptor(6, d=8))
