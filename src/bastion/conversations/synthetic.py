"""Synthetic conversations for training and measuring, built by the project (never
explicit): grooming-pattern chats whose cues come in stage order or shuffled, benign chats,
hard negatives (a surprise party kept secret, a parent asking "are you home alone", friends
trading game items), and obfuscated variants (look-alike characters, spaced letters, emoji,
misspellings).

Every conversation belongs to a *template family*: a setting and the paraphrase of each cue
it uses (`phrases.CUES`, one per family). `split` keeps each family on one side, so
evaluation measures phrasings the model never saw.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.model import Conversation, Message, Participant
from bastion.conversations.phrases import CUES, HARD_NEGATIVES, REPLIES, SETTINGS

STAGE_ORDER = list(Stage)


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
    """`count` conversations of `family`: a third grooming, a third benign, a third hard
    negatives."""
    lang, setting = family.split("/")
    rng = random.Random(f"{seed}/{family}")
    position = sorted(SETTINGS[lang]).index(setting)
    for i in range(count):
        kind = ("grooming", "benign", "hard")[i % 3]
        if kind == "grooming":
            yield _grooming(rng, lang, setting, position, family)
        elif kind == "benign":
            yield _benign(rng, lang, setting, family)
        else:
            yield _hard(rng, lang, setting, family)


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
