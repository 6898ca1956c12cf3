"""Benign media for `hma_compare.py`, generated here: nothing is downloaded.

Pictures are smooth colour fields, discs, stripes and a line of text (`bastion.samples`
plus Pillow drawing); the video is a second of such pictures encoded with PyAV. Each file
also comes in the copies an HMA user sends: a JPEG, a quarter turn, a mirror image, a
letterboxed copy, a GIF and a palette PNG, a flat picture PDQ gives quality 0, and files
that are not pictures at all.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from PIL import Image, ImageDraw, ImageOps

from bastion.samples import sample_pixels


@dataclass(frozen=True)
class MediaFile:
    name: str
    data: bytes
    mime: str


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _picture(seed: int) -> Image.Image:
    image = Image.fromarray(sample_pixels(seed))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 380, 610, 450), fill=(250, 250, 240))
    draw.text((50, 400), f"benign sample picture number {seed}", fill=(20, 20, 20))
    return image


def _video(seed: int, frames: int = 16, size: tuple[int, int] = (160, 120)) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(8))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            pixels = sample_pixels(seed + i // 4, *size)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def generate() -> dict[str, MediaFile]:
    """Every file the comparison sends, by short name."""
    a, b = _picture(11), _picture(12)
    letterboxed = ImageOps.pad(a, (640, 640), color=(0, 0, 0))
    png = _encode(a, "PNG")
    files = [
        MediaFile("a.png", png, "image/png"),
        MediaFile("a.jpg", _encode(a, "JPEG", quality=90), "image/jpeg"),
        MediaFile(
            "a_rotated.png", _encode(a.transpose(Image.Transpose.ROTATE_90), "PNG"), "image/png"
        ),
        MediaFile("a_mirrored.png", _encode(ImageOps.mirror(a), "PNG"), "image/png"),
        MediaFile("a_letterboxed.png", _encode(letterboxed, "PNG"), "image/png"),
        MediaFile("a.gif", _encode(a, "GIF"), "image/gif"),
        MediaFile("a_palette.png", _encode(a.quantize(colors=64), "PNG"), "image/png"),
        MediaFile("b.png", _encode(b, "PNG"), "image/png"),
        MediaFile(
            "flat.png", _encode(Image.new("RGB", (64, 64), (128, 128, 128)), "PNG"), "image/png"
        ),
        MediaFile("video.mp4", _video(21), "video/mp4"),
        MediaFile("text.txt", b"not a picture, just a line of text\n", "text/plain"),
        MediaFile("truncated.png", png[: len(png) // 3], "image/png"),
    ]
    return {f.name: f for f in files}
