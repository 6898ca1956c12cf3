"""Triage's vocabulary: the five review levels and the findings a policy weighs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from bastion.errors import ValidationError


class Level(IntEnum):
    """How urgently a person should look, in the five steps of Google's Content Safety API."""

    VERY_LOW = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    VERY_HIGH = 5

    @property
    def label(self) -> str:
        """``very_low`` .. ``very_high``, as settings, the API and the console write it."""
        return self.name.lower()

    @property
    def priority(self) -> int:
        """The job priority (0-100, higher first) the level sets: the middle of its band."""
        return 20 * int(self) - 10

    @classmethod
    def of_priority(cls, priority: int) -> Level:
        """The level whose band (0-19, 20-39, 40-59, 60-79, 80-100) holds `priority`."""
        return cls(min(5, max(1, priority // 20 + 1)))

    @classmethod
    def parse(cls, value: str) -> Level:
        """A level from its name in any case (``high``, ``VERY_HIGH``, ``very-high``)."""
        key = value.strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return cls[key]
        except KeyError:
            names = ", ".join(level.label for level in cls)
            raise ValidationError(f"unknown level {value!r} (one of {names})") from None


class FindingKind(StrEnum):
    """What a finding is about."""

    #: The content matched a bank entry (`source`: the bank; `score`: the distance).
    BANK_MATCH = "bank_match"
    #: A PDQ distance just past a bank's threshold (`source`: the bank; `score`: the distance).
    NEAR_MISS = "near_miss"
    #: A classifier's label (`source`: the classifier; `label`; `score` 0-1).
    CLASSIFIER = "classifier"
    #: An outside matcher's answer (`source`: the service; `label`: its classification;
    #: `score` 1 for a match).
    OUTSIDE_MATCH = "outside_match"
    #: The content's user had earlier jobs confirmed (`score`: how many).
    CONFIRMED_BEFORE = "confirmed_before"
    #: A conversation alert names the content's user (`score`: how many alerts).
    CONVERSATION_ALERT = "conversation_alert"
    #: Users of the platform reported the content (`score`: how many reports).
    USER_REPORT = "user_report"
    #: A person escalated the job.
    ESCALATION = "escalation"


def finding_kind(value: str) -> FindingKind:
    try:
        return FindingKind(value)
    except ValueError:
        names = ", ".join(k.value for k in FindingKind)
        raise ValidationError(f"unknown signal {value!r} (one of {names})") from None


@dataclass(frozen=True)
class Finding:
    """One thing known about a piece of content or its user."""

    kind: FindingKind
    #: Which bank, classifier or service; "" where the kind says it all.
    source: str = ""
    #: A classifier's label or a service's classification; "" where none.
    label: str = ""
    score: float = 1.0
    #: What a reviewer reads beside it (the model's version, a frame's time, match details).
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "source": self.source,
            "label": self.label,
            "score": self.score,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            kind=finding_kind(str(data["kind"])),
            source=str(data.get("source", "")),
            label=str(data.get("label", "")),
            score=float(data.get("score", 1.0)),
            detail=dict(data.get("detail") or {}),
        )
