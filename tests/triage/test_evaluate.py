"""The feedback loop's numbers, counted by hand."""

from __future__ import annotations

import pytest

from bastion.triage.evaluate import Tally, evaluate, wilson
from bastion.triage.findings import Finding, FindingKind
from bastion.triage.policy import Policy

K = FindingKind


def nsfw(score: float) -> Finding:
    return Finding(K.CLASSIFIER, "opennsfw", "nsfw", score)


DECIDED = [
    ([nsfw(0.95)], "confirmed"),
    ([nsfw(0.92)], "false_positive"),
    ([nsfw(0.65), Finding(K.USER_REPORT, score=2)], "reported"),
    ([nsfw(0.55)], "false_positive"),
    ([nsfw(0.97)], "escalated"),  # not final: counted apart
    ([], "confirmed"),  # opened before triage
    ([Finding(K.NEAR_MISS, "ncmec", "pdq", 38)], "false_positive"),
]


def rows(evaluation, kind, source="", label=""):  # type: ignore[no-untyped-def]
    return {
        (r.op, r.threshold): (r.tally.jobs, r.tally.confirmed)
        for r in evaluation.signals
        if (r.kind, r.source, r.label) == (kind, source, label)
    }


def test_precision_per_signal_and_threshold() -> None:
    found = evaluate(DECIDED, Policy.default())
    assert (found.decided, found.confirmed, found.escalated, found.unassessed) == (6, 3, 1, 1)
    assert rows(found, K.CLASSIFIER, "opennsfw", "nsfw") == {
        (None, None): (4, 2),
        (">=", 0.5): (4, 2),
        (">=", 0.6): (3, 2),
        (">=", 0.7): (2, 1),
        (">=", 0.8): (2, 1),
        (">=", 0.9): (2, 1),
        (">=", 0.95): (1, 1),
    }
    assert rows(found, K.USER_REPORT) == {
        (None, None): (1, 1),
        (">=", 1.0): (1, 1),
        (">=", 2.0): (1, 1),
    }
    assert rows(found, K.NEAR_MISS, "ncmec", "pdq") == {
        (None, None): (1, 0),
        ("<=", 40.0): (1, 0),
        ("<=", 45.0): (1, 0),
        ("<=", 50.0): (1, 0),
    }


def test_precision_per_rule() -> None:
    found = evaluate(DECIDED, Policy.default())
    by_rule = {r.rule: (r.tally.jobs, r.tally.confirmed) for r in found.rules}
    assert by_rule["classifier:*/nsfw >= 0.9 -> high"] == (2, 1)
    assert by_rule["classifier:*/nsfw >= 0.6 -> medium"] == (3, 2)
    assert by_rule["user_report -> medium"] == (1, 1)
    assert by_rule["near_miss <= 40 -> medium"] == (1, 0)
    assert by_rule["bank_match -> very_high"] == (0, 0)


def test_a_job_counts_once_per_row_whatever_its_findings() -> None:
    twice = [([nsfw(0.95), nsfw(0.91)], "confirmed")]
    found = evaluate(twice, Policy.default())
    assert rows(found, K.CLASSIFIER, "opennsfw", "nsfw")[(">=", 0.9)] == (1, 1)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilsons_interval(successes: int, trials: int, low: float, high: float) -> None:
    found = wilson(successes, trials)
    assert found is not None
    assert found == pytest.approx((low, high), abs=1e-4)


def test_no_decision_has_no_precision() -> None:
    assert Tally(0, 0).precision is None
    assert Tally(0, 0).interval() is None
    assert Tally(4, 3).precision == 0.75
