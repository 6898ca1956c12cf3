"""The report's targets and family summaries are computed from the members measured."""

from __future__ import annotations

import sys

import pytest

from bastion.robustness.evaluate import HasherScore, TransformScore
from bastion.robustness.hashers import perception_hashers, perception_problem
from bastion.robustness.report import families, targets
from bastion.robustness.transforms import TRANSFORMS


def scored(recalls: dict[str, float], false_matches: float = 0.0005) -> HasherScore:
    """A score in which each transform has recall 1.0 but those named in `recalls`."""
    members = [
        TransformScore(t.name, t.family, t.mild, 10, 1.0, recalls.get(t.name, 1.0))
        for t in TRANSFORMS
    ]
    return HasherScore(
        "h", "c", 256, 31, 40, 40, 1.0, 1.0, 1.0, false_matches, 100, 0, members, [], [], 1.0
    )


def test_a_target_over_several_members_is_met_only_by_the_lowest() -> None:
    met = targets(scored({}))
    assert all(ok for *_, ok in met.values())
    assert set(met) == {
        "every mild transform",
        "crop 5% centred",
        "pad 20%, every fill",
        "tilt ±4°, grown or not, every fill",
        "crop 10% off-centre, every placement",
        "tilt 10°, grown or not, every fill",
        "false matches per query at 10M",
    }
    one_fill = targets(scored({"tilt_-4_grown_mirrored": 0.5, "resize_0.75x_nearest": 0.98}))
    assert one_fill["tilt ±4°, grown or not, every fill"] == (0.5, 0.95, False)
    assert one_fill["every mild transform"] == (0.98, 0.99, False)
    corner = targets(scored({"crop_10_corner": 0.89}))["crop 10% off-centre, every placement"]
    assert corner == (0.89, 0.90, False)
    assert targets(scored({}, false_matches=0.002))["false matches per query at 10M"][2] is False
    # Straightening loses the corners: it is measured, but not part of the tilt target.
    assert targets(scored({"straighten_4": 0.1}))["tilt ±4°, grown or not, every fill"][2]


def test_families_give_their_lowest_member_and_mean() -> None:
    summary = families(scored({"crop_30_side": 0.2, "crop_10_corner": 0.6}))
    name, low, mean = summary["crop"]
    assert (name, low) == ("crop_30_side", 0.2)
    assert mean == pytest.approx((14 + 0.2 + 0.6) / 16)
    assert summary["jpeg"] == ("jpeg_q95", 1.0, 1.0)
    assert list(summary)[:3] == ["jpeg", "resize", "crop"]


def test_targets_only_cover_what_a_run_measured() -> None:
    score = scored({})
    score.transforms[:] = [t for t in score.transforms if t.family == "jpeg"]
    assert set(targets(score)) == {"every mild transform", "false matches per query at 10M"}


def test_a_missing_anchor_is_named_with_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "perception", None)  # as if it could not be imported
    problem = perception_problem()
    assert problem is not None
    assert problem.startswith("perception not scored: ")
    assert "perception" in problem.removeprefix("perception not scored: ")
    assert perception_hashers() == []
