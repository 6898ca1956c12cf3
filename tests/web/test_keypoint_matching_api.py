"""Keypoint matching over HTTP: a bank with the keypoints option stores its entries'
keypoints and matches deep off-centre crops and rotations of a real photo, which it does
not without the option; unrelated images match nothing."""

from __future__ import annotations

import io

import httpx
import matplotlib.cbook
from PIL import Image

from bastion.samples import sample_pixels


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def photo() -> Image.Image:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as image:
        return image.convert("RGB")


def off_centre_crop(image: Image.Image) -> Image.Image:  # 20% of each side, from a corner
    w, h = image.size
    return image.crop((0, round(h * 0.2), round(w * 0.8), h))


def turned(image: Image.Image) -> Image.Image:
    return image.rotate(15, Image.Resampling.BICUBIC, expand=True)


def matches(api: httpx.Client, data: bytes) -> list[dict[str, object]]:
    found = api.post("/api/v1/match", files={"file": ("q.jpg", data, "image/jpeg")})
    assert found.status_code == 200, found.text
    result: list[dict[str, object]] = found.json()["matches"]
    return result


def test_a_bank_with_keypoints_matches_crops_and_rotations_only_while_on(
    api: httpx.Client,
) -> None:
    options = {"trim_borders": False, "rotations": False, "variants": False, "keypoints": True}
    created = api.post("/api/v1/banks", json={"name": "known", "matching": options})
    assert created.status_code == 201, created.text
    added = api.post(
        "/api/v1/banks/known/media", files={"file": ("k.jpg", jpeg(photo()), "image/jpeg")}
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert [s["type"] for s in entry["signals"]] == ["pdq", "md5", "sha256"]
    assert [(d["type"], d["how"]) for d in entry["derived"]] == [("orb", "keypoints")]

    edits = [jpeg(off_centre_crop(photo())), jpeg(turned(photo()))]
    for data in edits:
        (match,) = matches(api, data)
        assert match["entry_id"] == entry["id"]
        assert (match["signal_type"], match["query_how"], match["bank_how"]) == (
            "orb", "keypoints", "keypoints"
        )  # fmt: skip
        assert isinstance(match["score"], float)
        assert match["score"] >= 14  # keypoint_min_inliers
    for seed in range(3):
        assert matches(api, jpeg(Image.fromarray(sample_pixels(seed)))) == []

    api.patch("/api/v1/banks/known", json={"matching": {"keypoints": False}})
    for data in edits:
        assert matches(api, data) == []


def test_a_bank_without_keypoints_stores_none_and_matches_no_deep_crop(
    api: httpx.Client,
) -> None:
    api.post("/api/v1/banks", json={"name": "plain"})
    added = api.post(
        "/api/v1/banks/plain/media", files={"file": ("k.jpg", jpeg(photo()), "image/jpeg")}
    ).json()
    assert "keypoints" not in [d["how"] for d in added["derived"]]
    assert matches(api, jpeg(off_centre_crop(photo()))) == []
