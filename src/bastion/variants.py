"""Derived hashes of an image, so that edited copies still match (docs/robustness.md).

A global hash such as PDQ survives re-encoding, resizing and colour changes but not a new
border, a quarter turn or a crop. Each derived hash is a `Derived` signal named by how it
was made (`Derived.how`: steps joined by ``+``), and a bank's `MatchOptions` say which
ones it uses:

- ``trimmed``: the picture inside flat borders (`bastion.media.borders.picture_box`),
  for uploads and for media added to a bank (`trim_borders`);
- the seven other dihedral hashes (``rotate90``, ``flipx``, ...; PDQ computes all eight
  from one pass), for uploads only (`rotations`);
- ``crop_5``, ``crop_10``, ``tilt_-4`` and ``tilt_4``: centred crops and small rotations
  of media added to a bank, stored with the entry (`variants`);
- ``centre_70``: the middle 70% of each side, of uploads and of media added to a bank
  (`variants`): logos, watermarks and stickers go in corners and along edges, and leave
  it as it was.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from bastion.banks.model import Derived, MatchOptions
from bastion.media.borders import picture_box
from bastion.pdq import PdqDigest, PdqMode, hash_rgb
from bastion.signals import PdqSignal, Signal

#: Variants are cut from the image reduced to this longest side (PDQ reduces far more).
VARIANT_SIDE = 1024
#: The crops (share of each side taken away, in total) and tilts (degrees) banked.
CROPS = (0.05, 0.10)
TILTS = (-4, 4)
#: The share of each side the centre hash keeps.
CENTRE = 0.70


def lookups(
    pixels: npt.NDArray[np.uint8], digest: PdqDigest, mode: PdqMode, wanted: MatchOptions
) -> list[Derived]:
    """The ways an upload is also looked up, of those banks with `wanted` use: its other
    dihedral hashes, its centre, and the picture inside its borders (when it has any) with
    that picture's eight."""
    found = _dihedral(digest, "") if wanted.rotations else []
    if wanted.variants:
        found.append(_centre(pixels, mode))
    box = picture_box(pixels) if wanted.trim_borders else None
    if box is not None:
        inner = hash_rgb(box.crop(pixels), mode)
        found.append(_derived(inner.hash, inner.quality, "trimmed"))
        if wanted.rotations:
            found += _dihedral(inner, "trimmed+")
    return found


def bank_variants(
    pixels: npt.NDArray[np.uint8], lookups_found: list[Derived], mode: PdqMode, *, extra: bool
) -> list[Derived]:
    """What an entry made from this image stores besides its hash: the picture inside its
    borders (from `lookups_found`), and with `extra` its crops, tilts and centre."""
    found = [d for d in lookups_found if d.how == "trimmed"]
    if not extra:
        return found
    centre = [d for d in lookups_found if d.how.startswith("centre_")]
    found += centre or [_centre(pixels, mode)]
    image = Image.fromarray(pixels)
    if max(image.size) > VARIANT_SIDE:
        image.thumbnail((VARIANT_SIDE, VARIANT_SIDE), Image.Resampling.BOX)
    w, h = image.size
    for share in CROPS:
        dx, dy = round(w * share / 2), round(h * share / 2)
        digest = hash_rgb(np.asarray(image.crop((dx, dy, w - dx, h - dy))), mode)
        found.append(_derived(digest.hash, digest.quality, f"crop_{round(share * 100)}"))
    for degrees in TILTS:
        turned = image.rotate(degrees, Image.Resampling.BICUBIC, fillcolor=(0, 0, 0))
        digest = hash_rgb(np.asarray(turned), mode)
        found.append(_derived(digest.hash, digest.quality, f"tilt_{degrees}"))
    return found


def _centre(pixels: npt.NDArray[np.uint8], mode: PdqMode) -> Derived:
    h, w = pixels.shape[:2]
    dy, dx = round(h * (1 - CENTRE) / 2), round(w * (1 - CENTRE) / 2)
    digest = hash_rgb(np.ascontiguousarray(pixels[dy : h - dy, dx : w - dx]), mode)
    return _derived(digest.hash, digest.quality, f"centre_{round(CENTRE * 100)}")


def _dihedral(digest: PdqDigest, prefix: str) -> list[Derived]:
    return [
        _derived(value, digest.quality, prefix + name)
        for name, value in digest.dihedral().items()
        if name != "original"
    ]


def _derived(value: str, quality: int, how: str) -> Derived:
    return Derived(Signal(PdqSignal.name, value, quality), how)
