"""Finding the picture inside black bars (letterbox, pillarbox, padding) of a frame.

Re-uploads of a video often gain or lose black bars, and a perceptual hash of the whole frame
changes completely when they do. `content_box` finds the rows and columns that hold the
picture: bars are the outer rows and columns that are dark and flat all along. A frame that
is dark nearly everywhere (a fade to black) has no box, and neither has one without bars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: A row or column is part of a bar when its mean luma is below this and no pixel is bright.
BAR_MEAN = 24.0
BAR_MAX = 64.0
#: Bars narrower than this share of the side are ignored (encoders leave dark edge lines).
MIN_BAR = 0.02
#: A box smaller than this share of either side is a dark frame, not a picture in bars.
MIN_CONTENT = 0.4


@dataclass(frozen=True)
class Box:
    top: int
    bottom: int
    left: int
    right: int


def content_box(pixels: npt.NDArray[np.uint8]) -> Box | None:
    """The picture inside the bars of an (h, w, 3) RGB frame; None without bars."""
    height, width = pixels.shape[:2]
    luma = pixels[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    rows = _picture(luma.mean(axis=1), luma.max(axis=1))
    cols = _picture(luma.mean(axis=0), luma.max(axis=0))
    if rows is None or cols is None:
        return None
    (top, bottom), (left, right) = rows, cols
    if bottom - top < MIN_CONTENT * height or right - left < MIN_CONTENT * width:
        return None
    trimmed = (top, height - bottom, left, width - right)
    if max(trimmed[0], trimmed[1]) < MIN_BAR * height and max(trimmed[2], trimmed[3]) < (
        MIN_BAR * width
    ):
        return None
    return Box(top, bottom, left, right)


def trim(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The frame without its bars (the frame itself when it has none)."""
    box = content_box(pixels)
    if box is None:
        return pixels
    return np.ascontiguousarray(pixels[box.top : box.bottom, box.left : box.right])


def _picture(
    means: npt.NDArray[np.float32], maxima: npt.NDArray[np.float32]
) -> tuple[int, int] | None:
    lit = np.flatnonzero((means >= BAR_MEAN) | (maxima >= BAR_MAX))
    if not len(lit):
        return None
    return int(lit[0]), int(lit[-1]) + 1
