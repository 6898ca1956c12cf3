"""Hashing a video into vPDQ frames: the PDQ hash of sampled frames, each with its time.

Frames are taken every `seconds_per_hash` seconds of the stream's average frame rate (every
frame with 0), decoded at their own size (or `downsample`d) into RGB, turned upright as the
display matrix says, and PDQ-hashed. As in Meta's `vpdq`, frame n is hashed when n is a multiple of
int(seconds_per_hash x frame rate), and its timestamp is n / frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np

from bastion.errors import CorruptMediaError, UnsupportedMediaError
from bastion.media.borders import content_box
from bastion.media.video import (
    VideoLimits,
    check_time,
    decoded_frames,
    open_video,
    quarter_turns,
)
from bastion.pdq import PdqMode, hash_rgb
from bastion.vpdq.features import VpdqFeature


@dataclass(frozen=True)
class VpdqFrame:
    """One hashed frame: its number in the video, PDQ quality and hash, and time in seconds."""

    index: int
    quality: int
    hash: str
    seconds: float

    @property
    def feature(self) -> VpdqFeature:
        """The frame as it is stored and exchanged (without its number)."""
        return VpdqFeature(self.hash, self.quality, self.seconds)


@dataclass(frozen=True)
class VpdqHashes:
    """A video's vPDQ frames, and the same frames hashed without their black bars."""

    frames: list[VpdqFrame]
    #: Present when most sampled frames had bars; frames without bars are hashed whole.
    trimmed: list[VpdqFrame] | None


def vpdq_frames(
    data: bytes,
    *,
    seconds_per_hash: float = 1.0,
    downsample: tuple[int, int] | None = None,
    mode: PdqMode = PdqMode.REFERENCE,
    limits: VideoLimits | None = None,
) -> list[VpdqFrame]:
    """The vPDQ frames of a video file's bytes, as Meta's vPDQ computes them. `mode` is the
    PDQ computation (the fast one is about 7 times quicker per SD frame and stays within a
    few bits of the reference)."""
    limits = limits or VideoLimits()
    with open_video(data, limits) as (container, stream):
        hasher = VpdqHasher(
            stream,
            seconds_per_hash=seconds_per_hash,
            downsample=downsample,
            mode=mode,
            limits=limits,
            trim_bars=False,
        )
        for index, frame in enumerate(decoded_frames(container, stream, limits)):
            hasher.add(index, frame)
    return hasher.result().frames


class VpdqHasher:
    """The vPDQ frames of one video stream, given its decoded frames in order (a
    `FrameConsumer`); `result` once they are all in. With `trim_bars`, each sampled frame
    is also hashed inside its black bars, so that padding added to or cut from a copy no
    longer hides it."""

    def __init__(
        self,
        stream: av.video.stream.VideoStream,
        *,
        seconds_per_hash: float = 1.0,
        downsample: tuple[int, int] | None = None,
        mode: PdqMode = PdqMode.REFERENCE,
        limits: VideoLimits | None = None,
        trim_bars: bool = True,
    ) -> None:
        if seconds_per_hash < 0:
            raise ValueError("seconds_per_hash must be 0 (every frame) or more")
        rate = stream.average_rate or stream.guessed_rate
        if not rate:
            raise UnsupportedMediaError("the video stream declares no frame rate")
        self._rate = float(rate)
        self._every = max(1, int(seconds_per_hash * self._rate))
        self._size = downsample or (stream.codec_context.width, stream.codec_context.height)
        self._mode, self._limits, self._trim = mode, limits or VideoLimits(), trim_bars
        self._found: list[VpdqFrame] = []
        self._trimmed: list[VpdqFrame] = []
        self._barred = 0

    def add(self, index: int, frame: av.VideoFrame) -> None:
        seconds = index / self._rate
        check_time(seconds, self._limits)
        if index % self._every:
            return
        width, height = self._size
        pixels = frame.to_ndarray(format="rgb24", width=width, height=height)
        upright = np.ascontiguousarray(np.rot90(pixels, quarter_turns(frame)), np.uint8)
        digest = hash_rgb(upright, self._mode)
        self._found.append(VpdqFrame(index, digest.quality, digest.hash, seconds))
        if self._trim:
            box = content_box(upright)
            if box is not None:
                self._barred += 1
                picture = upright[box.top : box.bottom, box.left : box.right]
                digest = hash_rgb(np.ascontiguousarray(picture), self._mode)
            self._trimmed.append(VpdqFrame(index, digest.quality, digest.hash, seconds))

    def result(self) -> VpdqHashes:
        if not self._found:
            raise CorruptMediaError("the video has no frames to decode")
        barred = self._barred * 2 > len(self._found)
        return VpdqHashes(self._found, self._trimmed if barred else None)
