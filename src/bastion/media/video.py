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
    graph = av.filter.Graph()
    chain = [
        graph.add_buffer(template=stream),
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
    for frame in container.decode(stream):
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


def _drain(graph: av.filter.Graph) -> Iterator[RgbFrame]:
    while True:
        try:
            frame = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return
        yield np.asarray(frame.to_ndarray(), dtype=np.uint8)
