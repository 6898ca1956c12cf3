"""`TmkFeatures`: one video's TMK+PDQF descriptor, and its reference binary `.tmk` layout.

The layout (little-endian, as Meta's `tmk` tools write it): a 32-byte header — the magics
``TMK1``, ``FVEC`` and the frame-feature algorithm (``PDQF``), then five int32: frames per
second, the number of periods P, of Fourier coefficients m, the frame-feature dimension d and
the (resampled) frame count — followed by P int32 periods, m float32 coefficients, the d
float32 pure-average feature, then P·m cosine features and P·m sine features of d float32
each. A descriptor is the same size whatever the video's length (263,344 bytes for the usual
P=4, m=32, d=256).

Files come from other parties (exchanges, uploads), so `from_bytes` checks every count
against bounds and the total length before it allocates anything.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.errors import InvalidTmkError

PROJECT_MAGIC = b"TMK1"
FILE_TYPE_MAGIC = b"FVEC"
PDQF_MAGIC = b"PDQF"

_HEADER = struct.Struct("<4s4s4s5i")
#: Bounds on the header's counts: generous for any real configuration, small enough that a
#: hostile header cannot make us allocate much.
MAX_PERIODS = 64
MAX_COEFFICIENTS = 256
MAX_DIMENSION = 4096

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class TmkFeatures:
    """A TMK descriptor: the arrays are float32 and read-only."""

    frames_per_second: int
    periods: tuple[int, ...]
    #: The m Fourier coefficients a_j.
    coefficients: Floats
    #: The mean of the L2-normalised frame features (level-1 scoring).
    pure_average: Floats
    #: (P, m, d) cosine and sine features, each L2-normalised and scaled by sqrt(a_j).
    cos: Floats
    sin: Floats
    frame_count: int
    algorithm: bytes = PDQF_MAGIC

    def __post_init__(self) -> None:
        periods, coefficients = len(self.periods), len(self.coefficients)
        dimension = len(self.pure_average)
        shape = (periods, coefficients, dimension)
        if self.cos.shape != shape or self.sin.shape != shape:
            raise InvalidTmkError(
                f"TMK cosine/sine features must have shape {shape}, not "
                f"{self.cos.shape} and {self.sin.shape}"
            )
        if any(p <= 0 for p in self.periods):
            raise InvalidTmkError("TMK periods must be positive")
        for array in (self.coefficients, self.pure_average, self.cos, self.sin):
            array.setflags(write=False)

    @property
    def dimension(self) -> int:
        return len(self.pure_average)

    @classmethod
    def from_bytes(cls, data: bytes) -> TmkFeatures:
        """Parse a `.tmk` file; raises `InvalidTmkError` for anything malformed."""
        if len(data) < _HEADER.size:
            raise InvalidTmkError(
                f"a .tmk file has a {_HEADER.size}-byte header; got {len(data)} bytes"
            )
        project, file_type, algorithm, fps, periods, coefficients, dimension, frames = (
            _HEADER.unpack_from(data)
        )
        if project != PROJECT_MAGIC or file_type != FILE_TYPE_MAGIC:
            raise InvalidTmkError(
                f"not a TMK feature-vector file (magic {project!r} {file_type!r}, "
                f"expected {PROJECT_MAGIC!r} {FILE_TYPE_MAGIC!r})"
            )
        if algorithm != PDQF_MAGIC:
            raise InvalidTmkError(f"unsupported TMK frame-feature algorithm {algorithm!r}")
        if not (0 < periods <= MAX_PERIODS and 0 < coefficients <= MAX_COEFFICIENTS):
            raise InvalidTmkError(
                f"implausible TMK sizes: {periods} periods, {coefficients} coefficients"
            )
        if not 0 < dimension <= MAX_DIMENSION or fps <= 0 or frames < 0:
            raise InvalidTmkError(
                f"implausible TMK header: dimension {dimension}, {fps} fps, {frames} frames"
            )
        expected = _size(periods, coefficients, dimension)
        if len(data) != expected:
            raise InvalidTmkError(
                f"a .tmk file with this header is {expected:,} bytes; got {len(data):,} "
                "(truncated or padded)"
            )
        offset = _HEADER.size
        period_values = np.frombuffer(data, "<i4", periods, offset)
        offset += 4 * periods
        floats = np.frombuffer(data, "<f4", offset=offset).astype(np.float32)
        if not np.isfinite(floats).all():
            raise InvalidTmkError("a .tmk file holds NaN or infinite values")
        block = periods * coefficients * dimension
        parts = np.split(
            floats, [coefficients, coefficients + dimension, coefficients + dimension + block]
        )
        return cls(
            frames_per_second=fps,
            periods=tuple(int(p) for p in period_values),
            coefficients=parts[0],
            pure_average=parts[1],
            cos=parts[2].reshape(periods, coefficients, dimension),
            sin=parts[3].reshape(periods, coefficients, dimension),
            frame_count=frames,
            algorithm=algorithm,
        )

    def to_bytes(self) -> bytes:
        """The reference `.tmk` layout (what `from_bytes` reads)."""
        header = _HEADER.pack(
            PROJECT_MAGIC,
            FILE_TYPE_MAGIC,
            self.algorithm,
            self.frames_per_second,
            len(self.periods),
            len(self.coefficients),
            self.dimension,
            self.frame_count,
        )
        parts: list[Any] = [
            np.asarray(self.periods, "<i4"),
            self.coefficients,
            self.pure_average,
            self.cos,
            self.sin,
        ]
        return header + b"".join(
            np.ascontiguousarray(p, p.dtype.newbyteorder("<")).tobytes() for p in parts
        )


def _size(periods: int, coefficients: int, dimension: int) -> int:
    return _HEADER.size + 4 * (
        periods + coefficients + dimension + 2 * periods * coefficients * dimension
    )
