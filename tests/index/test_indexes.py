"""Indexes against a plain-Python reference, on random and adversarial data."""

from __future__ import annotations

import random

import pytest

from bastion.index import BruteForceHammingIndex, ExactIndex, IndexHit


def naive(stored: dict[int, str], probe: str, threshold: int) -> list[IndexHit]:
    hits = [IndexHit((int(v, 16) ^ int(probe, 16)).bit_count(), i) for i, v in stored.items()]
    return sorted(h for h in hits if h.distance <= threshold)


def random_hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def flip_bits(value: str, count: int, rng: random.Random) -> str:
    n = int(value, 16)
    for bit in rng.sample(range(256), count):
        n ^= 1 << bit
    return f"{n:064x}"


def test_random_data_with_near_neighbours_matches_reference() -> None:
    rng = random.Random(7)
    stored = {i: random_hex(rng) for i in range(500)}
    # plant near neighbours at every distance around the threshold
    for i, d in enumerate(range(25, 40)):
        stored[1000 + i] = flip_bits(stored[0], d, rng)
    index = BruteForceHammingIndex()
    index.add(list(stored), list(stored.values()))
    for probe in [stored[0], stored[7], random_hex(rng)]:
        for threshold in (0, 30, 31, 32, 256):
            assert index.query(probe, threshold) == naive(stored, probe, threshold)


def test_distance_exactly_at_threshold_is_a_match() -> None:
    rng = random.Random(1)
    base = random_hex(rng)
    index = BruteForceHammingIndex()
    index.add([1, 2], [flip_bits(base, 31, rng), flip_bits(base, 32, rng)])
    assert index.query(base, 31) == [IndexHit(31, 1)]


def test_all_equal_and_all_zero_hashes() -> None:
    zero = "0" * 64
    ones = "f" * 64
    index = BruteForceHammingIndex()
    index.add(list(range(100)), [zero] * 100)
    assert [h.id for h in index.query(zero, 0)] == list(range(100))
    assert index.query(ones, 255) == []
    assert len(index.query(ones, 256)) == 100
    assert all(h.distance == 256 for h in index.query(ones, 256))


def test_incremental_add_remove_and_replace_match_reference() -> None:
    rng = random.Random(3)
    index = BruteForceHammingIndex()
    stored: dict[int, str] = {}
    for step in range(60):
        new_ids = [rng.randrange(300) for _ in range(rng.randrange(1, 20))]
        new_ids = list(dict.fromkeys(new_ids))
        values = [random_hex(rng) for _ in new_ids]
        index.add(new_ids, values)
        stored.update(zip(new_ids, values, strict=True))
        gone = rng.sample(sorted(stored), k=min(len(stored), rng.randrange(0, 10)))
        index.remove([*gone, 10000])  # unknown ids are ignored
        for i in gone:
            del stored[i]
        assert len(index) == len(stored)
        probe = stored[rng.choice(sorted(stored))] if stored and step % 2 else random_hex(rng)
        assert index.query(probe, 128) == naive(stored, probe, 128)
    for i, v in stored.items():
        assert index.value(i) == v


def test_rejects_malformed_values_and_duplicate_ids() -> None:
    index = BruteForceHammingIndex()
    with pytest.raises(ValueError, match="64 hex"):
        index.add([1], ["abc"])
    with pytest.raises(ValueError, match="duplicate"):
        index.add([1, 1], ["0" * 64, "f" * 64])
    with pytest.raises(ValueError, match="non-hexadecimal"):
        index.add([1], ["zz" * 32])
    assert len(index) == 0


def test_exact_index() -> None:
    index = ExactIndex()
    index.add([1, 2, 3], ["a", "b", "a"])
    assert index.query("a") == [IndexHit(0, 1), IndexHit(0, 3)]
    index.add([1], ["c"])  # replaces
    assert index.query("a") == [IndexHit(0, 3)]
    assert index.query("c") == [IndexHit(0, 1)]
    index.remove([3, 99])
    assert index.query("a") == []
    assert len(index) == 2
    assert index.value(2) == "b"
