"""Finding indicators in messages, with the exact characters as evidence.

A message is normalised (`text.normalise`) and every language's patterns are tried. A word
one typing slip away (a letter dropped, added, changed or two swapped) from a word the
patterns use is read as that word (``schol``, ``telegrm``, ``adress``), so misspellings
still match; words that are already words of the patterns, and short words, are left alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bastion.conversations.cues import Indicator
from bastion.conversations.lexicon import PATTERN_SETS
from bastion.conversations.text import Normalised, normalise


@dataclass(frozen=True)
class Cue:
    """One indicator in one message: where it is in the original text and what it says."""

    indicator: Indicator
    language: str
    #: [start, end) in the message's original text.
    start: int
    end: int
    excerpt: str
    #: "phrase" (a lexicon pattern) or "meaning" (`meaning`: read like an example).
    source: str = "phrase"
    #: For the meaning layer: the example message the excerpt reads like.
    reads_like: str = ""


def _compile() -> list[tuple[Indicator, str, re.Pattern[str]]]:
    compiled = []
    for code, module in PATTERN_SETS.items():
        for indicator, patterns in module.PATTERNS.items():
            joined = "|".join(f"(?:{p})" for p in patterns)
            compiled.append((indicator, code, re.compile(joined)))
    return compiled


_PATTERNS = _compile()
#: Each word the patterns are made of (four letters or more) -> the patterns (by position
#: in `_PATTERNS`) it is part of.
_MADE_WITH: dict[str, list[int]] = {}
for _number, _compiled in enumerate(_PATTERNS):
    for _made in set(re.findall(r"[a-z]{4,}", _compiled[2].pattern)):
        _MADE_WITH.setdefault(_made, []).append(_number)
#: The words the patterns are made of, which slips are corrected to.
_VOCABULARY = frozenset(_MADE_WITH)
#: One deletion of each vocabulary word -> the words it comes from.
_DELETIONS: dict[str, str] = {}
for _word in sorted(_VOCABULARY):
    for _i in range(len(_word)):
        _DELETIONS.setdefault(_word[:_i] + _word[_i + 1 :], _word)
_WORD = re.compile(r"[a-z]{4,14}")


@functools.lru_cache(maxsize=65_536)
def _corrected(word: str) -> str:
    """The vocabulary word one slip from `word`, or `word` itself."""
    if word in _VOCABULARY:
        return word
    if word in _DELETIONS:  # a letter dropped
        return _DELETIONS[word]
    for i in range(len(word)):
        shorter = word[:i] + word[i + 1 :]
        if shorter in _VOCABULARY:  # a letter added
            return shorter
        if shorter in _DELETIONS:  # a letter changed
            return _DELETIONS[shorter]
    for i in range(len(word) - 1):  # two letters swapped
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if swapped in _VOCABULARY:
            return swapped
    return word


def find_cues(text: str, normalised: Normalised | None = None) -> list[Cue]:
    """Every indicator `text` shows (at most one cue per indicator: the first language's);
    `normalised` is `normalise(text)` when the caller has it already."""
    normalised = normalised or normalise(text)
    found = _search(text, normalised.text, normalised.span, range(len(_PATTERNS)))
    if len(found) < len(Indicator):
        fixed, back, corrected = _with_offsets(normalised.text)
        if corrected:
            # Only the patterns made with a corrected word can read the corrected text
            # differently; the others already read it as it was.
            seen = {c.indicator for c in found}
            again = sorted(
                i for word in corrected for i in _MADE_WITH[word] if _PATTERNS[i][0] not in seen
            )
            found += _search(
                text, fixed, lambda a, b: normalised.span(back[a], back[b - 1] + 1), again
            )
    return found


def _with_offsets(text: str) -> tuple[str, list[int], set[str]]:
    """`text` with slips corrected, for each of its characters the index in `text` it
    stands for, and the vocabulary words put in."""
    out: list[str] = []
    back: list[int] = []
    corrected: set[str] = set()
    last = 0
    for match in _WORD.finditer(text):
        out.append(text[last : match.start()])
        back.extend(range(last, match.start()))
        word = _corrected(match.group())
        if word != match.group():
            corrected.add(word)
        out.append(word)
        n = match.end() - match.start()
        back.extend(match.start() + min(k, n - 1) for k in range(len(word)))
        last = match.end()
    out.append(text[last:])
    back.extend(range(last, len(text)))
    return "".join(out), back, corrected


def _search(original: str, text: str, span: object, which: Iterable[int]) -> list[Cue]:
    """The cues the patterns numbered `which` (in order) find in `text`."""
    found: list[Cue] = []
    seen: set[Indicator] = set()
    for number in which:
        indicator, language, pattern = _PATTERNS[number]
        if indicator in seen:
            continue
        match = pattern.search(text)
        if match is None or match.end() == match.start():
            continue
        start, end = span(match.start(), match.end())  # type: ignore[operator]
        found.append(Cue(indicator, language, start, end, original[start:end]))
        seen.add(indicator)
    return found
