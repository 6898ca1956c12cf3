"""A deliberately literal, scalar transcription of the PDQ reference algorithm.

Slow (plain Python loops over numpy float32 scalars), so only for small images; it
is the independent oracle the vectorised implementation is checked against.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

f32 = np.float32


def luma(pixels: npt.NDArray[np.uint8]) -> list[list[np.float32]]:
    cr, cg, cb = f32(0.299), f32(0.587), f32(0.114)
    return [
        [cr * f32(int(p[0])) + cg * f32(int(p[1])) + cb * f32(int(p[2])) for p in row]
        for row in pixels
    ]


def box_line(values: list[np.float32], window: int) -> list[np.float32]:
    """The reference's four-phase running-sum box filter along one line."""
    n = len(values)
    half = (window + 2) // 2
    out: list[np.float32] = []
    total = f32(0.0)
    size = 0
    right = left = 0
    for _ in range(half - 1):
        total = f32(total + values[right])
        right += 1
        size += 1
    for _ in range(window - half + 1):
        total = f32(total + values[right])
        right += 1
        size += 1
        out.append(f32(total / f32(size)))
    for _ in range(n - window):
        total = f32(total + values[right])
        total = f32(total - values[left])
        right += 1
        left += 1
        out.append(f32(total / f32(size)))
    for _ in range(half - 1):
        total = f32(total - values[left])
        left += 1
        size -= 1
        out.append(f32(total / f32(size)))
    return out


def transpose(matrix: list[list[np.float32]]) -> list[list[np.float32]]:
    return [list(col) for col in zip(*matrix, strict=True)]


def dct_matrix() -> list[list[np.float32]]:
    scale = f32(math.sqrt(2.0 / 64.0))
    return [
        [
            f32(float(scale) * math.cos((math.pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1)))
            for j in range(64)
        ]
        for i in range(16)
    ]


def torben(values: list[np.float32]) -> np.float32:
    """Torben Mogensen's median selection, as in the reference."""
    n = len(values)
    lo, hi = min(values), max(values)
    while True:
        guess = f32((lo + hi) / f32(2))
        less = greater = equal = 0
        max_lt, min_gt = lo, hi
        for v in values:
            if v < guess:
                less += 1
                max_lt = max(max_lt, v)
            elif v > guess:
                greater += 1
                min_gt = min(min_gt, v)
            else:
                equal += 1
        if less <= (n + 1) // 2 and greater <= (n + 1) // 2:
            break
        if less > greater:
            hi = max_lt
        else:
            lo = min_gt
    if less >= (n + 1) // 2:
        return max_lt
    if less + equal >= (n + 1) // 2:
        return guess
    return min_gt


def pdq(pixels: npt.NDArray[np.uint8]) -> tuple[str, int]:
    """Hash and quality of an RGB image, the slow literal way."""
    rows, cols = pixels.shape[:2]
    if rows < 5 or cols < 5:
        return "0" * 64, 0
    image = luma(pixels)
    if (rows, cols) != (64, 64):
        along_rows, along_cols = (cols + 127) // 128, (rows + 127) // 128
        for _ in range(2):
            image = [box_line(r, along_rows) for r in image]
            image = transpose([box_line(c, along_cols) for c in transpose(image)])
        ri = [int(((i + 0.5) * rows) / 64) for i in range(64)]
        ci = [int(((j + 0.5) * cols) / 64) for j in range(64)]
        image = [[image[i][j] for j in ci] for i in ri]
    gradient = 0
    for i in range(64):
        for j in range(64):
            if i < 63:
                gradient += abs(
                    int(f32(f32(f32(image[i][j] - image[i + 1][j]) * f32(100)) / f32(255)))
                )
            if j < 63:
                gradient += abs(
                    int(f32(f32(f32(image[i][j] - image[i][j + 1]) * f32(100)) / f32(255)))
                )
    quality = min(gradient // 90, 100)
    d = dct_matrix()
    temp = [[f32(0.0)] * 64 for _ in range(16)]
    for i in range(16):
        for j in range(64):
            acc = f32(0.0)
            for k in range(64):
                acc = f32(acc + f32(d[i][k] * image[k][j]))
            temp[i][j] = acc
    out = [[f32(0.0)] * 16 for _ in range(16)]
    for i in range(16):
        for j in range(16):
            acc = f32(0.0)
            for k in range(64):
                acc = f32(acc + f32(temp[i][k] * d[j][k]))
            out[i][j] = acc
    median = torben([v for row in out for v in row])
    words = [sum(1 << j for j in range(16) if out[i][j] > median) for i in range(16)]
    return "".join(f"{w:04x}" for w in reversed(words)), quality
