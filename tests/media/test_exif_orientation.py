"""EXIF orientation on the reference images: stored pixels hashed, displayed hash derived."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageOps

from bastion.hashing import ContentHasher
from bastion.pdq import hash_image
from bastion.settings import Settings
from bastion.signals import PdqSignal

# pdqhash + Pillow on the stored pixels (EXIF not applied), from ../shared EXPECTED.tsv.
STORED = {
    1: "f439d924da56a1d4c63973a56acfc926cd53d9341b18367d318666cf9b142649",
    3: "3acfa3cfab36b95e39cfa0463946790ab441f1417d050401f7616005ffc17ff2",
    6: "e9782aad54ae0b6365315ac278592d6ad4b5434a5bcd7471f7abcb594b481a94",
    8: "6b507c23b4adb17ec2fe2b4da52038b15e0c970fcaf3f049058ae8687bf9251e",
}


@pytest.mark.parametrize("tag", sorted(STORED))
def test_exif_rotn(shared_testdata: Path, tmp_path: Path, tag: int) -> None:
    path = shared_testdata / "pdq" / "reg-test-input" / "exif-rotn" / f"exif-rotn-{tag}.jpg"
    hasher = ContentHasher(Settings.load(env={}, data_dir=tmp_path).hashing_options())
    content = hasher.hash_file(path)
    assert content.orientation == tag
    pdq = content.signal("pdq")
    assert pdq is not None
    assert pdq.value == STORED[tag]
    transposed = ImageOps.exif_transpose(Image.open(path))
    assert transposed is not None
    displayed = hash_image(transposed).hash
    if tag == 1:
        assert content.displayed_pdq is None
    else:
        assert content.displayed_pdq is not None
        assert PdqSignal.distance(content.displayed_pdq.value, displayed) <= 10
