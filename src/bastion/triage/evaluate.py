"""The feedback loop's numbers: how often each signal, at each threshold, and each rule of
the policy led to a confirmed decision on the platform's own jobs.

A decided job counts with the findings it was last assessed on (`bastion.review.assessment`
ties them to it). ``confirmed`` and ``reported`` are confirmations, ``false_positive`` is
not; an ``escalated`` job is not final (the escalation job that follows it is decided on its
own) and is counted apart. Precision comes with a Wilson 95% interval: on a few dozen
decisions it is wide, and the table says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bastion.triage.findings import Finding, FindingKind
from bastion.triage.policy import Policy

CONFIRMING = frozenset({"confirmed", "reported"})
NOT_FINAL = frozenset({"escalated"})

#: Thresholds per kind: scores from 0 to 1 (at or above), counts (at or above) and
#: distances (at or below).
SCORE_STEPS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
COUNT_STEPS = (1.0, 2.0, 3.0, 5.0)
DISTANCE_STEPS = (35.0, 40.0, 45.0, 50.0)
_SCORED = frozenset({FindingKind.CLASSIFIER, FindingKind.OUTSIDE_MATCH})
_COUNTED = frozenset(
    {FindingKind.USER_REPORT, FindingKind.CONFIRMED_BEFORE, FindingKind.CONVERSATION_ALERT}
)
_DISTANCES = frozenset({FindingKind.NEAR_MISS, FindingKind.BANK_MATCH})


@dataclass(frozen=True)
class Tally:
    """Decided jobs and the confirmations among them."""

    jobs: int
    confirmed: int

    @property
    def precision(self) -> float | None:
        return None if self.jobs == 0 else self.confirmed / self.jobs

    def interval(self) -> tuple[float, float] | None:
        """Wilson's 95% interval for the precision; None with no job."""
        return wilson(self.confirmed, self.jobs)


@dataclass(frozen=True)
class SignalRow:
    """One signal (kind, source, label), at one threshold (None: any score)."""

    kind: FindingKind
    source: str
    label: str
    #: ``>=`` a score or count, ``<=`` a distance; None for the signal at any score.
    op: str | None
    threshold: float | None
    tally: Tally


@dataclass(frozen=True)
class RuleRow:
    rule: str
    tally: Tally


@dataclass(frozen=True)
class Evaluation:
    signals: list[SignalRow]
    rules: list[RuleRow]
    #: Final decisions counted, confirmations among them, and escalations left out.
    decided: int = 0
    confirmed: int = 0
    escalated: int = 0
    #: Decided jobs that carried no finding (opened before triage).
    unassessed: int = 0


def evaluate(decided: Iterable[tuple[list[Finding], str]], policy: Policy) -> Evaluation:
    """Count `decided` jobs (each its findings and decision) per signal, threshold and rule."""
    counts: dict[tuple[FindingKind, str, str, str | None, float | None], list[int]] = {}
    rules: dict[str, list[int]] = {r.text: [0, 0] for r in policy.rules}
    total = confirmed_total = escalated = unassessed = 0
    for findings, decision in decided:
        if decision in NOT_FINAL:
            escalated += 1
            continue
        total += 1
        confirmed = int(decision in CONFIRMING)
        confirmed_total += confirmed
        if not findings:
            unassessed += 1
        keys: set[tuple[FindingKind, str, str, str | None, float | None]] = set()
        for f in findings:
            keys.add((f.kind, f.source, f.label, None, None))
            for op, step in _steps(f):
                keys.add((f.kind, f.source, f.label, op, step))
        for key in keys:
            tally = counts.setdefault(key, [0, 0])
            tally[0] += 1
            tally[1] += confirmed
        for rule in policy.rules:
            if any(rule.matches(f) for f in findings):
                rules[rule.text][0] += 1
                rules[rule.text][1] += confirmed
    rows = [
        SignalRow(kind, source, label, op, step, Tally(*counts[key]))
        for key in sorted(counts, key=_order)
        for kind, source, label, op, step in [key]
    ]
    return Evaluation(
        signals=rows,
        rules=[RuleRow(text, Tally(*rules[text])) for text in rules],
        decided=total,
        confirmed=confirmed_total,
        escalated=escalated,
        unassessed=unassessed,
    )


def _steps(finding: Finding) -> list[tuple[str, float]]:
    """The thresholds a finding passes."""
    if finding.kind in _SCORED:
        return [(">=", t) for t in SCORE_STEPS if finding.score >= t]
    if finding.kind in _COUNTED:
        return [(">=", t) for t in COUNT_STEPS if finding.score >= t]
    if finding.kind in _DISTANCES:
        return [("<=", t) for t in DISTANCE_STEPS if finding.score <= t]
    return []


def _order(key: tuple[FindingKind, str, str, str | None, float | None]) -> tuple[object, ...]:
    kind, source, label, op, step = key
    return (kind.value, source, label, op is not None, step if op != "<=" else -(step or 0))


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float] | None:
    """Wilson's score interval for a proportion (95% by default); None with no trial."""
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
