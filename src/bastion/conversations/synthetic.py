"""Synthetic conversations for training and measuring, built by the project (never
explicit): grooming-pattern chats whose cues come in stage order or shuffled, benign chats,
hard negatives (a surprise party kept secret, a parent asking "are you home alone", friends
trading game items), and obfuscated variants (look-alike characters, spaced letters, emoji,
misspellings), and the scenarios that need context (`scenarios`: family and everyday
look-alikes, dating adults, a teacher with the parents in the loop, group chats with and
without a groomer, early-stage grooming in a long chat), a share of them timestamped.

Every conversation belongs to a *template family*: a setting and the paraphrase of each cue
it uses (`phrases.CUES`, one per family). `split` keeps each family on one side, so
evaluation measures phrasings the model never saw.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.model import Conversation, Message, Participant
from bastion.conversations.phrases import CUES, HARD_NEGATIVES, REPLIES, SETTINGS
from bastion.conversations.scenarios import (
    Scenario,
    classmates,
    dating,
    early,
    educator,
    family,
    group_grooming,
    surprise,
    timestamps,
)

STAGE_ORDER = list(Stage)
#: The kinds `generate` cycles through (three of ten grooming).
KINDS = (
    "grooming", "benign", "hard", "family", "group_grooming", "educator", "early", "dating",
    "surprise", "group",
)  # fmt: skip
#: The share of synthetic conversations given timestamps.
TIMED = 0.6
#: The share of timestamped benign chats written late at night.
LATE_BENIGN = 0.25


@dataclass(frozen=True)
class Labelled:
    conversation: Conversation
    #: Whether the conversation shows grooming.
    grooming: bool
    #: The sender doing it (None for negatives).
    groomer: str | None
    family: str
    #: (message index, indicator) of every cue the generator put in.
    cues: tuple[tuple[int, Indicator], ...] = ()
    kind: str = "grooming"


def families() -> list[str]:
    """Every template family, as ``language/setting``."""
    return [f"{lang}/{setting}" for lang, settings in SETTINGS.items() for setting in settings]


def held_out(share: float = 0.25, seed: int = 11) -> set[str]:
    """A seeded `share` of each language's families, kept out of training."""
    rng = random.Random(seed)
    out: set[str] = set()
    for lang, settings in SETTINGS.items():
        names = sorted(settings)
        rng.shuffle(names)
        out.update(f"{lang}/{n}" for n in names[: max(1, round(len(names) * share))])
    return out


def generate(family: str, count: int, *, seed: int = 7) -> Iterator[Labelled]:
    """`count` conversations of `family`, cycling through `KINDS` (three in ten grooming: a
    one-to-one chat, a group chat, an early-stage long chat); a share timestamped."""
    lang, setting = family.split("/")
    rng = random.Random(f"{seed}/{family}")
    position = sorted(SETTINGS[lang]).index(setting)
    for i in range(count):
        example = _one(KINDS[i % len(KINDS)], rng, lang, setting, position, family)
        if rng.random() < TIMED:
            style = "late" if example.grooming else "day"
            if not example.grooming and rng.random() < LATE_BENIGN:
                style = "night"
            messages = timestamps(rng, example.conversation.messages, style)
            example = replace(
                example, conversation=replace(example.conversation, messages=messages)
            )
        yield example


def _one(
    kind: str, rng: random.Random, lang: str, setting: str, position: int, family_name: str
) -> Labelled:
    if kind == "grooming":
        return _grooming(rng, lang, setting, position, family_name)
    if kind == "benign":
        return _benign(rng, lang, setting, family_name)
    if kind == "hard":
        return _hard(rng, lang, setting, family_name)
    talk = SETTINGS[lang][setting]
    held = family_name in _held_out()
    scenario: Scenario
    if kind == "family":
        scenario = family(rng, lang, talk, held)
    elif kind == "group_grooming":
        scenario = group_grooming(rng, lang, talk, position, held)
    elif kind == "educator":
        scenario = educator(rng, lang, talk, held)
    elif kind == "early":
        scenario = early(rng, lang, talk, position)
    elif kind == "dating":
        scenario = dating(rng, lang, held)
    elif kind == "surprise":
        scenario = surprise(rng, lang, held)
    else:
        scenario = classmates(rng, lang, held)
    return Labelled(
        scenario.conversation,
        scenario.grooming,
        scenario.groomer,
        family_name,
        scenario.cues,
        scenario.kind,
    )


@functools.cache
def _held_out() -> frozenset[str]:
    return frozenset(held_out())


def _participants(rng: random.Random, roles: tuple[str | None, str | None]) -> list[Participant]:
    """Declared roles and ages, some of the time (platforms often know neither)."""
    if rng.random() < 0.5:
        return []
    people = []
    for ident, role in zip(("a", "c"), roles, strict=True):
        if role == "minor":
            people.append(
                Participant(
                    ident, age=rng.randint(10, 15) if rng.random() < 0.7 else None, role="minor"
                )
            )
        elif role in ("adult", "teacher", "parent"):
            people.append(
                Participant(
                    ident, age=rng.randint(25, 55) if rng.random() < 0.5 else None, role=role
                )
            )
    return people


def _small_talk(rng: random.Random, lang: str, setting: str, n: int) -> list[Message]:
    adult, child = SETTINGS[lang][setting]
    out = []
    for _ in range(n):
        out.append(Message("a", rng.choice(adult)))
        out.append(Message("c", rng.choice(child)))
    return out


def _grooming(rng: random.Random, lang: str, setting: str, position: int, family: str) -> Labelled:
    indicators = rng.sample(list(Indicator), rng.randint(3, 7))
    if rng.random() < 0.5:  # in stage order, or as they come
        indicators.sort(key=lambda i: STAGE_ORDER.index(i.stage))
    messages = _small_talk(rng, lang, setting, rng.randint(2, 6))
    cues: list[tuple[int, Indicator]] = []
    for indicator in indicators:
        pool = CUES[lang][indicator]
        text = pool[position % len(pool)]
        if rng.random() < 0.35:
            text = obfuscate(text, rng)
        cues.append((len(messages), indicator))
        messages.append(Message("a", text))
        messages.append(Message("c", rng.choice(REPLIES[lang])))
        messages += _small_talk(rng, lang, setting, rng.randint(0, 3))
    people = _participants(rng, ("adult", "minor"))
    return Labelled(
        Conversation(tuple(messages), {p.id: p for p in people}), True, "a", family, tuple(cues)
    )


def _benign(rng: random.Random, lang: str, setting: str, family: str) -> Labelled:
    messages = _small_talk(rng, lang, setting, rng.randint(5, 25))
    people = _participants(
        rng, rng.choice([("minor", "minor"), ("adult", "minor"), ("adult", "adult")])
    )
    return Labelled(
        Conversation(tuple(messages), {p.id: p for p in people}), False, None, family, kind="benign"
    )


def _hard(rng: random.Random, lang: str, setting: str, family: str) -> Labelled:
    exchange, roles = rng.choice(HARD_NEGATIVES[lang])
    messages = _small_talk(rng, lang, setting, rng.randint(1, 8))
    cues: list[tuple[int, Indicator]] = []
    for cue, reply, indicator in exchange:
        if indicator is not None:
            cues.append((len(messages), indicator))
        messages.append(Message("a", cue))
        messages.append(Message("c", reply))
        messages += _small_talk(rng, lang, setting, rng.randint(0, 4))
    people = _participants(rng, roles)
    return Labelled(
        Conversation(tuple(messages), {p.id: p for p in people}),
        False,
        None,
        family,
        tuple(cues),
        "hard",
    )


def obfuscate(text: str, rng: random.Random) -> str:
    """One of the ways people hide words from filters."""
    way = rng.choice(("lookalike", "spaced", "emoji", "typo", "stretch"))
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_words:
        return text
    pick = rng.choice(long_words)
    word = words[pick]
    if way == "lookalike":
        word = word.replace("o", "0").replace("e", "3").replace("a", "4")
    elif way == "spaced":
        word = " ".join(word)
    elif way == "emoji":
        for plain, emoji in (
            ("photo", "📷"),
            ("pic", "📸"),
            ("secret", "🤫"),
            ("gift", "🎁"),
            ("money", "💰"),
        ):
            if plain in text:
                return text.replace(plain, emoji, 1)
        word = word.upper()
    elif way == "typo":
        j = rng.randrange(1, len(word) - 1)
        word = word[:j] + word[j + 1 :]  # a letter dropped
    else:
        j = rng.randrange(len(word))
        word = word[:j] + word[j] * 4 + word[j + 1 :]
    words[pick] = word
    return " ".join(words)
