"""Comparing two TMK descriptors: the level-1 and level-2 scores of Meta's TMK+PDQF.

- **Level 1** is the cosine similarity of the two pure-average features: cheap, and used to
  skip level 2 for videos that are plainly different.
- **Level 2** is the TMK score (Poullot et al.): for each period T and each offset
  o in 0..T-1, with delta = 2·pi·o/T,

      K(delta) = c0·c0' + sum_{j>=1} cos(j·delta)·(cj·cj' + sj·sj')
                        + sum_{j>=1} sin(j·delta)·(sj·cj' - cj·sj')

  where cj, sj are the j-th cosine and sine features of one video and cj', sj' of the other.
  The best offset per period aligns the videos modulo T; the score is the largest K over
  the periods, divided by a_0 + 2·sum_{j>=1} a_j (what a video scores against itself), so
  it lies in [-1, 1] and is 1 for identical descriptors.

Both are computed in float64 here (the reference uses float32 and a cos/sin recurrence; the
two agree to about 1e-6).
"""

from __future__ import annotations

import numpy as np

from bastion.errors import InvalidTmkError
from bastion.tmk.features import TmkFeatures

#: Meta's default match thresholds.
LEVEL1_THRESHOLD = 0.7
LEVEL2_THRESHOLD = 0.7


def level1_score(a: TmkFeatures, b: TmkFeatures) -> float:
    """Cosine similarity of the pure-average features (0 when either is all zeros)."""
    _check_compatible(a, b)
    u = a.pure_average.astype(np.float64)
    v = b.pure_average.astype(np.float64)
    norms = float(np.linalg.norm(u) * np.linalg.norm(v))
    return float(u @ v) / norms if norms > 0 else 0.0


def level2_score(a: TmkFeatures, b: TmkFeatures) -> float:
    """The normalised TMK score: the best-aligned period's K over a self-match's."""
    _check_compatible(a, b)
    ca, sa = a.cos.astype(np.float64), a.sin.astype(np.float64)
    cb, sb = b.cos.astype(np.float64), b.sin.astype(np.float64)
    # (P, m) dot products of matching features.
    same = np.einsum("pmd,pmd->pm", ca, cb) + np.einsum("pmd,pmd->pm", sa, sb)
    cross = np.einsum("pmd,pmd->pm", sa, cb) - np.einsum("pmd,pmd->pm", ca, sb)
    j = np.arange(len(a.coefficients), dtype=np.float64)
    best = -np.inf
    for i, period in enumerate(a.periods):
        delta = 2.0 * np.pi * np.arange(period, dtype=np.float64) / period
        angles = np.outer(delta, j[1:])  # (T, m-1)
        k = (ca[i, 0] @ cb[i, 0]) + np.cos(angles) @ same[i, 1:] + np.sin(angles) @ cross[i, 1:]
        best = max(best, float(k.max()))
    coefficients = a.coefficients.astype(np.float64)
    normalizer = float(coefficients[0] + 2.0 * coefficients[1:].sum())
    return best / normalizer


def _check_compatible(a: TmkFeatures, b: TmkFeatures) -> None:
    if (
        a.periods != b.periods
        or a.dimension != b.dimension
        or not np.array_equal(a.coefficients, b.coefficients)
    ):
        raise InvalidTmkError(
            "these TMK descriptors were made with different periods, coefficients or "
            "frame features and cannot be compared"
        )
