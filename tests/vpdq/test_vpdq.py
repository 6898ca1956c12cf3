"""vPDQ: PDQ hashes of sampled video frames, against Meta's reference hashes and generated clips."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.errors import MediaTooLargeError, UnsupportedMediaError
from bastion.media.video import VideoLimits
from bastion.pdq import PdqMode, hamming_distance
from bastion.vpdq import vpdq_frames
from tests.videos import synthetic_video

#: Every sample video with reference hashes; the two in the default run are short and cover
#: odd frame dimensions; the rest run with `-m slow` (about two minutes).
QUICK = ["test-padded-dimensions", "pattern-sd-grey-bar"]
SLOW = [
    "chair-19-sd-bar",
    "chair-20-sd-bar",
    "chair-22-sd-grey-bar",
    "chair-22-sd-sepia-bar",
    "chair-22-with-large-logo-bar",
    "chair-22-with-small-logo-bar",
    "chair-orig-22-sd-bar",
    pytest.param(
        "doorknob-hd-no-bar",
        marks=pytest.mark.xfail(
            strict=True,
            reason="the reference file is off, not bastion: 52 of its 60 frames of quality "
            ">= 50 are within 10 bits (87%, target 95%), frames 112-119 12-22 bits off. Meta's "
            "own vpdq 0.2.5, built against FFmpeg 5.1.9, gives these same hashes bit for bit "
            "(benchmarks/video.py --vpdq-python; see test_doorknob_stays_within_31_bits)",
        ),
    ),
    "pattern-hd-no-bar",
    "pattern-longer-no-bar",
    "pattern-sd-with-large-logo-bar",
    "pattern-sd-with-small-logo-bar",
]


def check_against_reference(name: str, video: Path, *, within_10_bits: float = 0.95) -> None:
    reference = [
        line.split(",")
        for line in (video / "vpdq-sample-hashes" / f"{name}.txt").read_text().split()
    ]
    mine = vpdq_frames((video / "sample-videos" / f"{name}.mp4").read_bytes(), seconds_per_hash=0)
    assert len(mine) == len(reference)
    distances = []
    for frame, (index, quality, value, seconds) in zip(mine, reference, strict=True):
        assert frame.index == int(index)
        assert frame.seconds == pytest.approx(float(seconds), abs=0.0006)  # reference: 3 decimals
        if int(quality) >= 50:
            distances.append(hamming_distance(frame.hash, value))
    assert distances
    assert max(distances) <= 31, name
    assert sum(d <= 10 for d in distances) >= within_10_bits * len(distances), name


@pytest.mark.parametrize("name", QUICK)
def test_frame_hashes_agree_with_the_reference(name: str, shared_testdata: Path) -> None:
    check_against_reference(name, shared_testdata / "video")


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_every_sample_video_agrees_with_the_reference(name: str, shared_testdata: Path) -> None:
    check_against_reference(name, shared_testdata / "video")


@pytest.mark.slow
def test_doorknob_stays_within_31_bits(shared_testdata: Path) -> None:
    """What holds for the one video short of the target: count, numbers, times, every frame
    within 31 bits, and the share within 10 bits measured today (52 of 60)."""
    check_against_reference("doorknob-hd-no-bar", shared_testdata / "video", within_10_bits=0.85)


def clip() -> bytes:
    """Four seconds at 10 frames a second, 240x240."""
    return synthetic_video(5, seconds=4, fps=10, size=(240, 240))


def test_sampling_rate_and_downsampling() -> None:
    video = clip()
    every = vpdq_frames(video, seconds_per_hash=0)
    assert [f.index for f in every] == list(range(40))
    per_second = vpdq_frames(video)  # default: one frame a second
    assert [(f.index, f.seconds) for f in per_second] == [(0, 0.0), (10, 1.0), (20, 2.0), (30, 3.0)]
    assert [f.hash for f in per_second] == [every[i].hash for i in (0, 10, 20, 30)]
    small = vpdq_frames(video, downsample=(128, 128))
    assert all(
        hamming_distance(a.hash, b.hash) <= 31 for a, b in zip(small, per_second, strict=True)
    )
    assert all(f.quality >= 50 for f in per_second)
    fast = vpdq_frames(video, mode=PdqMode.FAST)
    assert [f.index for f in fast] == [f.index for f in per_second]
    assert all(
        hamming_distance(a.hash, b.hash) <= 10 for a, b in zip(fast, per_second, strict=True)
    )


def test_bad_input() -> None:
    with pytest.raises(UnsupportedMediaError, match="empty"):
        vpdq_frames(b"")
    with pytest.raises(MediaTooLargeError, match="limit of 2 s"):
        vpdq_frames(clip(), limits=VideoLimits(max_seconds=2))
    with pytest.raises(ValueError, match="seconds_per_hash"):
        vpdq_frames(clip(), seconds_per_hash=-1)
