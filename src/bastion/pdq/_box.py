"""The reference's running-sum box filter, reproduced bit for bit in float32.

The reference filters each line with one float32 accumulator that walks along it
in four phases (see `window_plan`): it adds the first half-window without output,
then adds and outputs while the window grows, then adds the entering pixel and
subtracts the leaving one, then only subtracts while the window shrinks at the far
edge.  Every output is the running sum divided by the current window size.  The
rounding of that running sum is part of the result, so it cannot be replaced by a
differently ordered sum; these functions keep the sequential float32 accumulation
along each line and vectorise across lines instead:

* `box_along_rows` builds, for every line, the sequence of signed terms the
  reference adds (entering pixel, then minus leaving pixel, ...) and lets
  ``np.add.accumulate`` run the recurrence, which is sequential per line;
* `box_along_columns` steps the accumulator through the lines one at a time, each
  step being one vector operation across all columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["WindowPlan", "box_along_columns", "box_along_rows", "window_plan"]

F32 = np.float32
#: Elements of scratch space the row filter works on at once (cache-sized chunks).
_CHUNK_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class WindowPlan:
    """Phase lengths of the reference's running sum over a line of ``length``."""

    length: int
    window: int

    @property
    def half(self) -> int:
        # 7 -> 4, 8 -> 5: output i covers [i - (window - half), i + half - 1].
        return (self.window + 2) // 2

    @property
    def lead(self) -> int:
        """Phase 1: terms added before the first output."""
        return self.half - 1

    @property
    def growing(self) -> int:
        """Phase 2: outputs while the window grows to full size."""
        return self.window - self.half + 1

    @property
    def steady(self) -> int:
        """Phase 3: outputs with the full window (add one, subtract one)."""
        return self.length - self.window

    @property
    def shrinking(self) -> int:
        """Phase 4: outputs while the window shrinks (subtract only)."""
        return self.half - 1

    @property
    def terms(self) -> int:
        """Number of signed terms the accumulator sees along the line."""
        return self.window + 2 * self.steady + self.shrinking


@lru_cache(maxsize=64)
def window_plan(length: int, window: int) -> WindowPlan:
    if window < 1 or length < window:
        raise ValueError(f"box window {window} does not fit a line of {length}")
    return WindowPlan(length, window)


@lru_cache(maxsize=64)
def _output_terms(length: int, window: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """For each output: index of its running sum among the terms, and its divisor."""
    p = window_plan(length, window)
    position = np.concatenate(
        [
            np.arange(p.lead, p.window),
            p.window + 1 + 2 * np.arange(p.steady),
            p.window + 2 * p.steady + np.arange(p.shrinking),
        ]
    )
    divisor = np.concatenate(
        [
            np.arange(p.half, p.window + 1),
            np.full(p.steady, p.window),
            p.window - 1 - np.arange(p.shrinking),
        ]
    ).astype(F32)
    position.setflags(write=False)
    divisor.setflags(write=False)
    return position, divisor


def _running_sums(lines: npt.NDArray[np.float32], p: WindowPlan) -> npt.NDArray[np.float32]:
    """Every value the reference's accumulator takes along each row of ``lines``."""
    w, steady, shrink = p.window, p.steady, p.shrinking
    terms = np.empty((lines.shape[0], p.terms), dtype=F32)
    terms[:, :w] = lines[:, :w]
    terms[:, w : w + 2 * steady : 2] = lines[:, w:]
    np.negative(lines[:, :steady], out=terms[:, w + 1 : w + 2 * steady : 2])
    np.negative(lines[:, steady : steady + shrink], out=terms[:, w + 2 * steady :])
    np.add.accumulate(terms, axis=1, out=terms)
    return terms


def box_along_rows(
    image: npt.NDArray[np.float32],
    window: int,
    keep: npt.NDArray[np.intp] | None = None,
    out: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """Filter each row (along axis 1) as the reference does.

    With ``keep``, return only those output columns (the accumulation still runs
    over the whole row, as it must).  ``out``, if given, receives the result.
    """
    rows, length = image.shape
    p = window_plan(length, window)
    position, divisor = _output_terms(length, window)
    width = length if keep is None else len(keep)
    if out is None:
        out = np.empty((rows, width), dtype=F32)
    if keep is not None:
        position, divisor = position[keep], divisor[keep]
    step = max(1, _CHUNK_ELEMENTS // p.terms)
    for start in range(0, rows, step):
        sums = _running_sums(image[start : start + step], p)
        if keep is not None:
            np.divide(sums[:, position], divisor, out=out[start : start + step])
            continue
        # Contiguous slices instead of a gather: phase 2, 3 and 4 outputs.
        target = out[start : start + step]
        grow, steady, w = p.growing, p.steady, p.window
        np.divide(sums[:, p.lead : w], divisor[:grow], out=target[:, :grow])
        np.divide(sums[:, w + 1 : w + 2 * steady : 2], F32(w), out=target[:, grow : grow + steady])
        np.divide(
            sums[:, w + 2 * steady :], divisor[grow + steady :], out=target[:, grow + steady :]
        )
    return out


def box_along_columns(image: npt.NDArray[np.float32], window: int) -> npt.NDArray[np.float32]:
    """Filter each column (along axis 0) as the reference does."""
    length = image.shape[0]
    p = window_plan(length, window)
    out = np.empty_like(image, dtype=F32)
    acc = np.zeros(image.shape[1:], dtype=F32)
    size = 0
    enter = leave = emit = 0
    for _ in range(p.lead):
        acc += image[enter]
        enter += 1
        size += 1
    for _ in range(p.growing):
        acc += image[enter]
        enter += 1
        size += 1
        np.divide(acc, F32(size), out=out[emit])
        emit += 1
    full = F32(size)
    for _ in range(p.steady):
        acc += image[enter]
        acc -= image[leave]
        enter += 1
        leave += 1
        np.divide(acc, full, out=out[emit])
        emit += 1
    for _ in range(p.shrinking):
        acc -= image[leave]
        leave += 1
        size -= 1
        np.divide(acc, F32(size), out=out[emit])
        emit += 1
    return out
