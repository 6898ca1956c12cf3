"""`ReviewDesk` on real databases: claims on a lease (two reviewers never hold one job, a
lease ends on an injected clock), the work order of `next_job`, decisions taken once, cases
that gather a user's jobs and close with their last one, and identical media."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bastion.errors import ConflictError, ValidationError
from bastion.review import (
    Classification,
    ContentSubmission,
    Decision,
    Job,
    JobKind,
    JobStatus,
    NewJob,
    ReviewDesk,
)
from bastion.store import Database
from tests.actions.conftest import Clock
from tests.review.at_once import at_once


@pytest.fixture
def desk(db: Database, clock: Clock) -> ReviewDesk:
    return ReviewDesk(db, clock=clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def opened(
    desk: ReviewDesk,
    *,
    user: str | None = None,
    priority: int = 50,
    media: str | None = None,
    kind: JobKind = JobKind.USER_REPORT,
) -> Job:
    content = desk.submit(ContentSubmission(user_id=user))
    return desk.open_job(
        NewJob(
            kind=kind,
            evidence={"report": {"reason": "test"}},
            priority=priority,
            content_id=content.id,
            media_sha256=media,
        )
    )


def test_a_claimed_job_is_held_by_one_reviewer_until_released(desk: ReviewDesk) -> None:
    job = opened(desk)
    held = desk.claim(job.id, "alice")
    assert held.claimed_by == "alice"
    with pytest.raises(ConflictError, match="held by alice"):
        desk.claim(job.id, "bob")
    with pytest.raises(ConflictError, match="held by alice"):
        desk.decide(job.id, "bob", Decision.CONFIRMED)
    assert desk.claim(job.id, "alice").claimed_by == "alice"  # renewing one's own claim
    assert desk.release(job.id, "bob").claimed_by == "alice"  # only the holder releases
    assert desk.release(job.id, "alice").claimed_by is None
    assert desk.claim(job.id, "bob").claimed_by == "bob"


def test_two_reviewers_claiming_at_once_never_both_hold_a_job(db: Database) -> None:
    """Two desks (two sessions, as two processes have) race for the same jobs, again and
    again: each job is won by exactly one of them."""
    setup = ReviewDesk(db)
    jobs = [opened(setup) for _ in range(8)]
    for job in jobs:

        def claim(who: str, job_id: int = job.id) -> bool:
            try:
                ReviewDesk(db).claim(job_id, who)
            except ConflictError:
                return False
            return True

        won = at_once(claim, ["alice", "bob"])
        assert sorted(won.values()) == [False, True], won
        holder = next(w for w, ok in won.items() if ok)
        assert setup.get(job.id).claimed_by == holder


def test_reviewers_taking_the_next_job_at_once_each_get_their_own(db: Database) -> None:
    setup = ReviewDesk(db)
    for _ in range(6):
        opened(setup)

    def work(who: str) -> list[int]:
        desk = ReviewDesk(db)
        taken: list[int] = []
        while (job := desk.next_job("default", who)) is not None:
            taken.append(job.id)
            desk.decide(job.id, who, Decision.FALSE_POSITIVE)
        return taken

    taken = at_once(work, ["alice", "bob", "carol"])
    every = [i for ids in taken.values() for i in ids]
    assert sorted(every) == sorted(set(every))  # no job was taken twice
    assert len(every) == 6
    decided = setup.jobs(status=JobStatus.DECIDED)
    assert {j.id: j.decided_by for j in decided} == {i: w for w, ids in taken.items() for i in ids}


def test_a_lease_ends_and_the_job_returns_to_the_queue(desk: ReviewDesk, clock: Clock) -> None:
    job = opened(desk)
    desk.claim(job.id, "alice", lease=timedelta(minutes=10))
    clock.advance(9 * 60)
    with pytest.raises(ConflictError):
        desk.claim(job.id, "bob")
    assert desk.next_job("default", "bob") is None
    [count] = desk.counts()
    assert (count.open, count.claimed) == (1, 1)
    clock.advance(2 * 60)  # alice walked away: her lease is over
    [count] = desk.counts()
    assert (count.open, count.claimed) == (1, 0)
    taken = desk.next_job("default", "bob")
    assert taken is not None
    assert (taken.id, taken.claimed_by) == (job.id, "bob")
    with pytest.raises(ConflictError, match="held by bob"):
        desk.decide(job.id, "alice", Decision.CONFIRMED)


def test_counts_give_each_queue_its_open_overdue_and_claimed_jobs(
    desk: ReviewDesk, clock: Clock
) -> None:
    """Counted queue by queue: decided jobs, lapsed and released claims are not counted,
    a queue with no jobs is listed with zeros."""
    desk.create_queue("reports", sla_minutes=60)
    desk.create_queue("empty")

    def open_in(queue: str) -> Job:
        return desk.open_job(NewJob(kind=JobKind.USER_REPORT, evidence={}, queue=queue))

    lapsed, held, decided = (open_in("default") for _ in range(3))
    open_in("reports")  # due in an hour: overdue at the end
    clock.advance(30 * 60)
    released = open_in("reports")  # due an hour from now
    desk.claim(decided.id, "alice")
    desk.decide(decided.id, "alice", Decision.CONFIRMED)
    desk.claim(lapsed.id, "alice", lease=timedelta(minutes=10))
    clock.advance(40 * 60)  # the first report is past its hour; alice's lease is over
    desk.claim(held.id, "bob")
    desk.claim(released.id, "carol")
    desk.release(released.id, "carol")
    counts = {c.queue.name: (c.open, c.overdue, c.claimed) for c in desk.counts()}
    assert counts == {"default": (2, 0, 1), "empty": (0, 0, 0), "reports": (2, 1, 0)}


def test_next_job_takes_the_most_urgent_then_the_oldest(desk: ReviewDesk, clock: Clock) -> None:
    low = opened(desk, priority=10)
    clock.advance(1)
    older = opened(desk, priority=50)
    clock.advance(1)
    urgent = opened(desk, priority=90)
    clock.advance(1)
    newer = opened(desk, priority=50)
    order = []
    for who in ("r1", "r2", "r3", "r4"):  # each reviewer holds one: the next is the one after
        job = desk.next_job("default", who)
        assert job is not None
        order.append(job.id)
    assert order == [urgent.id, older.id, newer.id, low.id]
    assert desk.next_job("default", "r5") is None
    assert [j.id for j in desk.jobs()] == order  # the listing is in work order too


def test_pages_of_open_jobs_follow_the_work_order_from_a_cursor(desk: ReviewDesk) -> None:
    """Pages after a cursor (the last job of the page before) come in work order, with no
    job twice or left out, across priorities and among jobs of equal priority."""
    for priority in (50, 90, 10, 50, 90, 50, 10, 70, 50):
        opened(desk, priority=priority)
    whole = [j.id for j in desk.jobs()]
    paged: list[int] = []
    while page := desk.jobs(limit=2, after=paged[-1] if paged else None):
        paged += [j.id for j in page]
    assert paged == whole
    assert [desk.get(i).priority for i in whole] == [90, 90, 70, 50, 50, 50, 50, 10, 10]
    assert whole[3:7] == sorted(whole[3:7])  # equal priority: oldest first


def test_next_job_finishes_what_one_holds_and_skips_a_job_passed_over(desk: ReviewDesk) -> None:
    first = opened(desk, priority=90)
    second = opened(desk)
    held = desk.next_job("default", "alice")
    assert held is not None
    assert held.id == first.id
    again = desk.next_job("default", "alice")
    assert again is not None
    assert again.id == first.id  # one's own claim comes first
    desk.release(first.id, "alice")
    skipped = desk.next_job("default", "alice", skip=first.id)
    assert skipped is not None
    assert skipped.id == second.id
    desk.decide(second.id, "alice", Decision.CONFIRMED)
    back = desk.next_job("default", "alice")
    assert back is not None
    assert back.id == first.id  # skipping passes over a job once, it does not drop it


def test_a_job_is_decided_once(desk: ReviewDesk) -> None:
    job = opened(desk)
    with pytest.raises(ValidationError, match="classification"):
        desk.decide(job.id, "alice", Decision.FALSE_POSITIVE, classification=Classification.A1)
    decided = desk.decide(
        job.id, "alice", Decision.CONFIRMED, classification=Classification.A1, note="n"
    )
    assert (decided.status, decided.decision, decided.decided_by) == (
        JobStatus.DECIDED,
        Decision.CONFIRMED,
        "alice",
    )
    assert decided.claimed_by is None
    for who in ("alice", "bob"):
        with pytest.raises(ConflictError, match="already decided"):
            desk.decide(job.id, who, Decision.FALSE_POSITIVE)
        with pytest.raises(ConflictError, match="already decided"):
            desk.claim(job.id, who)
    assert desk.get(job.id).decision is Decision.CONFIRMED


def test_a_users_jobs_share_a_case_and_content_without_a_user_has_its_own(
    desk: ReviewDesk,
) -> None:
    one = opened(desk, user="u1")
    two = opened(desk, user="u1", kind=JobKind.ESCALATION)
    other = opened(desk, user="u2")
    alone = opened(desk)
    assert one.case_id == two.case_id
    assert len({one.case_id, other.case_id, alone.case_id}) == 3
    case = desk.case(one.case_id)
    assert case.subject == "user:u1"
    assert [j.id for j in case.jobs] == [one.id, two.id]
    assert desk.case(other.case_id).subject == "user:u2"
    assert desk.case(alone.case_id).subject == f"content:{alone.content_id}"
    by_user = desk.open_job(NewJob(kind=JobKind.ESCALATION, evidence={}, user_id="u1"))
    assert by_user.case_id == one.case_id  # a job naming the user, with no content


def test_a_case_closes_with_its_last_job_and_the_user_then_gets_a_new_one(
    desk: ReviewDesk,
) -> None:
    one = opened(desk, user="u1")
    two = opened(desk, user="u1")
    desk.decide(one.id, "alice", Decision.FALSE_POSITIVE)
    assert desk.case(one.case_id).status == "open"
    desk.decide(two.id, "alice", Decision.CONFIRMED)
    closed = desk.case(one.case_id)
    assert (closed.status, closed.closed_at is not None) == ("closed", True)
    later = opened(desk, user="u1")
    assert later.case_id != one.case_id
    assert desk.case(later.case_id).status == "open"


def test_identical_open_finds_the_open_jobs_over_the_same_media(desk: ReviewDesk) -> None:
    same = "a" * 64
    first = opened(desk, media=same)
    twin = opened(desk, media=same, user="u9")
    decided = opened(desk, media=same)
    desk.decide(decided.id, "alice", Decision.CONFIRMED)
    opened(desk, media="b" * 64)
    no_media = opened(desk)
    assert [j.id for j in desk.identical_open(first.id)] == [twin.id]
    assert [j.id for j in desk.identical_open(twin.id)] == [first.id]
    assert desk.identical_open(no_media.id) == []
