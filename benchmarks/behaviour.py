"""Spotting grooming in conversations: accuracy on held-out template families, false alerts
on real everyday chats, warning latency and speed.

    python benchmarks/behaviour.py [--per-family 300] [--seed 99]

- **Held-out families.** The synthetic template families kept out of training
  (`synthetic.held_out`: settings and cue paraphrases the default model never saw), with a
  seed unlike the training one; a third grooming-pattern chats, a third benign, a third hard
  negatives (a surprise party kept secret, a parent asking "are you home alone", friends
  trading game items...).
- **Indicators:** precision, recall and F1 per indicator against the cues the generator put
  in (message and indicator).
- **Conversations:** precision, recall and F0.5 at the model's alert threshold, and PR-AUC
  (average precision over the score), beside a lexicon-only rule (alert at three or more
  distinct indicators from one sender) to show what the learned layer adds.
- **Latency:** messages from a grooming chat's first cue to its first warning.
- **The independent held-out set** (`benchmarks/data/conversations-heldout/`): chats in
  every supported language written by authors who never saw the detector (its lexicon,
  features or model), only a description of the grooming stages and of benign look-alikes;
  frozen (SHA256SUMS) before anything was tuned, and never tuned on. Per language, and for
  early-stage, group and long chats and the hard look-alikes; beside a model trained the
  same way without the meaning layer, to show what it adds.
- **Natural negatives:** the 3,584 odd-numbered conversations of the `chitchat-dataset`
  package (MIT, real two-party chats; ``pip install chitchat-dataset``, or the ``bench``
  extra), which the default model never saw (it is fitted on even-numbered ones): false
  alerts per 1,000 conversations.
- **Speed:** messages per second on one core, streaming every chitchat message through a
  tracker; the anchor, in the same run, is one regular expression of the lexicon's key words
  over each lower-cased message (what a plain keyword filter costs).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bastion.conversations.assess import Tracker, assess
from bastion.conversations.cues import Indicator
from bastion.conversations.detect import find_cues
from bastion.conversations.evaluation import average_precision, evaluate
from bastion.conversations.labelled import Example
from bastion.conversations.model import Conversation
from bastion.conversations.scoring import Model, default_model
from bastion.conversations.synthetic import generate, held_out
from bastion.conversations.training import (
    EVERYDAY_CHATS,
    everyday_chats,
    read_labelled,
    synthetic_examples,
    train,
)
from bastion.errors import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

HELD_OUT = Path(__file__).resolve().parent / "data" / "conversations-heldout"
CALIBRATION = [
    Path(__file__).resolve().parent / "data" / part
    for part in ("conversations-dev", "conversations-calibration")
]


def independent_set() -> list[Example]:
    """The frozen held-out set, after checking every file against its recorded digest."""
    sums = (HELD_OUT / "SHA256SUMS").read_text().split("\n")
    examples = []
    for line in filter(None, sums):
        digest, name = line.split()
        data = (HELD_OUT / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            sys.exit(f"{name} changed since the held-out set was frozen: it must not be edited")
        examples += read_labelled(data, name)
    return examples


def independent(model: Model, examples: list[Example]) -> None:
    # The same recipe as the default model's, without the meaning layer.
    calibration = [
        e
        for part in CALIBRATION
        for f in sorted(part.glob("*.jsonl"))
        for e in read_labelled(f.read_bytes(), f.name)
    ]
    lexicon_only = train(
        synthetic_examples(training=True) + everyday_chats(training=True, limit=EVERYDAY_CHATS),
        description="without meaning",
        meaning=False,
        calibration=calibration,
    )[0]
    print(
        f"\n### The independent held-out set: {len(examples)} conversations "
        f"({sum(e.grooming for e in examples)} grooming)\n"
    )
    print(
        "| part | chats | grooming | precision | recall | F0.5 | PR-AUC | false alerts "
        "| risky sender first | F0.5 without meaning |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    mine, theirs = evaluate(model, examples), evaluate(lexicon_only, examples)
    rows = [("**all**", mine.overall, theirs.overall)]
    rows += [
        (f"language {k}", v, theirs.by_language[k]) for k, v in sorted(mine.by_language.items())
    ]
    rows += [(f"tag {k}", v, theirs.by_tag[k]) for k, v in sorted(mine.by_tag.items())]
    for name, f, g in rows:
        print(
            f"| {name} | {f.conversations} | {f.grooming} | {f.precision:.3f} | {f.recall:.3f} "
            f"| {f.f05:.3f} | {f.average_precision:.3f} | {f.false_alert_rate:.1%} "
            f"| {f'{f.first_rate:.1%}' if f.known_senders else '—'} | {g.f05:.3f} |"
        )
    early, lookalike = mine.by_tag.get("early"), mine.by_tag.get("lookalike")
    print(
        f"\ntargets: F0.5 {mine.overall.f05:.3f} (≥ 0.85); worst language "
        f"{min(f.f05 for f in mine.by_language.values()):.3f} (≥ 0.75); early-stage recall "
        f"{early.recall if early else float('nan'):.3f} (≥ 0.6); false alerts on look-alikes "
        f"{lookalike.false_alert_rate if lookalike else float('nan'):.1%} (≤ 5%); risky sender "
        f"first {mine.overall.first_rate:.1%} (≥ 90%)"
    )
    messages = [m for e in examples for m in e.conversation.messages]
    started = time.perf_counter()
    for e in examples:
        tracker = Tracker(model)
        for m in e.conversation.messages:
            tracker.add(m)
    rate = len(messages) / (time.perf_counter() - started)
    print(f"speed on these chats, one core: {rate:,.0f} messages/s (meaning layer on)")


def chitchat() -> list[Conversation] | None:
    """The everyday chats the default model was not fitted on (the odd-numbered half)."""
    try:
        return [e.conversation for e in everyday_chats(training=False)]
    except ValidationError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-family", type=int, default=300)
    parser.add_argument("--seed", type=int, default=99)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(describe("numpy", "chitchat-dataset"))
    model = default_model()
    families = sorted(held_out())
    examples = [e for f in families for e in generate(f, args.per_family, seed=args.seed)]
    print(f"held-out families: {', '.join(families)}; {len(examples):,} conversations")

    # Indicators -------------------------------------------------------------------------
    counts: dict[Indicator, Counter[str]] = {i: Counter() for i in Indicator}
    # Only these kinds list every cue they hold; the context scenarios (family, group chats,
    # dating...) list the ones that matter to them and are measured as conversations.
    for example in (e for e in examples if e.kind in ("grooming", "benign", "hard")):
        truth = set(example.cues)
        for index, message in enumerate(example.conversation.messages):
            found = {(index, c.indicator) for c in find_cues(message.text)}
            here = {t for t in truth if t[0] == index}
            for _, indicator in found & here:
                counts[indicator]["tp"] += 1
            for _, indicator in found - here:
                counts[indicator]["fp"] += 1
            for _, indicator in here - found:
                counts[indicator]["fn"] += 1
    print("\n| indicator | cues | precision | recall | F1 |\n|---|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for indicator, c in counts.items():
        total.update(c)
        print(_prf_row(indicator.value, c))
    print(_prf_row("**all**", total))

    # Conversations ----------------------------------------------------------------------
    scores, truth, lexicon, latency, kinds = [], [], [], [], Counter()
    for example in examples:
        result = assess(example.conversation, model)
        scores.append(result.score)
        truth.append(example.grooming)
        lexicon.append(max((len(s.indicators) for s in result.senders), default=0) >= 3)
        if example.grooming and result.first_warning is not None:
            latency.append(result.first_warning - example.cues[0][0])
        if not example.grooming and result.level == "high":
            kinds[example.kind] += 1
    predicted = [s >= model.alert_threshold for s in scores]
    print("\n| layer | precision | recall | F0.5 | PR-AUC |\n|---|---:|---:|---:|---:|")
    print(
        _conv_row(
            "learned layer (default model)", predicted, truth, average_precision(scores, truth)
        )
    )
    print(_conv_row("lexicon only (≥ 3 indicators)", lexicon, truth, None))
    negatives = Counter(e.kind for e in examples if not e.grooming)
    print(
        "\nfalse alerts: "
        + ", ".join(f"{kinds[k]} of {n} {k}" for k, n in sorted(negatives.items()))
    )
    caught = Counter(e.kind for e, p in zip(examples, predicted, strict=True) if e.grooming and p)
    positives = Counter(e.kind for e in examples if e.grooming)
    print("caught: " + ", ".join(f"{caught[k]} of {n} {k}" for k, n in sorted(positives.items())))
    print(
        f"warning latency (messages after the first cue): median {np.median(latency):.0f}, "
        f"p90 {np.percentile(latency, 90):.0f}, max {max(latency)}; "
        f"{len(latency)} of {sum(truth)} grooming chats warned"
    )

    independent(model, independent_set())

    # Natural negatives and speed ---------------------------------------------------------
    chats = chitchat()
    if chats is None:
        print("\nchitchat-dataset is not installed: no natural negatives, no speed figures")
        return
    alerts = sum(assess(c, model).level == "high" for c in chats)
    messages = [m for c in chats for m in c.messages]
    cues = sum(1 for m in messages if find_cues(m.text))
    print(
        f"\nchitchat: {len(chats):,} conversations, {len(messages):,} messages; "
        f"{alerts} false alerts ({alerts / len(chats) * 1000:.2f} per 1,000 conversations); "
        f"messages with an indicator: {cues:,} ({cues / len(messages) * 1000:.1f} per 1,000)"
    )
    keywords = re.compile(
        r"\b(?:old|school|alone|parents|secret|delete|snap|discord|trust|robux|pic|cam|meet|mature"
        r"|age|seul|secret|photo)\b"
    )
    started = time.perf_counter()
    for m in messages:
        keywords.search(m.text.lower())
    anchor = len(messages) / (time.perf_counter() - started)
    started = time.perf_counter()
    for c in chats:
        tracker = Tracker(model)
        for m in c.messages:
            tracker.add(m)
    rate = len(messages) / (time.perf_counter() - started)
    print(
        f"speed, one core: {rate:,.0f} messages/s streamed (anchor, keyword regex: {anchor:,.0f}/s)"
    )


def _prf_row(name: str, c: Counter[str]) -> str:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"| {name} | {tp + fn:,} | {p:.3f} | {r:.3f} | {f:.3f} |"


def _conv_row(name: str, predicted: list[bool], truth: list[bool], ap: float | None) -> str:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 1.25 * p * r / (0.25 * p + r) if p + r else 0.0
    return f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {'—' if ap is None else f'{ap:.3f}'} |"


if __name__ == "__main__":
    main()
