"""Hashing a video into vPDQ frames: the PDQ hash of sampled frames, each with its time.

Frames are taken every `seconds_per_hash` seconds of the stream's average frame rate (every
frame with 0), decoded at their own size (or `downsample`d) into RGB, turned upright as the
display matrix says, and PDQ-hashed. As in Meta's `vpdq`, frame n is hashed when n is a multiple of
int(seconds_per_hash x frame rate), and its timestamp is n / frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bastion.errors import CorruptMediaError, UnsupportedMediaError
from bastion.media.borders import content_box
from bastion.media.video import VideoLimits, check_time, open_video, quarter_turns
from bastion.pdq import PdqMode, hash_rgb
from bastion.signals import VpdqFeature


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
    return vpdq_hashes(
        data,
        seconds_per_hash=seconds_per_hash,
        downsample=downsample,
        mode=mode,
        limits=limits,
        trim_bars=False,
    ).frames


def vpdq_hashes(
    data: bytes,
    *,
    seconds_per_hash: float = 1.0,
    downsample: tuple[int, int] | None = None,
    mode: PdqMode = PdqMode.REFERENCE,
    limits: VideoLimits | None = None,
    trim_bars: bool = True,
) -> VpdqHashes:
    """`vpdq_frames`, and with `trim_bars` the frames hashed inside their black bars too, in
    the same decoding pass: padding added to or cut from a copy then no longer hides it."""
    if seconds_per_hash < 0:
        raise ValueError("seconds_per_hash must be 0 (every frame) or more")
    limits = limits or VideoLimits()
    found: list[VpdqFrame] = []
    trimmed: list[VpdqFrame] = []
    barred = 0
    with open_video(data, limits) as (container, stream):
        rate = stream.average_rate or stream.guessed_rate
        if not rate:
            raise UnsupportedMediaError("the video stream declares no frame rate")
        frame_rate = float(rate)
        every = max(1, int(seconds_per_hash * frame_rate))
        width, height = downsample or (stream.codec_context.width, stream.codec_context.height)
        for index, frame in enumerate(container.decode(stream)):
            check_time(index / frame_rate, limits)
            if index % every:
                continue
            pixels = frame.to_ndarray(format="rgb24", width=width, height=height)
            upright = np.ascontiguousarray(np.rot90(pixels, quarter_turns(frame)), np.uint8)
            digest = hash_rgb(upright, mode)
            seconds = index / frame_rate
            found.append(VpdqFrame(index, digest.quality, digest.hash, seconds))
            if trim_bars:
                box = content_box(upright)
                if box is not None:
                    barred += 1
                    picture = upright[box.top : box.bottom, box.left : box.right]
                    digest = hash_rgb(np.ascontiguousarray(picture), mode)
                trimmed.append(VpdqFrame(index, digest.quality, digest.hash, seconds))
    if not found:
        raise CorruptMediaError("the video has no frames to decode")
    return VpdqHashes(found, trimmed if barred * 2 > len(found) else None)
