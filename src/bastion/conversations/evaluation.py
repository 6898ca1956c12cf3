"""How well a model reads labelled conversations: the figures `bastion conversation
evaluate` and `train` print, and the benchmark reports.

Per conversation the model's score and level are taken from `assess`; a conversation
*alerts* when its level is high. Figures: precision, recall and F0.5 of the alerts (F0.5
weighs precision twice: a reviewer's time is the scarce thing), PR-AUC over the scores,
how often the risky sender is ranked first among the senders, and the share of benign
look-alikes that alert. The same figures per language and per tag (``early``, ``group``,
``long``, ``lookalike``...) when the conversations carry them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bastion.conversations.assess import assess
from bastion.conversations.labelled import Example, Outcome
from bastion.conversations.scoring import Model


@dataclass(frozen=True)
class Figures:
    conversations: int
    grooming: int
    alerts: int
    true_alerts: int
    #: Grooming conversations whose risky sender is known and ranked first.
    ranked_first: int
    #: Grooming conversations whose risky sender is known.
    known_senders: int
    average_precision: float

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 0.0

    @property
    def recall(self) -> float:
        return self.true_alerts / self.grooming if self.grooming else 0.0

    @property
    def f05(self) -> float:
        p, r = self.precision, self.recall
        return 1.25 * p * r / (0.25 * p + r) if p + r else 0.0

    @property
    def false_alert_rate(self) -> float:
        """Of the benign conversations, the share that alerted."""
        benign = self.conversations - self.grooming
        return (self.alerts - self.true_alerts) / benign if benign else 0.0

    @property
    def first_rate(self) -> float:
        return self.ranked_first / self.known_senders if self.known_senders else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "grooming": self.grooming,
            "alerts": self.alerts,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f05": round(self.f05, 4),
            "pr_auc": round(self.average_precision, 4),
            "false_alert_rate": round(self.false_alert_rate, 4),
            "risky_sender_first": round(self.first_rate, 4),
        }


@dataclass(frozen=True)
class Evaluation:
    overall: Figures
    by_language: dict[str, Figures]
    by_tag: dict[str, Figures]
    outcomes: list[Outcome]

    def to_json(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_json(),
            "by_language": {k: v.to_json() for k, v in sorted(self.by_language.items())},
            "by_tag": {k: v.to_json() for k, v in sorted(self.by_tag.items())},
        }


def evaluate(
    model: Model,
    examples: Iterable[Example],
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    outcomes = []
    for example in examples:
        assessment = assess(example.conversation, model)
        first = assessment.senders[0].sender if assessment.senders else None
        outcomes.append(Outcome(example, assessment.score, assessment.level == "high", first))
        if progress is not None:
            progress(1)
    return summarise(outcomes)


def summarise(outcomes: list[Outcome]) -> Evaluation:
    languages: dict[str, list[Outcome]] = defaultdict(list)
    tags: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.example.language:
            languages[outcome.example.language].append(outcome)
        for tag in outcome.example.tags:
            tags[tag].append(outcome)
    return Evaluation(
        figures(outcomes),
        {k: figures(v) for k, v in languages.items()},
        {k: figures(v) for k, v in tags.items()},
        outcomes,
    )


def figures(outcomes: Sequence[Outcome]) -> Figures:
    grooming = [o for o in outcomes if o.example.grooming]
    known = [o for o in grooming if o.example.groomer is not None]
    return Figures(
        conversations=len(outcomes),
        grooming=len(grooming),
        alerts=sum(o.alerted for o in outcomes),
        true_alerts=sum(o.alerted for o in grooming),
        ranked_first=sum(o.first == o.example.groomer for o in known),
        known_senders=len(known),
        average_precision=average_precision(
            [o.score for o in outcomes], [o.example.grooming for o in outcomes]
        ),
    )


def average_precision(scores: Sequence[float], truth: Sequence[bool]) -> float:
    """The area under the precision-recall curve, as average precision over the ranking."""
    order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    hits, total, positives = 0, 0.0, sum(truth)
    for rank, i in enumerate(order, start=1):
        if truth[i]:
            hits += 1
            total += hits / rank
    return total / positives if positives else 0.0
