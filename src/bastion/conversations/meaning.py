"""The meaning layer: an indicator recognised however it is worded.

The lexicon's patterns (`detect`) are exact and explainable, and miss what they were not
written for: "does your mum ever go through your phone" asks what "do your parents check
your phone" asks. This layer reads each clause of a message as a vector and compares it
with example messages of every indicator (``EXAMPLES`` in each `lexicon` module) and with
everyday lines that are not cues (``EVERYDAY``). A clause reads as an indicator when its
nearest examples are that indicator's, close enough, and clearly closer than the nearest
everyday lines. Its evidence names the example it reads like, so a reviewer sees why, and
says it came from this layer.

The vectors are static token embeddings: WordLlama's ``l2_supercat`` (MIT licence, in the
wheel's own LICENSE file; 32,000 tokens of 256 dimensions, distilled from large language
models' token embeddings), shipped inside the ``wordllama`` wheel. bastion reads the two
files of that wheel (the tokenizer and the weights) and never imports it, so nothing is
downloaded and the layer runs on the CPU in a few tens of microseconds per message. A
clause's vector is the mean of its tokens' vectors, as WordLlama pools them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.detect import Cue
from bastion.conversations.lexicon import LANGUAGES
from bastion.conversations.lexicon.shorthand import SHORTHAND
from bastion.conversations.text import Normalised, normalise
from bastion.errors import BastionError

#: The embedding files inside the ``wordllama`` package.
TOKENIZER_FILE = ("tokenizers", "l2_supercat_tokenizer_config.json")
WEIGHTS_FILE = ("weights", "l2_supercat_256.safetensors")
#: The weights the examples' threshold and margin were measured with: other weights (a
#: future wheel) would read differently, so they are refused rather than used unmeasured.
WEIGHTS_SHA256 = "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5"
#: A clause is evidence of an indicator from this cosine similarity to its nearest
#: examples...
THRESHOLD = 0.45
#: ...when that is at least this much above its similarity to the nearest everyday lines.
#: Both are set for precision: each example read against all the others (leave one out)
#: is evidence of the right indicator 3 times in 4 at this bar. Below it a clause still
#: may still read softly (`Reading.soft`), which the learned layer weighs.
MARGIN = 0.2
#: The lower bar of a soft reading (`Reading.soft`): set so that a clause of everyday
#: small talk seldom clears it (a long chat must not read as risky for its length alone).
SOFT_THRESHOLD = 0.35
SOFT_MARGIN = 0.12
#: How many nearest examples of a kind are averaged (one lucky neighbour is not enough).
NEAREST = 2
#: Clauses shorter than this (in normalised characters) carry too little to read.
MIN_CLAUSE = 8
#: At most this many clauses of one message are read.
MAX_CLAUSES = 8
_CLAUSE = re.compile(r"[^.!?;\n]+")
_WORDS = re.compile(r"[a-z']+")


class MeaningUnavailable(BastionError):
    """The embedding files cannot be read (the ``wordllama`` package is missing or broken)."""


class Encoder:
    """Text to unit vectors: the mean of the text's static token embeddings."""

    def __init__(self, tokenizer: Any, vectors: npt.NDArray[np.float32]) -> None:
        self._tokenizer = tokenizer
        self._vectors = vectors

    @classmethod
    def load(cls) -> Encoder:
        try:
            from tokenizers import Tokenizer

            package = resources.files("wordllama")
            tokenizer = Tokenizer.from_str(_file(package, TOKENIZER_FILE).read_text("utf-8"))
            data = _file(package, WEIGHTS_FILE).read_bytes()
            if hashlib.sha256(data).hexdigest() != WEIGHTS_SHA256:
                raise ValueError("its weights are not the ones bastion was measured with")
            vectors = _safetensors_matrix(data)
        except Exception as e:  # missing package, unreadable file, or a format it cannot parse
            raise MeaningUnavailable(
                f"the meaning layer's embeddings cannot be read ({e}); "
                "reinstall bastion (pip install wordllama) or set conversation_meaning = false"
            ) from None
        return cls(tokenizer, vectors)

    @property
    def dimensions(self) -> int:
        return int(self._vectors.shape[1])

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimensions), np.float32)
        for row, encoding in enumerate(
            self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ):
            if encoding.ids:
                out[row] = self._vectors[encoding.ids].sum(axis=0)
        # The mean's direction is the sum's: normalising the sum is enough.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


def _file(package: Traversable, parts: tuple[str, str]) -> Traversable:
    return package.joinpath(*parts)


def _safetensors_matrix(data: bytes) -> npt.NDArray[np.float32]:
    """The one tensor of a safetensors file (8-byte header length, JSON header, raw data)."""
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    entries = [v for k, v in header.items() if k != "__metadata__"]
    if len(entries) != 1 or entries[0]["dtype"] not in ("F16", "F32"):
        raise ValueError("expected one float tensor")
    entry = entries[0]
    start, end = entry["data_offsets"]
    dtype = np.float16 if entry["dtype"] == "F16" else np.float32
    flat = np.frombuffer(data[8 + size + start : 8 + size + end], dtype)
    return flat.reshape(entry["shape"]).astype(np.float32)


@dataclass(frozen=True)
class Reading:
    """What the layer made of one message."""

    #: The indicators it clearly reads as (evidence a reviewer sees).
    cues: list[Cue]
    #: The stages some clause reads as at a lower bar (`SOFT_THRESHOLD`, `SOFT_MARGIN`): a
    #: soft signal the learned layer weighs, below the bar for evidence.
    soft: frozenset[Stage]


@dataclass(frozen=True)
class Example:
    indicator: Indicator | None  # None: an everyday line
    language: str
    text: str


def examples() -> list[Example]:
    """Every language's indicator examples and everyday lines."""
    out = []
    for code, module in LANGUAGES.items():
        for indicator, lines in getattr(module, "EXAMPLES", {}).items():
            out += [Example(indicator, code, line) for line in lines]
        out += [Example(None, code, line) for line in getattr(module, "EVERYDAY", [])]
    return out


class Meaning:
    """Clauses read against examples, nearest neighbours with a margin (see the module)."""

    def __init__(
        self,
        encoder: Encoder,
        known: Iterable[Example],
        *,
        threshold: float = THRESHOLD,
        margin: float = MARGIN,
    ) -> None:
        self.encoder = encoder
        self.examples = list(known)
        self.threshold = threshold
        self.margin = margin
        vectors = encoder.encode([spelled_out(normalise(e.text).text) for e in self.examples])
        #: The examples' vectors, and a last row of zeros: the padding's column (below).
        self._matrix = np.vstack([vectors, np.zeros((1, encoder.dimensions), np.float32)])
        kinds: list[Indicator | None] = [None, *Indicator]
        groups = [[i for i, e in enumerate(self.examples) if e.indicator == k] for k in kinds]
        #: The kinds that have examples (everyday lines first when there are any)...
        self._kinds = [k for k, rows in zip(kinds, groups, strict=True) if rows]
        #: ...and for each, its examples' rows, padded with the row of a column of -1
        #: similarities (appended below) so that all kinds are read in one step.
        width = max((len(rows) for rows in groups), default=0)
        pad = len(self.examples)
        self._rows = np.array(
            [rows + [pad] * (width - len(rows)) for rows in groups if rows], np.intp
        ).reshape(len(self._kinds), width)
        self._everyday = self._kinds[0] is None if self._kinds else False

    def read(
        self, text: str, normalised: Normalised | None = None, skip: Iterable[Indicator] = ()
    ) -> Reading:
        """The stages `text` softly reads as, and the indicators it clearly reads as beyond
        those in `skip` (already found by the lexicon): at most one cue per indicator, its
        best clause. Each clause reads as its nearest kind only."""
        normalised = normalised or normalise(text)
        clauses = [
            m for m in _CLAUSE.finditer(normalised.text) if len(m.group().strip()) >= MIN_CLAUSE
        ][:MAX_CLAUSES]
        first = 1 if self._everyday else 0
        if not clauses or len(self._kinds) == first:
            return Reading([], frozenset())
        similarity = self.encoder.encode([spelled_out(m.group()) for m in clauses])
        similarity = similarity @ self._matrix.T
        similarity[:, -1] = -1.0  # the padding never counts among the nearest
        by_kind = similarity[:, self._rows]  # clauses x kinds x examples
        k = min(NEAREST, by_kind.shape[2])
        nearest = np.partition(by_kind, by_kind.shape[2] - k, axis=2)[:, :, -k:].mean(axis=2)
        everyday = nearest[:, :1] if self._everyday else np.zeros((len(clauses), 1), np.float32)
        soft: set[Stage] = set()
        skipped = set(skip)
        best: dict[Indicator, tuple[float, int, int]] = {}
        tops = nearest[:, first:].argmax(axis=1)
        top_scores = nearest[np.arange(len(clauses)), first + tops]
        leads = top_scores - everyday[:, 0]
        # Most clauses of everyday talk clear no bar: only those that do are looked at.
        for found in np.flatnonzero((top_scores >= SOFT_THRESHOLD) & (leads >= SOFT_MARGIN)):
            row = int(found)
            top, score, lead = int(tops[row]), float(top_scores[row]), float(leads[row])
            indicator = self._kinds[first + top]
            if indicator is None:
                continue
            soft.add(indicator.stage)
            if indicator in skipped or score < self.threshold or lead < self.margin:
                continue
            if indicator not in best or score > best[indicator][0]:
                closest = int(self._rows[first + top][int(by_kind[row, first + top].argmax())])
                best[indicator] = (score, row, closest)
        cues = []
        for indicator, (_, at, closest) in best.items():
            clause = clauses[at]
            begin = clause.start() + len(clause.group()) - len(clause.group().lstrip())
            finish = clause.start() + len(clause.group().rstrip())
            start, end = normalised.span(begin, finish)
            example = self.examples[closest]
            cues.append(
                Cue(
                    indicator, example.language, start, end, text[start:end],
                    source="meaning", reads_like=example.text,
                )
            )  # fmt: skip
        return Reading(cues, frozenset(soft))

    def cues(
        self, text: str, normalised: Normalised | None = None, skip: Iterable[Indicator] = ()
    ) -> list[Cue]:
        """`read(...).cues`."""
        return self.read(text, normalised, skip).cues


def spelled_out(text: str) -> str:
    """Normalised `text` with chat shorthand written out (`lexicon.shorthand`)."""
    return _WORDS.sub(lambda m: SHORTHAND.get(m.group(), m.group()), text)


@functools.cache
def default_meaning() -> Meaning:
    """The layer over every language's examples (loaded once per process)."""
    return Meaning(Encoder.load(), examples())
