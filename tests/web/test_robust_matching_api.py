"""Robust matching over HTTP: bank match options, derived hashes of entries, and how a match
was made."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from bastion.samples import sample_pixels


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def picture(seed: int) -> Image.Image:
    return Image.fromarray(sample_pixels(seed))


def with_logo(image: Image.Image) -> Image.Image:
    out = image.copy()
    out.paste(Image.new("RGB", (120, 120), (255, 255, 255)), (image.width - 130, 10))
    return out


def test_match_options_are_set_changed_and_checked(api: httpx.Client) -> None:
    created = api.post("/api/v1/banks", json={"name": "b", "matching": {"trim_borders": True}})
    assert created.status_code == 201, created.text
    expected = {"trim_borders": True, "rotations": True, "variants": True, "keypoints": False}
    assert created.json()["matching"] == expected
    changed = api.patch("/api/v1/banks/b", json={"matching": {"rotations": False}})
    assert changed.json()["matching"] == {**expected, "rotations": False}
    kept = api.patch("/api/v1/banks/b", json={"description": "unchanged options"})
    assert kept.json()["matching"] == {**expected, "rotations": False}
    assert api.post("/api/v1/banks", json={"name": "plain"}).json()["matching"] == expected
    for bad in ({"spin": True}, {"rotations": "yes"}, {"rotations": 1}, ["rotations"]):
        refused = api.patch("/api/v1/banks/b", json={"matching": bad})
        assert refused.status_code in (400, 422), bad
    assert api.get("/api/v1/banks/b").json()["matching"] == {**expected, "rotations": False}


def test_entries_show_their_derived_hashes_and_matches_say_how(api: httpx.Client) -> None:
    api.post("/api/v1/banks", json={"name": "known"})
    added = api.post(
        "/api/v1/banks/known/media", files={"file": ("k.jpg", jpeg(picture(41)), "image/jpeg")}
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert [s["type"] for s in entry["signals"]] == ["pdq", "md5", "sha256"]
    assert [d["how"] for d in entry["derived"]] == [
        "centre_70", "crop_5", "crop_10", "tilt_-4", "tilt_4"
    ]  # fmt: skip

    turned = jpeg(picture(41).transpose(Image.Transpose.FLIP_TOP_BOTTOM))
    found = api.post("/api/v1/match", files={"file": ("t.jpg", turned, "image/jpeg")}).json()
    (match,) = found["matches"]
    assert (match["entry_id"], match["query_how"], match["bank_how"]) == (
        entry["id"], "flipx", None
    )  # fmt: skip
    logo = jpeg(with_logo(picture(41)))
    (match,) = api.post("/api/v1/match", files={"file": ("l.jpg", logo, "image/jpeg")}).json()[
        "matches"
    ]
    assert match["entry_id"] == entry["id"]
    assert (match["query_how"], match["bank_how"]) == ("centre_70", "centre_70")

    api.patch("/api/v1/banks/known", json={"matching": {"variants": False, "rotations": False}})
    for data in (turned, logo):
        assert (
            api.post("/api/v1/match", files={"file": ("q.jpg", data, "image/jpeg")}).json()[
                "matches"
            ]
            == []
        )


def test_hma_media_follows_the_banks_options(api: httpx.Client) -> None:
    assert api.post("/c/banks", json={"name": "HMA_BANK"}).status_code == 201
    framed = Image.new("RGB", (800, 600), (255, 255, 255))
    framed.paste(picture(42), (80, 60))
    added = api.post(
        "/c/bank/HMA_BANK/content", files={"photo": ("f.jpg", jpeg(framed), "image/jpeg")}
    )
    assert added.status_code == 200, added.text
    entry = api.get(f"/api/v1/entries/{added.json()['id']}").json()
    assert [d["how"] for d in entry["derived"]] == [
        "trimmed", "centre_70", "crop_5", "crop_10", "tilt_-4", "tilt_4"
    ]  # fmt: skip
    # The picture without its frame matches the entry's trimmed hash.
    (match,) = api.post(
        "/api/v1/match", files={"file": ("p.jpg", jpeg(picture(42)), "image/jpeg")}
    ).json()["matches"]
    assert (match["entry_id"], match["bank_how"]) == (added.json()["id"], "trimmed")
