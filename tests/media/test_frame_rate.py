"""Frames chosen for a constant output rate as FFmpeg 5.1's command line chooses them.

The expected sequences were read off ``ffmpeg -i IN -an -f rawvideo -pix_fmt rgb24 -r 15``
(FFmpeg 5.1.9) on generated videos at each input rate: for each output frame, the input
frame it shows.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from bastion.media.frame_rate import ConstantRateSync, rescale

MP4_TIME_BASE = Fraction(1, 15360)


def chosen(
    input_fps: Fraction, frames: int, *, video_only: bool = True, first_pts: int = 0
) -> list[int]:
    """The input frame shown by each output frame at 15 fps."""
    step = MP4_TIME_BASE**-1 / input_fps
    sync = ConstantRateSync(
        15,
        time_base=MP4_TIME_BASE,
        input_rate=input_fps,
        start_time=0,
        stream_start=first_pts,
        video_only=video_only,
    )
    out: list[int] = []
    for n in range(frames):
        repeats, count = sync.take(first_pts + round(n * step), round(step))
        out += [max(n - 1, 0)] * repeats + [n] * (count - repeats)
    out += [frames - 1] * sync.finish()
    return out


@pytest.mark.parametrize(
    ("fps", "head", "tail", "total"),
    [
        (Fraction(10), [0, 0, 1, 1, 2, 3, 3, 4], [28, 29, 29], 46),
        (Fraction(12), [0, 1, 2, 2, 3, 4, 5, 6], [34, 34, 35], 45),
        (Fraction(15), [0, 1, 2, 3, 4, 5, 6, 7], [42, 43, 44], 45),
        (Fraction(24), [0, 1, 2, 3, 4, 5, 7, 8], [68, 69, 71], 47),
        (Fraction(25), [0, 1, 2, 3, 4, 5, 7, 9], [70, 72, 74], 47),
        (Fraction(30000, 1001), [0, 1, 2, 3, 4, 6, 8, 10], [84, 86, 88], 47),
        (Fraction(30), [0, 1, 2, 3, 5, 7, 9, 11], [85, 87, 89], 47),
    ],
)
def test_three_seconds_at_each_rate_as_ffmpeg_chooses(
    fps: Fraction, head: list[int], tail: list[int], total: int
) -> None:
    frames = chosen(fps, round(3 * fps))
    assert frames[:8] == head
    assert frames[-3:] == tail
    assert len(frames) == total


def test_a_file_with_audio_starts_the_same() -> None:
    # The samples with audio (Meta's chair videos, 30 fps) keep frames 0, 1, 2, 3, 5, ...
    assert chosen(Fraction(30), 564, video_only=False)[:6] == [0, 1, 2, 3, 5, 7]
    assert len(chosen(Fraction(30), 564, video_only=False)) == 284  # as the reference .tmk


def test_a_late_first_frame_is_repeated_unless_the_file_is_video_only() -> None:
    late = 15360  # the first frame at 1 s: 15 output frames are due before it
    assert chosen(Fraction(15), 5, video_only=False, first_pts=late)[:17] == [0] * 16 + [1]
    assert chosen(Fraction(15), 5, video_only=True, first_pts=late) == [0, 1, 2, 3, 4]


def test_frames_without_timestamps_are_each_shown_once() -> None:
    sync = ConstantRateSync(
        15, time_base=MP4_TIME_BASE, input_rate=None, start_time=None, stream_start=None,
        video_only=True,
    )  # fmt: skip
    assert [sync.take(None, None) for _ in range(3)] == [(0, 1)] * 3
    assert sync.finish() == 0


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1, Fraction(1, 2), Fraction(1), 1),  # halves away from zero
        (-1, Fraction(1, 2), Fraction(1), -1),
        (3, Fraction(1, 4), Fraction(1), 1),
        (512, MP4_TIME_BASE, Fraction(1, 15 << 16), 32768),
    ],
)
def test_rescale_rounds_as_ffmpeg(
    value: int, source: Fraction, target: Fraction, expected: int
) -> None:
    assert rescale(value, source, target) == expected
