"""Finding a picture that was turned a few degrees inside its frame, and straightening it.

Editors and phone apps tilt a picture in one of two ways, and fill the corners they open
with black, white, another colour, a blurred copy of the picture or its mirror image:

- `Geometry.ENLARGED`: the canvas grows to hold the whole turned picture (PIL's
  ``rotate(..., expand=True)``): a w x h picture turned by θ fills a canvas of
  (w|cos θ| + h|sin θ|) x (w|sin θ| + h|cos θ|), so the canvas and θ give the picture's size;
- `Geometry.SAME`: the picture is turned inside a frame of its own size, which cuts its
  corners off.

Either way the picture's edges are four straight lines at a known place for each θ. On a
copy reduced to `PROBE_SIDE`, each candidate θ and geometry is scored by how many points
along those lines look like the boundary of a picture: the colour steps across the line
more than it does a few pixels either side (a filled corner), or the line is a mirror
across which the colour reflects (a mirrored fill). A candidate is taken only when its
edges agree (three at least: a picture as dark as a black fill along one edge hides that
one); an ordinary photo's straight lines (a road, a roof, stripes) meet one or two of them
at best. No fill colour is assumed: black, white or blue corners are found alike. A blurred
copy of the picture or its mirror image behind it hides most of its edge, and is found only
where the edge shows (`benchmarks/tilt.py` measures each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from PIL import Image

#: Tilts are looked for on a copy reduced to this longest side.
PROBE_SIDE = 256
#: Images with a side under this (on the probe) have no tilt found.
MIN_SIDE = 48
#: The tilts looked for, in degrees either way, and the step of the first search.
MIN_DEGREES = 0.75
MAX_DEGREES = 15.0
COARSE_STEP = 0.25
#: The step of the refined search around the best coarse tilt.
FINE_STEP = 0.05
#: Points sampled along each edge of a candidate.
EDGE_POINTS = 48
#: A point looks like a picture's edge when the colour steps across it by at least this
#: (summed over R, G and B, 0-765) and by more than it steps 2-4 probe pixels either side.
MIN_STEP = 18.0
#: A point is a mirror when the colour reflects across it: the mismatch of the mirror pairs
#: about it is under this share of that about lines 2-3 pixels away (and those are textured
#: at least `MIN_TEXTURE`, summed over R, G and B).
MIRROR_SHARE = 0.5
MIN_TEXTURE = 9.0
#: A tilt is found when on average at least this share of the points of its edges look
#: like a picture's edge, and at least `MIN_EDGE_SUPPORT` on each edge (ordinary photos
#: score under 0.3 on their best candidate).
MIN_SUPPORT = 0.6
MIN_EDGE_SUPPORT = 0.4
#: Angles of each geometry kept from the first, rough search for a closer look.
SHORTLIST = 3


class Geometry(StrEnum):
    """How the picture was turned: inside a canvas grown to hold it, or inside its own."""

    ENLARGED = "enlarged"
    SAME = "same"


@dataclass(frozen=True)
class Tilt:
    """A tilt found: the picture was turned `degrees` counter-clockwise (PIL's sense), in
    `geometry`; `support` is the share of edge points that agreed on its weakest edge."""

    degrees: float
    geometry: Geometry
    support: float


def find_tilt(pixels: npt.NDArray[np.uint8]) -> Tilt | None:
    """The tilt of the picture inside an (h, w, 3) RGB image; None for an untilted image,
    or one too small, flat or odd-shaped to tell."""
    if pixels.ndim != 3 or pixels.shape[2] < 3 or min(pixels.shape[:2]) < MIN_SIDE:
        return None
    probe = _probe(pixels)
    if min(probe.shape[:2]) < MIN_SIDE:
        return None
    height, width = pixels.shape[:2]
    # First every other coarse angle, with few points (on a copy half the probe's size for
    # the enlarged canvas, whose edges show whole); then the best few angles of each
    # geometry and their neighbours, on the probe; then finely about the best.
    half = _reduced(probe)
    coarse = np.arange(MIN_DEGREES, MAX_DEGREES + COARSE_STEP / 2, 2 * COARSE_STEP)
    coarse = np.concatenate([-coarse[::-1], coarse])
    best: Tilt | None = None
    for geometry in Geometry:
        first = half if geometry is Geometry.ENLARGED else probe
        rough = _support(first, width, height, coarse, geometry, EDGE_POINTS // 3)
        top = coarse[np.argsort(rough)[-SHORTLIST:]]
        near = np.arange(-2, 3) * COARSE_STEP
        angles = np.unique(np.round((top[:, None] + near).ravel(), 2)).astype(np.float64)
        angles = angles[(np.abs(angles) >= MIN_DEGREES) & (np.abs(angles) <= MAX_DEGREES)]
        support = _support(probe, width, height, angles, geometry, EDGE_POINTS)
        index = int(np.argmax(support))
        if support[index] >= MIN_SUPPORT and (best is None or support[index] > best.support):
            best = Tilt(float(angles[index]), geometry, float(support[index]))
    if best is None:
        return None
    fine = best.degrees + np.arange(-2 * COARSE_STEP, 2 * COARSE_STEP + FINE_STEP / 2, FINE_STEP)
    strength = _strength(probe, width, height, fine, best.geometry)
    return Tilt(round(float(fine[int(np.argmax(strength))]), 2), best.geometry, best.support)


def picture_size(width: int, height: int, tilt: Tilt) -> tuple[float, float]:
    """The size of the picture turned by `tilt` inside a `width` x `height` image."""
    if tilt.geometry is Geometry.SAME:
        return float(width), float(height)
    radians = math.radians(tilt.degrees)
    c, s = abs(math.cos(radians)), abs(math.sin(radians))
    det = c * c - s * s
    return (c * width - s * height) / det, (c * height - s * width) / det


def straightened(pixels: npt.NDArray[np.uint8], tilt: Tilt) -> npt.NDArray[np.uint8]:
    """The picture of `pixels` turned back by `tilt` and cut out of its canvas (for the
    same-size geometry, the corners the tilt cut off stay filled, with the picture's mean
    colour)."""
    height, width = pixels.shape[:2]
    fill = tuple(int(v) for v in pixels.reshape(-1, pixels.shape[2])[:, :3].mean(axis=0))
    image = Image.fromarray(np.ascontiguousarray(pixels[..., :3]))
    turned = image.rotate(-tilt.degrees, Image.Resampling.BICUBIC, fillcolor=fill)
    w, h = picture_size(width, height, tilt)
    left, top = (width - w) / 2, (height - h) / 2
    box = (round(left), round(top), round(left + w), round(top + h))
    return np.asarray(turned.crop(box))


def _probe(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """`pixels` reduced to `PROBE_SIDE` on its longer side."""
    height, width = pixels.shape[:2]
    image = Image.fromarray(np.ascontiguousarray(pixels[..., :3]))
    scale = max(height, width) / PROBE_SIDE
    if scale > 1:
        size = (max(1, round(width / scale)), max(1, round(height / scale)))
        image = image.resize(size, Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32)


def _reduced(probe: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """`probe` at half its size (the mean of each 2 x 2 block)."""
    h, w = (probe.shape[0] // 2) * 2, (probe.shape[1] // 2) * 2
    blocks = probe[:h, :w].reshape(h // 2, 2, w // 2, 2, -1)
    result: npt.NDArray[np.float32] = blocks.mean(axis=(1, 3))
    return result


#: Sample offsets across an edge (outward, probe pixels), and the centres of the steps
#: between neighbouring samples.
_OFFSETS = np.arange(-5.5, 6.0, 1.0, dtype=np.float32)
_STEP_AT = {int(k): i for i, k in enumerate(_OFFSETS[:-1] + 0.5)}


@dataclass(frozen=True)
class _Profiles:
    """The colour across the edges of candidate tilts, at the points inside the image:
    `colour` (points, offsets, 3); `edge` numbers each point's edge (candidate * 4 + side)."""

    colour: npt.NDArray[np.float32]
    edge: npt.NDArray[np.intp]
    candidates: int
    #: Points sampled along each edge (inside the image or not).
    points: int

    def share(
        self, hits: npt.NDArray[np.bool_], telling: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float64]:
        """Per candidate: the share of `hits` among the `telling` points (those where the
        colour changes at all) of its edges, on average; 0 unless at least three edges have
        enough telling points (a picture as dark as a black fill along one edge hides it)
        and each of those has at least `MIN_EDGE_SUPPORT`."""
        edges = 4 * self.candidates
        counted = np.bincount(self.edge, weights=telling, minlength=edges).reshape(-1, 4)
        hit = np.bincount(self.edge, weights=hits, minlength=edges).reshape(-1, 4)
        share = hit / np.maximum(counted, 1)
        seen = counted >= max(self.points // 4, 4)
        mean = (share * seen).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
        weakest = np.where(seen, share, 1.0).min(axis=1)
        result: npt.NDArray[np.float64] = np.where(
            (seen.sum(axis=1) >= 3) & (weakest >= MIN_EDGE_SUPPORT), mean, 0.0
        )
        return result

    def mean(self, values: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Per candidate: the mean of `values` over its points."""
        candidate = self.edge // 4
        counted = np.bincount(candidate, minlength=self.candidates)
        total = np.bincount(candidate, weights=values, minlength=self.candidates)
        result: npt.NDArray[np.float64] = total / np.maximum(counted, 1)
        return result


def _profiles(
    probe: npt.NDArray[np.float32],
    width: int,
    height: int,
    degrees: npt.NDArray[np.float64],
    geometry: Geometry,
    points: int,
) -> _Profiles:
    """The colour across each edge of the picture turned by each of `degrees` in `geometry`,
    at `points` points along each edge (those inside the image)."""
    ph, pw = probe.shape[:2]
    radians = np.radians(degrees).astype(np.float32)[:, None]
    c, s = np.cos(radians), np.sin(radians)
    if geometry is Geometry.SAME:
        w, h = np.full_like(c, width), np.full_like(c, height)
    else:
        det = c * c - s * s
        w = (np.abs(c) * width - np.abs(s) * height) / det
        h = (np.abs(c) * height - np.abs(s) * width) / det
    # Corners of the picture clockwise from its top left, relative to its centre (full size,
    # y down), turned counter-clockwise on screen, then scaled to the probe.
    lx = np.array([-0.5, 0.5, 0.5, -0.5], np.float32) * w
    ly = np.array([-0.5, -0.5, 0.5, 0.5], np.float32) * h
    start = np.stack(
        [(lx * c + ly * s) * (pw / width) + pw / 2, (-lx * s + ly * c) * (ph / height) + ph / 2],
        axis=-1,
    )  # (candidates, 4, 2)
    along = np.roll(start, -1, axis=1) - start
    tangent = along / np.maximum(np.linalg.norm(along, axis=-1, keepdims=True), 1e-9)
    outward = np.stack([tangent[..., 1], -tangent[..., 0]], axis=-1)
    t = np.linspace(0.06, 0.94, points, dtype=np.float32)
    where = start[:, :, None, :] + t[None, None, :, None] * along[:, :, None, :]
    inside = (
        (where[..., 0] > 1)
        & (where[..., 0] < pw - 1)
        & (where[..., 1] > 1)
        & (where[..., 1] < ph - 1)
    )
    inside &= (w > 0)[:, :, None] & (h > 0)[:, :, None]
    edge = np.broadcast_to(np.arange(4 * len(degrees)).reshape(-1, 4, 1), inside.shape)[inside]
    normal = np.broadcast_to(outward[:, :, None, :], where.shape)[inside]
    samples = where[inside][:, None, :] + _OFFSETS[:, None] * normal[:, None, :]
    colour = _bilinear(probe, samples[..., 0] - 0.5, samples[..., 1] - 0.5)
    return _Profiles(colour, edge, len(degrees), points)


def _bilinear(
    image: npt.NDArray[np.float32], x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> npt.NDArray[np.float32]:
    """`image` (h, w, channels) at (x, y) (pixel centres at whole numbers), clamped to its
    edges: (*x.shape, channels)."""
    h, w = image.shape[:2]
    x = np.clip(x, 0, w - 1.001).astype(np.float32)
    y = np.clip(y, 0, h - 1.001).astype(np.float32)
    x0 = x.astype(np.intp)
    y0 = y.astype(np.intp)
    fx = x - x0
    fy = y - y0
    i = y0 * w + x0
    planes = []
    for channel in np.moveaxis(image, -1, 0):
        flat = channel.ravel()
        top = flat.take(i)
        top += (flat.take(i + 1) - top) * fx
        bottom = flat.take(i + w)
        bottom += (flat.take(i + w + 1) - bottom) * fx
        planes.append(top + (bottom - top) * fy)
    return np.stack(planes, axis=-1)


def _support(
    probe: npt.NDArray[np.float32],
    width: int,
    height: int,
    degrees: npt.NDArray[np.float64],
    geometry: Geometry,
    points: int,
) -> npt.NDArray[np.float64]:
    """Per candidate angle: the share of points on its weakest edge that look like a
    picture's edge, as a step or as a mirror (whichever more of them say)."""
    profiles = _profiles(probe, width, height, degrees, geometry, points)
    steps = _steps(profiles.colour)
    at = steps[:, _STEP_AT[0]]
    beside = np.max(steps[:, [_STEP_AT[k] for k in (-4, -3, -2, 2, 3, 4)]], axis=-1)
    step = (at >= MIN_STEP) & (at > beside)
    mirror = _mismatch(profiles.colour, 0)
    around = np.minimum.reduce([_mismatch(profiles.colour, k) for k in (-3, -2, 2, 3)])
    mirrored = (around >= MIN_TEXTURE) & (mirror < MIRROR_SHARE * around)
    # A picture as dark as a black fill along part of an edge says nothing there.
    telling = steps.max(axis=1) >= MIN_STEP
    return np.maximum(
        profiles.share(step & telling, telling), profiles.share(mirrored, around >= MIN_TEXTURE)
    )


def _steps(colour: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """How far the colour moves between neighbouring samples (summed over R, G and B)."""
    result: npt.NDArray[np.float32] = np.abs(np.diff(colour, axis=1)).sum(axis=-1)
    return result


def _mismatch(colour: npt.NDArray[np.float32], axis: int) -> npt.NDArray[np.float32]:
    """Colour difference (summed over R, G and B, averaged over the pairs) of the samples
    paired by a mirror at offset `axis`."""
    centre = int(np.searchsorted(_OFFSETS, axis))  # the first sample past the mirror
    near = colour[:, centre - 3 : centre][:, ::-1]
    far = colour[:, centre : centre + 3]
    result: npt.NDArray[np.float32] = np.abs(near - far).sum(axis=(1, 2)) / 3
    return result


def _strength(
    probe: npt.NDArray[np.float32],
    width: int,
    height: int,
    degrees: npt.NDArray[np.float64],
    geometry: Geometry,
) -> npt.NDArray[np.float64]:
    """Per candidate angle: how sharply the luma steps (or reflects) exactly on its edges,
    for picking the best of angles close together."""
    profiles = _profiles(probe, width, height, degrees, geometry, EDGE_POINTS)
    colour = profiles.colour
    steps = _steps(colour)
    at = steps[:, _STEP_AT[0]] - 0.5 * (steps[:, _STEP_AT[-2]] + steps[:, _STEP_AT[2]])
    symmetry = 0.5 * (_mismatch(colour, -2) + _mismatch(colour, 2)) - _mismatch(colour, 0)
    return profiles.mean(np.maximum(at, symmetry))
