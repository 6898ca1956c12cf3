"""Training data for the learned layer: labelled conversations to (features, label) samples,
from a platform's own JSON Lines or from the synthetic training families."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from importlib import resources

import numpy as np
import numpy.typing as npt

from bastion.conversations.assess import Tracker
from bastion.conversations.labelled import Example, Outcome
from bastion.conversations.model import (
    MAX_FILE_BYTES,
    Conversation,
    Message,
    from_json,
    json_lines,
)
from bastion.conversations.scoring import FEATURES, Model, best_threshold, fit, logistic, platt
from bastion.conversations.synthetic import families, generate, held_out
from bastion.errors import ValidationError

Features = npt.NDArray[np.float64]

#: Conversations per synthetic family used to fit the default model.
SYNTHETIC_PER_FAMILY = 120
#: Everyday chats (`everyday_chats`) the default model is fitted with: without them a model
#: calibrated on short look-alikes and long grooming chats reads length as risk.
EVERYDAY_CHATS = 2000
#: Without calibration conversations, the share held out of a trial fit for the figures.
CHECK_SHARE = 0.2
#: How many times a calibration conversation counts in the weights' fit (they are few, and
#: like what the model will read; measured on the development set: benchmarks/behaviour.py).
CALIBRATION_WEIGHT = 10.0
#: Folds of the cross-fitted calibration.
FOLDS = 5
#: The weights' L2 penalty.
L2 = 1.0


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


def everyday_chats(*, training: bool, limit: int | None = None) -> list[Example]:
    """Real everyday two-party chats (the `chitchat-dataset` package, MIT), benign: its
    even-numbered conversations for training, the odd-numbered ones for measuring false
    alerts, so the two never meet."""
    try:
        # The package's own loader leaves its file open; its data is read here instead.
        text = resources.files("chitchat_dataset").joinpath("dataset.json").read_text("utf-8")
    except (ModuleNotFoundError, OSError):
        raise ValidationError(
            "everyday chats need the chitchat-dataset package "
            "(pip install chitchat-dataset; bastion's dev and bench extras have it)"
        ) from None
    data = json.loads(text)
    chosen = sorted(data)[0 if training else 1 :: 2][:limit]
    return [
        Example(
            Conversation(
                tuple(
                    Message(u["sender"], u["text"]) for turn in data[key]["messages"] for u in turn
                )
            ),
            False,
            language="en",
            tags=("everyday",),
        )
        for key in chosen
    ]


def train(
    examples: Sequence[Example],
    *,
    description: str,
    seed: int = 7,
    meaning: bool = True,
    calibration: Sequence[Example] = (),
    progress: Callable[[int], None] | None = None,
) -> tuple[Model, list[Outcome]]:
    """A model, and figures from conversations it was not fitted on.

    Without `calibration`: fitted on all of `examples`; the figures are those of a model
    fitted the same way on four fifths, reading the fifth it never saw.

    With `calibration` (conversations like those the model will read, such as a platform's
    own, when `examples` are synthetic): the weights are fitted on both, each calibration
    conversation counting `CALIBRATION_WEIGHT` times; the Platt scaling and the alert
    threshold are set on the calibration conversations alone, each read by a model fitted
    without its fold (cross-fitting, `FOLDS` folds), and those out-of-fold readings are the
    figures."""
    read = _read(examples, meaning, progress)
    if not calibration:
        return _fit_with_check(read, description, seed, meaning)
    real = _read(calibration, meaning, progress)
    x, y, weight = _matrix(read, 1.0)
    fold_of = [random.Random(f"{seed}/{i}").randrange(FOLDS) for i in range(len(real))]
    raw: list[float] = []
    truth: list[float] = []
    readers = []
    for fold in range(FOLDS):
        rest = [r for r, f in zip(real, fold_of, strict=True) if f != fold]
        held = [r for r, f in zip(real, fold_of, strict=True) if f == fold]
        if not held:
            continue
        w = _weights((x, y, weight), _matrix(rest, CALIBRATION_WEIGHT))
        for features, label in samples(held):
            raw.append(float(features @ w))
            truth.append(1.0 if label else 0.0)
        readers.append((w, held))
    if len(set(truth)) < 2:
        raise ValidationError("calibration needs both grooming and other conversations")
    a, b = platt(np.array(raw), np.array(truth))
    outcomes = [
        _outcome(example, people, Model(w, (a, b), 0.5).probability)
        for w, held in readers
        for example, people in held
    ]
    threshold = best_threshold(
        np.array([o.score for o in outcomes]),
        np.array([1.0 if o.example.grooming else 0.0 for o in outcomes]),
    )
    outcomes = [Outcome(o.example, o.score, o.score >= threshold, o.first) for o in outcomes]
    rx, ry, rw = _matrix(real, CALIBRATION_WEIGHT)
    weights = logistic(
        np.vstack([x, rx]), np.concatenate([y, ry]), L2, np.concatenate([weight, rw])
    )
    return Model(weights, (a, b), threshold, description, meaning), outcomes


def _read(
    examples: Sequence[Example], meaning: bool, progress: Callable[[int], None] | None
) -> list[tuple[Example, list[tuple[str, Features]]]]:
    read = []
    for example in examples:
        read.append((example, senders(example, meaning=meaning)))
        if progress is not None:
            progress(1)
    return read


def _fit_with_check(
    read: list[tuple[Example, list[tuple[str, Features]]]],
    description: str,
    seed: int,
    meaning: bool,
) -> tuple[Model, list[Outcome]]:
    order = list(range(len(read)))
    random.Random(seed).shuffle(order)
    cut = int(len(order) * CHECK_SHARE)
    check, rest = [read[i] for i in order[:cut]], [read[i] for i in order[cut:]]
    outcomes = []
    if check and len({e.grooming for e, _ in rest}) == 2:
        trial = fit(samples(rest), seed=seed, meaning=meaning)
        for example, people in check:
            outcome = _outcome(example, people, trial.probability)
            outcomes.append(
                Outcome(
                    example, outcome.score, outcome.score >= trial.alert_threshold, outcome.first
                )
            )
    model = fit(samples(read), seed=seed, description=description, meaning=meaning)
    return model, outcomes


def _outcome(
    example: Example, people: list[tuple[str, Features]], probability: Callable[[Features], float]
) -> Outcome:
    """How a conversation reads: its highest sender's probability (not yet compared with
    a threshold)."""
    scores = sorted(((probability(x), s) for s, x in people), reverse=True)
    top, first = scores[0] if scores else (0.0, None)
    return Outcome(example, top, False, first)


def _matrix(
    read: Sequence[tuple[Example, list[tuple[str, Features]]]], weight: float
) -> tuple[Features, Features, Features]:
    pairs = samples(read)
    if not pairs:
        width = len(FEATURES)
        return np.zeros((0, width)), np.zeros(0), np.zeros(0)
    x = np.stack([f for f, _ in pairs])
    y = np.array([1.0 if label else 0.0 for _, label in pairs])
    return x, y, np.full(len(pairs), weight)


def _weights(*parts: tuple[Features, Features, Features]) -> Features:
    """Weights fitted on the samples of all `parts`, each sample counting its weight."""
    x, y, weight = (np.concatenate([part[k] for part in parts]) for k in range(3))
    return logistic(x, y, L2, weight)


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
