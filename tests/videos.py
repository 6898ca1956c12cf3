"""Benign test videos, generated and edited with PyAV: no media comes from outside.

`synthetic_video` films a slow pan across generated pictures, changing picture every few
seconds so that every second looks different; `edit` makes the everyday re-uploads of a
video (a clip, a re-encode, a resize, black bars, a logo) by decoding, changing and encoding.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from bastion.samples import sample_pixels

Pixels = npt.NDArray[np.uint8]


def encode_frames(
    frames: Iterable[Pixels],
    *,
    fps: float,
    codec: str = "mpeg4",
    size: tuple[int, int] | None = None,
    container_format: str = "mp4",
    rotation: int | None = None,
    times: Sequence[float] | None = None,
) -> bytes:
    """An MP4 (or other container) of RGB frames, optionally with a display rotation, at
    `fps` or, with `times`, at those seconds each (a variable frame rate)."""
    out = io.BytesIO()
    rate = Fraction(fps).limit_denominator(1001)
    clock = 1 / rate if times is None else Fraction(1, 1000)
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.pix_fmt = "yuv420p"
        if times is not None:
            stream.codec_context.time_base = clock
        for i, pixels in enumerate(frames):
            if i == 0:
                height, width = pixels.shape[:2]
                stream.width, stream.height = size or (width - width % 2, height - height % 2)
                if rotation is not None:
                    stream.set_display_rotation(rotation)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            frame = frame.reformat(width=stream.width, height=stream.height)
            frame.pts = i if times is None else round(times[i] * 1000)
            frame.time_base = clock
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def synthetic_frames(
    seed: int, *, seconds: float, fps: float, size: tuple[int, int] = (320, 240)
) -> list[Pixels]:
    """A pan across a new generated picture every 2 s; seeds give unrelated videos."""
    width, height = size
    frames = []
    scenes: dict[int, Pixels] = {}
    for i in range(round(seconds * fps)):
        t = i / fps
        number = int(t // 2)
        if number not in scenes:
            scenes[number] = sample_pixels(seed * 1000 + number, width * 2, height)
        x = int(width * (t % 2) / 2)
        frames.append(scenes[number][:, x : x + width])
    return frames


def synthetic_video(
    seed: int,
    *,
    seconds: float = 6.0,
    fps: float = 24,
    size: tuple[int, int] = (320, 240),
    codec: str = "mpeg4",
) -> bytes:
    return encode_frames(
        synthetic_frames(seed, seconds=seconds, fps=fps, size=size), fps=fps, codec=codec
    )


def decode_frames(data: bytes) -> tuple[list[Pixels], float]:
    """Every frame of a video as RGB, and its average frame rate."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)], fps


def edit(
    data: bytes,
    *,
    start: float = 0.0,
    end: float | None = None,
    scale: float | None = None,
    pad: float | None = None,
    logo: float | None = None,
    codec: str = "libx264",
) -> bytes:
    """A re-encoded copy of seconds `start`-`end`, optionally scaled, framed by black bars
    (`pad` of the width on each side) or carrying a logo (`logo` of the width)."""
    frames, fps = decode_frames(data)
    kept: Sequence[Pixels] = frames[int(start * fps) : None if end is None else int(end * fps)]
    changed = []
    for pixels in kept:
        image = Image.fromarray(pixels)
        if scale is not None:
            image = image.resize(
                (round(image.width * scale) // 2 * 2, round(image.height * scale) // 2 * 2),
                Image.Resampling.BILINEAR,
            )
        if pad is not None:
            border = round(image.width * pad)
            framed = Image.new("RGB", (image.width + 2 * border, image.height + 2 * border))
            framed.paste(image, (border, border))
            image = framed
        if logo is not None:
            image = with_logo(image, logo)
        changed.append(np.asarray(image))
    return encode_frames(changed, fps=fps, codec=codec)


def with_logo(image: Image.Image, share: float) -> Image.Image:
    """A line-drawn face `share` of the width across near the top right corner, like the
    logo of Meta's "with-small-logo" sample videos."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    side = round(image.width * share)
    x, y = image.width - side - round(image.width * 0.1), round(image.height * 0.1)
    line = max(1, side // 16)
    draw.ellipse((x, y, x + side // 3, y + side // 3), outline="black", width=line)
    draw.ellipse((x + side // 2, y, x + 5 * side // 6, y + side // 3), outline="black", width=line)
    draw.arc((x, y + side // 3, x + side, y + side), 0, 180, fill="black", width=line)
    return image


def audio_only_mp4() -> bytes:
    """An MP4 holding one second of silence and no video."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 8000), dtype=np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()
