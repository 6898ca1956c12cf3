"""An image's local features: ORB keypoints, found spread over a reduced grey copy, and
their compact serialisation.

A global hash (PDQ) describes the whole frame, so a deep or off-centre crop, a rotation of
10 degrees or more, or a large logo moves it past any safe threshold. Local features
survive those: the same corners are found again in the part of the picture that is left,
and a geometric check (`bastion.keypoints.geometry`) tells a real copy from a chance
resemblance.

Extraction is fixed (it is part of what a stored value means): the image is turned grey,
reduced to `SIDE` pixels on its longest side (never enlarged), and ORB finds up to
`FEATURES` keypoints, taken round-robin from the cells of a `GRID` x `GRID` grid by
response so that one busy region cannot hold them all.

A value is `Keypoints.to_bytes()`: version byte 1, the reduced width and height (uint16),
the keypoint count (uint16), then per keypoint x and y in 1/16 px (uint16) and the 32-byte
binary descriptor; all little-endian. 36 bytes a keypoint, 7.2 KB for 200.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from bastion.errors import InvalidSignalError

#: Longest side of the grey copy the keypoints are found on (never enlarged).
SIDE = 512
#: Keypoints kept per image.
FEATURES = 200
#: Keypoints are taken from the cells of a GRID x GRID grid in turn, strongest first.
GRID = 4
#: ORB is asked for this many times `FEATURES`, to have enough in every cell to choose from.
OVERSAMPLE = 3
#: Bytes of one ORB descriptor (256 bits).
DESCRIPTOR_BYTES = 32
#: Images (after reduction) with a side shorter than this have none: ORB describes a
#: 31-pixel patch around each keypoint.
MIN_SIDE = 32
#: Most keypoints and largest side a value may declare (a bound on what is decoded).
MAX_KEYPOINTS = 1024
MAX_SIDE = 4096
#: The one serialisation version this module reads and writes.
VERSION = 1
#: Positions are stored in units of 1/POSITION_SCALE px.
POSITION_SCALE = 16

_HEADER = struct.Struct("<BHHH")
_RECORD = np.dtype([("x", "<u2"), ("y", "<u2"), ("descriptor", "u1", (DESCRIPTOR_BYTES,))])

Points = npt.NDArray[np.float32]
Descriptors = npt.NDArray[np.uint8]


@dataclass(frozen=True, eq=False)
class Keypoints:
    """The keypoints of one image: where they are in its reduced copy (n x 2, pixels) and
    their ORB descriptors (n x 32 bytes). An image too small or too flat has none."""

    width: int
    height: int
    points: Points
    descriptors: Descriptors

    def __len__(self) -> int:
        return len(self.points)

    def to_bytes(self) -> bytes:
        records = np.zeros(len(self), dtype=_RECORD)
        scaled = np.rint(self.points * POSITION_SCALE)
        records["x"] = np.clip(scaled[:, 0], 0, 65535) if len(self) else 0
        records["y"] = np.clip(scaled[:, 1], 0, 65535) if len(self) else 0
        records["descriptor"] = self.descriptors
        return _HEADER.pack(VERSION, self.width, self.height, len(self)) + records.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keypoints:
        """The keypoints in a serialised value; raises `InvalidSignalError` for a value that
        is truncated, too long, of another version or out of its declared bounds."""
        if len(data) < _HEADER.size:
            raise InvalidSignalError("orb: the value is shorter than its header")
        version, width, height, count = _HEADER.unpack_from(data)
        if version != VERSION:
            raise InvalidSignalError(f"orb: unknown serialisation version {version}")
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise InvalidSignalError(f"orb: image size {width}x{height} out of range")
        if count > MAX_KEYPOINTS:
            raise InvalidSignalError(f"orb: {count} keypoints (at most {MAX_KEYPOINTS})")
        if len(data) != _HEADER.size + count * _RECORD.itemsize:
            raise InvalidSignalError(f"orb: {len(data)} bytes do not hold {count} keypoints")
        records = np.frombuffer(data, dtype=_RECORD, offset=_HEADER.size, count=count)
        points = np.stack([records["x"], records["y"]], axis=1).astype(np.float32)
        points /= POSITION_SCALE
        if count and (points[:, 0].max() > width or points[:, 1].max() > height):
            raise InvalidSignalError("orb: a keypoint lies outside the image")
        return cls(width, height, points, np.ascontiguousarray(records["descriptor"]))


def extract(pixels: npt.NDArray[np.uint8]) -> Keypoints:
    """The keypoints of an HxWx3 RGB (or HxW grey) image; none for one too small (a side
    under `MIN_SIDE` once reduced) or too flat."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    h, w = grey.shape[:2]
    scale = min(1.0, SIDE / max(h, w, 1))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    height, width = grey.shape[:2]
    if min(height, width) < MIN_SIDE:
        return _none(width, height)
    found, descriptors = _orb().detectAndCompute(np.ascontiguousarray(grey), None)
    if descriptors is None or not found:
        return _none(width, height)
    chosen = _spread(found, width, height)
    points = np.array([found[i].pt for i in chosen], dtype=np.float32).reshape(-1, 2)
    return Keypoints(width, height, points, np.ascontiguousarray(descriptors[chosen]))


def _orb() -> cv2.ORB:
    return cv2.ORB.create(nfeatures=FEATURES * OVERSAMPLE, fastThreshold=10, edgeThreshold=15)


def _spread(found: Sequence[cv2.KeyPoint], width: int, height: int) -> list[int]:
    """Up to `FEATURES` keypoint indexes, taken from the grid's cells in turn, strongest
    first within each cell (ties broken by position, so the choice is repeatable)."""
    cells: dict[int, list[int]] = {}
    order = sorted(range(len(found)), key=lambda i: (-found[i].response, found[i].pt))
    for i in order:
        x, y = found[i].pt
        cell = min(GRID - 1, int(y * GRID / height)) * GRID + min(GRID - 1, int(x * GRID / width))
        cells.setdefault(cell, []).append(i)
    queues = [cells[c] for c in sorted(cells)]
    chosen: list[int] = []
    depth = 0
    while len(chosen) < FEATURES and any(depth < len(q) for q in queues):
        chosen += [q[depth] for q in queues if depth < len(q)][: FEATURES - len(chosen)]
        depth += 1
    return chosen


def _none(width: int, height: int) -> Keypoints:
    return Keypoints(
        max(1, width),
        max(1, height),
        np.empty((0, 2), np.float32),
        np.empty((0, DESCRIPTOR_BYTES), np.uint8),
    )
