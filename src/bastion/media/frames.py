"""Pictures for a model to look at: an image upload at a model's scale, and a video's frames,
one every few seconds, with their times.

Decoding is bounded as hashing bounds it (`VideoLimits`: duration, frame size, frames and
pixels decoded), so a hostile file fails with a clear error rather than holding a worker;
frames are turned upright (a phone's rotation) and scaled down to at most `max_side` pixels.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from bastion.media.image import decoding, open_image
from bastion.media.video import VideoLimits, decoded_frames, open_video, quarter_turns

#: The longest side of a sampled frame: classifiers look at 224-300 pixels.
MAX_SIDE = 640


def sampled_frames(
    data: bytes,
    *,
    every_seconds: float,
    max_frames: int,
    limits: VideoLimits | None = None,
    max_side: int = MAX_SIDE,
) -> list[tuple[float, Image.Image]]:
    """Up to `max_frames` frames of the video `data` (RGB), the first and then one each
    `every_seconds`, with their times in seconds; a video too long for `max_frames` is
    sampled at the first `max_frames` marks (the rest is not looked at).

    Times count from the container's start, as a player's position and ``ffmpeg -ss`` do
    (an MPEG-TS cut from a broadcast may start its clock anywhere)."""
    if not every_seconds > 0 or max_frames < 1:  # `not >` refuses NaN too
        raise ValueError("every_seconds must be positive and max_frames at least 1")
    limits = limits or VideoLimits()
    found: list[tuple[float, Image.Image]] = []
    next_mark = 0.0
    with open_video(data, limits) as (container, stream):
        start = (container.start_time or 0) / 1_000_000  # FFmpeg gives it in microseconds
        for frame in decoded_frames(container, stream, limits):
            at = max(0.0, float(frame.time or start) - start)
            if at + 1e-6 < next_mark:
                continue
            picture = Image.fromarray(np.asarray(frame.to_ndarray(format="rgb24"), np.uint8))
            turns = quarter_turns(frame)
            if turns:
                picture = picture.rotate(90 * turns, expand=True)  # counter-clockwise
            picture.thumbnail((max_side, max_side))
            found.append((at, picture.convert("RGB")))
            if len(found) == max_frames:
                break
            next_mark = at + every_seconds
    return found


def still_frame(data: bytes, *, max_pixels: int, max_side: int = MAX_SIDE) -> Image.Image:
    """An image upload as a model looks at it: decoded under `max_pixels`, upright (EXIF),
    RGB, at most `max_side` pixels a side. A JPEG is decoded straight at a reduced scale
    (its DCT allows 1/2 to 1/8), which makes a 12 MP photo several times cheaper to read."""
    opened = open_image(data, max_pixels=max_pixels)
    with opened.image as image, decoding("image"):
        image.draft("RGB", (max_side, max_side))
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((max_side, max_side))
        return upright.convert("RGB")
