"""Text as the indicator patterns read it, with a map back to the original characters.

Obfuscation is undone before matching, so that evidence can still point at the exact
characters a person typed:

- Unicode compatibility forms folded (NFKC: full-width letters, ligatures), case folded,
  accents removed (``é`` reads ``e``), so one pattern serves ``ça`` and ``ca``;
- look-alike digits and symbols read as letters inside words (``4re y0u 4l0ne`` reads
  ``are you alone``; ``$`` as ``s``, ``@`` as ``a``);
- single letters spaced or dotted apart joined (``a l o n e``, ``s.e.c.r.e.t``);
- a letter three or more times in a row read once (``pleeease``, ``alooone``);
- emoji that stand for a cue read as a word (📷 ``photo``, 🤫 ``secret``, 🎁 ``gift``);
- runs of white space read as one space.

`normalise` returns the text and, for every character of it, the index of the original
character it came from, so a match in the normalised text maps back to a span of the
original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Digits and symbols read as letters when they are part of a word.
LOOKALIKES = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
#: Characters people type for an apostrophe.
APOSTROPHES = frozenset("\u2019\u2018`\u00b4\u02bc")
#: Emoji read as the word they stand for.
EMOJI_WORDS = {
    "📷": "photo", "📸": "photo", "🖼": "photo", "🤳": "selfie", "🎥": "camera", "📹": "camera",
    "📞": "call", "📱": "phone", "🤫": "secret", "🤐": "secret", "🙊": "secret", "🎁": "gift",
    "💰": "money", "💵": "money", "💸": "money", "💳": "card", "📍": "location", "🏠": "home",
    "🔒": "private",
}  # fmt: skip

_WORD_WITH_LOOKALIKES = re.compile(r"[a-z0-9@$]*[a-z][a-z0-9@$]*|[0-9@$]+[a-z][a-z0-9@$]*")
_SPACED_LETTERS = re.compile(r"(?<![a-z])(?:[a-z][ .\-_*]){3,}[a-z](?![a-z])")
_ORDINAL = re.compile(r"\d{1,2}(?:st|nd|rd|th|e|eme|er|ere|re|o|a|ao|ano)")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_SPACES = re.compile(r"\s{2,}")


@dataclass(frozen=True)
class Normalised:
    text: str
    #: For each character of `text`, the index of the original character it came from.
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) of the normalised [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def normalise(original: str) -> Normalised:
    if original.isascii():  # most messages: each character folds to one, in place
        folded = original.lower().replace("`", "'")
        origin = list(range(len(original)))
    else:
        chars: list[str] = []
        origin = []
        for index, char in enumerate(original):
            word = EMOJI_WORDS.get(char)
            pieces = f" {word} " if word is not None else _fold(char)
            chars.extend(pieces)
            origin.extend([index] * len(pieces))
        folded = "".join(chars)
    text = _lookalikes(folded)
    text, origin = _drop(text, origin, _SPACED_LETTERS, lambda m: [
        i for i in range(m.start(), m.end()) if not text[i].isalpha()
    ])  # fmt: skip
    text, origin = _drop(text, origin, _REPEATS, lambda m: list(range(m.start() + 1, m.end())))
    text, origin = _drop(text, origin, _SPACES, lambda m: list(range(m.start() + 1, m.end())))
    return Normalised(text.replace("\t", " ").replace("\n", " "), tuple(origin))


def _fold(char: str) -> str:
    if char in APOSTROPHES:
        return "'"
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", char).casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def _lookalikes(text: str) -> str:
    """Digits and symbols in a word that also holds a letter read as letters; numbers
    (``13``; ``2pm`` keeps its ``2``, a number then a unit; so do ordinals such as ``4th``,
    ``4e``, ``6eme``, ``1er``, ``2o``: a school year is not a word in disguise) stay as
    they are."""

    def read(match: re.Match[str]) -> str:
        word = match.group()
        if word[0].isdigit() and (word.rstrip("apm").isdigit() or _ORDINAL.fullmatch(word)):
            return word  # 2pm, 10am, 4th, 5e
        return "".join(LOOKALIKES.get(c, c) for c in word)

    return _WORD_WITH_LOOKALIKES.sub(read, text)


def _drop(
    text: str,
    origin: list[int],
    pattern: re.Pattern[str],
    which: object,
) -> tuple[str, list[int]]:
    """`text` and `origin` without the positions `which(match)` names for each match."""
    gone: set[int] = set()
    for match in pattern.finditer(text):
        gone.update(which(match))  # type: ignore[operator]
    if not gone:
        return text, origin
    kept = [i for i in range(len(text)) if i not in gone]
    return "".join(text[i] for i in kept), [origin[i] for i in kept]
