"""A bank's match options: validated, stored, and kept as they were for older banks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from bastion.banks import ALL_OFF, BankStore, Derived, MatchOptions, NewEntry
from bastion.errors import ValidationError
from bastion.signals import Signal
from bastion.store import Database
from bastion.store.database import create_database_engine
from bastion.store.migrations import alembic_config

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
OTHER = "0" * 63 + "1"


def test_options_are_checked_and_changed_one_at_a_time() -> None:
    assert MatchOptions().as_dict() == {
        "trim_borders": True, "rotations": True, "variants": True, "keypoints": False
    }  # fmt: skip
    changed = MatchOptions.of({"rotations": False}, base=ALL_OFF)
    assert changed == ALL_OFF
    assert MatchOptions.of({"variants": True}, base=ALL_OFF).as_dict()["variants"] is True
    with pytest.raises(ValidationError, match=r"unknown match option.*'spin'"):
        MatchOptions.of({"spin": True})
    with pytest.raises(ValidationError, match="rotations must be true or false"):
        MatchOptions.of({"rotations": 1})
    with pytest.raises(ValidationError, match="must be a mapping"):
        MatchOptions.of(["rotations"])  # type: ignore[arg-type]
    assert (ALL_OFF | MatchOptions(trim_borders=False, rotations=True, variants=False)) == (
        MatchOptions(trim_borders=False, rotations=True, variants=False)
    )


def test_a_derived_hash_counts_only_when_every_step_is_switched_on() -> None:
    only_turns = MatchOptions(trim_borders=False, rotations=True, variants=False)
    assert only_turns.allows("rotate90")
    assert not only_turns.allows("trimmed")
    assert not only_turns.allows("trimmed+rotate90")
    assert MatchOptions().allows("trimmed+flipx")
    assert MatchOptions().allows("crop_10")
    assert MatchOptions().allows("centre_70")
    assert MatchOptions(rotations=False, variants=False).allows("untilted")
    assert not MatchOptions(variants=False).allows("untilted+centre_70")
    assert MatchOptions().allows("untilted+centre_70")
    assert not MatchOptions().allows("original")  # not a derivation
    assert not MatchOptions().allows("sharpened")  # one bastion does not make


def test_options_and_derived_hashes_are_stored(store: BankStore) -> None:
    store.create_bank("b", matching=MatchOptions(variants=False))
    assert store.get_bank("b").matching == MatchOptions(variants=False)
    store.update_bank("b", matching=ALL_OFF)
    assert store.list_banks()[0].matching == ALL_OFF
    store.update_bank("b", description="options untouched")
    assert store.banks_by_id()[store.get_bank("b").id].matching == ALL_OFF
    derived = (Derived(Signal("pdq", OTHER, 90), "crop_10"),)
    (entry_id,) = store.add_entries(
        "b", [NewEntry(signals=(Signal("pdq", PDQ, 100),), derived=derived)], source="media"
    )
    entry = store.get_entry(entry_id)
    assert entry.signals == (Signal("pdq", PDQ, 100),)
    assert entry.derived == derived
    # A new entry is a duplicate only of the content's own hashes, never of derived ones.
    (again,) = store.add_entries("b", [NewEntry(signals=(Signal("pdq", OTHER, 90),))], source="api")
    assert store.get_entry(again).signals == (Signal("pdq", OTHER, 90),)


def test_banks_made_before_match_options_keep_them_all_off(database_url: str) -> None:
    engine = create_database_engine(database_url)
    command.upgrade(alembic_config(engine), "0009")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO banks (name, description, enabled, thresholds, created_at, "
                "updated_at) VALUES ('old', '', true, '{}', :t, :t)"
            ),
            {"t": "2026-01-01 00:00:00+00:00"},
        )
    engine.dispose()
    db = Database.open(database_url)
    try:
        assert BankStore(db).get_bank("old").matching == ALL_OFF
    finally:
        db.close()
