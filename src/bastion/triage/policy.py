"""The triage policy: a small rules table that turns findings into one of five levels, and
says which rules did.

One rule per line (or separated by ``;``), ``#`` starting a comment::

    <kind>[:<source>[/<label>]] [<op> <number>] -> <level>
    <kind>[:<source>[/<label>]] [<op> <number>] -> raise <n>

`kind` is a `FindingKind` (``bank_match``, ``near_miss``, ``classifier``, ``outside_match``,
``confirmed_before``, ``conversation_alert``, ``user_report``, ``escalation``); `source` a
bank, classifier or service name and `label` a classifier's label or a service's
classification, either ``*`` or left out for any; `op` one of ``>= > <= < =`` compared with the
finding's score (a classifier's 0-1 score, a distance for matches and near misses, a count
for the others). A level rule gives the findings it matches its level; the job takes the
highest. Then each raise rule that matches any finding raises the level by `n`, once, up
to ``very_high``. With no level rule matching, the level is ``very_low``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bastion.errors import ConfigurationError, ValidationError
from bastion.triage.findings import Finding, FindingKind, Level, finding_kind

#: The rules bastion starts with (docs/triage.md explains each).
DEFAULT_RULES = """\
bank_match -> very_high
outside_match:*/csam -> very_high
outside_match -> high
classifier:*/review_priority >= 1.0 -> very_high
classifier:*/review_priority >= 0.8 -> high
classifier:*/review_priority >= 0.6 -> medium
classifier:*/nsfw >= 0.9 -> high
classifier:*/nsfw >= 0.6 -> medium
near_miss <= 40 -> medium
near_miss -> low
conversation_alert -> high
user_report >= 3 -> high
user_report -> medium
escalation -> raise 1
confirmed_before >= 1 -> raise 1
"""

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
}
_RULE = re.compile(
    r"""^(?P<kind>[a-z_]+)
        (?::(?P<source>[^/\s]+)(?:/(?P<label>\S+))?)?
        (?:\s*(?P<op>>=|<=|>|<|=)\s*(?P<number>\S+))?
        \s*->\s*(?P<effect>.+)$""",
    re.VERBOSE,
)
_RAISE = re.compile(r"^raise\s+(?P<n>[1-4])$")


@dataclass(frozen=True)
class Rule:
    """One line of the policy."""

    text: str
    kind: FindingKind
    #: None: any.
    source: str | None
    label: str | None
    op: str | None
    threshold: float | None
    #: The level it gives, or None for a raise rule.
    level: Level | None
    raise_by: int = 0

    def matches(self, finding: Finding) -> bool:
        if finding.kind is not self.kind:
            return False
        if self.source is not None and finding.source != self.source:
            return False
        if self.label is not None and finding.label != self.label:
            return False
        if self.op is None or self.threshold is None:
            return True
        return _OPS[self.op](finding.score, self.threshold)

    @property
    def effect(self) -> str:
        return f"raises {self.raise_by}" if self.level is None else f"sets {self.level.label}"


@dataclass(frozen=True)
class Reason:
    """A rule that fired, on which finding, and whether it set the job's level."""

    rule: str
    effect: str
    finding: Finding
    set_level: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "effect": self.effect,
            "set_level": self.set_level,
            "finding": self.finding.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason:
        return cls(
            rule=str(data["rule"]),
            effect=str(data["effect"]),
            finding=Finding.from_json(data["finding"]),
            set_level=bool(data["set_level"]),
        )


@dataclass(frozen=True)
class Assessment:
    """A level and the rules that gave it: those that set it first, then the others."""

    level: Level
    reasons: tuple[Reason, ...]

    def summary(self) -> str:
        """One line: "high: classifier fixed/nsfw 0.95 (classifier:*/nsfw >= 0.9)"."""
        setters = [r for r in self.reasons if r.set_level]
        if not setters:
            return f"{self.level.label}: no rule matched"
        parts = [f"{_said(r.finding)} ({r.rule})" for r in setters]
        return f"{self.level.label}: " + "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level.label, "reasons": [r.to_json() for r in self.reasons]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Assessment:
        return cls(
            level=Level.parse(str(data["level"])),
            reasons=tuple(Reason.from_json(r) for r in data.get("reasons", [])),
        )


class Policy:
    """The rules, in order."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)

    @classmethod
    def parse(cls, text: str) -> Policy:
        """The rules of `text`; a ConfigurationError names the first bad line and why."""
        rules = []
        lines = [part for line in text.splitlines() for part in line.split(";")]
        for number, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if line:
                rules.append(_rule(line, number))
        return cls(rules)

    @classmethod
    def default(cls) -> Policy:
        return cls.parse(DEFAULT_RULES)

    def text(self) -> str:
        return "\n".join(r.text for r in self.rules)

    def assess(self, findings: Iterable[Finding]) -> Assessment:
        """The level of `findings` and why (see the module's docstring)."""
        found = list(findings)
        fired: list[tuple[Rule, Finding]] = []
        for rule in self.rules:
            fired += [(rule, f) for f in found if rule.matches(f)]
        levels = [(r, f) for r, f in fired if r.level is not None]
        best = max((r.level for r, _ in levels if r.level is not None), default=Level.VERY_LOW)
        raises = {}
        for rule, finding in fired:
            if rule.level is None and rule.text not in raises:
                raises[rule.text] = (rule, finding)
        final = Level(
            min(int(Level.VERY_HIGH), int(best) + sum(r.raise_by for r, _ in raises.values()))
        )
        setters = [(r, f) for r, f in levels if r.level is best]
        reasons = [Reason(r.text, r.effect, f, True) for r, f in setters]
        reasons += [Reason(r.text, r.effect, f, True) for r, f in raises.values()]
        reasons += [Reason(r.text, r.effect, f, False) for r, f in levels if r.level is not best]
        return Assessment(final, tuple(reasons))


def _rule(line: str, number: int) -> Rule:
    where = f"triage_rules, rule {number} ({line!r})"
    found = _RULE.match(line)
    if found is None:
        raise ConfigurationError(
            f"{where}: write KIND[:SOURCE[/LABEL]] [OP NUMBER] -> LEVEL (or -> raise N)"
        )
    try:
        kind = finding_kind(found["kind"])
    except ValidationError as e:
        raise ConfigurationError(f"{where}: {e.message}") from None
    threshold = None
    if found["number"] is not None:
        try:
            threshold = float(found["number"])
        except ValueError:
            raise ConfigurationError(f"{where}: {found['number']!r} is not a number") from None
    effect = found["effect"].strip()
    raised = _RAISE.match(effect)
    level = None
    if raised is None:
        try:
            level = Level.parse(effect)
        except ValidationError as e:
            raise ConfigurationError(f"{where}: {e.message}, or raise 1-4") from None
    return Rule(
        text=line,
        kind=kind,
        source=_any(found["source"]),
        label=_any(found["label"]),
        op=found["op"],
        threshold=threshold,
        level=level,
        raise_by=0 if raised is None else int(raised["n"]),
    )


def _any(part: str | None) -> str | None:
    return None if part in (None, "*") else part


def _said(finding: Finding) -> str:
    where = "/".join(p for p in (finding.source, finding.label) if p)
    return " ".join(p for p in (finding.kind.value, where, f"{finding.score:g}") if p)
