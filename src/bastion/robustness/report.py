"""A robustness run as a Markdown report with PNG charts (charts need matplotlib)."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bastion.keypoints.index import MAX_CANDIDATES
from bastion.robustness.evaluate import BANK_SIZE, MAX_FALSE_MATCHES, PRECISION, HasherScore
from bastion.robustness.photos import PhotoSet
from bastion.robustness.transforms import FAMILIES, TILT_MEMBERS

#: The targets at the operating threshold: every mild transform, and each of these (a
#: label, the family members it covers, the recall each must reach). A target over several
#: members is met only by the lowest of them.
MILD_TARGET = 0.99
HARD_TARGETS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("crop 5% centred", ("crop_5",), 0.95),
    ("pad 20%, every fill", tuple(t.name for t in FAMILIES["pad"] if "_20" in t.name), 0.95),
    ("tilt ±4°, grown or not, every fill", TILT_MEMBERS[4] + TILT_MEMBERS[-4], 0.95),
    ("crop 10% off-centre, every placement",
     ("crop_10_offcentre", "crop_10_corner", "crop_10_side"), 0.90),
    ("tilt 10°, grown or not, every fill", TILT_MEMBERS[10], 0.90),
)  # fmt: skip


@dataclass(frozen=True)
class Run:
    photos: PhotoSet
    scores: list[HasherScore]
    versions: list[str]
    seconds: float
    seed: int


def targets(score: HasherScore) -> dict[str, tuple[float, float, bool]]:
    """Each target whose members the run holds: (recall at the operating threshold, the
    target, met). A target over several members, and the mild one, take the lowest."""
    mild = [t.recall_operating for t in score.transforms if t.mild]
    found: dict[str, tuple[float, float, bool]] = {}
    if mild:
        found["every mild transform"] = (min(mild), MILD_TARGET, min(mild) >= MILD_TARGET)
    by_name = {t.name: t for t in score.transforms}
    for label, members, target in HARD_TARGETS:
        held = [by_name[m].recall_operating for m in members if m in by_name]
        if held:
            found[label] = (min(held), target, min(held) >= target)
    fm = score.false_matches_at_bank
    found["false matches per query at 10M"] = (fm, MAX_FALSE_MATCHES, bool(fm <= MAX_FALSE_MATCHES))
    return found


def families(score: HasherScore) -> dict[str, tuple[str, float, float]]:
    """Per family the run holds, in report order: its lowest member, that member's recall
    and the family's mean recall, at the operating threshold."""
    found: dict[str, tuple[str, float, float]] = {}
    for family in dict.fromkeys(t.family for t in score.transforms):
        members = [t for t in score.transforms if t.family == family]
        lowest = min(members, key=lambda t: t.recall_operating)
        mean = float(np.mean([t.recall_operating for t in members]))
        found[family] = (lowest.name, lowest.recall_operating, mean)
    return found


def write(run: Run, folder: Path) -> Path:
    """Write report.md (and recall.png, distances.png with matplotlib) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    charts = _charts(run.scores, folder)
    path = folder / "report.md"
    path.write_text(markdown(run, charts), encoding="utf-8")
    return path


def markdown(run: Run, charts: Sequence[str] = ()) -> str:
    photos = run.photos
    queries = sum(t.queries for t in run.scores[0].transforms) if run.scores else 0
    lines = [
        "# Detection robustness",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} "
        f"({platform.processor() or platform.system()}), Python {platform.python_version()}, "
        f"{'; '.join(run.versions)}; {run.seconds:.0f} s; seed {run.seed}.",
        "",
        f"- **Photos:** {len(photos.references)} references banked, "
        f"{len(photos.distractors)} held out as distractors (never banked; their edited "
        f"copies must match nothing). Dropped: {len(photos.dropped)}"
        + (f" ({'; '.join(photos.dropped)})" if photos.dropped else "")
        + ".",
        f"- **References:** {', '.join(p.name for p in photos.references)}.",
        f"- **Distractors:** {', '.join(p.name for p in photos.distractors)}.",
        f"- **Queries:** {len(run.scores[0].transforms) if run.scores else 0} transforms of "
        f"every photo; {queries:,} of them have a right answer.",
        f"- **Operating threshold:** the largest distance at which precision over every "
        f"(query, reference) pair is ≥ {PRECISION:.2%} and the expected false matches per "
        f"query against a bank of {BANK_SIZE:,} stay ≤ {MAX_FALSE_MATCHES} (a beta-binomial "
        "fitted to the unrelated pairs, times the code pairs each comparison makes). The "
        "default threshold is what a bank uses unless told otherwise.",
        *_keypoint_note(run.scores),
        "",
        "## Summary",
        "",
        "| hasher | configuration | codes per comparison | recall at default (thr) | "
        "99.99% thr | operating thr | recall at operating | µAP | false matches/query at "
        "10M | unrelated pairs within |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in run.scores:
        lines.append(
            f"| {s.hasher} | {s.configuration} | {s.code_pairs:.1f} | "
            f"{s.recall_default:.2%} ({s.default_threshold}) | {_int(s.precision_threshold)} | "
            f"{_int(s.operating_threshold)} | {s.recall_operating:.2%} | {s.micro_ap:.3f} | "
            f"{s.false_matches_at_bank:.2g} | {s.unrelated_within} of {s.unrelated_pairs:,} |"
        )
    lines += ["", "## Targets (at the operating threshold)", ""]
    if run.scores:
        names = list(targets(run.scores[0]))
        lines += [
            "| hasher | configuration | " + " | ".join(names) + " |",
            "|---|---|" + "---:|" * len(names),
        ]
        for s in run.scores:
            cells = []
            for value, target, met in targets(s).values():
                shown = f"{value:.2g}" if target < 0.5 else f"{value:.2%}"
                cells.append(f"{shown} {'✓' if met else '✗'}")
            lines.append(f"| {s.hasher} | {s.configuration} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Families",
        "",
        "Each edit is made the ways users' tools make it (a family of members); per family, "
        "its lowest member and the mean over its members, at the operating threshold.",
        "",
        "| family | members | " + " | ".join(_label(s) for s in run.scores) + " |",
        "|---|---:|" + "---:|" * len(run.scores),
    ]
    summaries = [families(s) for s in run.scores]
    for family in summaries[0] if summaries else {}:
        count = sum(1 for t in run.scores[0].transforms if t.family == family)
        cells = [
            f"{low:.0%} ({name}); mean {mean:.0%}"
            for name, low, mean in (summary[family] for summary in summaries)
        ]
        lines.append(f"| {family} | {count} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Recall per transform",
        "",
        "At the operating threshold, and at the default threshold in brackets. *Mild* marks "
        "the transforms a global hash is expected to survive (perception's ≥ 99% group).",
        "",
        "| transform | family | mild | " + " | ".join(_label(s) for s in run.scores) + " |",
        "|---|---|---|" + "---:|" * len(run.scores),
    ]
    for i, t in enumerate(run.scores[0].transforms if run.scores else []):
        cells = [
            f"{s.transforms[i].recall_operating:.0%} ({s.transforms[i].recall_default:.0%})"
            for s in run.scores
        ]
        mild = "yes" if t.mild else ""
        lines.append(f"| {t.name} | {t.family} | {mild} | " + " | ".join(cells) + " |")
    if charts:
        lines += ["", "## Charts", ""] + [f"![{c}]({c})" for c in charts]
    else:
        lines += ["", "Charts need matplotlib: `pip install 'bastion[bench]'`."]
    return "\n".join(lines) + "\n"


def _keypoint_note(scores: Sequence[HasherScore]) -> list[str]:
    if not any(s.configuration.endswith("+ keypoints") for s in scores):
        return []
    return [
        f"- **Keypoints:** PDQ and the keypoint check share the budget. The check's part is "
        f"an upper bound: the {MAX_CANDIDATES} candidates a query's check meets in a large "
        "bank times the share of measured unrelated pairs that passed, or where none did, "
        f"3 over the pairs measured (the rule of three); it takes about {_pairs_needed():,} "
        "unrelated pairs with none passing to show the budget holds, so a small run reports "
        "no operating point for it."
    ]


def _pairs_needed() -> int:
    return round(3 * MAX_CANDIDATES / MAX_FALSE_MATCHES)


def _label(score: HasherScore) -> str:
    return (
        score.hasher if score.configuration == "plain" else f"{score.hasher} {score.configuration}"
    )


def _int(value: int | None) -> str:
    return "none" if value is None else str(value)


def _charts(scores: list[HasherScore], folder: Path) -> list[str]:
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]

        matplotlib.use("Agg")
        from matplotlib import pyplot  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return []
    if not scores:
        return []
    names = [t.name for t in scores[0].transforms]
    figure, axes = pyplot.subplots(figsize=(10, 0.22 * len(names) * len(scores) ** 0.5 + 2))
    height = 0.8 / len(scores)
    for k, s in enumerate(scores):
        axes.barh(
            np.arange(len(names)) + k * height,
            [t.recall_operating for t in s.transforms],
            height=height,
            label=_label(s),
        )
    axes.set_yticks(np.arange(len(names)) + 0.4 - height / 2, names, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("recall at the operating threshold (99.99% precision, ≤ 0.001 at 10M)")
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(folder / "recall.png", dpi=110)
    pyplot.close(figure)

    columns = min(3, len(scores))
    rows = -(-len(scores) // columns)
    figure, grid = pyplot.subplots(rows, columns, figsize=(4 * columns, 2.8 * rows), squeeze=False)
    for ax, s in zip(grid.flat, scores, strict=False):
        bins = np.arange(0, s.bits + 2, max(1, s.bits // 64))
        ax.hist(s.unrelated, bins=bins, alpha=0.6, density=True, label="unrelated")
        ax.hist(
            [d for d in s.matching if d <= s.bits], bins=bins, alpha=0.6, density=True,
            label="edited copy",
        )  # fmt: skip
        if s.operating_threshold is not None:
            ax.axvline(s.operating_threshold, color="black", linewidth=0.8)
        ax.set_title(_label(s), fontsize=8)
        ax.set_xlabel("Hamming distance", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(grid.flat)[len(scores) :]:
        ax.axis("off")
    grid.flat[0].legend(fontsize=6)
    figure.tight_layout()
    figure.savefig(folder / "distances.png", dpi=110)
    pyplot.close(figure)
    return ["recall.png", "distances.png"]
