"""What a reviewer sees before choosing to reveal media: a small picture, blurred and
greyscale as the reviewer's wellness settings ask, or a strip of a video's frames.

Exposure to harmful media harms the people who review it; seeing less of it, smaller,
blurred and without colour, lessens the harm, and most decisions need no more. So the
console never shows the media itself until a reviewer reveals it: it shows a rendition made
here. A rendition is decoded through bastion's safe readers (their pixel, frame and time
limits hold for media from anywhere), turned upright, scaled down, blurred, made greyscale
if asked, and encoded afresh as a JPEG that carries no metadata (no EXIF: no location, no
camera serial, no thumbnail of the original). A video's rendition is its frames only, never
its sound.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

import av
from PIL import Image, ImageFilter

from bastion.errors import CorruptMediaError, UnsupportedMediaError, ValidationError
from bastion.media.image import decoding, exif_orientation, open_image
from bastion.media.video import (
    VideoLimits,
    decoded_frames,
    looks_like_video,
    open_video,
    quarter_turns,
    video_info,
)

#: The `max_image_pixels` setting's default; callers pass the setting.
DEFAULT_MAX_PIXELS = 64_000_000
#: Blur radius at `blur` 100, as a share of the picture's longer side: about what leaves
#: only the layout of light and dark.
MAX_BLUR_SHARE = 0.05
JPEG_QUALITY = 80
#: Bounds on what a rendition may be asked to be (a strip's width stays within JPEG's
#: 65,535 pixels: frames x widest tile).
MAX_SIDE = 4096
MAX_FRAMES = 16
MAX_TILE_HEIGHT = 720
#: A tile is at most this many times as wide as it is tall (a 100:1 video is shown shrunk
#: to fit, not as a strip kilometres long).
MAX_TILE_ASPECT = 4
#: Shown behind a picture's transparent parts, and around tiles shorter than the strip.
_BACKGROUND = (128, 128, 128)

#: Pillow transposes that turn an image upright, by EXIF orientation.
_UPRIGHT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
#: Pillow transposes for a video frame's counter-clockwise quarter turns.
_TURNS = {
    1: Image.Transpose.ROTATE_90,
    2: Image.Transpose.ROTATE_180,
    3: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True)
class RenditionOptions:
    """How much of a picture a reviewer sees: `blur` from 0 (none) to 100 (only the layout
    of light and dark), and `greyscale` or colour."""

    blur: int
    greyscale: bool

    def __post_init__(self) -> None:
        if isinstance(self.blur, bool) or not isinstance(self.blur, int):
            raise ValidationError(f"blur: expected a whole number 0-100, got {self.blur!r}")
        if not 0 <= self.blur <= 100:
            raise ValidationError(f"blur must be between 0 and 100, not {self.blur}")

    def apply(self, picture: Image.Image) -> Image.Image:
        """`picture` (RGB, already small) blurred and made greyscale as these options say;
        the blur's radius grows with the picture, so every size looks alike."""
        if self.blur:
            radius = self.blur / 100 * MAX_BLUR_SHARE * max(picture.size)
            picture = picture.filter(ImageFilter.GaussianBlur(radius))
        return picture.convert("L") if self.greyscale else picture


def safe_image(
    data: bytes,
    *,
    blur: int,
    greyscale: bool,
    max_side: int = 480,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """A JPEG of the image in `data`, upright (its EXIF orientation applied), at most
    `max_side` pixels on its longer side, blurred and greyscale as asked, with no metadata.
    Only the first frame of an animation is shown. Refused with a MediaError: anything but
    a supported image, and an image over `max_pixels` (the `max_image_pixels` setting)."""
    options = RenditionOptions(blur, greyscale)
    _check_bound(max_side, "max_side", 16, MAX_SIDE)
    opened = open_image(data, max_pixels=max_pixels, name="image")
    with decoding("image"):
        opened.image.draft("RGB", (max_side, max_side))  # a JPEG decodes at a reduced scale
        opened.image.load()
        picture = _opaque_rgb(opened.image)
    for transpose in _UPRIGHT.get(exif_orientation(opened.image), ()):
        picture = picture.transpose(transpose)
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return _jpeg(options.apply(picture))


def frame_strip(
    data: bytes,
    *,
    frames: int = 6,
    blur: int,
    greyscale: bool,
    tile_height: int = 160,
    limits: VideoLimits | None = None,
) -> bytes:
    """A JPEG of `frames` frames spread through the video in `data`, left to right in time,
    each upright, `tile_height` pixels tall, blurred and greyscale as asked (a video of
    fewer frames shows them all). The whole video is decoded once, within `limits` (the
    video settings), since seeking would trust the container's index and timestamps; only
    the frames kept are scaled. Refused with a MediaError: anything but a video bastion
    reads, a video over the limits, one with no frame."""
    options = RenditionOptions(blur, greyscale)
    _check_bound(frames, "frames", 1, MAX_FRAMES)
    _check_bound(tile_height, "tile_height", 16, MAX_TILE_HEIGHT)
    if not looks_like_video(data):
        raise UnsupportedMediaError(
            "not a video bastion reads (MP4/MOV, WebM/MKV, AVI, FLV, MPEG-TS, ASF, Ogg)"
        )
    limits = limits or VideoLimits()
    sample: EvenSample[Image.Image] = EvenSample(frames)
    with open_video(data, limits) as (container, stream):
        video_info(container, stream, limits)  # a declared duration over the limit: refused
        for frame in decoded_frames(container, stream, limits):
            sample.offer(partial(_tile, frame, tile_height))
        tiles = [options.apply(tile) for tile in sample.chosen()]
    if not tiles:
        raise CorruptMediaError("the video has no frame that can be decoded")
    strip = Image.new(tiles[0].mode, (sum(t.width for t in tiles), tile_height))
    strip.paste(_BACKGROUND[0] if strip.mode == "L" else _BACKGROUND, (0, 0, *strip.size))
    left = 0
    for tile in tiles:
        strip.paste(tile, (left, (tile_height - tile.height) // 2))
        left += tile.width
    return _jpeg(strip)


T = TypeVar("T")


class EvenSample(Generic[T]):
    """Items spread evenly through a stream of unknown length, in bounded memory.

    Every `stride`-th item offered is kept (made by the callable offered, so the others
    cost nothing); when twice the `wanted` are kept, every other one goes and the stride
    doubles. At the end the kept items are evenly spaced through the whole stream, and
    `chosen` takes the `wanted` at the middles of equal parts of them.
    """

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self._kept: list[T] = []
        self._stride = 1
        self._offered = 0

    def offer(self, make: Callable[[], T]) -> None:
        index, self._offered = self._offered, self._offered + 1
        if index % self._stride:
            return
        self._kept.append(make())
        if len(self._kept) == 2 * self.wanted:
            del self._kept[1::2]
            self._stride *= 2

    def chosen(self) -> list[T]:
        kept = len(self._kept)
        if kept <= self.wanted:
            return list(self._kept)
        return [self._kept[(2 * i + 1) * kept // (2 * self.wanted)] for i in range(self.wanted)]


def _tile(frame: av.VideoFrame, tile_height: int) -> Image.Image:
    """`frame` upright, scaled (by FFmpeg, from the decoder's pixels) to `tile_height`
    tall, or less for a frame too wide to fit `MAX_TILE_ASPECT`."""
    turns = quarter_turns(frame)
    shown_width, shown_height = (
        (frame.height, frame.width) if turns % 2 else (frame.width, frame.height)
    )
    scale = min(tile_height / shown_height, MAX_TILE_ASPECT * tile_height / shown_width)
    small = frame.reformat(
        width=max(1, round(frame.width * scale)),
        height=max(1, round(frame.height * scale)),
        format="rgb24",
        interpolation="AREA",
    )
    tile = Image.fromarray(small.to_ndarray())
    return tile.transpose(_TURNS[turns]) if turns else tile


def _opaque_rgb(image: Image.Image) -> Image.Image:
    """`image` as RGB; transparent parts show the neutral background, not the colours a
    transparent pixel may still hold."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        background = Image.new("RGBA", image.size, (*_BACKGROUND, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def _jpeg(picture: Image.Image) -> bytes:
    """`picture` as a JPEG of its pixels only: copied into a new image first, since Pillow
    would write a comment the decoded image carried."""
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _check_bound(value: int, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
