"""Videos through API v1 over real HTTP: hashing, banking and matching clips with segments."""

from __future__ import annotations

import httpx

from tests.videos import edit, synthetic_video

KNOWN = synthetic_video(11, seconds=10, fps=10)


def test_a_video_is_hashed_banked_and_its_clip_matched(api: httpx.Client) -> None:
    hashed = api.post("/api/v1/hash", files={"file": ("v.mp4", KNOWN, "video/mp4")})
    assert hashed.status_code == 200, hashed.text
    doc = hashed.json()
    assert doc["kind"] == "video"
    assert doc["seconds"] > 9
    assert [s["type"] for s in doc["signals"]] == ["video_md5", "sha256", "vpdq", "tmk_pdqf"]

    assert api.post("/api/v1/banks", json={"name": "videos"}).status_code == 201
    added = api.post("/api/v1/banks/videos/media", files={"file": ("v.mp4", KNOWN, "video/mp4")})
    assert added.status_code == 201, added.text

    clip = edit(KNOWN, start=2, end=6)
    matched = api.post("/api/v1/match", files={"file": ("clip.mp4", clip, "video/mp4")})
    assert matched.status_code == 200, matched.text
    [vpdq] = [m for m in matched.json()["matches"] if m["signal_type"] == "vpdq"]
    assert vpdq["bank"] == "videos"
    assert vpdq["video"]["query_share"] == 1.0
    assert vpdq["video"]["segments"] == [
        {"query_start": 0.0, "query_end": 3.0, "bank_start": 2.0, "bank_end": 5.0, "frames": 4}
    ]
    assert vpdq["bank_value"].startswith("sha256:")

    unrelated = synthetic_video(12, seconds=4, fps=10)
    response = api.post("/api/v1/match", files={"file": ("u.mp4", unrelated, "video/mp4")})
    assert response.json()["matches"] == []


def test_bad_videos_get_problem_responses(api: httpx.Client) -> None:
    truncated = KNOWN[: len(KNOWN) // 2]
    for name, data in [
        ("empty.mp4", b""),
        ("truncated.mp4", truncated),
        ("text.mp4", b"\x00\x00\x00\x18ftypisom" + b"not really a video" * 50),
    ]:
        response = api.post("/api/v1/hash", files={"file": (name, data, "video/mp4")})
        assert response.status_code in (400, 413, 415, 422), (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
