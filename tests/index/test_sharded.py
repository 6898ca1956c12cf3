"""The sharded index (`bastion.index.sharded`): exactly the answers of one index over the same
codes, on random and clustered data, for any number of shards; jump hashing's balance and its
moves on growth; saved shards mapped; shards served by Dask actors on two worker processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.index import HammingSnapshot
from bastion.index.sharded import ShardedIndex, serve, shard_of, shards_for

Found = tuple[np.ndarray, np.ndarray]


def codes_of(kind: str, count: int, words: int, seed: int) -> np.ndarray:
    """Uniform codes, or clustered ones: a few centres, each copy a few bits away, and one
    code repeated under many ids."""
    rng = np.random.default_rng(seed)
    uniform = rng.integers(0, 2**63, size=(count, words), dtype=np.int64).astype(np.uint64)
    uniform ^= rng.integers(0, 2, size=(count, words), dtype=np.int64).astype(np.uint64) << 63
    if kind == "uniform" or count == 0:
        return uniform
    centres = uniform[: max(1, count // 50)]
    codes = centres[rng.integers(0, len(centres), size=count)].copy()
    flips = rng.integers(0, 64 * words, size=(count, 6))
    for column in range(flips.shape[1]):
        keep = rng.random(count) < 0.5
        word, bit = flips[keep, column] // 64, flips[keep, column] % 64
        codes[np.flatnonzero(keep), word] ^= np.uint64(1) << bit.astype(np.uint64)
    codes[: count // 10] = codes[0]  # one code under a tenth of the ids
    return codes


def sorted_found(found: Found) -> list[tuple[int, int]]:
    return sorted(zip(found[0].tolist(), found[1].tolist(), strict=True))


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["uniform", "clustered"]),
    bits=st.sampled_from([64, 256]),
    shards=st.integers(1, 7),
    count=st.integers(0, 600),
    radius=st.integers(0, 64),
    seed=st.integers(0, 2**16),
)
def test_sharded_answers_are_one_indexs_answers(
    kind: str, bits: int, shards: int, count: int, radius: int, seed: int
) -> None:
    words = bits // 64
    codes = codes_of(kind, count, words, seed)
    ids = np.random.default_rng(seed + 1).permutation(10 * count + 1)[:count].astype(np.int64)
    one = HammingSnapshot.build(ids, codes, bits)
    sharded = ShardedIndex.build(ids, codes, bits, shards)
    assert len(sharded) == count
    rng = np.random.default_rng(seed + 2)
    near = codes[rng.integers(0, count, size=5)] if count else np.empty((0, words), np.uint64)
    near = near ^ (np.uint64(1) << rng.integers(0, 64, size=near.shape).astype(np.uint64))
    queries = np.concatenate([near, codes_of("uniform", 3, words, seed + 3)])
    for query, found in zip(queries, sharded.search_many(queries, radius), strict=True):
        expected = one.search(query, radius)
        assert sorted_found(found) == sorted_found(expected)
        assert list(found[0]) == sorted(found[0])  # ids ascending


def test_jump_hashing_is_stable_balanced_and_moves_only_to_the_new_shard() -> None:
    ids = np.arange(100_000, dtype=np.int64) * 7 + 3
    before = shard_of(ids, 9)
    assert np.array_equal(before, shard_of(ids, 9))
    counts = np.bincount(before, minlength=9)
    assert counts.min() > 0.95 * len(ids) / 9
    assert counts.max() < 1.05 * len(ids) / 9
    after = shard_of(ids, 10)
    moved = before != after
    assert set(after[moved].tolist()) == {9}
    assert 0.08 < moved.mean() < 0.12  # about 1/10
    assert shard_of(ids, 1).max() == 0
    with pytest.raises(ValueError, match="1 or more"):
        shard_of(ids, 0)
    assert (shards_for(0, 10), shards_for(10, 10), shards_for(11, 10)) == (1, 1, 2)


def test_saved_shards_are_mapped_and_answer_the_same(tmp_path: Path) -> None:
    codes = codes_of("clustered", 3_000, 4, 5)
    ids = np.arange(3_000, dtype=np.int64) * 3
    built = ShardedIndex.build(ids, codes, 256, 4)
    built.save(tmp_path / "idx")
    opened = ShardedIndex.open(tmp_path / "idx")
    assert all(s.snapshot.file_backed for s in opened.shards)  # type: ignore[attr-defined]
    queries = codes[:20]
    for a, b in zip(built.search_many(queries, 31), opened.search_many(queries, 31), strict=True):
        assert sorted_found(a) == sorted_found(b)
    (tmp_path / "idx" / "manifest.json").write_text("{}")
    with pytest.raises(ValueError, match="does not hold"):
        ShardedIndex.open(tmp_path / "idx")


def test_growing_and_adding_keep_the_answers(tmp_path: Path) -> None:
    codes = codes_of("uniform", 4_000, 4, 9)
    ids = np.arange(4_000, dtype=np.int64)
    one = HammingSnapshot.build(ids, codes, 256)
    index = ShardedIndex.build(ids[:3_000], codes[:3_000], 256, 3)
    added = index.add(ids[3_000:], codes[3_000:])
    grown, growth = added.grown(5)
    assert (growth.shards_before, growth.shards_after, growth.total) == (3, 5, 4_000)
    assert 0.3 < growth.moved / growth.total < 0.5  # 2/5 of the ids: only to the new shards
    queries = codes[::200] ^ np.uint64(0b1011)
    for index_ in (added, grown):
        for query, found in zip(queries, index_.search_many(queries, 20), strict=True):
            assert sorted_found(found) == sorted_found(one.search(query, 20))
    with pytest.raises(ValueError, match="grows"):
        grown.grown(2)


def test_shards_served_by_dask_actors_answer_the_same(tmp_path: Path, cluster: Any) -> None:
    distributed = pytest.importorskip("distributed")
    codes = codes_of("clustered", 5_000, 4, 11)
    ids = np.arange(5_000, dtype=np.int64) + 100
    local = ShardedIndex.build(ids, codes, 256, 4)
    local.save(tmp_path / "idx")
    with distributed.Client(cluster.scheduler_address) as client:
        remote = serve(client, tmp_path / "idx")
        assert len(remote) == 5_000
        queries = codes[::250] ^ np.uint64(1 << 40)
        answers = remote.search_many(queries, 31)
        for query, found in zip(queries, answers, strict=True):
            assert sorted_found(found) == sorted_found(local.search(query, 31))
        assert sum(len(f[0]) for f in answers) > 0
