"""Choosing the photos: near-duplicates, tiny and flat images out, distractors held back."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bastion.robustness.photos import Photo, default_photos, folder_photos, split
from bastion.samples import sample_pixels


def generated(seed: int, size: tuple[int, int] = (320, 240)) -> Photo:
    return Photo(f"g{seed}", Image.fromarray(sample_pixels(seed, *size)))


def recompressed(photo: Photo) -> Photo:
    out = io.BytesIO()
    photo.image.save(out, "JPEG", quality=60)
    return Photo(photo.name + "-again", Image.open(io.BytesIO(out.getvalue())).convert("RGB"))


def test_split_drops_what_cannot_be_scored_and_holds_out_distractors() -> None:
    photos = [generated(s) for s in range(40, 52)]
    candidates = [
        *photos,
        recompressed(photos[0]),
        generated(60, (100, 80)),
        Photo("flat", Image.new("RGB", (300, 300), (120, 130, 140))),
    ]
    chosen = split(candidates, distractors=0.25, seed=3, min_quality=50)
    assert sorted(chosen.dropped) == [
        "flat (PDQ quality 0: too flat to match)",
        "g40-again (a near-duplicate of g40)",
        "g60 (smaller than 128 px)",
    ]
    assert (len(chosen.distractors), len(chosen.references)) == (3, 9)
    assert {p.name for p in chosen.references + chosen.distractors} == {p.name for p in photos}
    again = split(candidates, distractors=0.25, seed=3, min_quality=50)
    assert [p.name for p in again.distractors] == [p.name for p in chosen.distractors]


def test_a_folder_gives_its_images_only(tmp_path: Path) -> None:
    generated(1).image.save(tmp_path / "b.png")
    generated(2).image.save(tmp_path / "a.JPG")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    generated(3).image.save(tmp_path / "sub" / "c.png")
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    Image.new("RGB", (5000, 5000)).save(tmp_path / "huge.png")
    photos, unreadable = folder_photos(tmp_path, max_bytes=10_000_000, max_pixels=1_000_000)
    assert [p.name for p in photos] == ["a.JPG", "b.png"]
    assert [u.split(" ")[0] for u in unreadable] == ["broken.jpg", "huge.png"]
    assert "not a supported image" in unreadable[0]
    assert "exceeds the limit" in unreadable[1]


def test_the_defaults_include_the_generated_fixtures() -> None:
    photos = default_photos(fixtures=3)
    assert [p.name for p in photos if p.name.startswith("fixture:")] == [
        "fixture:1000", "fixture:1001", "fixture:1002"
    ]  # fmt: skip
    assert all(p.image.mode == "RGB" for p in photos)
