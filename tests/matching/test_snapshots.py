"""Shared index snapshots: one process publishes, others map it and follow changes from there."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.index import MultiIndexHammingIndex
from bastion.matching import Matcher, SnapshotShelf
from bastion.settings import Settings
from bastion.signals import Signal


def shelf_for(settings: Settings) -> SnapshotShelf | None:
    return SnapshotShelf.for_database(
        settings.data_dir, settings.database_url, min_signals=settings.index_snapshot_min_signals
    )


def pdq_values(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(256):064x}" for _ in range(count)]


def near(value: str, bits: int) -> str:
    return f"{int(value, 16) ^ ((1 << bits) - 1):064x}"


@pytest.fixture
def shared(settings: Settings) -> Settings:
    return replace(settings, index_snapshot_min_signals=50)


@pytest.fixture
def bank(store: BankStore) -> list[str]:
    values = pdq_values(200, seed=1)
    store.create_bank("shared")
    store.add_entries(
        "shared",
        [
            NewEntry(signals=[Signal("pdq", v), Signal("md5", f"{i:032x}")])
            for i, v in enumerate(values)
        ],
        source="test",
    )
    return values


def mapped(matcher: Matcher) -> bool:
    index = matcher._indexes["pdq"]
    assert isinstance(index, MultiIndexHammingIndex)
    return bool(index._levels) and index._levels[0].snapshot.file_backed


def test_first_matcher_publishes_and_the_next_maps_it(
    store: BankStore, shared: Settings, bank: list[str]
) -> None:
    shelf = shelf_for(shared)
    assert shelf is not None
    first = Matcher(store, shared.matching_options(), shelf=shelf)
    generation = shelf.latest()
    assert generation is not None
    assert generation.types() == ["pdq"]
    assert mapped(first)

    store.add_entries(
        "shared", [NewEntry(signals=[Signal("pdq", near(bank[0], 1))])], source="test"
    )
    (gone,) = [m.entry_id for m in first.match_signals([Signal("pdq", bank[5])])]
    store.delete_entry(gone)

    second = Matcher(store, shared.matching_options(), shelf=shelf_for(shared))
    assert mapped(second)
    first.refresh()
    for matcher in (first, second):
        assert len(matcher.match_signals([Signal("pdq", bank[0])])) == 2
        assert matcher.match_signals([Signal("pdq", bank[5])]) == []
        assert len(matcher.match_signals([Signal("md5", f"{7:032x}")])) == 1
        assert (
            len(matcher) == len(Matcher(store, shared.matching_options())) == 200 + 199
        )  # pdq, md5


def test_snapshot_of_another_database_is_ignored(
    store: BankStore, shared: Settings, bank: list[str]
) -> None:
    shelf = shelf_for(shared)
    assert shelf is not None
    Matcher(store, shared.matching_options(), shelf=shelf)
    generation = shelf.latest()
    assert generation is not None
    (generation.path / "COMPLETE").write_text("1@2000-01-01T00:00:00+00:00\n")
    matcher = Matcher(store, shared.matching_options(), shelf=shelf)
    assert len(matcher.match_signals([Signal("pdq", bank[3])])) == 1
    assert len(matcher) == 400
    # the foreign generation is gone and a good one took its place
    replacement = shelf.latest()
    assert replacement is not None
    assert replacement.stamp == store.change_stamp(replacement.seq)
    assert mapped(matcher)


@pytest.mark.parametrize("damage", ["garbage array", "no index at all"])
def test_a_damaged_snapshot_is_discarded_and_rebuilt(
    store: BankStore, shared: Settings, bank: list[str], damage: str
) -> None:
    shelf = shelf_for(shared)
    assert shelf is not None
    Matcher(store, shared.matching_options(), shelf=shelf)
    generation = shelf.latest()
    assert generation is not None
    if damage == "garbage array":
        (generation.path / "pdq" / "planes.npy").write_bytes(b"not an array")
    else:
        (generation.path / "pdq" / "meta.json").unlink()
    matcher = Matcher(store, shared.matching_options(), shelf=shelf)
    assert len(matcher.match_signals([Signal("pdq", bank[3])])) == 1
    assert len(matcher) == 400
    rebuilt = shelf.latest()
    assert rebuilt is not None
    assert rebuilt.types() == ["pdq"]
    assert mapped(matcher)


def test_small_banks_and_disabled_snapshots_stay_private(
    store: BankStore, settings: Settings, shared: Settings, bank: list[str]
) -> None:
    assert shelf_for(replace(settings, index_snapshot_min_signals=0)) is None
    shelf = shelf_for(replace(shared, index_snapshot_min_signals=10_000))
    assert shelf is not None
    matcher = Matcher(store, shared.matching_options(), shelf=shelf)
    assert shelf.latest() is None
    assert not mapped(matcher)


def test_a_newer_generation_is_adopted_on_refresh(
    store: BankStore, shared: Settings, bank: list[str]
) -> None:
    now = [0.0]
    shelf = shelf_for(shared)
    assert shelf is not None
    reader = Matcher(store, shared.matching_options(), shelf=shelf, clock=lambda: now[0])
    first = shelf.latest()
    assert first is not None
    extra = pdq_values(100, seed=2)
    store.add_entries(
        "shared", [NewEntry(signals=[Signal("pdq", v)]) for v in extra], source="test"
    )
    writer = Matcher(store, shared.matching_options(), shelf=shelf, clock=lambda: now[0])
    now[0] = 60.0
    # the writer's private part has grown past the threshold: it publishes in the background
    writer.refresh()
    assert writer._publishing is not None
    writer._publishing.join()
    newer = shelf.latest()
    assert newer is not None
    assert newer.seq > first.seq
    reader.refresh()
    assert reader._generation == newer
    assert mapped(reader)
    assert len(reader.match_signals([Signal("pdq", extra[9])])) == 1
    assert len(reader) == 500


def test_a_generation_older_than_the_view_catches_up_before_it_is_used(
    store: BankStore, shared: Settings, bank: list[str]
) -> None:
    now = [0.0]
    shelf = shelf_for(shared)
    assert shelf is not None
    reader = Matcher(store, shared.matching_options(), shelf=shelf, clock=lambda: now[0])
    extra = pdq_values(100, seed=2)
    extra_ids = store.add_entries(
        "shared", [NewEntry(signals=[Signal("pdq", v)]) for v in extra], source="test"
    )
    writer = Matcher(store, shared.matching_options(), shelf=shelf, clock=lambda: now[0])
    now[0] = 60.0
    writer.refresh()  # publishes a generation with the extra entries
    assert writer._publishing is not None
    writer._publishing.join()
    newer = shelf.latest()
    assert newer is not None
    # Changes after that generation: the reader applies them before it maps the generation,
    # which must not take them back.
    (gone,) = [m.entry_id for m in reader.match_signals([Signal("pdq", bank[7])])]
    store.delete_entry(gone)
    store.delete_entry(extra_ids[3])
    (late,) = store.add_entries(
        "shared", [NewEntry(signals=[Signal("pdq", near(bank[9], 3))])], source="test"
    )
    reader.refresh()
    assert reader._generation == newer
    assert reader.seq == store.head_seq() > newer.seq
    assert mapped(reader)
    assert reader.match_signals([Signal("pdq", bank[7])]) == []
    assert reader.match_signals([Signal("pdq", extra[3])]) == []
    assert len(reader.match_signals([Signal("pdq", extra[4])])) == 1
    assert late in [m.entry_id for m in reader.match_signals([Signal("pdq", bank[9])])]
    assert len(reader) == len(Matcher(store, shared.matching_options())) == 400 + 100 - 2 - 1 + 1
