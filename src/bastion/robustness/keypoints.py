"""Scoring the keypoints option: "all + keypoints", where a query matches its reference
when bastion's default PDQ configuration does or the keypoint check passes.

Keypoints are found through the real pipeline (`ContentHasher` with the `keypoints` match
option) for every reference and query, the references are put in a `KeypointIndex`, and
each query's best-voted candidates are checked under the configured `Policy`, as the
matcher does.

The false-match estimate for a bank of `BANK_SIZE` is a product: the unrelated candidates
a query's check meets there (the share of unrelated entries with at least `MIN_VOTES`
votes, times the bank size, at most `MAX_CANDIDATES`), times the probability that an
unrelated candidate passes the check, measured on every unrelated (query, reference)
pair; where none passes, the rule of three bounds it (3 / pairs). An unrelated pair's check
is taken as independent of its votes, which the few hundred photos here cannot show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bastion.banks.model import MatchOptions
from bastion.hashing import ContentHasher
from bastion.keypoints import KeypointIndex, Keypoints, Policy, agreement
from bastion.keypoints.index import MAX_CANDIDATES, MIN_VOTES
from bastion.robustness.evaluate import (
    BANK_SIZE,
    MAX_FALSE_MATCHES,
    HasherScore,
    TransformScore,
    png,
    share_within,
    tail,
)
from bastion.robustness.photos import PhotoSet
from bastion.robustness.transforms import Transform
from bastion.signals import OrbSignal

#: Only keypoints are looked up (PDQ's part comes from its own score).
ONLY_KEYPOINTS = MatchOptions(trim_borders=False, rotations=False, variants=False, keypoints=True)


@dataclass(frozen=True)
class KeypointFigures:
    """What the keypoint check did on unrelated images, for the report."""

    #: Unrelated pairs checked, their inlier counts, and how many passed the policy.
    unrelated_pairs: int
    unrelated_inliers: list[int]
    unrelated_passed: int
    #: Share of unrelated entries with enough votes to be checked.
    candidate_share: float
    candidates_at_bank: float
    pass_probability: float
    false_matches_at_bank: float


def score_keypoints(
    hasher: ContentHasher,
    policy: Policy,
    photos: PhotoSet,
    pdq: HasherScore,
    *,
    transforms: Sequence[Transform],
    seed: int,
    bank_size: int = BANK_SIZE,
    on_image: Callable[[], None] | None = None,
) -> tuple[HasherScore, KeypointFigures]:
    """The "all + keypoints" row built on `pdq` (bastion's default configuration, scored
    with the same `transforms` and `seed`), and the keypoint figures behind it."""

    def keypoints(data: bytes) -> Keypoints:
        content = hasher.hash_bytes(data, options=ONLY_KEYPOINTS)
        if on_image is not None:
            on_image()
        (derived,) = [d for d in content.lookups if d.how == "keypoints"]
        return OrbSignal.decode(derived.signal.value)

    references = [keypoints(png(p.image)) for p in photos.references]
    index = KeypointIndex()
    index.add(list(range(len(references))), references)
    rng = np.random.default_rng(seed)
    subjects = [*enumerate(photos.references), *((None, p) for p in photos.distractors)]
    inliers: list[int] = []
    passed = voted = entries = 0
    found: dict[int, list[bool]] = {}
    for t_index, transform in enumerate(transforms):
        for truth, photo in subjects:
            query = keypoints(transform.encode(photo.image, rng))
            votes = index.votes(query)
            confirmed = {
                i for i, _ in index.candidates(query)
                if policy.passes(agreement(query, references[i]))
            }  # fmt: skip
            if truth is not None:
                found.setdefault(t_index, []).append(truth in confirmed)
            others = [i for i in range(len(references)) if i != truth]
            voted += sum(1 for i in others if votes.get(i, 0) >= MIN_VOTES)
            entries += len(others)
            for i in others:
                checked = agreement(query, references[i])
                inliers.append(checked.inliers)
                passed += policy.passes(checked)
    share = voted / entries if entries else 0.0
    candidates = min(float(MAX_CANDIDATES), share * bank_size)
    probability = (passed if passed else 3) / max(1, len(inliers))
    figures = KeypointFigures(
        len(inliers), inliers, passed, share, candidates, probability, candidates * probability
    )
    return _combined(pdq, transforms, found, figures, bank_size), figures


def _combined(
    pdq: HasherScore,
    transforms: Sequence[Transform],
    found: dict[int, list[bool]],
    figures: KeypointFigures,
    bank_size: int,
) -> HasherScore:
    """`pdq` with each query also matched where the keypoint check found its reference (its
    distance then counts as 0: matched at any threshold). The two share one false-match
    budget: PDQ's operating threshold is lowered until its expected false matches and the
    keypoints' together stay within `MAX_FALSE_MATCHES` (None when the keypoints alone
    spend it)."""
    threshold = pdq.operating_threshold

    def pdq_false(t: int | None) -> float:
        return 0.0 if t is None else tail(pdq.unrelated, pdq.bits, t, pdq.code_pairs) * bank_size

    while threshold is not None and pdq_false(threshold) + figures.false_matches_at_bank > (
        MAX_FALSE_MATCHES
    ):
        threshold = threshold - 1 if threshold > 0 else None

    def recall(distances: list[int]) -> float:
        if threshold is not None:
            return share_within(distances, threshold)
        return (
            share_within(distances, 0)
            if figures.false_matches_at_bank <= MAX_FALSE_MATCHES
            else 0.0
        )

    rows = []
    for t_index, (transform, scored) in enumerate(zip(transforms, pdq.transforms, strict=True)):
        both = [0 if kp else d for d, kp in zip(scored.distances, found[t_index], strict=True)]
        rows.append(
            TransformScore(
                transform.name,
                transform.family,
                transform.mild,
                len(both),
                share_within(both, pdq.default_threshold),
                recall(both),
                both,
            )
        )
    matching = [d for row in rows for d in row.distances]
    within = sum(1 for d in pdq.unrelated if threshold is not None and d <= threshold)
    return HasherScore(
        hasher=pdq.hasher,
        configuration=pdq.configuration + " + keypoints",
        bits=pdq.bits,
        default_threshold=pdq.default_threshold,
        precision_threshold=pdq.precision_threshold,
        operating_threshold=threshold,
        recall_default=share_within(matching, pdq.default_threshold),
        recall_operating=recall(matching),
        micro_ap=pdq.micro_ap,
        false_matches_at_bank=pdq_false(threshold) + figures.false_matches_at_bank,
        unrelated_pairs=pdq.unrelated_pairs + figures.unrelated_pairs,
        unrelated_within=within + figures.unrelated_passed,
        transforms=rows,
        matching=matching,
        unrelated=pdq.unrelated,
        code_pairs=pdq.code_pairs,
    )
