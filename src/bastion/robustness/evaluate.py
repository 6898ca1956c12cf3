"""Scoring hashers on edited copies: recall per transform, the threshold for 99.99%
precision, µAP, distance histograms and expected false matches against a large bank.

A `Hasher` gives each image the codes it is banked under and the codes it is looked up
with (several, for a hasher that also tries rotations or stores crops); the distance
between a query and a reference is the least Hamming distance between their codes. Every
reference is banked; every transform of every reference is a query whose right answer is
that reference, and every transform of every distractor a query with no right answer.

- **Precision** at a threshold counts every (query, reference) pair within it: the right
  pairs are true matches, every other pair a false one. The 99.99% threshold is the largest
  at which precision is still at least 0.9999 (perception's operating point).
- **µAP** is DISC2021's: all pairs ranked by distance, average precision over the ranking,
  recall out of the queries that have a right answer.
- **The operating threshold** is the largest at which that precision holds and, in
  addition, the expected false matches per query against a bank of `bank_size` stay
  within `MAX_FALSE_MATCHES`: a few hundred photos cannot show 99.99% precision against
  10M hashes by themselves. Recall is reported at it and at the default threshold.
- **Expected false matches per query against a bank of `bank_size`**: the distances of
  unrelated pairs are fitted with a beta-binomial (bits that agree by chance, with the
  correlation real photos have), its probability of a distance within the threshold
  multiplied by the code pairs each comparison makes and by `bank_size`. The empirical
  count among the pairs measured is reported beside it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from PIL import Image

from bastion.index.codes import Codes, distances, hex_to_words
from bastion.robustness.photos import Photo, PhotoSet
from bastion.robustness.transforms import TRANSFORMS, Transform

PRECISION = 0.9999
BANK_SIZE = 10_000_000
#: Expected false matches per query against `BANK_SIZE` that the operating threshold allows.
MAX_FALSE_MATCHES = 0.001


@dataclass(frozen=True)
class Code:
    """One hash an image is banked under or looked up with (hex), and how it was derived
    (`bastion.banks.Derived.how`; None for the image's own hash)."""

    value: str
    how: str | None = None


@dataclass(frozen=True)
class Configuration:
    """One way of matching a hasher's codes: which derived codes take part."""

    name: str
    #: Whether a derived code (by its `Code.how`) takes part; own codes always do.
    allows: Callable[[str], bool] = lambda how: False


@dataclass(frozen=True)
class Hasher:
    """A hash function as a run scores it: every image is hashed once, and each of its
    `configurations` is scored from those codes."""

    name: str
    bits: int
    default_threshold: int
    #: Codes a reference may be banked under, from its image bytes.
    bank_codes: Callable[[bytes], list[Code]]
    #: Codes a query may be looked up with, from its image bytes.
    query_codes: Callable[[bytes], list[Code]]
    configurations: tuple[Configuration, ...] = (Configuration("plain"),)
    #: Library and version, for the report.
    version: str = ""


@dataclass
class TransformScore:
    name: str
    family: str
    mild: bool
    queries: int
    recall_default: float
    recall_operating: float
    #: The query's distance to its own reference, per query.
    distances: list[int] = field(default_factory=list)


@dataclass
class HasherScore:
    hasher: str
    configuration: str
    bits: int
    default_threshold: int
    #: The largest threshold with precision ≥ 99.99% on the pairs measured.
    precision_threshold: int | None
    #: The largest threshold at which that precision holds and the expected false matches
    #: per query against the large bank stay within `MAX_FALSE_MATCHES` (a few hundred
    #: photos cannot show 99.99% precision against 10M hashes by themselves).
    operating_threshold: int | None
    recall_default: float
    recall_operating: float
    micro_ap: float
    false_matches_at_bank: float
    #: Unrelated pairs measured, and how many fell within the operating threshold.
    unrelated_pairs: int
    unrelated_within: int
    transforms: list[TransformScore]
    #: Distances of right pairs, and of unrelated pairs, for the histograms.
    matching: list[int]
    unrelated: list[int]
    #: Code pairs per comparison (query codes times bank codes of one reference), on average.
    code_pairs: float


def score(
    hasher: Hasher,
    photos: PhotoSet,
    *,
    transforms: Sequence[Transform] = TRANSFORMS,
    seed: int = 7,
    bank_size: int = BANK_SIZE,
    on_image: Callable[[], None] | None = None,
) -> list[HasherScore]:
    """Bank the references, query every transform of every photo, and score each of the
    hasher's configurations. `on_image` is called after each image is hashed."""
    bank: list[list[Code]] = []
    for photo in photos.references:
        bank.append(hasher.bank_codes(png(photo.image)))
        if on_image is not None:
            on_image()
    rng = np.random.default_rng(seed)
    queries: list[tuple[int, int | None, list[Code]]] = []  # transform, truth, codes
    subjects: list[tuple[int | None, Photo]] = list(enumerate(photos.references))
    subjects += [(None, p) for p in photos.distractors]
    for t_index, transform in enumerate(transforms):
        for truth, photo in subjects:
            queries.append((t_index, truth, hasher.query_codes(transform.encode(photo.image, rng))))
            if on_image is not None:
                on_image()
    return [
        _score_configuration(hasher, configuration, transforms, bank, queries, bank_size)
        for configuration in hasher.configurations
    ]


def _score_configuration(
    hasher: Hasher,
    configuration: Configuration,
    transforms: Sequence[Transform],
    bank: list[list[Code]],
    queries: list[tuple[int, int | None, list[Code]]],
    bank_size: int,
) -> HasherScore:
    def kept(codes: list[Code]) -> list[str]:
        return [c.value for c in codes if c.how is None or configuration.allows(c.how)]

    banked = [kept(codes) for codes in bank]
    matrix = hex_to_words([c for codes in banked for c in codes], hasher.bits)
    owners = np.array([i for i, codes in enumerate(banked) for _ in codes], np.int64)
    rows: list[tuple[int, int | None, npt.NDArray[np.int64]]] = []
    counts: list[int] = []
    for t_index, truth, codes in queries:
        values = kept(codes)
        counts.append(len(values))
        rows.append((t_index, truth, _distances(values, matrix, owners, len(bank), hasher.bits)))
    return _summarise(hasher, configuration.name, transforms, rows, banked, counts, bank_size)


def _summarise(
    hasher: Hasher,
    configuration: str,
    transforms: Sequence[Transform],
    rows: list[tuple[int, int | None, npt.NDArray[np.int64]]],
    bank: list[list[str]],
    query_code_counts: list[int],
    bank_size: int,
) -> HasherScore:
    matching = [int(d[truth]) for _, truth, d in rows if truth is not None]  # bits + 1: none
    unrelated = [
        int(x) for _, truth, d in rows for j, x in enumerate(d) if j != truth and x <= hasher.bits
    ]
    precise = _operating_threshold(matching, unrelated, hasher.bits)
    pairs = float(np.mean(query_code_counts) * np.mean([len(c) for c in bank])) if bank else 0.0
    threshold = precise
    while (
        threshold is not None
        and tail(unrelated, hasher.bits, threshold, pairs) * bank_size > MAX_FALSE_MATCHES
    ):
        threshold = threshold - 1 if threshold > 0 else None
    per_transform: list[TransformScore] = []
    for t_index, transform in enumerate(transforms):
        own = [int(d[truth]) for t, truth, d in rows if t == t_index and truth is not None]
        per_transform.append(
            TransformScore(
                transform.name,
                transform.family,
                transform.mild,
                len(own),
                share_within(own, hasher.default_threshold),
                share_within(own, threshold),
                own,
            )
        )
    within = sum(1 for d in unrelated if threshold is not None and d <= threshold)
    chance = tail(unrelated, hasher.bits, threshold, pairs)
    return HasherScore(
        hasher=hasher.name,
        configuration=configuration,
        bits=hasher.bits,
        default_threshold=hasher.default_threshold,
        precision_threshold=precise,
        operating_threshold=threshold,
        recall_default=share_within(matching, hasher.default_threshold),
        recall_operating=share_within(matching, threshold),
        micro_ap=_micro_ap(rows, hasher.bits),
        false_matches_at_bank=chance * bank_size,
        unrelated_pairs=len(unrelated),
        unrelated_within=within,
        transforms=per_transform,
        matching=matching,
        unrelated=unrelated,
        code_pairs=pairs,
    )


def _operating_threshold(matching: list[int], unrelated: list[int], bits: int) -> int | None:
    right = np.bincount(np.asarray(matching, np.int64), minlength=bits + 1).cumsum()
    wrong = np.bincount(np.asarray(unrelated, np.int64), minlength=bits + 1).cumsum()
    best = None
    for t in range(bits + 1):
        total = right[t] + wrong[t]
        if total and right[t] / total >= PRECISION:
            best = t
        elif total and best is not None:
            break
    return best


def share_within(distances: list[int], threshold: int | None) -> float:
    if not distances or threshold is None:
        return 0.0
    return sum(1 for d in distances if d <= threshold) / len(distances)


def _micro_ap(rows: list[tuple[int, int | None, npt.NDArray[np.int64]]], bits: int) -> float:
    """DISC2021's µAP over every (query, reference) pair, ranked by distance."""
    positives = sum(1 for _, truth, _ in rows if truth is not None)
    if not positives:
        return 0.0
    # A pair with no codes to compare (bits + 1) is never predicted, so it is not ranked.
    scored = [(int(d), j == truth) for _, truth, ds in rows for j, d in enumerate(ds) if d <= bits]
    scored.sort(key=lambda pair: (pair[0], not pair[1]))
    hits, ap = 0, 0.0
    for rank, (_, right) in enumerate(scored, start=1):
        if right:
            hits += 1
            ap += hits / rank
    return ap / positives


def tail(unrelated: list[int], bits: int, threshold: int | None, pairs: float) -> float:
    """P(an unrelated reference is within the threshold of a query), from a beta-binomial
    fitted to the unrelated distances, times the code pairs one comparison makes."""
    if threshold is None or len(unrelated) < 2:
        return math.nan
    values = np.asarray(unrelated, np.float64)
    mean, var = float(values.mean()), float(values.var())
    p = min(max(mean / bits, 1e-9), 1 - 1e-9)
    binomial_var = bits * p * (1 - p)
    rho = (var / binomial_var - 1) / (bits - 1) if var > binomial_var else 0.0
    if rho <= 0:
        logs = [
            _log_comb(bits, k) + k * math.log(p) + (bits - k) * math.log(1 - p)
            for k in range(threshold + 1)
        ]
    else:
        a, b = p * (1 / rho - 1), (1 - p) * (1 / rho - 1)
        logs = [
            _log_comb(bits, k) + _log_beta(k + a, bits - k + b) - _log_beta(a, b)
            for k in range(threshold + 1)
        ]
    top = max(logs)
    probability = math.exp(top) * sum(math.exp(x - top) for x in logs)
    return min(1.0, probability * pairs)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _distances(
    codes: list[str], bank: Codes, owners: npt.NDArray[np.int64], references: int, bits: int
) -> npt.NDArray[np.int64]:
    """The least distance from any of `codes` to each reference."""
    out = np.full(references, bits + 1, np.int64)
    if not codes or not len(bank):
        return out
    nearest = np.min([distances(bank, probe) for probe in hex_to_words(codes, bits)], axis=0)
    np.minimum.at(out, owners, nearest)
    return out


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
