"""Training data for the learned layer: labelled conversations to (features, label) samples,
from a platform's own JSON Lines or from the synthetic training families."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.conversations.assess import Tracker
from bastion.conversations.model import MAX_FILE_BYTES, Conversation, from_json, json_lines
from bastion.conversations.scoring import Model, fit
from bastion.conversations.synthetic import families, generate, held_out
from bastion.errors import ValidationError

#: Conversations per synthetic family used to fit the default model.
SYNTHETIC_PER_FAMILY = 300


@dataclass(frozen=True)
class Example:
    conversation: Conversation
    grooming: bool
    #: Who is grooming, when known; else the sender with the most cues is taken.
    groomer: str | None = None


def samples(examples: Iterable[Example]) -> list[tuple[npt.NDArray[np.float64], bool]]:
    """One sample per sender of each conversation, from its whole history."""
    out: list[tuple[npt.NDArray[np.float64], bool]] = []
    for example in examples:
        tracker = Tracker(Model.untrained(), dict(example.conversation.participants))
        for message in example.conversation.messages:
            tracker.add(message)
        groomer = example.groomer
        if example.grooming and groomer is None:
            groomer = max(tracker.senders, key=lambda s: (tracker.senders[s].cue_messages, s))
        for sender in tracker.senders:
            out.append((tracker.features_of(sender), example.grooming and sender == groomer))
    return out


def synthetic_examples(
    *, training: bool, per_family: int = SYNTHETIC_PER_FAMILY, seed: int = 7
) -> list[Example]:
    """The synthetic training families (or, with ``training=False``, the held-out ones)."""
    kept = held_out()
    chosen = [f for f in families() if (f not in kept) == training]
    return [
        Example(c.conversation, c.grooming, c.groomer)
        for family in chosen
        for c in generate(family, per_family, seed=seed)
    ]


def train(examples: Sequence[Example], *, description: str, seed: int = 7) -> Model:
    return fit(samples(examples), seed=seed, description=description)


def read_labelled(data: bytes, name: str) -> list[Example]:
    """Labelled conversations, one JSON object per line: {"grooming": true|false,
    "groomer": "u1"?, "messages": [...], "participants": [...]?}."""
    if len(data) > MAX_FILE_BYTES * 8:
        raise ValidationError(f"{name}: {len(data):,} bytes is too large to train on at once")
    out = []
    for number, doc in json_lines(data, name):
        if not isinstance(doc, dict) or not isinstance(doc.get("grooming"), bool):
            raise ValidationError(f'{name}: line {number} needs "grooming": true or false')
        try:
            conversation = from_json(doc)
        except ValidationError as e:
            raise ValidationError(f"{name}: line {number}: {e.message}") from None
        groomer = doc.get("groomer")
        out.append(
            Example(conversation, doc["grooming"], str(groomer) if groomer is not None else None)
        )
    if not out:
        raise ValidationError(f"{name}: no conversations")
    return out
