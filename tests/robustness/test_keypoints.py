"""The "+ keypoints" row of a robustness run: real photos through the real pipeline, an
off-centre crop PDQ misses found by keypoints, and the false-match estimate bounded by the
rule of three where no unrelated pair passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bastion.hashing import ContentHasher
from bastion.keypoints import Policy
from bastion.robustness import keypoints as scoring
from bastion.robustness.evaluate import (
    MAX_FALSE_MATCHES,
    HasherScore,
    TransformScore,
    score,
    tail,
)
from bastion.robustness.hashers import DEFAULT_CONFIGURATION, bastion_pdq
from bastion.robustness.keypoints import score_keypoints
from bastion.robustness.photos import PhotoSet, default_photos, split
from bastion.robustness.transforms import BY_NAME, Transform
from bastion.settings import Settings


@pytest.mark.slow
def test_keypoints_find_off_centre_crops_that_pdq_misses(tmp_path: Path) -> None:
    settings = Settings.load(env={}, data_dir=tmp_path)
    chosen = split(default_photos(8), min_quality=settings.pdq_min_quality)
    photos = PhotoSet(chosen.references[:10], chosen.distractors[:3], chosen.dropped)
    transforms = [BY_NAME["crop_20_offcentre"], BY_NAME["rotate_25"]]
    scores = score(bastion_pdq(settings), photos, transforms=transforms, seed=7)
    default = next(s for s in scores if s.configuration == DEFAULT_CONFIGURATION)
    policy = Policy(min_inliers=settings.keypoint_min_inliers)
    row, figures = score_keypoints(
        ContentHasher(settings.hashing_options()), policy, photos, default,
        transforms=transforms, seed=7,
    )  # fmt: skip
    assert row.configuration == DEFAULT_CONFIGURATION + " + keypoints"
    for pdq_alone, with_keypoints in zip(default.transforms, row.transforms, strict=True):
        assert with_keypoints.recall_default >= pdq_alone.recall_default
        assert with_keypoints.recall_default >= 0.8
    refs, others = len(photos.references), len(photos.distractors)
    # Every query against every reference but its own.
    assert figures.unrelated_pairs == 2 * (refs * (refs - 1) + others * refs)
    assert figures.unrelated_passed == 0
    assert figures.pass_probability == 3 / figures.unrelated_pairs
    assert figures.false_matches_at_bank == figures.candidates_at_bank * figures.pass_probability
    assert row.false_matches_at_bank > default.false_matches_at_bank


def test_pdq_and_keypoints_share_one_false_match_budget() -> None:
    rng = np.random.default_rng(3)
    unrelated = [int(d) for d in rng.binomial(256, 0.5, 20_000)]
    # The largest threshold PDQ alone may use, as `score` finds it.
    alone = max(t for t in range(120) if tail(unrelated, 256, t, 1.0) * 1e7 <= MAX_FALSE_MATCHES)
    transform = Transform("t", "f", False, lambda image, rng: image)
    pdq = HasherScore(
        "h", "all", 256, 31, alone, alone, 0.5, 0.5, 1.0, 0.0, len(unrelated), 0,
        [TransformScore("t", "f", False, 2, 0.5, 0.5, [alone, 200])], [alone, 200], unrelated, 1.0,
    )  # fmt: skip
    spent = MAX_FALSE_MATCHES * 0.9
    figures = scoring.KeypointFigures(100, [0] * 100, 0, 0.1, 16.0, spent / 16, spent)
    row = scoring._combined(pdq, [transform], {0: [False, True]}, figures, 10_000_000)
    assert row.operating_threshold is not None
    assert row.operating_threshold < alone
    assert row.false_matches_at_bank <= MAX_FALSE_MATCHES
    # The query PDQ held only at the old threshold is lost; the keypoint match stays.
    assert row.transforms[0].recall_operating == 0.5
    assert row.transforms[0].distances == [alone, 0]
