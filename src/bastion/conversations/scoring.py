"""The learned layer: each sender's features to a calibrated probability of grooming.

Features of a sender, from what they wrote so far (`SenderState`):

- which indicators they showed, how many distinct indicators and stages, how densely;
- pairs of stages together (an image request after a supervision check weighs more than
  either alone);
- what is declared about them and the others (a declared minor talking with them, a
  declared adult or minor sender);
- who they are to the person they write to (`context.Relationship`): family, a teacher or
  coach who brings the parents in, two adults, two minors of an age, the age gap;
- when they write, where messages carry timestamps: the share at night, over how many days,
  how many messages a day, and escalation (risk assessment, isolation, requests or approach
  on a later day than the first targeting or trust cue);
- "mild cues only" (age, school, flattery, a small gift, a question about the parents, and
  nothing else), which early-stage grooming in a long friendly chat shows;
- a hashed bag of the words they used (an embedding that needs no model download).

A logistic regression (L2, Newton's method in numpy) maps them to a score, and Platt
scaling, fitted on a held-out part of the training data, calibrates it. `Model` is plain
JSON: `bastion conversation train` fits one on a platform's own labelled conversations, and
the default (`default_model.json`) is fitted on the synthetic training families.
"""

from __future__ import annotations

import json
import math
import random
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.conversations.context import Relationship, includes_parents, relationship
from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.model import Participant
from bastion.errors import ValidationError

#: Dimensions of the hashed word embedding.
EMBEDDING = 64
_INDICATORS = list(Indicator)
_STAGES = list(Stage)
_STAGE_NAMES = frozenset(s.value for s in _STAGES)
_PAIRS = list(combinations(_STAGES, 2))
FEATURES = (
    ["bias"]
    + [f"shows:{i.value}" for i in _INDICATORS]
    + ["indicators", "stages", "cue_density", "messages", "meaning_only"]
    + [f"stages:{a.value}+{b.value}" for a, b in _PAIRS]
    + ["other_declared_minor", "self_declared_adult", "self_declared_minor"]
    + ["rel:family", "rel:parents_in_loop", "rel:educator_with_parents", "rel:both_adults"]
    + ["rel:peers", "age_gap:5-9", "age_gap:10+"]
    + ["time:night_share", "time:days", "time:span", "time:per_day", "time:escalation"]
    + ["mild:only", "mild:count", "mild:long_chat"]
    + [f"meaning:{s.value}" for s in _STAGES]
    + [f"words:{k}" for k in range(EMBEDDING)]
)
#: Cues an early-stage groomer shows in a long friendly chat, and friends do too.
MILD = frozenset(
    {Indicator.AGE, Indicator.SCHOOL, Indicator.FLATTERY, Indicator.GIFTS, Indicator.SUPERVISION}
)
#: Stages that come first, and those that escalating contact reaches on later days.
EARLY_STAGES = frozenset({Stage.TARGETING, Stage.TRUST})
#: Hours (in the timestamp's own offset) counted as night: 22:00 to 05:59.
NIGHT = frozenset({22, 23, 0, 1, 2, 3, 4, 5})
#: Distinct days kept per state (the count stops growing there).
MAX_DAYS = 1_000


@dataclass
class SenderState:
    """What one sender has written so far, as the features need it (JSON-serialisable)."""

    messages: int = 0
    cue_messages: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    words: list[float] = field(default_factory=lambda: [0.0] * EMBEDDING)
    #: Messages that brought the other's parents in (`context.includes_parents`).
    parents: int = 0
    #: Messages with a timestamp, and those of them written at night.
    timed: int = 0
    night: int = 0
    #: The distinct days (ISO dates, in each timestamp's own offset) written on.
    days: list[str] = field(default_factory=list)
    #: The day of the first targeting or trust cue.
    early_day: str | None = None
    #: Later-stage cues on a day after `early_day`.
    escalations: int = 0
    #: Of `counts`, those the meaning layer found (not the lexicon).
    meant: dict[str, int] = field(default_factory=dict)
    #: Per stage, the messages the meaning layer softly read as it (`meaning.Reading.soft`).
    soft: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        normalised_text: str,
        indicators: Sequence[Indicator],
        at: datetime | None = None,
        meant: Sequence[Indicator] = (),
        soft: Iterable[Stage] = (),
    ) -> None:
        self.messages += 1
        if indicators:
            self.cue_messages += 1
        for indicator in indicators:
            self.counts[indicator.value] = self.counts.get(indicator.value, 0) + 1
        for indicator in meant:
            self.meant[indicator.value] = self.meant.get(indicator.value, 0) + 1
        for stage in soft:
            self.soft[stage.value] = self.soft.get(stage.value, 0) + 1
        if includes_parents(normalised_text):
            self.parents += 1
        if at is not None:
            self._timed(at, indicators)
        tokens = normalised_text.split()
        for token in tokens + [a + " " + b for a, b in pairwise(tokens)]:
            self.words[zlib.crc32(token.encode()) % EMBEDDING] += 1.0

    def _timed(self, at: datetime, indicators: Sequence[Indicator]) -> None:
        self.timed += 1
        self.night += int(at.hour in NIGHT)
        day = at.date().isoformat()
        if day not in self.days and len(self.days) < MAX_DAYS:
            self.days.append(day)
        later = any(i.stage not in EARLY_STAGES for i in indicators)
        if later and self.early_day is not None and day > self.early_day:
            self.escalations += 1
        if self.early_day is None and any(i.stage in EARLY_STAGES for i in indicators):
            self.early_day = day

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "cue_messages": self.cue_messages,
            "counts": self.counts,
            "words": [round(w, 3) for w in self.words],
            "parents": self.parents,
            "timed": self.timed,
            "night": self.night,
            "days": self.days,
            "early_day": self.early_day,
            "escalations": self.escalations,
            "meant": self.meant,
            "soft": self.soft,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SenderState:
        """A state from `to_json`; states saved before parents and timestamps were kept
        read as having none."""
        early = doc.get("early_day")
        return cls(
            int(doc["messages"]),
            int(doc["cue_messages"]),
            {str(k): int(v) for k, v in doc["counts"].items()},
            [float(w) for w in doc["words"]],
            int(doc.get("parents", 0)),
            int(doc.get("timed", 0)),
            int(doc.get("night", 0)),
            [str(d) for d in doc.get("days", [])][:MAX_DAYS],
            str(early) if early is not None else None,
            int(doc.get("escalations", 0)),
            {str(k): int(v) for k, v in doc.get("meant", {}).items()},
            {str(k): int(v) for k, v in doc.get("soft", {}).items() if k in _STAGE_NAMES},
        )


def features(
    state: SenderState,
    sender: Participant,
    others: Sequence[Participant],
    relation: Relationship | None = None,
) -> npt.NDArray[np.float64]:
    """`state`'s features; `relation` is the sender's to the person scored against (by
    default from what is declared about the first declared minor of `others`)."""
    if relation is None:
        other = next((o for o in others if o.declared_minor), None) or (
            others[0] if others else Participant("")
        )
        relation = relationship(sender, other, parents_in_loop=state.parents > 0)
    shown = {Indicator(k) for k in state.counts}
    stages = {i.stage for i in shown}
    words = np.asarray(state.words, np.float64)
    norm = float(np.linalg.norm(words))
    gap = relation.age_gap
    mild_only = bool(shown) and shown <= MILD
    return np.concatenate(
        [
            [1.0],
            [1.0 if i in shown else 0.0 for i in _INDICATORS],
            [
                len(shown) / len(_INDICATORS),
                len(stages) / len(_STAGES),
                min(1.0, state.cue_messages / max(1, state.messages) * 3),
                math.log1p(state.messages) / 5,
                # Indicators only the meaning layer saw: weaker evidence than a phrase.
                sum(1 for k, n in state.meant.items() if n == state.counts.get(k))
                / len(_INDICATORS),
            ],
            [1.0 if a in stages and b in stages else 0.0 for a, b in _PAIRS],
            [
                1.0 if any(o.declared_minor for o in others) else 0.0,
                1.0 if sender.declared_adult else 0.0,
                1.0 if sender.declared_minor else 0.0,
            ],
            [
                1.0 if relation.family else 0.0,
                1.0 if relation.parents_in_loop else 0.0,
                1.0 if relation.educator and relation.parents_in_loop else 0.0,
                1.0 if relation.both_adults else 0.0,
                1.0 if relation.peers else 0.0,
                1.0 if gap is not None and 5 <= gap < 10 else 0.0,
                1.0 if gap is not None and gap >= 10 else 0.0,
            ],
            _time_features(state),
            [
                1.0 if mild_only else 0.0,
                len(shown & MILD) / 3,
                min(1.0, state.messages / 40) if mild_only else 0.0,
            ],
            # Messages the meaning layer softly read as each stage (two are plenty).
            [min(1.0, state.soft.get(s.value, 0) / 2) for s in _STAGES],
            words / norm if norm else words,
        ]
    )


def _time_features(state: SenderState) -> list[float]:
    """Night share, days written on, the span in days, messages per active day, escalation;
    all zero without timestamps."""
    if not state.timed or not state.days:
        return [0.0] * 5
    first, last = (datetime.fromisoformat(d) for d in (min(state.days), max(state.days)))
    span = (last - first).days
    return [
        state.night / state.timed,
        math.log1p(len(state.days)) / 3,
        math.log1p(span) / 3,
        math.log1p(state.timed / len(state.days)) / 5,
        min(1.0, state.escalations / 2),
    ]


@dataclass(frozen=True)
class Model:
    weights: npt.NDArray[np.float64]
    #: Platt scaling of the raw score: p = 1 / (1 + exp(-(a * raw + b))).
    platt: tuple[float, float]
    #: The calibrated probability from which a conversation alerts.
    alert_threshold: float
    description: str = ""
    #: Whether its features count the meaning layer's cues (`meaning`): a model is read
    #: with the layer it was trained with.
    meaning: bool = False

    @classmethod
    def untrained(cls, *, meaning: bool = False) -> Model:
        """All weights zero: what reading conversations for training uses."""
        return cls(np.zeros(len(FEATURES)), (1.0, 0.0), 0.5, "untrained", meaning)

    def probability(self, x: npt.NDArray[np.float64]) -> float:
        raw = float(x @ self.weights)
        a, b = self.platt
        return _sigmoid(a * raw + b)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "bastion-conversation-model/1",
            "features": FEATURES,
            "weights": [round(float(w), 6) for w in self.weights],
            "platt": list(self.platt),
            "alert_threshold": self.alert_threshold,
            "description": self.description,
            "meaning": self.meaning,
        }

    @classmethod
    def from_json(cls, doc: Any, name: str = "model") -> Model:
        if not isinstance(doc, dict) or doc.get("format") != "bastion-conversation-model/1":
            raise ValidationError(f"{name}: not a bastion conversation model")
        if doc.get("features") != FEATURES:
            raise ValidationError(
                f"{name}: made for other features (another bastion version); train it again"
            )
        weights = np.asarray(doc["weights"], np.float64)
        a, b = (float(v) for v in doc["platt"])
        threshold = float(doc["alert_threshold"])
        if weights.shape != (len(FEATURES),) or not 0 < threshold < 1:
            raise ValidationError(f"{name}: malformed weights or threshold")
        meaning = doc.get("meaning", False)
        if not isinstance(meaning, bool):
            raise ValidationError(f"{name}: meaning must be true or false")
        return cls(weights, (a, b), threshold, str(doc.get("description", "")), meaning)

    @classmethod
    def load(cls, path: Path) -> Model:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValidationError(f"{path}: cannot read a model ({e})") from None
        return cls.from_json(doc, str(path))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")


def default_model() -> Model:
    """The model fitted on the synthetic training families (`bastion conversation train
    --synthetic` makes it again)."""
    text = resources.files("bastion.conversations").joinpath("default_model.json").read_text()
    return Model.from_json(json.loads(text), "default_model.json")


def fit(
    samples: Sequence[tuple[npt.NDArray[np.float64], bool]],
    *,
    seed: int = 7,
    l2: float = 1.0,
    calibration_share: float = 0.25,
    description: str = "",
    meaning: bool = False,
) -> Model:
    """A model from (features, is grooming) samples: weights on one part, Platt scaling and
    the alert threshold (the best F0.5) on the other."""
    if len({y for _, y in samples}) < 2:
        raise ValidationError("training needs both grooming and other conversations")
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    cut = max(1, int(len(order) * (1 - calibration_share)))
    train, held = order[:cut], order[cut:] or order[:1]
    x = np.stack([samples[i][0] for i in train])
    y = np.array([1.0 if samples[i][1] else 0.0 for i in train])
    weights = logistic(x, y, l2)
    raw = np.array([float(samples[i][0] @ weights) for i in held])
    truth = np.array([1.0 if samples[i][1] else 0.0 for i in held])
    a, b = platt(raw, truth)
    calibrated = 1 / (1 + np.exp(-(a * raw + b)))
    return Model(weights, (a, b), best_threshold(calibrated, truth), description, meaning)


def logistic(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    l2: float,
    weight: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """L2-regularised logistic regression by Newton's method; `weight` per sample."""
    w = np.zeros(x.shape[1])
    c = np.ones(len(y)) if weight is None else weight
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (c * (p - y)) + penalty * w
        hessian = (x * (c * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return w


def platt(raw: npt.NDArray[np.float64], truth: npt.NDArray[np.float64]) -> tuple[float, float]:
    x = np.stack([raw, np.ones_like(raw)], axis=1)
    # Platt's targets keep the fit finite on separable data.
    positives, negatives = truth.sum(), len(truth) - truth.sum()
    target = np.where(truth > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    ab = logistic(x, target, 1e-3)
    return float(ab[0]), float(ab[1])


def best_threshold(p: npt.NDArray[np.float64], truth: npt.NDArray[np.float64]) -> float:
    best, chosen = -1.0, 0.5
    for t in np.unique(np.round(p, 3)):
        if not 0.05 <= t <= 0.99:
            continue
        predicted = p >= t
        tp = float((predicted & (truth > 0)).sum())
        if not tp:
            continue
        precision, recall = tp / predicted.sum(), tp / truth.sum()
        f = 1.25 * precision * recall / (0.25 * precision + recall)
        if f > best:
            best, chosen = f, float(t)
    return chosen


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
