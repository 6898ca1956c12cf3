"""Assessing a conversation, all at once or a message at a time.

`Tracker` reads messages in order, keeping per sender what the features need, and after
each message scores its sender: the conversation's score is its highest sender's. In a
group chat (three or more participants) it also keeps, per sender, what they wrote to each
addressee (`Tracker.pairs`), so that an adult who shows several indicators towards one
child in a busy group is scored as in a one-to-one chat, not diluted by the group's
chatter: a sender's score is the highest of their whole history's and each pair's. Whom a
message is for: the platform's ``to`` or ``reply_to``, else the participants it @mentions
or names, else the sender of the previous message by someone else. The first
message after which that score reaches the model's alert threshold is where a warning would
have fired. `assess` is a tracker run over a whole conversation, so reading a chat at once
and streaming it give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.conversations.context import (
    addressees,
    age_of,
    answered_age,
    is_minor,
    kinship,
    relationship,
    self_declared_age,
)
from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.detect import find_cues
from bastion.conversations.meaning import Meaning, default_meaning
from bastion.conversations.model import Conversation, Message, Participant
from bastion.conversations.scoring import Model, SenderState, default_model, features
from bastion.conversations.text import normalise

#: Evidence kept per conversation (the first ones; later cues still count in the score).
MAX_EVIDENCE = 500
#: Recent senders remembered for addressing (a chat has at most `model.MAX_SENDERS`).
MAX_RECENT = 64
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
    #: Per sender, per addressee: what the sender wrote to them.
    pairs: dict[str, dict[str, SenderState]] = field(default_factory=dict)
    #: Ages participants gave as their own.
    ages: dict[str, int] = field(default_factory=dict)
    #: Pairs of participants (sorted) between whom a kinship term was used.
    kin: set[tuple[str, str]] = field(default_factory=set)
    #: Senders, the latest first (for "the previous message by someone else").
    recent: list[str] = field(default_factory=list)
    #: Those the latest age question was put to, until they answer.
    age_asked: list[str] = field(default_factory=list)
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
        soft: frozenset[Stage] = frozenset()
        if self.meaning is not None:
            reading = self.meaning.read(message.text, normalised, skip=[c.indicator for c in cues])
            cues += reading.cues
            soft = reading.soft
        for cue in cues:
            if len(self.evidence) < MAX_EVIDENCE:
                self.evidence.append(
                    Evidence(
                        index, message.sender, cue.indicator.value, cue.indicator.stage.value,
                        cue.start, cue.end, cue.excerpt, cue.language, cue.source,
                        cue.reads_like,
                    )
                )  # fmt: skip
        indicators = [c.indicator for c in cues]
        meant = [c.indicator for c in cues if c.source == "meaning"]
        sender = message.sender
        state = self.senders.setdefault(sender, SenderState())
        state.add(normalised.text, indicators, message.at, meant, soft)
        to = self.addressees_of(message)
        pairs = self.pairs.setdefault(sender, {})
        for other in to:
            pairs.setdefault(other, SenderState()).add(
                normalised.text, indicators, message.at, meant, soft
            )
        self._learn(sender, normalised.text, to, Indicator.AGE in indicators)
        self._score(sender)
        score = self.score
        if self.first_warning is None and score >= self.model.alert_threshold:
            self.first_warning = index
        return score

    @property
    def score(self) -> float:
        return max(self.scores.values(), default=0.0)

    def people(self) -> list[str]:
        """Everyone seen or declared, in order of appearance."""
        return list(dict.fromkeys([*self.senders, *self.participants]))

    def addressees_of(self, message: Message) -> list[str]:
        """Whom `message` is for (see the module's docstring); [] when nobody can tell."""
        sender = message.sender
        if message.to:
            return [t for t in message.to if t != sender]
        if message.reply_to and message.reply_to != sender:
            return [message.reply_to]
        people = self.people()
        named = addressees(message.text, sender, people)
        if named:
            return named
        previous = next((s for s in self.recent if s != sender), None)
        if previous is not None:
            return [previous]
        others = [p for p in people if p != sender]
        return others if len(others) == 1 else []

    def _learn(self, sender: str, text: str, to: list[str], asks_age: bool) -> None:
        """What `text` says about who is who: a self-declared age (or the answer to an age
        question), a kinship term between the sender and those it is for."""
        anyone = "*" in self.age_asked and self.recent[:1] != [sender]
        if sender in self.age_asked or anyone:
            age = answered_age(text)
            self.age_asked = [s for s in self.age_asked if s not in (sender, "*")]
        else:
            age = self_declared_age(text)
        if age is not None:
            self.ages[sender] = age
        if asks_age:  # put to those it is for, or ("*") whoever answers next
            self.age_asked = list(to) or ["*"]
        if kinship(text):
            self.kin.update((min(sender, o), max(sender, o)) for o in to)
        self.recent = [sender, *[s for s in self.recent if s != sender][: MAX_RECENT - 1]]

    def _person(self, ident: str) -> Participant:
        return self.participants.get(ident) or Participant(ident)

    def _candidates(
        self, sender: str
    ) -> list[tuple[SenderState, Participant, list[Participant], str]]:
        """(state, the person scored against, the others, addressee) to score `sender` on:
        their whole history, and in a group chat each addressee's pair."""
        people = [p for p in self.people() if p != sender]
        pairs = self.pairs.get(sender, {})

        def young_first(ident: str) -> tuple[bool, int, str]:
            person = self._person(ident)
            minor = is_minor(person, age_of(person, self.ages.get(ident)))
            return (not minor, -(pairs[ident].messages if ident in pairs else 0), ident)

        target = min(people, key=young_first) if people else ""
        whole = (self.senders[sender], self._person(target), [self._person(p) for p in people])
        out = [(*whole, target)]
        if len(people) >= 2:
            out += [(s, self._person(t), [self._person(t)], t) for t, s in pairs.items()]
        return out

    def _features(
        self, sender: str, candidate: tuple[SenderState, Participant, list[Participant], str]
    ) -> npt.NDArray[np.float64]:
        state, other, others, _ = candidate
        me = self._person(sender)
        relation = relationship(
            me,
            other,
            sender_age=self.ages.get(sender),
            other_age=self.ages.get(other.id),
            kin=(min(sender, other.id), max(sender, other.id)) in self.kin,
            parents_in_loop=self.senders[sender].parents > 0,
        )
        return features(state, me, others, relation)

    def features_of(self, sender: str) -> npt.NDArray[np.float64]:
        """The learned layer's input for `sender`, from everything read so far: that of their
        highest-scoring candidate (whole history or one addressee's pair; on a tie, the one
        with the most cue messages)."""
        return self._best(sender)[1]

    def _best(self, sender: str) -> tuple[float, npt.NDArray[np.float64]]:
        best: tuple[float, int, npt.NDArray[np.float64]] | None = None
        for candidate in self._candidates(sender):
            x = self._features(sender, candidate)
            key = (self.model.probability(x), candidate[0].cue_messages)
            if best is None or key > best[:2]:
                best = (*key, x)
        assert best is not None
        return best[0], best[2]

    def _score(self, sender: str) -> None:
        self.scores[sender] = self._best(sender)[0]

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
            "pairs": {
                s: {t: state.to_json() for t, state in to.items()} for s, to in self.pairs.items()
            },
            "ages": self.ages,
            "kin": sorted(list(k) for k in self.kin),
            "recent": self.recent,
            "age_asked": self.age_asked,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], model: Model) -> Tracker:
        """A tracker from `to_json`; states saved before pairs and context were kept read
        as having none (they fill in from the next message)."""
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
            {
                s: {t: SenderState.from_json(v) for t, v in to.items()}
                for s, to in doc.get("pairs", {}).items()
            },
            {str(k): int(v) for k, v in doc.get("ages", {}).items()},
            {(str(a), str(b)) for a, b in doc.get("kin", [])},
            [str(s) for s in doc.get("recent", [])],
            [str(s) for s in doc.get("age_asked", [])],
        )
        for sender in tracker.senders:
            tracker._score(sender)
        return tracker


def assess(conversation: Conversation, model: Model | None = None) -> Assessment:
    tracker = Tracker(model or default_model(), dict(conversation.participants))
    for message in conversation.messages:
        tracker.add(message)
    return tracker.assessment()
