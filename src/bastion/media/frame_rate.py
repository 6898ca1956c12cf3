"""Which frames make a constant output rate, chosen as the ffmpeg command line's `-r` does.

Meta's `tmk-hash-video` reads a video through ``ffmpeg -i FILE -s 64:64 -an -f rawvideo
-pix_fmt rgb24 -r 15 pipe:1``, and its reference descriptors were made that way with FFmpeg
5.1. The command line does not use the `fps` filter there: its output stage keeps or repeats
each decoded frame by a running count of output frames (`do_video_out` in FFmpeg 5.1's
``fftools/ffmpeg.c``, constant-frame-rate sync, "vscfr" when the file has a video stream
only). The two choose different frames: from 30 fps the command line keeps frames 0, 1, 2,
3, 5, 7, ... where the filter keeps 0, 2, 4, ..., and it keeps one or two more at the end,
which moves every frame's time in the descriptor. `ConstantRateSync` repeats that
arithmetic step for step (timestamps in the encoder's time base with 16 extra bits, the
1/2^17 nudge away from exact midpoints, float32 rounding where the C code calls `lrintf`),
so the frames it picks are the reference's.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

#: Microseconds, FFmpeg's AV_TIME_BASE, in which a container's start time is given.
_MICROSECOND = Fraction(1, 1_000_000)


def rescale(value: int, source: Fraction, target: Fraction) -> int:
    """`value` from time base `source` to `target`, rounded to nearest, halves away from
    zero (FFmpeg's av_rescale_q)."""
    exact = Fraction(value) * source / target
    floor = math.floor(exact)
    rest = exact - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and exact > 0):
        return floor + 1
    return floor


def _lrintf(value: float) -> int:
    """C's lrintf: to float32, then to the nearest integer, halves to even."""
    return round(float(np.float32(value)))


class ConstantRateSync:
    """For each decoded frame in turn, how many output frames it and the frame before it
    become (`take`); at the end, how many times the last frame is repeated (`finish`).

    `time_base` and `input_rate` are the input stream's time base and guessed frame rate,
    `start_time` the container's start in microseconds (the command line shifts every
    timestamp by it), `video_only` whether the file has no stream but the video.
    """

    def __init__(
        self,
        fps: int,
        *,
        time_base: Fraction,
        input_rate: Fraction | None,
        start_time: int | None,
        stream_start: int | None,
        video_only: bool,
    ) -> None:
        self._output = Fraction(1, fps)  # the encoder's time base
        self._fine = Fraction(1, fps << _extra_bits(fps))
        self._scale = 1 << _extra_bits(fps)
        self._time_base = time_base
        self._offset = rescale(-(start_time or 0), _MICROSECOND, time_base)
        # In doubles, as FFmpeg computes them.
        output = float(self._output)
        duration = 1 / (float(input_rate) * output) if input_rate else 0.0
        if stream_start is not None:  # FFmpeg caps it at one output frame then
            duration = min(duration, 1 / (fps * output))
        self._rate_duration = duration
        self._vscfr = video_only
        self._next = 0  # the output frame number to come (FFmpeg's sync_opts)
        self._written = 0  # output frames so far (frame_number)
        self._last_repeats = [0, 0, 0]  # nb0_frames of the latest three calls

    def take(self, pts: int | None, duration: int | None) -> tuple[int, int]:
        """(repeats of the previous frame, output frames in all) for a frame with this
        `pts` and packet `duration` (both in the stream's time base)."""
        sync_ipts = self._sync_ipts(pts)
        frame_duration = self._rate_duration
        if duration:
            whole = _lrintf(duration * float(self._time_base) / float(self._output))
            if whole > 0:
                frame_duration = float(whole)
        delta0 = sync_ipts - self._next
        delta = delta0 + frame_duration
        repeats, frames = 0, 1
        if delta0 < 0 < delta:  # clipped to the output's own time
            delta0 = 0.0
        if self._vscfr and self._written == 0 and delta0 >= 0.5:  # no initial repeats
            delta, delta0 = frame_duration, 0.0
            self._next = round(sync_ipts)
        if delta < -1.1:
            frames = 0
        elif delta > 1.1:
            frames = _lrintf(delta)
            if delta0 > 1.1:
                repeats = _lrintf(delta0 - 0.6)
        repeats = min(repeats, frames)
        self._advance(repeats, frames)
        return repeats, frames

    def finish(self) -> int:
        """Output frames of the last frame again once the input has ended."""
        repeats = sorted(self._last_repeats)[1]  # FFmpeg's mid_pred
        self._advance(repeats, repeats)
        return repeats

    def _sync_ipts(self, pts: int | None) -> float:
        """The frame's time in output frames, with FFmpeg's extra precision and nudge."""
        if pts is None:  # no timestamp: where the next output frame falls
            return float(self._next)
        fine = rescale(pts + self._offset, self._time_base, self._fine)
        value = fine / self._scale
        return value + (1.0 if value > 0 else -1.0) / (1 << 17)

    def _advance(self, repeats: int, frames: int) -> None:
        self._last_repeats = [repeats, *self._last_repeats[:2]]
        self._next += frames
        self._written += frames


def _extra_bits(fps: int) -> int:
    """FFmpeg's av_clip(29 - av_log2(den), 0, 16) for a time base of 1/fps."""
    return max(0, min(16, 29 - (fps.bit_length() - 1)))
