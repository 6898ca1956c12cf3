"""Training data for the learned layer: labelled conversations to (features, label) samples,
from a platform's own JSON Lines or from the synthetic training families."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from bastion.conversations.assess import Tracker
from bastion.conversations.labelled import Example, Outcome
from bastion.conversations.model import MAX_FILE_BYTES, from_json, json_lines
from bastion.conversations.scoring import Model, fit
from bastion.conversations.synthetic import families, generate, held_out
from bastion.errors import ValidationError

Features = npt.NDArray[np.float64]

#: Conversations per synthetic family used to fit the default model.
SYNTHETIC_PER_FAMILY = 300


def senders(example: Example, *, meaning: bool = True) -> list[tuple[str, Features]]:
    """Each sender of a conversation and their features from its whole history, the sender
    with the most messages showing cues first; `meaning`: with the meaning layer's cues
    counted (as the model will read them)."""
    tracker = Tracker(Model.untrained(meaning=meaning), dict(example.conversation.participants))
    for message in example.conversation.messages:
        tracker.add(message)
    ranked = sorted(tracker.senders, key=lambda s: (-tracker.senders[s].cue_messages, s))
    return [(sender, tracker.features_of(sender)) for sender in ranked]


def samples(
    read: Sequence[tuple[Example, list[tuple[str, Features]]]],
) -> list[tuple[Features, bool]]:
    """One (features, is grooming) sample per sender: the groomer's is positive (when not
    named, the sender with the most messages showing cues is taken)."""
    out: list[tuple[Features, bool]] = []
    for example, people in read:
        groomer = example.groomer
        if example.grooming and groomer is None and people:
            groomer = people[0][0]
        out += [(x, example.grooming and sender == groomer) for sender, x in people]
    return out


def synthetic_examples(
    *, training: bool, per_family: int = SYNTHETIC_PER_FAMILY, seed: int = 7
) -> list[Example]:
    """The synthetic training families (or, with ``training=False``, the held-out ones)."""
    kept = held_out()
    chosen = [f for f in families() if (f not in kept) == training]
    return [
        Example(c.conversation, c.grooming, c.groomer, family.split("/")[0], (c.kind,))
        for family in chosen
        for c in generate(family, per_family, seed=seed)
    ]


def train(
    examples: Sequence[Example],
    *,
    description: str,
    seed: int = 7,
    meaning: bool = True,
    check_share: float = 0.2,
    progress: Callable[[int], None] | None = None,
) -> tuple[Model, list[Outcome]]:
    """A model fitted on all of `examples`, and how a model fitted the same way on the rest
    read a seeded `check_share` of them that it never saw (the figures to trust)."""
    read = []
    for example in examples:
        read.append((example, senders(example, meaning=meaning)))
        if progress is not None:
            progress(1)
    order = list(range(len(read)))
    random.Random(seed).shuffle(order)
    cut = int(len(order) * check_share)
    check, rest = [read[i] for i in order[:cut]], [read[i] for i in order[cut:]]
    outcomes = []
    if check and len({e.grooming for e, _ in rest}) == 2:
        trial = fit(samples(rest), seed=seed, meaning=meaning)
        for example, people in check:
            scores = sorted(((trial.probability(x), s) for s, x in people), reverse=True)
            top, first = scores[0] if scores else (0.0, None)
            outcomes.append(Outcome(example, top, top >= trial.alert_threshold, first))
    model = fit(samples(read), seed=seed, description=description, meaning=meaning)
    return model, outcomes


def read_labelled(data: bytes, name: str) -> list[Example]:
    """Labelled conversations, one JSON object per line: {"grooming": true|false,
    "groomer": "u1"?, "messages": [...], "participants": [...]?} (or {"label": "grooming"|
    "benign", "risky_sender": ...}), with optional "language" and "tags" for evaluation."""
    if len(data) > MAX_FILE_BYTES * 8:
        raise ValidationError(f"{name}: {len(data):,} bytes is too large to train on at once")
    out = []
    for number, doc in json_lines(data, name):
        if not isinstance(doc, dict):
            raise ValidationError(f"{name}: line {number} is not a JSON object")
        grooming = doc.get("grooming", _LABELS.get(str(doc.get("label"))))
        if not isinstance(grooming, bool):
            raise ValidationError(
                f'{name}: line {number} needs "grooming": true or false '
                '(or "label": "grooming" or "benign")'
            )
        try:
            conversation = from_json(doc)
        except ValidationError as e:
            raise ValidationError(f"{name}: line {number}: {e.message}") from None
        groomer = doc.get("groomer", doc.get("risky_sender"))
        tags = doc.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValidationError(f"{name}: line {number}: tags must be a list of strings")
        out.append(
            Example(
                conversation,
                grooming,
                str(groomer) if groomer is not None else None,
                str(doc.get("language") or "")[:16],
                tuple(t[:32] for t in tags[:16]),
            )
        )
    if not out:
        raise ValidationError(f"{name}: no conversations")
    return out


_LABELS = {"grooming": True, "benign": False}
