"""The photos a robustness run starts from: a folder the user gives, or by default the
photographs that ship inside installed packages (scikit-image's sample data, perception's
Wikimedia Commons test photos, matplotlib's sample photo) and bastion's own generated
fixtures. Nothing is downloaded.

Near-duplicates are dropped (two references within `DUPLICATE_BITS` of each other would
make each the other's false match), and so are images too small or too flat to hash (PDQ
quality under the floor bastion matches at). A seeded share of the rest is held out as
distractors: images that are never in the bank, whose edited copies must match nothing.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bastion.errors import BastionError
from bastion.media import decoding, open_image, read_media
from bastion.pdq import hamming_distance, hash_rgb
from bastion.samples import sample_pixels

#: References closer than this are one picture twice (PDQ's match threshold).
DUPLICATE_BITS = 31
#: scikit-image's sample photographs (its `data` folder also holds test patterns, kept out).
SKIMAGE_PHOTOS = (
    "astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "coins.png",
    "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png",
    "motorcycle_left.png", "page.png", "retina.jpg", "rocket.jpg", "text.png",
)  # fmt: skip
#: perception's test photographs (Wikimedia Commons; see its images/README.md).
PERCEPTION_PHOTOS = tuple(f"image{i}.jpg" for i in range(1, 11))
#: matplotlib's sample photograph.
MATPLOTLIB_PHOTOS = ("grace_hopper.jpg",)
#: Smallest side kept (smaller images say little about crops of 5%).
MIN_SIDE = 128


@dataclass(frozen=True)
class Photo:
    name: str
    image: Image.Image


@dataclass(frozen=True)
class PhotoSet:
    references: list[Photo]
    distractors: list[Photo]
    #: Photos dropped, each with why (too small, too flat, a near-duplicate).
    dropped: list[str]


def default_photos(fixtures: int = 60) -> list[Photo]:
    """The photographs of whichever of scikit-image, perception and matplotlib are
    installed, and `fixtures` generated images."""
    photos: list[Photo] = []
    for package, folder, names in (
        ("skimage", "data", SKIMAGE_PHOTOS),
        ("perception", "testing/images", PERCEPTION_PHOTOS),
        ("matplotlib", "mpl-data/sample_data", MATPLOTLIB_PHOTOS),
    ):
        found = importlib.util.find_spec(package)
        if found is None or found.origin is None:
            continue
        where = Path(found.origin).parent / folder
        photos += [Photo(f"{package}:{n}", _load(where / n)) for n in names if (where / n).exists()]
    photos += [
        Photo(f"fixture:{seed}", Image.fromarray(sample_pixels(seed, 640, 480)))
        for seed in range(1000, 1000 + fixtures)
    ]
    return photos


def folder_photos(
    folder: Path, *, max_bytes: int, max_pixels: int
) -> tuple[list[Photo], list[str]]:
    """Every image in `folder` (not its subfolders), by name, read under bastion's media
    limits; and the files that could not be read, each with why."""
    found: list[Photo] = []
    unreadable: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"):
            continue
        try:
            data = read_media(path, max_bytes=max_bytes)
            opened = open_image(data, max_pixels=max_pixels, name=path.name)
            with decoding(path.name):
                found.append(Photo(path.name, opened.image.convert("RGB")))
        except BastionError as e:
            unreadable.append(f"{path.name} ({e.message})")
    return found, unreadable


def split(
    photos: Iterable[Photo],
    *,
    distractors: float = 0.25,
    seed: int = 7,
    min_quality: int = 0,
    unreadable: Iterable[str] = (),
) -> PhotoSet:
    """Tiny, flat (PDQ quality under `min_quality`) and near-duplicate images dropped, then
    a seeded share held out as distractors. `unreadable` (files that could not be read, with
    why) are reported among the dropped."""
    kept: list[tuple[Photo, str]] = []
    dropped: list[str] = list(unreadable)
    for photo in photos:
        if min(photo.image.size) < MIN_SIDE:
            dropped.append(f"{photo.name} (smaller than {MIN_SIDE} px)")
            continue
        digest = hash_rgb(np.asarray(photo.image.convert("RGB")))
        if digest.quality < min_quality:
            dropped.append(f"{photo.name} (PDQ quality {digest.quality}: too flat to match)")
            continue
        twin = next(
            (p for p, other in kept if hamming_distance(digest.hash, other) <= DUPLICATE_BITS),
            None,
        )
        if twin is not None:
            dropped.append(f"{photo.name} (a near-duplicate of {twin.name})")
            continue
        kept.append((photo, digest.hash))
    order = [p for p, _ in kept]
    random.Random(seed).shuffle(order)
    held = round(len(order) * distractors)
    return PhotoSet(references=order[held:], distractors=order[:held], dropped=dropped)


def _load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")
