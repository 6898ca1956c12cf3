"""Dihedral hashes from one DCT, and hashes of images as displayed for EXIF orientations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from bastion.pdq import (
    DIHEDRAL_NAMES,
    EXIF_ORIENTATION_TO_DIHEDRAL,
    PdqDigest,
    PdqMode,
    hamming_distance,
    hash_rgb,
)
from tests.pdq.synth import photo_like

T = Image.Transpose
#: Each reference name as a Pillow transpose of the image.
PILLOW_TRANSPOSE = {
    "rotate90": T.ROTATE_90,
    "rotate180": T.ROTATE_180,
    "rotate270": T.ROTATE_270,
    "flipx": T.FLIP_TOP_BOTTOM,
    "flipy": T.FLIP_LEFT_RIGHT,
    "flipplus1": T.TRANSPOSE,
    "flipminus1": T.TRANSVERSE,
}
#: reg-test-input/dih/bridge-N-<suffix>.jpg and the reference name of its transform.
BRIDGE_FILES = {
    "bridge-2-rotate-90.jpg": "rotate90",
    "bridge-3-rotate-180.jpg": "rotate180",
    "bridge-4-rotate-270.jpg": "rotate270",
    "bridge-5-flipx.jpg": "flipx",
    "bridge-6-flipy.jpg": "flipy",
    "bridge-7-flip-plus-1.jpg": "flipplus1",
    "bridge-8-flip-minus-1.jpg": "flipminus1",
}
EXIF_FILES = {
    1: "exif-rotn-1.jpg",
    3: "exif-rotn-3.jpg",
    6: "exif-rotn-6.jpg",
    8: "exif-rotn-8.jpg",
}
TOLERANCE = 10


@pytest.mark.parametrize("mode", list(PdqMode))
@pytest.mark.parametrize("seed", range(3))
def test_dihedral_is_exact_for_64x64_images(seed: int, mode: PdqMode) -> None:
    # At 64x64 the reference neither blurs nor resamples, so transforming the
    # image only permutes and negates DCT coefficients: the hashes must agree.
    image = photo_like(64, 64, seed)
    digest = hash_rgb(np.asarray(image), mode)
    hashes = digest.dihedral()
    assert list(hashes) == list(DIHEDRAL_NAMES)
    assert hashes["original"] == digest.hash
    for name, method in PILLOW_TRANSPOSE.items():
        assert hashes[name] == hash_rgb(np.asarray(image.transpose(method)), mode).hash, name


def test_orientation_map_is_what_exif_transpose_does() -> None:
    image = photo_like(64, 64, seed=7)
    digest = hash_rgb(np.asarray(image))
    for orientation, name in EXIF_ORIENTATION_TO_DIHEDRAL.items():
        tagged = image.copy()
        tagged.getexif()[0x0112] = orientation
        shown = ImageOps.exif_transpose(tagged)
        assert digest.oriented(orientation) == hash_rgb(np.asarray(shown)).hash, orientation
        assert digest.oriented(orientation) == digest.dihedral()[name]


@pytest.mark.parametrize("bad", [0, 9, -1, True, 1.0, "1"])
def test_oriented_rejects_non_orientations(bad: object) -> None:
    digest = hash_rgb(np.asarray(photo_like(32, 32, seed=1)))
    with pytest.raises(ValueError, match="orientation"):
        digest.oriented(bad)  # type: ignore[arg-type]


def test_oriented_one_is_the_hash() -> None:
    digest = hash_rgb(np.asarray(photo_like(80, 60, seed=2)))
    assert digest.oriented(1) == digest.hash


@pytest.mark.conformance
@pytest.mark.parametrize("mode", list(PdqMode))
def test_bridge_dihedral_files(
    mode: PdqMode,
    pdq_dir: Path,
    reference_digest: Callable[[str], PdqDigest],
    fast_digest: Callable[[str], PdqDigest],
) -> None:
    digest_of = reference_digest if mode is PdqMode.REFERENCE else fast_digest
    original = digest_of("reg-test-input/dih/bridge-1-original.jpg").dihedral()
    distances = {
        name: hamming_distance(original[name], digest_of(f"reg-test-input/dih/{file}").hash)
        for file, name in BRIDGE_FILES.items()
    }
    assert max(distances.values()) <= TOLERANCE, distances


@pytest.mark.conformance
def test_exif_rotn_oriented_matches_exif_transpose(
    pdq_dir: Path, reference_digest: Callable[[str], PdqDigest]
) -> None:
    for tag, file in EXIF_FILES.items():
        path = pdq_dir / "reg-test-input" / "exif-rotn" / file
        with Image.open(path) as image:
            assert image.getexif().get(0x0112) == tag
            shown = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        stored = reference_digest(f"reg-test-input/exif-rotn/{file}")
        displayed = stored.hash if tag == 1 else hash_rgb(shown).hash
        distance = hamming_distance(stored.oriented(tag), displayed)
        assert distance <= TOLERANCE, (file, distance)
