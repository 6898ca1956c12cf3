"""The transparency report: a period's figures, with small counts suppressed, as JSON and CSV.

A report covers whole UTC days, [from, to) (`Period`). Its figures are counts (content
checked, matches, jobs decided, reports filed, hashes shared and received, alerts), one
ratio (the false-positive rate) and two medians (time from detection to decision and to
report); each is a `Figure` in a section and, for a breakdown, a group (``by_bank``...).
Nothing in it is personal: only counts, and the names of banks, exchanges, collaborations,
signal types, kinds of content, decisions and incident types. docs/transparency.md says
what each figure means.

Suppression (`suppress_below`, 10 by default): a count from 1 to the threshold less one is
withheld (``<10`` in CSV and HTML, ``null`` with ``"suppressed": true`` in JSON). When a
breakdown of people's cases (jobs, decisions, reports: `COMPLEMENTED`) has exactly one
withheld cell and its total is shown, the smallest other non-zero cell is withheld too, so
the total cannot give the first away (``suppressed`` in CSV). A
ratio is withheld when its numerator or denominator would be; a median is given only when
at least `suppress_below` durations go into it. Zero is shown: it says nothing of anyone.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from bastion.errors import ValidationError
from bastion.reporting.figures import (
    FiledReports,
    SharedCollaboration,
    conversation_alerts,
    detection_times,
    review_counts,
    sharing_counts,
)
from bastion.reporting.model import IncidentType
from bastion.reporting.tallies import check_counts, match_counts
from bastion.review import Decision, JobKind
from bastion.store import Database

#: Counts below this (and above zero) are withheld, unless a report asks otherwise.
DEFAULT_SUPPRESS_BELOW = 10
#: The JSON document's format name and version.
FORMAT = "bastion-transparency-report"
VERSION = 1

#: Kinds of content and doors always listed (others appear when counted).
KINDS = ("image", "video", "stream", "text", "url", "hash", "message")
DOORS = ("api", "hma", "review", "cli", "stream", "scan")


class Unit(StrEnum):
    COUNT = "count"
    RATIO = "ratio"  # 0 to 1
    SECONDS = "seconds"


class Withheld(StrEnum):
    """Why a figure is not shown."""

    SMALL = "small"  # below the threshold
    COMPLEMENTARY = "complementary"  # it and a total would give a small one away


@dataclass(frozen=True)
class Period:
    """Whole UTC days from `start` up to, not including, `end`."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError(
                f"the period must end after it starts (from {self.start} to {self.end})"
            )

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        """A period from two ISO dates (``2026-01-01``)."""
        return cls(_date(start, "from"), _date(end, "to"))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), UTC)


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Figure:
    section: str
    #: The breakdown it belongs to (``by_kind``...); None for a figure of its own.
    group: str | None
    name: str
    #: None when withheld, or when there is nothing to compute it from.
    value: int | float | None
    unit: Unit = Unit.COUNT
    withheld: Withheld | None = None

    @property
    def suppressed(self) -> bool:
        return self.withheld is not None

    @property
    def path(self) -> str:
        """The figure's name in CSV: ``total``, ``by_kind/image``."""
        return self.name if self.group is None else f"{self.group}/{self.name}"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    #: One sentence on what the section counts.
    about: str


SECTIONS = (
    Section("content_checked", "Content checked",
            "Content checked against the hash banks, by kind and by the door it came through."),
    Section("matches", "Matches",
            "Matches with bank entries: one per entry matched by one signal type of a check."),
    Section("review", "Review",
            "Jobs opened for people to review, and how they were decided."),
    Section("reports", "Reports filed",
            "Reports the hotline (NCMEC's CyberTipline) received whole."),
    Section("sharing", "Hashes shared and received",
            "Entries received from exchanges and partners, published to partners, and "
            "opinions exchanged."),
    Section("conversations", "Conversations",
            "Messages assessed for grooming patterns, and conversations that alerted."),
    Section("streams", "Live streams",
            "Frames of live streams checked, and alerts raised."),
)  # fmt: skip

#: What a figure or a breakdown is called on the page, by its name in its section.
LABELS: dict[tuple[str, str], str] = {
    ("content_checked", "total"): "Content checked",
    ("content_checked", "matched"): "Checks that matched",
    ("content_checked", "by_kind"): "Checked, by kind of content",
    ("content_checked", "matched_by_kind"): "Checks that matched, by kind of content",
    ("content_checked", "by_door"): "Checked, by door",
    ("matches", "total"): "Matches",
    ("matches", "by_bank"): "Matches by bank",
    ("matches", "by_source"): "Matches by source of the entry",
    ("matches", "by_source_kind"): "Matches by kind of source",
    ("matches", "by_signal_type"): "Matches by signal type",
    ("review", "jobs_opened"): "Jobs opened",
    ("review", "jobs_opened_by_kind"): "Jobs opened, by kind",
    ("review", "jobs_decided"): "Jobs decided",
    ("review", "decided_by_decision"): "Jobs decided, by decision",
    ("review", "decided_by_kind"): "Jobs decided, by kind",
    ("review", "false_positive_rate"): "False-positive rate of decided matches",
    ("review", "median_seconds_to_decision"): "Median time from detection to decision",
    ("reports", "filed"): "Reports filed",
    ("reports", "by_incident_type"): "Reports filed, by incident type",
    ("reports", "median_seconds_to_report"): "Median time from detection to report",
    ("sharing", "received"): "Entries received",
    ("sharing", "received_by_exchange"): "Entries received, by exchange",
    ("sharing", "published"): "Entries published to partners",
    ("sharing", "published_by_collaboration"): "Entries published, by collaboration",
    ("sharing", "feedback_sent"): "Opinions sent to exchanges",
    ("sharing", "feedback_sent_by_opinion"): "Opinions sent, by opinion",
    ("sharing", "partner_feedback_received"): "Opinions received from partners",
    ("sharing", "partner_feedback_by_opinion"): "Opinions received, by opinion",
    ("conversations", "messages_assessed"): "Messages assessed",
    ("conversations", "alerts"): "Conversations that alerted",
    ("conversations", "alerts_decided_by_decision"): "Alerts decided, by decision",
    ("streams", "frames_checked"): "Frames checked",
    ("streams", "frames_matched"): "Frames that matched",
    ("streams", "alerts"): "Alerts raised",
}

#: Every breakdown, in its section's order (each present in JSON, even when empty).
GROUPS: tuple[tuple[str, str], ...] = (
    ("content_checked", "by_kind"),
    ("content_checked", "matched_by_kind"),
    ("content_checked", "by_door"),
    ("matches", "by_bank"),
    ("matches", "by_source"),
    ("matches", "by_source_kind"),
    ("matches", "by_signal_type"),
    ("review", "jobs_opened_by_kind"),
    ("review", "decided_by_decision"),
    ("review", "decided_by_kind"),
    ("reports", "by_incident_type"),
    ("sharing", "received_by_exchange"),
    ("sharing", "published_by_collaboration"),
    ("sharing", "feedback_sent_by_opinion"),
    ("sharing", "partner_feedback_by_opinion"),
    ("conversations", "alerts_decided_by_decision"),
)
#: The breakdowns of people's cases (jobs, decisions, reports) and the figure that is their
#: total: where one small cell is withheld, its total would give it away, so another goes
#: too. Volumes of content (checks, matches, entries shared, frames) are not about a case.
COMPLEMENTED: dict[tuple[str, str], tuple[str, str | None, str]] = {
    ("review", "jobs_opened_by_kind"): ("review", None, "jobs_opened"),
    ("review", "decided_by_decision"): ("review", None, "jobs_decided"),
    ("review", "decided_by_kind"): ("review", None, "jobs_decided"),
    ("reports", "by_incident_type"): ("reports", None, "filed"),
    ("conversations", "alerts_decided_by_decision"): ("review", "decided_by_kind", "conversation"),
}


@dataclass(frozen=True)
class TransparencyReport:
    period: Period
    generated_at: datetime
    suppress_below: int
    #: In section order; within a section, its own figures, then each breakdown by name.
    figures: tuple[Figure, ...]
    #: Sections with nothing to read them from (``reports`` before reports exist).
    unavailable: tuple[str, ...] = ()
    #: The sources of the matches tallied, by name: their kind (``local``, ``ncmec``...).
    source_kinds: Mapping[str, str] = field(default_factory=dict)

    def figure(self, section: str, name: str, group: str | None = None) -> Figure:
        for f in self.figures:
            if (f.section, f.group, f.name) == (section, group, name):
                return f
        raise KeyError(f"{section}: no figure {name!r} in {group!r}")

    def group(self, section: str, group: str) -> list[Figure]:
        return [f for f in self.figures if f.section == section and f.group == group]

    def value(self, section: str, name: str, group: str | None = None) -> int | float | None:
        return self.figure(section, name, group).value

    # Outputs ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON document (keys in docs/transparency.md): every figure is
        ``{"value": ..., "suppressed": ...}``, under its section and, for a breakdown,
        under the breakdown's name."""
        sections: dict[str, dict[str, Any]] = {s.key: {} for s in SECTIONS}
        for f in self.figures:
            if f.group is None:
                sections[f.section][f.name] = None  # own figures first, in their order
        for section, group in GROUPS:
            sections[section][group] = {}
        for f in self.figures:
            leaf = {"value": f.value, "suppressed": f.suppressed}
            if f.group is None:
                sections[f.section][f.name] = leaf
            else:
                sections[f.section].setdefault(f.group, {})[f.name] = leaf
        return {
            "format": FORMAT,
            "version": VERSION,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "generated_at": self.generated_at.isoformat().replace("+00:00", "Z"),
            "suppress_below": self.suppress_below,
            "unavailable": list(self.unavailable),
            "sections": sections,
        }

    def to_csv(self) -> str:
        """One row per figure: section, name (``by_bank/known``), value (``<10`` when
        withheld as small, ``suppressed`` when withheld with it, empty when there is
        nothing to compute it from)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["section", "name", "value"])
        for f in self.figures:
            writer.writerow([f.section, f.path, self.text(f, grouped=False)])
        return out.getvalue()

    def text(self, f: Figure, *, grouped: bool = True) -> str:
        """A figure's value as written in CSV (`grouped` false) and on the page."""
        if f.withheld is Withheld.SMALL:
            return f"<{self.suppress_below}"
        if f.withheld is Withheld.COMPLEMENTARY:
            return "suppressed"
        if f.value is None:
            return "" if not grouped else "\N{EN DASH}"
        if f.unit is Unit.RATIO:
            return f"{f.value:.4f}" if not grouped else f"{f.value:.1%}"
        if f.unit is Unit.SECONDS:
            return str(round(f.value)) if not grouped else duration(f.value)
        return str(f.value) if not grouped else f"{f.value:,}"


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, ``2.1 days``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


# Building ---------------------------------------------------------------------------------


def build_report(
    db: Database,
    period: Period,
    *,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
    collaborations: Sequence[SharedCollaboration] = (),
    reports: FiledReports | None = None,
    now: datetime | None = None,
) -> TransparencyReport:
    """The figures of `period` from the tallies and the other modules' tables
    (`bastion.reporting.figures`); `reports` reads the reports filed (None: not available)."""
    if not 1 <= suppress_below <= 1_000_000:
        raise ValidationError("suppress_below must be 1-1,000,000")
    start, end = period.start_at, period.end_at
    raw = _Figures()
    source_kinds = _checks_and_matches(raw, db, period)
    review = review_counts(db, start, end)
    _review(raw, review.opened, review.decided, review.seconds_to_decision)
    unavailable = []
    filed = reports(start, end) if reports is not None else None
    if filed is None:
        unavailable.append("reports")
        raw.add("reports", None, "filed", None)
        raw.add("reports", None, "median_seconds_to_report", None, Unit.SECONDS)
        for short in sorted(i.short for i in IncidentType):
            raw.add("reports", "by_incident_type", short, None)
    else:
        detected = detection_times(db, (i for r in filed for i in r.job_ids))
        waits = []
        for r in filed:
            first = min((detected[i] for i in r.job_ids if i in detected), default=None)
            if first is not None and r.reported_at is not None:
                waits.append((r.reported_at - first).total_seconds())
        raw.add("reports", None, "filed", len(filed))
        raw.add("reports", None, "median_seconds_to_report", _median(waits), Unit.SECONDS,
                n=len(waits))  # fmt: skip
        by_type = {i.short: 0 for i in IncidentType}
        for r in filed:
            by_type[r.incident] = by_type.get(r.incident, 0) + 1
        raw.breakdown("reports", "by_incident_type", by_type)
    sharing = sharing_counts(db, start, end, collaborations)
    raw.add("sharing", None, "received", sum(sharing.received.values()))
    raw.add("sharing", None, "published", sharing.published_total)
    raw.add("sharing", None, "feedback_sent", sum(sharing.feedback_sent.values()))
    raw.add("sharing", None, "partner_feedback_received", sum(sharing.feedback_received.values()))
    raw.breakdown("sharing", "received_by_exchange", sharing.received)
    raw.breakdown("sharing", "published_by_collaboration", sharing.published)
    raw.breakdown("sharing", "feedback_sent_by_opinion", sharing.feedback_sent)
    raw.breakdown("sharing", "partner_feedback_by_opinion", sharing.feedback_received)
    raw.add("conversations", None, "alerts", conversation_alerts(db, start, end))
    raw.breakdown(
        "conversations",
        "alerts_decided_by_decision",
        {d.value: review.decided.get((JobKind.CONVERSATION.value, d.value), 0) for d in Decision},
    )
    figures = suppress(raw.ordered(), suppress_below, raw.sizes)
    return TransparencyReport(
        period=period,
        generated_at=now or datetime.now(UTC),
        suppress_below=suppress_below,
        figures=tuple(figures),
        unavailable=tuple(unavailable),
        source_kinds={**source_kinds, **sharing.received_kinds},
    )


def _checks_and_matches(raw: _Figures, db: Database, period: Period) -> dict[str, str]:
    checks = check_counts(db, period.start, period.end)
    by_kind = dict.fromkeys(KINDS, 0)
    matched_by_kind = dict.fromkeys(KINDS, 0)
    by_door = dict.fromkeys(DOORS, 0)
    for (kind, door), counts in checks.items():
        by_kind[kind] = by_kind.get(kind, 0) + counts.checked
        matched_by_kind[kind] = matched_by_kind.get(kind, 0) + counts.matched
        by_door[door] = by_door.get(door, 0) + counts.checked
    # Messages are assessed, not matched: their alerts are the conversations'.
    messages = by_kind.get("message", 0)
    raw.add("content_checked", None, "total", sum(by_kind.values()))
    raw.add("content_checked", None, "matched", sum(matched_by_kind.values()))
    raw.breakdown("content_checked", "by_kind", by_kind)
    raw.breakdown("content_checked", "matched_by_kind", matched_by_kind)
    raw.breakdown("content_checked", "by_door", by_door)

    matches = match_counts(db, period.start, period.end)
    by_bank: dict[str, int] = {}
    by_source: dict[str, int] = {}
    by_source_kind: dict[str, int] = {}
    by_type: dict[str, int] = {}
    source_kinds: dict[str, str] = {}
    for m in matches:
        by_bank[m.bank] = by_bank.get(m.bank, 0) + m.matches
        by_source[m.source] = by_source.get(m.source, 0) + m.matches
        by_source_kind[m.source_kind] = by_source_kind.get(m.source_kind, 0) + m.matches
        by_type[m.signal_type] = by_type.get(m.signal_type, 0) + m.matches
        source_kinds[m.source] = m.source_kind
    raw.add("matches", None, "total", sum(m.matches for m in matches))
    raw.breakdown("matches", "by_bank", by_bank)
    raw.breakdown("matches", "by_source", by_source)
    raw.breakdown("matches", "by_source_kind", by_source_kind)
    raw.breakdown("matches", "by_signal_type", by_type)

    raw.add("conversations", None, "messages_assessed", messages)
    stream = checks_of(checks, "stream")
    raw.add("streams", None, "frames_checked", stream[0])
    raw.add("streams", None, "frames_matched", stream[1])
    raw.add("streams", None, "alerts", stream[2])
    return source_kinds


def checks_of(checks: Mapping[tuple[str, str], Any], kind: str) -> tuple[int, int, int]:
    """Checks, matched checks and alerts of one kind, whatever the door."""
    found = [c for (k, _door), c in checks.items() if k == kind]
    return (
        sum(c.checked for c in found),
        sum(c.matched for c in found),
        sum(c.alerts for c in found),
    )


def _review(
    raw: _Figures,
    opened: Mapping[str, int],
    decided: Mapping[tuple[str, str], int],
    seconds_to_decision: list[float],
) -> None:
    opened_by_kind = {k.value: opened.get(k.value, 0) for k in JobKind}
    for kind, n in opened.items():
        opened_by_kind.setdefault(kind, n)
    by_decision = {d.value: 0 for d in Decision}
    by_kind = {k.value: 0 for k in JobKind}
    for (kind, decision), n in decided.items():
        by_decision[decision] = by_decision.get(decision, 0) + n
        by_kind[kind] = by_kind.get(kind, 0) + n
    raw.add("review", None, "jobs_opened", sum(opened_by_kind.values()))
    raw.add("review", None, "jobs_decided", sum(by_decision.values()))
    match = JobKind.MATCH.value
    decided_matches = by_kind.get(match, 0)
    false_positives = decided.get((match, Decision.FALSE_POSITIVE.value), 0)
    raw.add("review", None, "false_positive_rate",
            false_positives / decided_matches if decided_matches else None, Unit.RATIO,
            parts=(false_positives, decided_matches))  # fmt: skip
    raw.add("review", None, "median_seconds_to_decision", _median(seconds_to_decision),
            Unit.SECONDS, n=len(seconds_to_decision))  # fmt: skip
    raw.breakdown("review", "jobs_opened_by_kind", opened_by_kind)
    raw.breakdown("review", "decided_by_decision", by_decision)
    raw.breakdown("review", "decided_by_kind", by_kind)


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


class _Figures:
    """Figures as they are gathered, before suppression; with, for a median or a ratio, the
    sizes that decide whether it may be shown."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        #: A median's number of durations; a ratio's numerator and denominator.
        self.sizes: dict[tuple[str, str], tuple[int, ...]] = {}

    def add(
        self,
        section: str,
        group: str | None,
        name: str,
        value: int | float | None,
        unit: Unit = Unit.COUNT,
        *,
        n: int | None = None,
        parts: tuple[int, ...] | None = None,
    ) -> None:
        self.figures.append(Figure(section, group, name, value, unit))
        if n is not None:
            self.sizes[(section, name)] = (n,)
        if parts is not None:
            self.sizes[(section, name)] = parts

    def breakdown(self, section: str, group: str, counts: Mapping[str, int]) -> None:
        for name in sorted(counts):
            self.add(section, group, name, counts[name])

    def ordered(self) -> list[Figure]:
        order = {s.key: i for i, s in enumerate(SECTIONS)}
        return sorted(self.figures, key=lambda f: (order[f.section], f.group is not None))


def suppress(
    figures: Iterable[Figure],
    threshold: int,
    sizes: Mapping[tuple[str, str], tuple[int, ...]] | None = None,
) -> list[Figure]:
    """`figures` with small counts withheld, and what would give them away (see the module
    docstring); `sizes`: for a median, how many durations; for a ratio, its numerator and
    denominator."""
    sizes = sizes or {}

    def small(n: int | float | None) -> bool:
        return n is not None and 0 < n < threshold

    out = []
    for f in figures:
        if f.unit is Unit.COUNT:
            withheld = small(f.value)
        else:
            withheld = f.value is not None and any(
                small(n) for n in sizes.get((f.section, f.name), ())
            )
        out.append(replace(f, value=None, withheld=Withheld.SMALL) if withheld else f)
    return _complementary(out, {(f.section, f.group, f.name): f.value for f in figures})


def _complementary(
    figures: list[Figure], values: Mapping[tuple[str, str | None, str], int | float | None]
) -> list[Figure]:
    """In each breakdown of `COMPLEMENTED` whose total is shown and that has exactly one
    small cell withheld, withhold its smallest other non-zero cell too."""
    withheld = {_key(f) for f in figures if f.suppressed}
    also: set[tuple[str, str | None, str]] = set()
    for (section, group), total in COMPLEMENTED.items():
        if total in withheld or values.get(total) is None:
            continue
        cells = [f for f in figures if f.section == section and f.group == group]
        if sum(f.withheld is Withheld.SMALL for f in cells) != 1:
            continue
        others = [f for f in cells if not f.suppressed and values[_key(f)]]
        if others:
            smallest = min(others, key=lambda f: (values[_key(f)] or 0, f.name))
            also.add(_key(smallest))
    return [
        replace(f, value=None, withheld=Withheld.COMPLEMENTARY) if _key(f) in also else f
        for f in figures
    ]


def _key(f: Figure) -> tuple[str, str | None, str]:
    return (f.section, f.group, f.name)
