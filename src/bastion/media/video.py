"""Decoding video into evenly timed, resized RGB frames, as Meta's video hashers read them.

`sample_frames` runs the decoded stream through FFmpeg's own filters — scale (bicubic), a
constant frame rate (frames dropped or repeated to the nearest time), RGB — which is what the
reference TMK tool gets from ``ffmpeg -s WxH -r FPS -pix_fmt rgb24``. Bytes come from
uploads and exchanges, so every step is bounded: the container is opened from memory, a file
without a video stream, with frames over `max_frame_pixels`, or running past `max_seconds`
is refused with a clear error, and FFmpeg's errors become `CorruptMediaError`.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import av
import av.error
import numpy as np
import numpy.typing as npt

from bastion.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError, first_line

RgbFrame = npt.NDArray[np.uint8]


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


def sample_frames(
    data: bytes, *, fps: float, width: int, height: int, limits: VideoLimits | None = None
) -> Iterator[RgbFrame]:
    """The video's frames at a constant `fps`, scaled to `width` x `height`, as (h, w, 3)
    uint8 RGB arrays, first to last."""
    limits = limits or VideoLimits()
    with open_video(data, limits) as (container, stream):
        yield from _filtered(container, stream, fps, width, height, limits)


def _filtered(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    fps: float,
    width: int,
    height: int,
    limits: VideoLimits,
) -> Iterator[RgbFrame]:
    frames = container.decode(stream)
    first = next(frames, None)
    if first is None:
        return
    graph = av.filter.Graph()
    turn = [graph.add(*spec) for spec in _UPRIGHT[quarter_turns(first)]]
    chain = [
        graph.add_buffer(template=stream),
        *turn,
        graph.add("fps", f"fps={fps}"),
        # Only the kept frames are scaled; the scaler converts straight to RGB.
        graph.add("scale", f"{width}:{height}:flags=bicubic"),
        graph.add("format", "rgb24"),
        graph.add("buffersink"),
    ]
    for a, b in itertools.pairwise(chain):
        a.link_to(b)
    graph.configure()
    limit = int(limits.max_seconds * fps) + 1
    produced = 0
    for frame in itertools.chain([first], frames):
        if frame.time is not None and frame.time > limits.max_seconds:
            raise MediaTooLargeError(
                f"the video runs past the limit of {limits.max_seconds:,.0f} s"
            )
        graph.push(frame)
        for out in _drain(graph):
            produced += 1
            if produced > limit:
                raise MediaTooLargeError(
                    f"the video runs past the limit of {limits.max_seconds:,.0f} s"
                )
            yield out
    graph.push(None)
    yield from _drain(graph)


#: FFmpeg filters that turn a frame upright, by counter-clockwise quarter turns needed.
_UPRIGHT: dict[int, list[tuple[str, str]]] = {
    0: [],
    1: [("transpose", "cclock")],
    2: [("hflip", ""), ("vflip", "")],
    3: [("transpose", "clock")],
}


def _drain(graph: av.filter.Graph) -> Iterator[RgbFrame]:
    while True:
        try:
            frame = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return
        yield np.asarray(frame.to_ndarray(), dtype=np.uint8)
