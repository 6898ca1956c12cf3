"""The review queue: items opened by review rules, listed by status, decided once."""

from __future__ import annotations

import pytest

from bastion.actions import ActionStore, Decision, ReviewQueue
from bastion.errors import ConflictError, NotFoundError, ValidationError
from bastion.store import Database
from tests.actions.conftest import CONTENT, match


@pytest.fixture
def queue(db: Database, actions: ActionStore, entry_id: int) -> ReviewQueue:
    actions.add_review("known")
    actions.record_matches([match(entry_id + i) for i in range(5)], content=CONTENT)
    return ReviewQueue(db)


def test_open_items_are_listed_in_pages(queue: ReviewQueue, entry_id: int) -> None:
    first = queue.list(limit=2)
    assert [i.entry_id for i in first] == [entry_id, entry_id + 1]
    assert all(i.status == "open" and i.decided_at is None for i in first)
    rest = queue.list(limit=10, after=first[-1].id)
    assert [i.entry_id for i in rest] == [entry_id + 2, entry_id + 3, entry_id + 4]
    assert queue.list(after=rest[-1].id) == []
    assert first[0].payload["content"] == CONTENT


def test_resolving_records_the_decision_once(queue: ReviewQueue) -> None:
    first, second, third, *_ = queue.list()
    done = queue.resolve(first.id, "confirmed", "reviewer-7")
    assert (done.status, done.reviewer) == ("confirmed", "reviewer-7")
    assert done.decided_at is not None
    assert queue.get(first.id) == done
    queue.resolve(second.id, Decision.FALSE_POSITIVE, "reviewer-7")
    queue.resolve(third.id, "escalated", "lead")

    assert [i.id for i in queue.list()] == [i.id for i in queue.list(None)][3:]
    assert [i.id for i in queue.list("confirmed")] == [first.id]
    assert [i.id for i in queue.list("false_positive")] == [second.id]
    assert [i.id for i in queue.list("escalated")] == [third.id]
    assert len(queue.list(None)) == 5

    with pytest.raises(ConflictError, match="already decided"):
        queue.resolve(first.id, "false_positive", "someone-else")
    assert queue.get(first.id).status == "confirmed"


def test_bad_requests_are_refused(queue: ReviewQueue) -> None:
    item = queue.list()[0]
    with pytest.raises(ValidationError, match="unknown decision 'maybe'"):
        queue.resolve(item.id, "maybe", "r")
    with pytest.raises(ValidationError, match="unknown decision 'open'"):
        queue.resolve(item.id, "open", "r")
    with pytest.raises(ValidationError, match="reviewer"):
        queue.resolve(item.id, "confirmed", " ")
    with pytest.raises(ValidationError, match="unknown decision"):
        queue.list("closed")
    with pytest.raises(ValidationError, match="limit"):
        queue.list(limit=0)
    with pytest.raises(NotFoundError, match="no review item"):
        queue.resolve(999_999, "confirmed", "r")
    assert queue.get(item.id).status == "open"
