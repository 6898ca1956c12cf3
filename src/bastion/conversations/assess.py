"""Assessing a conversation, all at once or a message at a time.

`Tracker` reads messages in order, keeping per sender what the features need, and after
each message scores its sender: the conversation's score is its highest sender's. The first
message after which that score reaches the model's alert threshold is where a warning would
have fired. `assess` is a tracker run over a whole conversation, so reading a chat at once
and streaming it give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.conversations.cues import Indicator
from bastion.conversations.detect import find_cues
from bastion.conversations.meaning import Meaning, default_meaning
from bastion.conversations.model import Conversation, Message, Participant
from bastion.conversations.scoring import Model, SenderState, default_model, features
from bastion.conversations.text import normalise

#: Evidence kept per conversation (the first ones; later cues still count in the score).
MAX_EVIDENCE = 500
#: Below this calibrated probability a conversation is "low"; from it, "medium".
MEDIUM = 0.2


@dataclass(frozen=True)
class Evidence:
    """One indicator in one message: reviewers see the exact characters."""

    message: int
    sender: str
    indicator: str
    stage: str
    start: int
    end: int
    excerpt: str
    language: str
    #: "phrase" (a lexicon pattern) or "meaning" (read like an example message).
    source: str = "phrase"
    #: For the meaning layer: the example message the excerpt reads like.
    reads_like: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class SenderScore:
    sender: str
    score: float
    messages: int
    indicators: list[str]
    stages: list[str]


@dataclass(frozen=True)
class Assessment:
    #: Calibrated probability that the conversation shows grooming.
    score: float
    #: "low", "medium" or "high" (from the model's alert threshold).
    level: str
    messages: int
    #: Senders, most likely groomer first.
    senders: list[SenderScore]
    evidence: list[Evidence]
    #: The index of the message after which a warning would first have fired, or None.
    first_warning: int | None
    alert_threshold: float

    @property
    def likely_groomer(self) -> str | None:
        return self.senders[0].sender if self.senders and self.level == "high" else None

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "level": self.level,
            "messages": self.messages,
            "likely_groomer": self.likely_groomer,
            "first_warning": self.first_warning,
            "alert_threshold": self.alert_threshold,
            "senders": [{**vars(s), "score": round(s.score, 4)} for s in self.senders],
            "evidence": [e.to_json() for e in self.evidence],
        }


def level_of(score: float, threshold: float) -> str:
    return "high" if score >= threshold else "medium" if score >= MEDIUM else "low"


@dataclass
class Tracker:
    """The state of one conversation, a message at a time (JSON-serialisable)."""

    model: Model = field(default_factory=default_model)
    participants: dict[str, Participant] = field(default_factory=dict)
    senders: dict[str, SenderState] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    messages: int = 0
    first_warning: int | None = None
    #: The meaning layer, when the model was trained with it (loaded on first use).
    meaning: Meaning | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.meaning is None and self.model.meaning:
            self.meaning = default_meaning()

    def declare(self, participant: Participant) -> None:
        self.participants[participant.id] = participant
        for sender in self.senders:
            self._score(sender)

    def add(self, message: Message) -> float:
        """Read one message; returns the conversation's score after it."""
        index = self.messages
        self.messages += 1
        normalised = normalise(message.text)
        cues = find_cues(message.text, normalised)
        found = [c.indicator for c in cues]
        if self.meaning is not None:
            cues += self.meaning.cues(message.text, normalised, skip=found)
        for cue in cues:
            if len(self.evidence) < MAX_EVIDENCE:
                self.evidence.append(
                    Evidence(
                        index, message.sender, cue.indicator.value, cue.indicator.stage.value,
                        cue.start, cue.end, cue.excerpt, cue.language, cue.source,
                        cue.reads_like,
                    )
                )  # fmt: skip
        state = self.senders.setdefault(message.sender, SenderState())
        state.add(
            normalised.text,
            [c.indicator for c in cues],
            [c.indicator for c in cues if c.source == "meaning"],
        )
        self._score(message.sender)
        score = self.score
        if self.first_warning is None and score >= self.model.alert_threshold:
            self.first_warning = index
        return score

    @property
    def score(self) -> float:
        return max(self.scores.values(), default=0.0)

    def features_of(self, sender: str) -> npt.NDArray[np.float64]:
        """The learned layer's input for `sender`, from everything read so far."""
        me = self.participants.get(sender) or Participant(sender)
        others = [self.participants.get(s) or Participant(s) for s in self.senders if s != sender]
        others += [
            p for p in self.participants.values() if p.id not in self.senders and p.id != sender
        ]
        return features(self.senders[sender], me, others)

    def _score(self, sender: str) -> None:
        self.scores[sender] = self.model.probability(self.features_of(sender))

    def assessment(self) -> Assessment:
        ranked = sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))
        senders = []
        for sender, score in ranked:
            state = self.senders[sender]
            shown = [i for i in Indicator if i.value in state.counts]
            senders.append(
                SenderScore(
                    sender, score, state.messages, [i.value for i in shown],
                    sorted({i.stage.value for i in shown}),
                )
            )  # fmt: skip
        return Assessment(
            self.score,
            level_of(self.score, self.model.alert_threshold),
            self.messages,
            senders,
            list(self.evidence),
            self.first_warning,
            self.model.alert_threshold,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "participants": [vars(p) for p in self.participants.values()],
            "senders": {k: v.to_json() for k, v in self.senders.items()},
            "evidence": [e.to_json() for e in self.evidence],
            "messages": self.messages,
            "first_warning": self.first_warning,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], model: Model) -> Tracker:
        tracker = cls(
            model,
            {
                p["id"]: Participant(p["id"], p.get("age"), p.get("role"))
                for p in doc["participants"]
            },
            {k: SenderState.from_json(v) for k, v in doc["senders"].items()},
            {},
            [Evidence(**e) for e in doc["evidence"]],
            int(doc["messages"]),
            doc.get("first_warning"),
        )
        for sender in tracker.senders:
            tracker._score(sender)
        return tracker


def assess(conversation: Conversation, model: Model | None = None) -> Assessment:
    tracker = Tracker(model or default_model(), dict(conversation.participants))
    for message in conversation.messages:
        tracker.add(message)
    return tracker.assessment()
