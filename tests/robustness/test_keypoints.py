"""The "+ keypoints" row of a robustness run: real photos through the real pipeline, an
off-centre crop PDQ misses found by keypoints, and the false-match estimate bounded by the
rule of three where no unrelated pair passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.hashing import ContentHasher
from bastion.keypoints import Policy
from bastion.robustness.evaluate import score
from bastion.robustness.hashers import DEFAULT_CONFIGURATION, bastion_pdq
from bastion.robustness.keypoints import score_keypoints
from bastion.robustness.photos import PhotoSet, default_photos, split
from bastion.robustness.transforms import BY_NAME
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
