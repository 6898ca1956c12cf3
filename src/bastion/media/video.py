"""Decoding video into frames, and into evenly timed, resized RGB frames, as Meta's video
hashers read them.

`decoded_frames` yields a stream's frames once, so several hashes can share one decoding
pass: each is a `FrameConsumer` that takes every frame in turn. `FrameSampler` turns them
into frames at a constant rate (chosen as the ffmpeg command line does, `frame_rate`),
scaled (bicubic) and converted to RGB by FFmpeg's own filters: what the reference TMK tool
gets from ``ffmpeg -s WxH -r FPS -pix_fmt rgb24``. A frame the rate repeats is scaled once
and handed on with its count (`FrameRun`), so a gap between two timestamps costs nothing.

Bytes come from uploads and exchanges, so every step is bounded by `VideoLimits`, whatever
the file claims: the container is opened from memory and only as one of the formats
`looks_like_video` admits; every decoded frame is checked for its size and time, and the
frames and pixels decoded so far are counted, since timestamps that stall, jump back or are
missing bound nothing; the decoder itself refuses to allocate frames far over the size
limit (a stream may switch to huge frames mid-way, and frame threads decode several
ahead). Each refusal names the setting that raises it, and FFmpeg's errors become
`CorruptMediaError`.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av
import av.error
import numpy as np
import numpy.typing as npt

from bastion.errors import (
    ConfigurationError,
    CorruptMediaError,
    MediaTooLargeError,
    UnsupportedMediaError,
    first_line,
)
from bastion.media.frame_rate import ConstantRateSync

RgbFrame = npt.NDArray[np.uint8]

#: However its timestamps run, a video is decoded to at most this many frames for each
#: second of `max_seconds` (the fastest common camera rate, slow motion included)...
MAX_FRAME_RATE = 240
#: ...and to at most this many frames of `max_frame_pixels` pixels for each second.
MAX_FULL_FRAME_RATE = 60
#: The decoder refuses frames over this multiple of `max_frame_pixels` before allocating
#: them; frames between the limit and this are refused as they come out. (FFmpeg counts a
#: frame's width rounded up for memory alignment, so the limit itself would refuse some
#: frames just under it.)
_DECODER_SLACK = 2
#: FFmpeg demuxers of the containers `looks_like_video` admits; no other is ever probed
#: (playlists and concat lists would open other files).
_DEMUXERS = "mov,matroska,avi,flv,live_flv,mpegts,mpeg,asf,ogg"


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

    def __post_init__(self) -> None:
        # A NaN or infinite limit would compare false with everything and bound nothing.
        if not 0 < self.max_seconds < math.inf:
            raise ConfigurationError("max_video_seconds must be a positive, finite number")
        if self.max_frame_pixels <= 0:
            raise ConfigurationError("max_video_frame_pixels must be positive")

    @property
    def max_frames(self) -> int:
        """Most frames decoded from one video, whatever its timestamps say."""
        return math.ceil(self.max_seconds * MAX_FRAME_RATE)

    @property
    def max_pixels(self) -> int:
        """Most pixels decoded from one video, all frames together."""
        return math.ceil(self.max_seconds * MAX_FULL_FRAME_RATE) * self.max_frame_pixels


@dataclass(frozen=True)
class FrameRun:
    """A sampled frame and the number of consecutive output frames it stands for."""

    frame: RgbFrame
    count: int


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
        container = av.open(io.BytesIO(data), mode="r", options={"format_whitelist": _DEMUXERS})
    except (av.error.FFmpegError, ValueError) as e:
        raise UnsupportedMediaError(f"not a video file FFmpeg can read: {first_line(e)}") from None
    with container:
        if not container.streams.video:
            raise UnsupportedMediaError("the file has no video stream (audio only?)")
        stream = container.streams.video[0]
        codec = stream.codec_context
        if codec is None:  # a codec FFmpeg has no decoder for
            raise UnsupportedMediaError("the video's codec is not one FFmpeg can decode")
        stream.thread_type = "AUTO"
        check_size(codec.width or 0, codec.height or 0, limits)
        codec.options = {"max_pixels": str(_DECODER_SLACK * limits.max_frame_pixels)}
        try:
            yield container, stream
        except av.error.FFmpegError as e:
            # A decoder that refused a frame over its own limit has usually kept its size.
            check_size(codec.width or 0, codec.height or 0, limits)
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
            f"the video lasts {_seconds(seconds)} s, past the limit of "
            f"{_seconds(limits.max_seconds)} s (setting max_video_seconds)"
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
        raise MediaTooLargeError(
            f"the video runs past the limit of {_seconds(limits.max_seconds)} s "
            "(setting max_video_seconds)"
        )


def check_size(width: int, height: int, limits: VideoLimits) -> None:
    """Refuse a frame over the size limit."""
    if width * height > limits.max_frame_pixels:
        raise MediaTooLargeError(
            f"video frames of {width}x{height} exceed the limit of "
            f"{limits.max_frame_pixels:,} pixels (setting max_video_frame_pixels)"
        )


def decoded_frames(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    limits: VideoLimits,
) -> Iterator[av.VideoFrame]:
    """Every frame of `stream`, first to last, each checked as it leaves the decoder: its
    size and time, and the frames and pixels decoded so far (`VideoLimits.max_frames` and
    `max_pixels`), which bound the work when the timestamps do not."""
    pixels = 0
    for frames, frame in enumerate(container.decode(stream), start=1):
        check_size(frame.width, frame.height, limits)
        check_time(frame.time, limits)
        pixels += frame.width * frame.height
        if frames > limits.max_frames:
            raise MediaTooLargeError(
                f"the video holds over {limits.max_frames:,} frames, {MAX_FRAME_RATE} a second "
                f"for the limit of {_seconds(limits.max_seconds)} s (setting max_video_seconds)"
            )
        if pixels > limits.max_pixels:
            raise MediaTooLargeError(
                f"the video decodes to over {limits.max_pixels:,} pixels, {MAX_FULL_FRAME_RATE} "
                f"frames a second of the largest size for {_seconds(limits.max_seconds)} s "
                "(settings max_video_seconds, max_video_frame_pixels)"
            )
        yield frame
    # Frame threads drop a last frame the decoder refused over its size without an error;
    # the decoder has kept the size it refused.
    codec = stream.codec_context
    check_size(codec.width or 0, codec.height or 0, limits)


class FrameSampler:
    """Decoded frames in, frames at a constant `fps` and `width` x `height` RGB out, upright,
    as ``ffmpeg -i FILE -s WxH -pix_fmt rgb24 -r FPS`` gives them (`ConstantRateSync` picks
    the frames, FFmpeg's own scaler sizes them).

    `push` each decoded frame in order, then `finish` for the frames still due. Output comes
    as `FrameRun`s: a frame shown N times in a row is scaled once and handed on once with
    N, so the work is one scaling per decoded frame shown, however long the gaps between
    timestamps. FFmpeg's filter graph is built at the first frame, whose display matrix
    tells the rotation.
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
        # The latest decoded frame and the output frames it has so far: it is handed on
        # once the next frame takes its place (or at `finish`), whatever its count by then.
        self._current: av.VideoFrame | None = None
        self._count = 0
        self._produced = 0
        #: Frames scaled so far: one per run handed on.
        self.scaled = 0

    def push(self, frame: av.VideoFrame) -> list[FrameRun]:
        repeats, count = self._sync.take(frame.pts, frame.duration)
        self._produce(count)
        if self._current is None:  # the first frame also stands in for any repeats
            self._current, self._count = frame, count
            return []
        self._count += repeats  # the previous frame's, shown again before this one
        done = self._run()
        self._current, self._count = frame, count - repeats
        return done

    def finish(self) -> list[FrameRun]:
        repeats = self._sync.finish()
        self._produce(repeats)
        self._count += repeats
        done = self._run()
        self._current, self._count = None, 0
        return done

    def _produce(self, count: int) -> None:
        """Count output frames before any is made: past the limit, nothing more is."""
        self._produced += count
        if self._produced > self._limit:
            raise MediaTooLargeError(
                f"the video runs past the limit of {_seconds(self._max_seconds)} s "
                "(setting max_video_seconds)"
            )

    def _run(self) -> list[FrameRun]:
        if self._current is None or self._count <= 0:
            return []
        return [FrameRun(self._scaled(self._current), self._count)]

    def _scaled(self, frame: av.VideoFrame) -> RgbFrame:
        self.scaled += 1
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


def _seconds(value: float) -> str:
    """Seconds as a limit message shows them: whole when whole."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


#: FFmpeg filters that turn a frame upright, by counter-clockwise quarter turns needed.
_UPRIGHT: dict[int, list[tuple[str, str]]] = {
    0: [],
    1: [("transpose", "cclock")],
    2: [("hflip", ""), ("vflip", "")],
    3: [("transpose", "clock")],
}
