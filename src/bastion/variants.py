"""Derived hashes of an image, so that edited copies still match (docs/robustness.md).

A global hash such as PDQ survives re-encoding, resizing and colour changes but not a new
border, a quarter turn or a crop. Each derived hash is a `Derived` signal named by how it
was made (`Derived.how`: steps joined by ``+``), and a bank's `MatchOptions` say which
ones it uses. Every image signal type (`Content.IMAGE`: PDQ, and those of plugins) gets
each derived hash, of the same transformed pixels:

- ``trimmed``: the picture inside flat borders (`bastion.media.borders.picture_box`),
  for uploads and for media added to a bank (`trim_borders`);
- ``untilted``: the picture inside a tilted frame, turned straight and cut out
  (`bastion.media.tilt`: turned a few degrees inside a canvas grown to hold it, or inside
  its own, the opened corners filled), for uploads and for media added to a bank
  (`trim_borders`); with `variants`, uploads are also looked up by its centre
  (``untilted+centre_70``), which meets a bank's ``centre_70`` when the cut corners are
  large;
- the seven other dihedral hashes (``rotate90``, ``flipx``, ...; PDQ computes all eight
  from one pass), for uploads only (`rotations`), of the types that derive them
  (`ImageHash.dihedral`);
- ``crop_5``, ``crop_10``, ``tilt_-4`` and ``tilt_4``: centred crops and small rotations
  of media added to a bank, stored with the entry (`variants`);
- ``centre_70``: the middle 70% of each side, of uploads and of media added to a bank
  (`variants`): logos, watermarks and stickers go in corners and along edges, and leave
  it as it was;
- ``keypoints``: the image's ORB keypoints (an `orb` signal, not a hash of each image
  type), of uploads and of media added to a bank (`keypoints`): what no global hash holds,
  deep and off-centre crops, larger rotations, large logos (`bastion.keypoints`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from bastion.banks.model import Derived, MatchOptions
from bastion.media.borders import picture_box
from bastion.media.tilt import Tilt, find_tilt, straightened
from bastion.signals import HashingOptions, ImageHash, OrbSignal, RgbPixels, Signal, SignalType

#: Variants are cut from the image reduced to this longest side (PDQ reduces far more).
VARIANT_SIDE = 1024
#: The crops (share of each side taken away, in total) and tilts (degrees) banked.
CROPS = (0.05, 0.10)
TILTS = (-4, 4)
#: The share of each side the centre hash keeps.
CENTRE = 0.70

ImageTypes = Sequence[type[SignalType]]


def lookups(
    pixels: RgbPixels,
    hashes: Sequence[ImageHash],
    types: ImageTypes,
    options: HashingOptions,
    wanted: MatchOptions,
) -> list[Derived]:
    """The ways an upload is also looked up, of those banks with `wanted` use: its other
    dihedral hashes (`hashes`: the upload's own, one per type of `types`), its centre, the
    picture inside a tilted frame (with its centre) or else inside its borders (when it has
    any, with that picture's eight), and its keypoints."""
    found = [d for h in hashes for d in _dihedral(h, "")] if wanted.rotations else []
    if wanted.variants:
        found += _centre(pixels, types, options)
    tilt = find_tilt(pixels) if wanted.trim_borders else None
    if tilt is not None:  # the tilt explains the frame: no flat borders are looked for
        upright = _untilted(pixels, tilt)
        found += _hashed(upright, types, options, "untilted")
        if wanted.variants:
            found += [
                Derived(d.signal, f"untilted+{d.how}") for d in _centre(upright, types, options)
            ]
    box = picture_box(pixels) if wanted.trim_borders and tilt is None else None
    if box is not None:
        inner = [t.hash_pixels(box.crop(pixels), options) for t in types]
        found += [Derived(h.signal, "trimmed") for h in inner]
        if wanted.rotations:
            found += [d for h in inner for d in _dihedral(h, "trimmed+")]
    if wanted.keypoints:
        found.append(Derived(OrbSignal.compute(pixels), "keypoints"))
    return found


def bank_variants(
    pixels: RgbPixels,
    lookups_found: list[Derived],
    types: ImageTypes,
    options: HashingOptions,
    *,
    extra: bool,
) -> list[Derived]:
    """What an entry made from this image stores besides its hashes: the picture inside its
    borders or its tilted frame and its keypoints (from `lookups_found`), and with `extra`
    its crops, tilts and centre."""
    found = [d for d in lookups_found if d.how in ("trimmed", "untilted", "keypoints")]
    if not extra:
        return found
    centre = [d for d in lookups_found if d.how.startswith("centre_")]
    found += centre or _centre(pixels, types, options)
    image = Image.fromarray(pixels)
    if max(image.size) > VARIANT_SIDE:
        image.thumbnail((VARIANT_SIDE, VARIANT_SIDE), Image.Resampling.BOX)
    w, h = image.size
    for share in CROPS:
        dx, dy = round(w * share / 2), round(h * share / 2)
        cropped = np.asarray(image.crop((dx, dy, w - dx, h - dy)))
        found += _hashed(cropped, types, options, f"crop_{round(share * 100)}")
    for degrees in TILTS:
        turned = image.rotate(degrees, Image.Resampling.BICUBIC, fillcolor=(0, 0, 0))
        found += _hashed(np.asarray(turned), types, options, f"tilt_{degrees}")
    return found


def _untilted(pixels: RgbPixels, tilt: Tilt) -> RgbPixels:
    """The picture inside the tilted frame of `pixels`, turned straight, from the image
    reduced to `VARIANT_SIDE`."""
    image = Image.fromarray(pixels)
    if max(image.size) > VARIANT_SIDE:
        image.thumbnail((VARIANT_SIDE, VARIANT_SIDE), Image.Resampling.BOX)
    return straightened(np.asarray(image), tilt)


def _centre(pixels: RgbPixels, types: ImageTypes, options: HashingOptions) -> list[Derived]:
    h, w = pixels.shape[:2]
    dy, dx = round(h * (1 - CENTRE) / 2), round(w * (1 - CENTRE) / 2)
    middle = np.ascontiguousarray(pixels[dy : h - dy, dx : w - dx])
    return _hashed(middle, types, options, f"centre_{round(CENTRE * 100)}")


def _hashed(
    pixels: RgbPixels, types: ImageTypes, options: HashingOptions, how: str
) -> list[Derived]:
    return [Derived(t.hash_pixels(pixels, options).signal, how) for t in types]


def _dihedral(image_hash: ImageHash, prefix: str) -> list[Derived]:
    signal = image_hash.signal
    return [
        Derived(Signal(signal.type, value, signal.quality), prefix + name)
        for name, value in image_hash.dihedral.items()
        if name != "original"
    ]
