"""Decoding video into frames, and into evenly timed, resized RGB frames, as Meta's video
hashers read them.

`decoded_frames` yields a stream's frames once, so several hashes can share one decoding
pass: each is a `FrameConsumer` that takes every frame in turn. `FrameSampler` turns them
into frames at a constant rate (chosen as the ffmpeg command line does, `frame_rate`),
scaled (bicubic) and converted to RGB by FFmpeg's own filters: what the reference TMK tool
gets from ``ffmpeg -s WxH -r FPS -pix_fmt rgb24``. Bytes come from uploads and exchanges, so every
step is bounded: the container is opened from memory, a file without a video stream, with
frames over `max_frame_pixels`, or running past `max_seconds` is refused with a clear
error, and FFmpeg's errors become `CorruptMediaError`.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av
import av.error
import numpy as np
import numpy.typing as npt

from bastion.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError, first_line
from bastion.media.frame_rate import ConstantRateSync

RgbFrame = npt.NDArray[np.uint8]


class FrameConsumer(Protocol):
    """A hash computed from a video's decoded frames, given each of them in order."""

    def add(self, index: int, frame: av.VideoFrame) -> None: ...


@dataclass(frozen=True)
class VideoInfo:
    """What a video's container says about it."""

    #: FFmpeg's short name of the container format, e.g. "mp4" or "matroska".
    format: str
    width: int
    height: int
    #: Duration in seconds, when the container declares one.
    seconds: float | None


@dataclass(frozen=True)
class VideoLimits:
    #: Longest video decoded, in seconds of stream time.
    max_seconds: float = 2 * 3600.0
    #: Largest frame, in pixels (default: 4K UHD).
    max_frame_pixels: int = 3840 * 2160


@contextmanager
def open_video(
    data: bytes, limits: VideoLimits | None = None
) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    """The container and first video stream of `data`, checked against `limits`; FFmpeg's
    errors while it is open become `CorruptMediaError`."""
    limits = limits or VideoLimits()
    if not data:
        raise UnsupportedMediaError("empty file: no video to decode")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError) as e:
        raise UnsupportedMediaError(f"not a video file FFmpeg can read: {first_line(e)}") from None
    with container:
        if not container.streams.video:
            raise UnsupportedMediaError("the file has no video stream (audio only?)")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        pixels = (stream.codec_context.width or 0) * (stream.codec_context.height or 0)
        if pixels > limits.max_frame_pixels:
            raise MediaTooLargeError(
                f"video frames of {stream.codec_context.width}x{stream.codec_context.height} "
                f"exceed the limit of {limits.max_frame_pixels:,} pixels"
            )
        try:
            yield container, stream
        except av.error.FFmpegError as e:
            raise CorruptMediaError(f"the video cannot be decoded: {first_line(e)}") from None


def looks_like_video(data: bytes) -> bool:
    """Whether `data` starts like a video container (MP4/MOV, Matroska/WebM, AVI, FLV,
    MPEG-TS/PS, ASF, Ogg): only these are handed to FFmpeg, which would otherwise guess a
    format for almost any bytes."""
    head = data[:16]
    return (
        head[4:8] in _ISO_BOXES
        or head.startswith(_SIGNATURES)
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
        or (len(data) > 188 and data[0] == 0x47 and data[188] == 0x47)  # MPEG-TS sync bytes
    )


#: First boxes of MP4/MOV/3GP files, at byte 4.
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
#: Leading bytes of Matroska/WebM, FLV, Ogg, MPEG-PS and ASF/WMV.
_SIGNATURES = (
    b"\x1a\x45\xdf\xa3",
    b"FLV",
    b"OggS",
    b"\x00\x00\x01\xba",
    b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",
)


def probe_video(data: bytes, limits: VideoLimits | None = None) -> VideoInfo:
    """The format, frame size and declared duration of a video, without decoding it."""
    with open_video(data, limits) as (container, stream):
        return video_info(container, stream, limits)


def video_info(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    limits: VideoLimits | None = None,
) -> VideoInfo:
    """What an open video declares; MediaTooLargeError when its duration passes the limit."""
    seconds = None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / 1_000_000
    limits = limits or VideoLimits()
    if seconds is not None and seconds > limits.max_seconds:
        raise MediaTooLargeError(
            f"the video lasts {seconds:,.0f} s, past the limit of {limits.max_seconds:,.0f} s"
        )
    return VideoInfo(
        format=container.format.name.split(",")[0],
        width=stream.codec_context.width,
        height=stream.codec_context.height,
        seconds=seconds,
    )


def quarter_turns(frame: av.VideoFrame) -> int:
    """Counter-clockwise quarter turns that show `frame` upright, from its display matrix
    (a phone's portrait video is usually stored sideways with a rotation to apply)."""
    return round((frame.rotation or 0) / 90) % 4


def check_time(seconds: float | None, limits: VideoLimits) -> None:
    """Refuse a frame past the duration limit."""
    if seconds is not None and seconds > limits.max_seconds:
        raise MediaTooLargeError(f"the video runs past the limit of {limits.max_seconds:,.0f} s")


def decoded_frames(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    limits: VideoLimits,
) -> Iterator[av.VideoFrame]:
    """Every frame of `stream`, first to last; one past `max_seconds` stops the decoding."""
    for frame in container.decode(stream):
        check_time(frame.time, limits)
        yield frame


class FrameSampler:
    """Decoded frames in, frames at a constant `fps` and `width` x `height` RGB out, upright,
    as ``ffmpeg -i FILE -s WxH -pix_fmt rgb24 -r FPS`` gives them (`ConstantRateSync` picks
    the frames, FFmpeg's own scaler sizes them).

    `push` each decoded frame in order, then `finish` for the frames still due. FFmpeg's
    filter graph is built at the first frame, whose display matrix tells the rotation.
    """

    def __init__(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        *,
        fps: int,
        width: int,
        height: int,
        limits: VideoLimits,
    ) -> None:
        self._stream, self._size = stream, (width, height)
        self._sync = ConstantRateSync(
            fps,
            time_base=stream.time_base or Fraction(1, 90_000),
            input_rate=stream.guessed_rate,
            start_time=container.start_time,
            stream_start=stream.start_time,
            video_only=len(container.streams) == 1,
        )
        self._limit = int(limits.max_seconds * fps) + 1
        self._max_seconds = limits.max_seconds
        self._graph: av.filter.Graph | None = None
        self._previous: av.VideoFrame | None = None
        self._produced = 0

    def push(self, frame: av.VideoFrame) -> list[RgbFrame]:
        repeats, count = self._sync.take(frame.pts, frame.duration)
        previous = self._previous or frame
        self._previous = frame
        return [self._scaled(previous if i < repeats else frame) for i in range(count)]

    def finish(self) -> list[RgbFrame]:
        repeats = self._sync.finish()
        last = self._previous
        return [] if last is None else [self._scaled(last) for _ in range(repeats)]

    def _scaled(self, frame: av.VideoFrame) -> RgbFrame:
        self._produced += 1
        if self._produced > self._limit:
            raise MediaTooLargeError(f"the video runs past the limit of {self._max_seconds:,.0f} s")
        if self._graph is None:
            self._graph = self._build(frame)
        self._graph.push(frame)
        out = self._graph.pull()
        return np.asarray(out.to_ndarray(), dtype=np.uint8)

    def _build(self, first: av.VideoFrame) -> av.filter.Graph:
        graph = av.filter.Graph()
        turn = [graph.add(*spec) for spec in _UPRIGHT[quarter_turns(first)]]
        width, height = self._size
        chain = [
            graph.add_buffer(template=self._stream),
            *turn,
            # The scaler converts straight to RGB, as the command line's -s and -pix_fmt do.
            graph.add("scale", f"{width}:{height}:flags=bicubic"),
            graph.add("format", "rgb24"),
            graph.add("buffersink"),
        ]
        for a, b in itertools.pairwise(chain):
            a.link_to(b)
        graph.configure()
        return graph


#: FFmpeg filters that turn a frame upright, by counter-clockwise quarter turns needed.
_UPRIGHT: dict[int, list[tuple[str, str]]] = {
    0: [],
    1: [("transpose", "cclock")],
    2: [("hflip", ""), ("vflip", "")],
    3: [("transpose", "clock")],
}
