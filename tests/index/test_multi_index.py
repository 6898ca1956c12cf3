"""The multi-index against the brute-force oracle: random, clustered and adversarial codes."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.index import (
    BruteForceHammingIndex,
    HammingSnapshot,
    IndexHit,
    MultiIndexHammingIndex,
)
from bastion.index.codes import Codes, distances


def as_codes(values: list[int], bits: int) -> Codes:
    raw = b"".join(v.to_bytes(bits // 8, "big") for v in values)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(values), bits // 64)


def oracle(stored: dict[int, int], probe: int, radius: int) -> list[tuple[int, int]]:
    hits = [((v ^ probe).bit_count(), i) for i, v in stored.items()]
    return sorted(h for h in hits if h[0] <= radius)


def found(
    index: HammingSnapshot | MultiIndexHammingIndex, probe: int, radius: int, bits: int
) -> list[tuple[int, int]]:
    ids, dist = index.search(as_codes([probe], bits)[0], radius)
    return sorted(zip(dist.tolist(), ids.tolist(), strict=True))


def flip(value: int, count: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(bits), min(count, bits)):
        value ^= 1 << bit
    return value


def clustered(
    rng: random.Random, bits: int, centres: int, per_centre: int, spread: int
) -> list[int]:
    """Many variants of a few codes, the shape of real hash lists (near-duplicates)."""
    codes = []
    for _ in range(centres):
        centre = rng.getrandbits(bits)
        codes += [flip(centre, rng.randrange(spread + 1), bits, rng) for _ in range(per_centre)]
    return codes


bits_choice = st.sampled_from([64, 128, 256])


@settings(max_examples=60, deadline=None)
@given(
    bits=bits_choice,
    seed=st.integers(0, 2**32),
    size=st.integers(0, 3000),
    radius=st.integers(0, 70),
)
def test_snapshot_matches_oracle_on_random_and_clustered_codes(
    bits: int, seed: int, size: int, radius: int
) -> None:
    rng = random.Random(seed)
    values = [rng.getrandbits(bits) for _ in range(size // 2)]
    values += clustered(rng, bits, centres=3, per_centre=size // 6, spread=radius + 4)
    ids = rng.sample(range(10**9), len(values))
    stored = dict(zip(ids, values, strict=True))
    snapshot = HammingSnapshot.build(np.array(ids, dtype=np.int64), as_codes(values, bits), bits)
    probes = [rng.getrandbits(bits)] + [
        flip(v, radius, bits, rng) for v in rng.sample(values, min(3, len(values)))
    ]
    for probe in probes:
        assert found(snapshot, probe, radius, bits) == oracle(stored, probe, radius)


def test_probing_is_used_and_exact_at_the_radius_edge() -> None:
    rng = random.Random(5)
    bits = 256
    base = [rng.getrandbits(bits) for _ in range(20_000)]
    probe = rng.getrandbits(bits)
    # plant codes at every distance around the radius
    planted = [flip(probe, d, bits, rng) for d in range(25, 40) for _ in range(3)]
    values = base + planted
    stored = dict(enumerate(values))
    snapshot = HammingSnapshot.build(np.arange(len(values)), as_codes(values, bits), bits)
    assert snapshot._plan(31) is not None, "20,000 codes at radius 31 should probe, not scan"
    result = found(snapshot, probe, 31, bits)
    assert result == oracle(stored, probe, 31)
    assert [d for d, _ in result].count(31) == 3
    assert all(d <= 31 for d, _ in result)
    assert len(result) == 7 * 3


def test_duplicates_are_stored_once_and_all_ids_found() -> None:
    bits = 256
    rng = random.Random(2)
    one = rng.getrandbits(bits)
    others = [rng.getrandbits(bits) for _ in range(5000)]
    values = [one] * 20_000 + others
    snapshot = HammingSnapshot.build(np.arange(len(values)), as_codes(values, bits), bits)
    assert snapshot.distinct == 5001
    ids, dist = snapshot.search(as_codes([flip(one, 3, bits, rng)], bits)[0], 31)
    assert sorted(ids.tolist()) == list(range(20_000))
    assert set(dist.tolist()) == {3}
    # every table has one entry for the repeated code, not 20,000
    assert len(snapshot.bucket_codes) == snapshot.tables * 5001


def test_all_zero_all_one_and_empty() -> None:
    bits = 256
    zero, ones = 0, (1 << bits) - 1
    snapshot = HammingSnapshot.build(np.arange(100), as_codes([zero] * 100, bits), bits)
    assert [i for _, i in found(snapshot, zero, 0, bits)] == list(range(100))
    assert found(snapshot, ones, 255, bits) == []
    assert found(snapshot, ones, 256, bits) == [(256, i) for i in range(100)]
    empty = HammingSnapshot.build(np.empty(0, np.int64), np.empty((0, 4), np.uint64), bits)
    assert found(empty, zero, 256, bits) == []
    assert len(MultiIndexHammingIndex()) == 0
    assert MultiIndexHammingIndex().query("0" * 64, 31) == []


def test_rejects_repeated_ids_and_bad_shapes() -> None:
    with pytest.raises(ValueError, match="distinct"):
        HammingSnapshot.build(np.array([1, 1]), as_codes([1, 2], 256), 256)
    with pytest.raises(ValueError, match="multiple of 64"):
        MultiIndexHammingIndex(bits=100)
    index = MultiIndexHammingIndex()
    with pytest.raises(ValueError, match="duplicate"):
        index.add([1, 1], ["0" * 64, "f" * 64])
    with pytest.raises(ValueError, match="64 hex"):
        index.add([1], ["abc"])
    assert len(index) == 0


operation = st.tuples(
    st.sampled_from(["add", "add", "remove"]),
    st.lists(st.integers(0, 60), min_size=1, max_size=12, unique=True),
    st.integers(0, 2**32),
)


@settings(max_examples=60, deadline=None)
@given(bits=bits_choice, ops=st.lists(operation, max_size=40), radius=st.integers(0, 40))
def test_incremental_changes_match_oracle(
    bits: int, ops: list[tuple[str, list[int], int]], radius: int
) -> None:
    index = MultiIndexHammingIndex(bits, delta_limit=8, growth=2, background=False)
    stored: dict[int, int] = {}
    centre = random.Random(0).getrandbits(bits)
    for kind, ids, seed in ops:
        rng = random.Random(seed)
        if kind == "add":
            values = [flip(centre, rng.randrange(radius + 8), bits, rng) for _ in ids]
            index.add(ids, [f"{v:0{bits // 4}x}" for v in values])
            stored.update(zip(ids, values, strict=True))
        else:
            index.remove(ids)
            for i in ids:
                stored.pop(i, None)
        assert len(index) == len(stored)
        assert found(index, centre, radius, bits) == oracle(stored, centre, radius)
    for i, v in stored.items():
        assert index.value(i) == f"{v:0{bits // 4}x}"
    assert len(index.levels) <= 12


def test_query_returns_index_hits_like_the_reference() -> None:
    rng = random.Random(9)
    values = [f"{rng.getrandbits(256):064x}" for _ in range(3000)]
    fast, slow = MultiIndexHammingIndex(delta_limit=256, background=False), BruteForceHammingIndex()
    for start in range(0, 3000, 100):
        fast.add(list(range(start, start + 100)), values[start : start + 100])
        slow.add(list(range(start, start + 100)), values[start : start + 100])
    fast.remove(range(0, 3000, 7))
    slow.remove(range(0, 3000, 7))
    for probe in values[::300]:
        hits = fast.query(probe, 100)
        assert hits == slow.query(probe, 100)
        own = values.index(probe)
        if own % 7:
            assert hits[0] == IndexHit(0, own)
        else:
            assert own not in [h.id for h in hits]
    with pytest.raises(KeyError):
        fast.value(0)


def test_background_merges_keep_answers_exact() -> None:
    rng = random.Random(4)
    index = MultiIndexHammingIndex(delta_limit=64, growth=2, background=True)
    stored: dict[int, int] = {}
    for step in range(200):
        ids = rng.sample(range(5000), 40)
        values = [rng.getrandbits(256) for _ in ids]
        index.add(ids, [f"{v:064x}" for v in values])
        stored.update(zip(ids, values, strict=True))
        gone = rng.sample(sorted(stored), 10)
        index.remove(gone)
        for i in gone:
            del stored[i]
        if step % 20 == 0:
            probe = stored[rng.choice(sorted(stored))]
            assert found(index, probe, 60, 256) == oracle(stored, probe, 60)
    index.wait()
    assert index.merges > 0
    assert len(index) == len(stored)
    for probe in rng.sample(sorted(stored.values()), 20):
        assert found(index, probe, 60, 256) == oracle(stored, probe, 60)


def test_concurrent_adds_removes_and_queries_are_consistent() -> None:
    """Readers always see the permanent codes, and every hit has its id's true distance."""
    bits, rng = 256, random.Random(11)
    permanent = {i: rng.getrandbits(bits) for i in range(500)}

    def code_for(i: int) -> int:  # writers always store the same code under an id
        return random.Random(i).getrandbits(bits)

    index = MultiIndexHammingIndex(delta_limit=32, growth=2, background=True)
    index.add(list(permanent), [f"{v:064x}" for v in permanent.values()])
    errors: list[str] = []
    stop = threading.Event()

    def writer(seed: int) -> None:
        wrng = random.Random(seed)
        while not stop.is_set():
            ids = wrng.sample(range(10_000, 12_000), 20)
            index.add(ids, [f"{code_for(i):064x}" for i in ids])
            index.remove(wrng.sample(range(10_000, 12_000), 20))

    def reader(seed: int) -> None:
        rrng = random.Random(seed)
        for _ in range(150):
            pid = rrng.randrange(500)
            probe = permanent[pid]
            ids, dist = index.search(as_codes([probe], bits)[0], 110)
            hits = dict(zip(ids.tolist(), dist.tolist(), strict=True))
            if hits.get(pid) != 0:
                errors.append(f"permanent id {pid} missing")
            for i, d in hits.items():
                truth = permanent[i] if i < 500 else code_for(i)
                if (truth ^ probe).bit_count() != d or len(ids) != len(hits):
                    errors.append(f"id {i}: distance {d} is wrong or repeated")

    writers = [threading.Thread(target=writer, args=(s,)) for s in (1, 2)]
    readers = [threading.Thread(target=reader, args=(s,)) for s in (3, 4, 5)]
    for t in writers + readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    for t in writers:
        t.join()
    index.wait()
    assert errors == []
    assert index.merges > 0


def test_snapshot_saves_and_maps_read_only(tmp_path: Path) -> None:
    rng = random.Random(8)
    values = [rng.getrandbits(256) for _ in range(5000)] + [7] * 50
    stored = dict(zip(range(0, 10_100, 2), values, strict=True))
    index = MultiIndexHammingIndex(delta_limit=512, background=False)
    index.add(list(stored), [f"{v:064x}" for v in stored.values()])
    index.save(tmp_path / "snap", extra={"seq": 41})
    reopened, extra = MultiIndexHammingIndex.open(tmp_path / "snap")
    assert extra == {"seq": 41}
    assert reopened._levels[0].snapshot.file_backed
    assert len(reopened) == len(stored)
    probe = flip(values[3], 20, 256, rng)
    assert found(reopened, probe, 31, 256) == oracle(stored, probe, 31)
    # changes after opening live in memory; the mapped files stay as they were
    reopened.add([99_999], [f"{probe:064x}"])
    reopened.remove([6])
    stored[99_999] = probe
    del stored[6]
    assert found(reopened, probe, 31, 256) == oracle(stored, probe, 31)
    with pytest.raises(FileExistsError):
        index.save(tmp_path / "snap")


def test_open_refuses_foreign_or_truncated_snapshots(tmp_path: Path) -> None:
    snapshot = HammingSnapshot.build(np.arange(10), as_codes(list(range(10)), 64), 64)
    snapshot.save(tmp_path / "ok")
    (tmp_path / "ok" / "row_ids.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(ValueError, match="damaged"):
        HammingSnapshot.open(tmp_path / "ok")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "meta.json").write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="does not hold"):
        HammingSnapshot.open(tmp_path / "foreign")


def test_distances_helper_agrees_with_python() -> None:
    rng = random.Random(1)
    values = [rng.getrandbits(128) for _ in range(50)]
    probe = rng.getrandbits(128)
    got = distances(as_codes(values, 128), as_codes([probe], 128)[0]).tolist()
    assert got == [(v ^ probe).bit_count() for v in values]


def test_a_mapped_snapshot_is_never_merged_into_private_memory(tmp_path: Path) -> None:
    rng = random.Random(12)
    base = {i: rng.getrandbits(256) for i in range(400)}
    HammingSnapshot.build(
        np.array(list(base), dtype=np.int64), as_codes(list(base.values()), 256), 256
    ).save(tmp_path / "snap")
    index, _ = MultiIndexHammingIndex.open(
        tmp_path / "snap", delta_limit=16, growth=2, background=False
    )
    added = {1000 + i: rng.getrandbits(256) for i in range(600)}
    for start in range(0, 600, 10):
        ids = list(added)[start : start + 10]
        index.add(ids, [f"{added[i]:064x}" for i in ids])
    assert index._levels[0].snapshot.file_backed
    assert not any(level.snapshot.file_backed for level in index._levels[1:])
    assert index.levels[0] == 400
    assert index.private_size == 600
    assert index.merges > 0
    stored = base | added
    probe = flip(added[1005], 9, 256, rng)
    assert found(index, probe, 31, 256) == oracle(stored, probe, 31)
