"""Repeated frames cost one frame: the sampler scales a frame shown n times once and hands it
on with n, and the TMK builder adds the n frames in closed form. The result is what adding
them one by one gives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bastion.errors import MediaTooLargeError
from bastion.media.video import FrameRun, FrameSampler, VideoLimits, decoded_frames, open_video
from bastion.pdq import pdq_float
from bastion.tmk import TmkBuilder, TmkFeatures, tmk_from_video
from bastion.tmk.compute import (
    FRAME_SIZE,
    FRAMES_PER_SECOND,
    POULLOT_COEFFICIENTS,
    POULLOT_PERIODS,
    fourier_weights,
)
from tests.hostile_media import gap_video, held_frames_video

EPS = float(np.finfo(np.float64).eps)


@pytest.mark.parametrize("period", POULLOT_PERIODS)
@pytest.mark.parametrize(
    ("start", "count"), [(0, 1), (5, 7), (0, 20_000), (100_000, 7_000), (3, 50_000)]
)
def test_run_weights_are_the_sums_of_each_frames_weights(
    period: int, start: int, count: int
) -> None:
    """The closed form against the sum, term by term (each angle reduced exactly in
    integers, the terms summed exactly with fsum): within 4 float64 epsilons per frame."""
    m = len(POULLOT_COEFFICIENTS)
    cos, sin = fourier_weights(period, m, np.array([start]), np.array([count]))
    times = np.arange(start, start + count, dtype=np.int64)
    for j in range(m):
        angles = 2 * np.pi * ((j * times) % period) / period
        assert cos[j, 0] == pytest.approx(math.fsum(np.cos(angles)), abs=4 * EPS * count)
        assert sin[j, 0] == pytest.approx(math.fsum(np.sin(angles)), abs=4 * EPS * count)
    if count == 1:  # a single frame's weights are its own cos and sin, exactly
        angles = 2 * np.pi * ((np.arange(m) * start) % period) / period
        assert np.array_equal(cos[:, 0], np.cos(angles))


def assert_same_descriptor(a: TmkFeatures, b: TmkFeatures) -> None:
    """Equal but for the last float32 rounding of values equal in float64 to ~1e-12."""
    assert a.frame_count == b.frame_count
    for part in ("pure_average", "cos", "sin"):
        np.testing.assert_array_max_ulp(getattr(a, part), getattr(b, part), maxulp=1)


def test_a_frame_added_with_its_count_is_added_as_many_times() -> None:
    features = np.random.default_rng(4).normal(size=(80, 256))
    counts = np.random.default_rng(5).integers(1, 60, size=80)
    counts[::7] = 1
    runs, frames = TmkBuilder(), TmkBuilder()
    for feature, count in zip(features, counts, strict=True):
        runs.add_frame(feature, int(count))
        for _ in range(count):
            frames.add_frame(feature)
    assert runs.frame_count == frames.frame_count == counts.sum()
    assert_same_descriptor(runs.finish(), frames.finish())


def sampled_runs(data: bytes, limits: VideoLimits) -> tuple[list[FrameRun], int]:
    """The sampler's runs for TMK from a video, and how many frames it scaled."""
    with open_video(data, limits) as (container, stream):
        sampler = FrameSampler(
            container,
            stream,
            fps=FRAMES_PER_SECOND,
            width=FRAME_SIZE,
            height=FRAME_SIZE,
            limits=limits,
        )
        runs = [
            run
            for frame in decoded_frames(container, stream, limits)
            for run in sampler.push(frame)
        ]
        runs += sampler.finish()
    return runs, sampler.scaled


def test_a_video_with_held_frames_hashes_as_frame_by_frame() -> None:
    data = held_frames_video()
    runs, scaled = sampled_runs(data, VideoLimits())
    assert scaled == len(runs) == 8  # each picture scaled once...
    assert sum(run.count for run in runs) > 200  # ...for 14 s of frames at 15 fps
    one_by_one = TmkBuilder()
    for run in runs:
        feature = pdq_float(run.frame)
        assert feature is not None
        for _ in range(run.count):
            one_by_one.add_frame(feature)
    assert_same_descriptor(tmk_from_video(data), one_by_one.finish())


def test_a_two_hour_gap_costs_two_frames() -> None:
    """Issue 16: two frames 7,100 s apart were 106,500 scaled frames in one list (100 s of
    CPU, 1.7 GB). Now: two scalings, and the same descriptor."""
    data = gap_video(7100)
    assert len(data) < 10_000
    runs, scaled = sampled_runs(data, VideoLimits())
    assert scaled == 2
    assert runs[0].count >= 7100 * FRAMES_PER_SECOND
    assert tmk_from_video(data).frame_count == sum(run.count for run in runs)


def test_frames_past_the_limit_are_refused_before_any_is_scaled() -> None:
    with pytest.raises(MediaTooLargeError, match=r"limit of 7,000 s \(setting max_video_seconds\)"):
        tmk_from_video(gap_video(7100), limits=VideoLimits(max_seconds=7000))
    # The sampler alone (no declared duration to refuse first) counts before it scales:
    # the first frame's own duration already passes the limit.
    limits = VideoLimits(max_seconds=7000)
    with open_video(gap_video(7100)) as (container, stream):
        sampler = FrameSampler(container, stream, fps=15, width=64, height=64, limits=limits)
        first = next(decoded_frames(container, stream, VideoLimits()))
        with pytest.raises(MediaTooLargeError, match="max_video_seconds"):
            sampler.push(first)
    assert sampler.scaled == 0
