"""Retroactive matching (`bastion.pipeline.retroactive`): content checked while
`checked_retention_days` is on keeps its signals; entries a bank gains later are matched
against them, and what now matches is acted on once, marked retroactive, on SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from bastion.pipeline import Bastion
from bastion.pipeline.housekeeping import Housekeeping
from bastion.pipeline.retroactive import Retroactive
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import Signal
from bastion.store.models import CaseRow, CheckedContentRow, JobRow, OutboxRow, RetroCursorRow

CHECKED = 1_000
BANK = "known"


def jpeg(seed: int, quality: int = 90) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed, 96, 72)).save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture
def bastion(tmp_path: Path, database_url: str) -> Iterator[Bastion]:
    settings = Settings.load(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        checked_retention_days=365,
        near_miss_margin=0,
    )
    built = Bastion(settings)
    built.store.create_bank(BANK)
    built.actions.add_review(BANK)
    built.actions.add_webhook(BANK, "https://hooks.example.com/bastion")
    yield built
    built.close()


def check_many(bastion: Bastion, count: int) -> None:
    for i in range(count):
        bastion.check_content(
            jpeg(i), f"upload-{i}", context={"content_id": f"c{i}", "user_id": f"u{i % 10}"}
        )


def jobs(bastion: Bastion) -> list[tuple[str, bool, str]]:
    """(content id, retroactive, case subject) of every job."""
    with bastion.db.session() as s:
        rows = s.execute(select(JobRow.evidence, CaseRow.subject).join(CaseRow)).all()
    return sorted(
        (e["content"].get("content_id", "-"), bool(e["content"].get("retroactive")), subject)
        for e, subject in rows
    )


def webhooks(bastion: Bastion) -> int:
    with bastion.db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxRow)) or 0


def test_a_new_entry_matches_one_of_a_thousand_checked_images_once(bastion: Bastion) -> None:
    bastion.add_to_bank(BANK, jpeg(7))  # before the checks: c7 matches at once
    check_many(bastion, CHECKED)
    assert bastion.checked.count() == CHECKED
    assert jobs(bastion) == [("c7", False, "user:u7")]

    retro = Retroactive(bastion, history_page=300)  # pages of the history
    assert retro.run().matched == 0  # nothing new yet

    # A re-encoded copy of one checked image joins the bank.
    bastion.add_to_bank(BANK, jpeg(500, quality=40))
    found = retro.run()

    assert (found.new_signals > 0, found.matched, found.queued) == (True, 1, 2)
    retroactive = [j for j in jobs(bastion) if j[1]]
    assert retroactive == [("c500", True, "user:u0")]
    assert webhooks(bastion) == 1 + 1  # c7's at check time, c500's now
    # Run again, or look at every change again: nothing more.
    assert retro.run().matched == 0
    with bastion.db.session() as s:
        s.execute(update(RetroCursorRow).values(seq=0))
    again = retro.run()
    assert again.candidates >= 1
    assert again.matched == 0
    assert len([j for j in jobs(bastion) if j[1]]) == 1


def test_many_new_entries_and_exact_values(bastion: Bastion) -> None:
    check_many(bastion, 200)
    retro = Retroactive(bastion, history_page=64)
    retro.run()
    # 40 unrelated images, one near copy of c120, and c33's MD5 alone: the many-codes path
    # (an index over each page) and the exact path.
    for seed in range(5_000, 5_040):
        bastion.add_to_bank(BANK, jpeg(seed))
    bastion.add_to_bank(BANK, jpeg(120, quality=50))
    md5 = hashlib.md5(jpeg(33)).hexdigest()
    bastion.add_to_bank(BANK, [Signal("md5", md5)])

    found = retro.run()

    assert found.matched == 2
    assert [j[0] for j in jobs(bastion) if j[1]] == ["c120", "c33"]


def test_an_entry_already_matched_when_checked_is_not_matched_again(bastion: Bastion) -> None:
    retro = Retroactive(bastion)
    retro.run()  # the cursor starts here
    bastion.add_to_bank(BANK, jpeg(3))
    bastion.check_content(jpeg(3), context={"content_id": "c3"})  # matches now, live
    assert retro.run().matched == 0
    assert [(c, r) for c, r, _ in jobs(bastion)] == [("c3", False)]


def test_two_processes_running_at_once_act_once(bastion: Bastion) -> None:
    check_many(bastion, 50)
    Retroactive(bastion).run()
    bastion.add_to_bank(BANK, jpeg(20, quality=45))
    results = []
    runners = [
        threading.Thread(target=lambda: results.append(Retroactive(bastion).run()))
        for _ in range(2)
    ]
    for t in runners:
        t.start()
    for t in runners:
        t.join()
    assert sum(r.matched for r in results) == 1
    assert [j[0] for j in jobs(bastion) if j[1]] == ["c20"]


def test_nothing_is_kept_when_retention_is_off(tmp_path: Path, database_url: str) -> None:
    settings = Settings.load(env={}, data_dir=tmp_path / "d", database_url=database_url)
    assert settings.checked_retention_days == 0
    bastion = Bastion(settings)
    try:
        bastion.check_content(jpeg(1), context={"content_id": "c1"})
        assert bastion.checked.count() == 0
    finally:
        bastion.close()


def test_kept_content_is_forgotten_after_its_retention(bastion: Bastion) -> None:
    check_many(bastion, 5)
    with bastion.db.session() as s:
        s.execute(
            CheckedContentRow.__table__.update()
            .where(CheckedContentRow.content_id.in_(["c0", "c1"]))
            .values(checked_at=datetime.now(UTC) - timedelta(days=400))
        )
    sweep = Housekeeping(
        bastion.vault, bastion.sessions, checked=bastion.checked,
        checked_retention=timedelta(days=365),
    )  # fmt: skip
    assert sweep.run().checked == 2
    assert bastion.checked.count() == 3
