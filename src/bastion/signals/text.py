"""`text`: keywords and phrases, matched anywhere in a text (python-threatexchange's
`raw_text` values are read as these).

Bank values and query texts are normalised alike: Unicode compatibility forms folded
(NFKC), case folded, and every run of characters that are not letters or digits made one
space. A query text matches a bank phrase that appears in it as whole words: every run of
1 to 8 consecutive words of the text is looked up, and the whole text too (so a longer bank
phrase matches a text that is exactly it).
"""

from __future__ import annotations

import unicodedata

from bastion.errors import InvalidSignalError
from bastion.signals.base import MatchKind, SignalType

MAX_LENGTH = 10_000
#: Longest phrase, in words, found inside a longer text.
MAX_WORDS = 8


class TextSignal(SignalType):
    name = "text"
    description = "A keyword or phrase, found as whole words anywhere in a text."
    match_kind = MatchKind.EXACT

    @classmethod
    def normalize(cls, value: str) -> str:
        if not isinstance(value, str):
            raise InvalidSignalError(f"text: expected a string, got {type(value).__name__}")
        if len(value) > MAX_LENGTH:
            raise InvalidSignalError(f"text: at most {MAX_LENGTH:,} characters")
        folded = unicodedata.normalize("NFKC", value).casefold()
        words = "".join(c if c.isalnum() else " " for c in folded).split()
        if not words:
            raise InvalidSignalError("text: expected at least one word")
        return " ".join(words)

    @classmethod
    def lookup_keys(cls, value: str) -> list[str]:
        words = value.split(" ")
        keys = {value}
        for size in range(1, min(MAX_WORDS, len(words)) + 1):
            keys.update(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
        return sorted(keys)

    @classmethod
    def examples(cls) -> list[str]:
        return ["an example phrase", "example"]
