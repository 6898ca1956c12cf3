"""Finding the picture inside the borders re-uploads gain: bars, padding, a frame.

A perceptual hash of the whole image changes completely when borders are added or cut, so
bastion also hashes the picture inside them.

- `content_box` (video frames) finds the picture inside black bars (letterbox,
  pillarbox): bars are the outer rows and columns that are dark and flat all along. A frame
  that is dark nearly everywhere (a fade to black) has no box.
- `picture_box` (images) finds the picture inside flat borders of any colour: white
  padding, letterboxes, caption bars, the page around a picture in a screenshot. Rows and
  columns that are one flat colour are border; the picture is the longest run of the
  others, found first across the rows, then across the columns of those rows, twice. Bars
  that carry text (a caption, a title) are cut as long as a flat gap parts the text from
  the picture.

An image or frame without borders has no box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

#: A row or column is part of a bar when its mean luma is below this and no pixel is bright.
BAR_MEAN = 24.0
BAR_MAX = 64.0
#: Bars narrower than this share of the side are ignored (encoders leave dark edge lines).
MIN_BAR = 0.02
#: A box smaller than this share of either side is a dark frame, not a picture in bars.
MIN_CONTENT = 0.4


#: `picture_box`: a row or column is flat when its pixels differ from its median colour by
#: less than this on average (0-255); JPEG noise in a flat border stays well under it.
FLAT_DEVIATION = 2.0
#: `picture_box`: borders narrower than this share of a side are ignored. Small, so that
#: an image with a thin flat edge of its own and a padded copy of it both get trimmed.
MIN_BORDER = 0.005
#: `picture_box`: at full size, an edge row or column belongs to the picture once its
#: pixels differ from the border colour by this much on average (0-255).
EDGE_DIFFERENCE = 8.0
#: `picture_box` looks at the image reduced to this longest side (borders are coarse).
PROBE_SIDE = 256
#: `picture_box`: flat stretches up to this share of a side inside the picture are bridged
#: (a clear sky, a flat wall) rather than taken for a border.
BRIDGE = 0.01


@dataclass(frozen=True)
class Box:
    top: int
    bottom: int
    left: int
    right: int

    def crop(self, pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        return np.ascontiguousarray(pixels[self.top : self.bottom, self.left : self.right])


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
    return pixels if box is None else box.crop(pixels)


def picture_box(pixels: npt.NDArray[np.uint8]) -> Box | None:
    """The picture inside flat borders of any colour of an (h, w, 3) RGB image; None when it
    has none (or what is left would be under `MIN_CONTENT` of a side)."""
    height, width = pixels.shape[:2]
    scale = max(height, width) / PROBE_SIDE
    probe = pixels
    if scale > 1:
        size = (max(1, round(width / scale)), max(1, round(height / scale)))
        probe = np.asarray(Image.fromarray(pixels[..., :3]).resize(size, Image.Resampling.BOX))
    values = probe[..., :3].astype(np.float32)
    ph, pw = values.shape[:2]
    top, bottom, left, right = 0, ph, 0, pw
    for _ in range(2):
        rows = _longest_run(~_flat(values[:, left:right], axis=1), ph)
        if rows is None:
            return None
        top, bottom = rows
        cols = _longest_run(~_flat(values[top:bottom], axis=0), pw)
        if cols is None:
            return None
        left, right = cols
    if bottom - top < MIN_CONTENT * ph or right - left < MIN_CONTENT * pw:
        return None
    if max(top, ph - bottom) < MIN_BORDER * ph and max(left, pw - right) < MIN_BORDER * pw:
        return None
    ry, rx = height / ph, width / pw
    found = Box(int(top * ry), int(np.ceil(bottom * ry)), int(left * rx), int(np.ceil(right * rx)))
    return _refined(pixels, found, int(np.ceil(max(ry, rx))))


def _refined(pixels: npt.NDArray[np.uint8], box: Box, slack: int) -> Box:
    """`box` (found on the reduced image) with each edge moved, within `slack` pixels either
    way, to the first full-size row or column that differs from the border just outside."""
    height, width = pixels.shape[:2]
    top, bottom, left, right = box.top, min(box.bottom, height), box.left, min(box.right, width)

    def first(lines: npt.NDArray[np.float32], start: int, step: int, stop: int) -> int:
        """The first index from `start` towards `stop` of a line unlike line `start - step`."""
        outside = start - step
        if not 0 <= outside < len(lines):
            return start
        colour = np.median(lines[outside].reshape(-1, 3), axis=0)
        index = start
        while index != stop and np.abs(lines[index] - colour).mean() < EDGE_DIFFERENCE:
            index += step
        return index

    rows = pixels[..., :3].astype(np.float32)
    top = first(rows[:, left:right], max(top - slack, 0), 1, min(top + slack, bottom))
    bottom = first(rows[::-1, left:right], max(height - bottom - slack, 0), 1,
                   min(height - bottom + slack, height - top))  # fmt: skip
    bottom = height - bottom
    cols = rows[top:bottom].transpose(1, 0, 2)
    left = first(cols, max(left - slack, 0), 1, min(left + slack, right))
    right = width - first(cols[::-1], max(width - right - slack, 0), 1,
                          min(width - right + slack, width - left))  # fmt: skip
    return Box(top, bottom, left, right)


def _flat(values: npt.NDArray[np.float32], axis: int) -> npt.NDArray[np.bool_]:
    """Per row (axis 1) or column (axis 0): whether it is one flat colour."""
    median = np.median(values, axis=axis, keepdims=True)
    deviation: npt.NDArray[np.float32] = np.abs(values - median).mean(axis=(axis, 2))
    return deviation < FLAT_DEVIATION


def _longest_run(picture: npt.NDArray[np.bool_], side: int) -> tuple[int, int] | None:
    """[start, end) of the longest run of True, across gaps up to `BRIDGE` of the side."""
    lit = np.flatnonzero(picture)
    if not len(lit):
        return None
    gap = max(1, round(BRIDGE * side))
    breaks = np.flatnonzero(np.diff(lit) > gap + 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(lit) - 1]])
    best = int(np.argmax(lit[ends] - lit[starts]))
    return int(lit[starts[best]]), int(lit[ends[best]]) + 1


def _picture(
    means: npt.NDArray[np.float32], maxima: npt.NDArray[np.float32]
) -> tuple[int, int] | None:
    lit = np.flatnonzero((means >= BAR_MEAN) | (maxima >= BAR_MAX))
    if not len(lit):
        return None
    return int(lit[0]), int(lit[-1]) + 1
