"""Whether two images' keypoints agree on one geometry: a copy, cropped, turned or scaled.

Descriptors are paired by `pairs` (each query keypoint's nearest bank descriptor, kept when
it is clearly nearer than the second nearest, within `MAX_DESCRIPTOR_DISTANCE` bits, and
the query keypoint is that bank keypoint's nearest too). `agreement` then fits one
similarity transform (rotation, uniform scale, shift: `cv2.estimateAffinePartial2D`) to
the pairs with RANSAC and reports what it found: how many pairs it explains (inliers), their
share of the pairs, the scale, and how much of the query image the inliers cover. A chance
resemblance pairs a few keypoints by luck; those rarely agree on one transform, and when
they do they bunch up in one patch of texture. `Policy` says what passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from bastion.keypoints.features import Keypoints

#: A pair's descriptors differ by at most this many of their 256 bits.
MAX_DESCRIPTOR_DISTANCE = 64
#: The nearest bank descriptor must be nearer than this share of the second nearest.
RATIO = 0.8
#: RANSAC's reprojection threshold, in pixels of the reduced copies (512 px side).
REPROJECTION_PX = 3.0
#: The spread of inliers is counted in the cells of a SPREAD_GRID x SPREAD_GRID grid.
SPREAD_GRID = 4

Pairs = npt.NDArray[np.int32]
Matrix = npt.NDArray[np.float64 | np.uint8]


@dataclass(frozen=True)
class Agreement:
    """What the geometric check found between a query's and a bank image's keypoints."""

    #: Pairs of keypoints explained by the fitted transform.
    inliers: int = 0
    #: Pairs proposed by their descriptors.
    pairs: int = 0
    #: The transform's scale (query size over bank size); 0 when none was fitted.
    scale: float = 0.0
    #: Cells of the query's SPREAD_GRID x SPREAD_GRID grid holding an inlier.
    cells: int = 0

    @property
    def share(self) -> float:
        """The inliers' share of the proposed pairs."""
        return self.inliers / self.pairs if self.pairs else 0.0


@dataclass(frozen=True)
class Policy:
    """When an agreement counts as the same picture (settings `keypoint_min_inliers`...)."""

    min_inliers: int = 14
    min_share: float = 0.25
    min_cells: int = 3
    #: The plausible scales, query over bank: a copy at a quarter to four times the size.
    min_scale: float = 0.25
    max_scale: float = 4.0

    def passes(self, found: Agreement) -> bool:
        return (
            found.inliers >= self.min_inliers
            and found.share >= self.min_share
            and found.cells >= self.min_cells
            and self.min_scale <= found.scale <= self.max_scale
        )


def pairs(query: Keypoints, bank: Keypoints) -> Pairs:
    """(query keypoint, bank keypoint) index pairs whose descriptors match (ratio test,
    distance bound, mutual nearest)."""
    if len(query) < 2 or len(bank) < 2:
        return np.empty((0, 2), np.int32)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    forward = matcher.knnMatch(query.descriptors, bank.descriptors, k=2)
    nearest = np.array([m[0].trainIdx for m in forward], np.int32)
    best = np.array([m[0].distance for m in forward], np.float32)
    second = np.array([m[1].distance for m in forward], np.float32)
    back = np.array([m.trainIdx for m in matcher.match(bank.descriptors, query.descriptors)])
    rows = np.arange(len(query), dtype=np.int32)
    keep = (best <= MAX_DESCRIPTOR_DISTANCE) & (best < RATIO * second) & (back[nearest] == rows)
    return np.stack([rows[keep], nearest[keep]], axis=1)


def agreement(query: Keypoints, bank: Keypoints) -> Agreement:
    """The best single similarity transform between the two images' paired keypoints."""
    found = pairs(query, bank)
    if len(found) < 3:
        return Agreement(pairs=len(found))
    source = bank.points[found[:, 1]].reshape(-1, 1, 2)
    target = query.points[found[:, 0]].reshape(-1, 1, 2)
    fitted = cv2.estimateAffinePartial2D(
        source,
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=REPROJECTION_PX,
        maxIters=2000,
        confidence=0.995,
    )
    # (None, None) when no transform fits, which OpenCV's stubs do not say.
    matrix, mask = cast("tuple[Matrix | None, Matrix | None]", fitted)
    if matrix is None or mask is None:
        return Agreement(pairs=len(found))
    inlying = mask.ravel().astype(bool)
    scale = math.hypot(float(matrix[0, 0]), float(matrix[1, 0]))
    return Agreement(
        inliers=int(inlying.sum()),
        pairs=len(found),
        scale=scale,
        cells=_cells(target.reshape(-1, 2)[inlying], query.width, query.height),
    )


def _cells(points: npt.NDArray[np.float32], width: int, height: int) -> int:
    if not len(points):
        return 0
    column = np.minimum(SPREAD_GRID - 1, (points[:, 0] * SPREAD_GRID / width).astype(int))
    row = np.minimum(SPREAD_GRID - 1, (points[:, 1] * SPREAD_GRID / height).astype(int))
    return len(np.unique(row * SPREAD_GRID + column))
