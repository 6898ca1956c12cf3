"""Computing a TMK+PDQF descriptor from a video, as Meta's `tmk-hash-video` does.

Frames are sampled at 15 fps and scaled to 64x64 (`bastion.media.video.FrameSampler`); each
frame's feature is its PDQ float DCT (the 256 values PDQ thresholds into bits). Frame t of N
adds its raw feature to the pure average, and its L2-normalised feature, weighted by
cos(2·pi·j·t/T) and sin(2·pi·j·t/T), to the j-th cosine and sine features of each period T.
At the end the average is divided by N, and each cosine/sine feature is L2-normalised and
scaled by sqrt(a_j).

The sampler hands on a frame shown n times in a row once, with n, and the builder adds the
n frames in one step: their weights over consecutive times are geometric series, summed in
closed form (`fourier_weights`), so a frame held for two hours costs what one frame does.
Frames are ingested in blocks, so memory stays at one descriptor (P·m·d floats) whatever
the video's length.
"""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt

from bastion.errors import CorruptMediaError
from bastion.media.video import FrameRun, FrameSampler, VideoLimits, decoded_frames, open_video
from bastion.pdq import pdq_float
from bastion.tmk.features import TmkFeatures

FRAMES_PER_SECOND = 15
FRAME_SIZE = 64
FEATURE_DIMENSION = 256
#: Poullot et al.'s periods and Fourier coefficients, as in Meta's reference.
POULLOT_PERIODS = (2731, 4391, 9767, 14653)
POULLOT_COEFFICIENTS = np.array(
    [
        0.0708041893112, 0.13937789309, 0.132897260304, 0.122765735552, 0.109878684888,
        0.09529606433, 0.0800986647852, 0.0652590650356, 0.0515478238322, 0.0394851531195,
        0.0293374252025, 0.0211492623679, 0.0147973073245, 0.0100512818746, 0.0066306408014,
        0.00424947117334, 0.0026467615764, 0.00160270959695, 0.000943882629639,
        0.000540841638603, 0.000301633183798, 0.000163800158855, 8.66454753015e-05,
        4.46626303151e-05, 2.24429442235e-05, 1.09982139799e-05, 5.25823487999e-06,
        2.45358229988e-06, 1.11781474895e-06, 4.97406489221e-07, 2.16265487234e-07,
        9.19087006565e-08,
    ],
    dtype=np.float32,
)  # fmt: skip
_BLOCK = 256


class TmkBuilder:
    """Accumulates frame features into a descriptor (`add_frame`, then `finish`)."""

    def __init__(
        self,
        periods: tuple[int, ...] = POULLOT_PERIODS,
        coefficients: npt.NDArray[np.float32] = POULLOT_COEFFICIENTS,
        dimension: int = FEATURE_DIMENSION,
        frames_per_second: int = FRAMES_PER_SECOND,
    ) -> None:
        self._periods = periods
        self._coefficients = coefficients
        self._fps = frames_per_second
        shape = (len(periods), len(coefficients), dimension)
        self._sum = np.zeros(dimension)
        self._cos = np.zeros(shape)
        self._sin = np.zeros(shape)
        self._pending: list[npt.NDArray[np.float64]] = []
        self._counts: list[int] = []
        self._count = 0

    def add_frame(self, feature: npt.NDArray[np.floating], count: int = 1) -> None:
        """Add the next `count` frames, each with this feature (a frame shown `count` times
        in a row): the same as adding it `count` times, at the cost of once."""
        if count < 1:
            raise ValueError("a frame is added at least once")
        self._pending.append(np.asarray(feature, dtype=np.float64).reshape(-1))
        self._counts.append(count)
        if len(self._pending) >= _BLOCK:
            self._ingest()

    def _ingest(self) -> None:
        if not self._pending:
            return
        block = np.stack(self._pending)
        counts = np.array(self._counts, dtype=np.int64)
        self._pending, self._counts = [], []
        starts = self._count + np.cumsum(counts) - counts
        self._count += int(counts.sum())
        self._sum += (block * counts[:, None]).sum(axis=0)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        unit = np.divide(block, norms, out=np.zeros_like(block), where=norms > 0)
        for i, period in enumerate(self._periods):
            cos, sin = fourier_weights(period, len(self._coefficients), starts, counts)
            self._cos[i] += cos @ unit
            self._sin[i, 1:] += sin[1:] @ unit  # the 0th sine feature stays 0

    @property
    def frame_count(self) -> int:
        return self._count + sum(self._counts)

    def finish(self) -> TmkFeatures:
        self._ingest()
        scale = np.sqrt(self._coefficients.astype(np.float64))[None, :, None]
        cos, sin = (_unit_rows(x) * scale for x in (self._cos, self._sin))
        average = self._sum / self._count if self._count else self._sum
        return TmkFeatures(
            frames_per_second=self._fps,
            periods=self._periods,
            coefficients=self._coefficients.copy(),
            pure_average=average.astype(np.float32),
            cos=cos.astype(np.float32),
            sin=sin.astype(np.float32),
            frame_count=self._count,
        )


def tmk_from_video(data: bytes, *, limits: VideoLimits | None = None) -> TmkFeatures:
    """The TMK+PDQF descriptor of a video file's bytes."""
    limits = limits or VideoLimits()
    with open_video(data, limits) as (container, stream):
        hasher = TmkHasher(container, stream, limits=limits)
        for index, frame in enumerate(decoded_frames(container, stream, limits)):
            hasher.add(index, frame)
    return hasher.result()


class TmkHasher:
    """The TMK+PDQF descriptor of one video stream, given its decoded frames in order (a
    `FrameConsumer`); `result` once they are all in."""

    def __init__(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        *,
        limits: VideoLimits | None = None,
    ) -> None:
        self._sampler = FrameSampler(
            container,
            stream,
            fps=FRAMES_PER_SECOND,
            width=FRAME_SIZE,
            height=FRAME_SIZE,
            limits=limits or VideoLimits(),
        )
        self._builder = TmkBuilder()

    def add(self, index: int, frame: av.VideoFrame) -> None:
        self._take(self._sampler.push(frame))

    def result(self) -> TmkFeatures:
        self._take(self._sampler.finish())
        if self._builder.frame_count == 0:
            raise CorruptMediaError("the video has no frames to decode")
        return self._builder.finish()

    def _take(self, runs: list[FrameRun]) -> None:
        for run in runs:
            feature = pdq_float(run.frame)
            if feature is not None:  # (a 64x64 frame is always large enough)
                self._builder.add_frame(feature, run.count)


def fourier_weights(
    period: int,
    coefficients: int,
    starts: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(coefficients, runs) weights: for each j and each run of `counts[r]` frames from time
    `starts[r]`, the sums over its times t of cos(2·pi·j·t/T) and of sin(2·pi·j·t/T).

    With theta = 2·pi·j/T, the n terms from t0 sum to D·cos(theta·(t0 + (n-1)/2)) and
    D·sin(...), where D = sin(n·theta/2) / sin(theta/2) (Dirichlet's kernel; n for j = 0).
    Every angle is reduced modulo a whole turn in integers before it becomes a float, so
    the weights are as exact at frame 100,000 as at frame 0; for n = 1 they are the
    frame's own cos and sin (D is exactly 1).
    """
    j = np.arange(coefficients, dtype=np.int64)[:, None]
    turn = 2 * period  # angles below are pi·k/T, so k is taken modulo 2T
    middle = np.pi * ((j * (2 * starts + counts - 1)) % turn) / period
    half = np.pi * ((j * counts) % turn) / period
    step = np.pi * j / period
    kernel = np.divide(
        np.sin(half),
        np.sin(step),
        out=np.broadcast_to(counts, half.shape).astype(np.float64),
        where=j > 0,
    )
    return kernel * np.cos(middle), kernel * np.sin(middle)


def _unit_rows(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    unit: npt.NDArray[np.float64] = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    return unit
