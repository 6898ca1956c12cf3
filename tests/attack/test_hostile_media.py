"""Hostile media through the real service, on SQLite and PostgreSQL: decompression bombs,
headers that claim billions of pixels, a JPEG of 10,000 empty scans, truncated and corrupt
images and videos, a polyglot, a playlist, a video whose frames switch to 8K, one past the
duration limit. Every upload route answers each with a 4xx of a stable type, never a 5xx,
and no bank gains an entry.

Files that are heavy but within the limits (two frames two hours apart, an animated GIF of
thousands of frames, timestamps that run backwards) are hashed, and the work they cost is
checked by structure, not by the clock: how many frames the TMK sampler scaled.

Every file is built here from generated pictures (`tests.hostile_media`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from bastion.media.video import FrameSampler, RgbFrame
from bastion.samples import sample_pixels
from tests.hostile_media import (
    PLAYLIST,
    animated_gif,
    backwards_video,
    encoded,
    gap_video,
    gif_header_only,
    jpeg_header_claiming,
    jpeg_with_scans,
    no_decoder_video,
    png_header_only,
    size_switching_video,
)
from tests.videos import synthetic_video

TOO_LARGE, UNSUPPORTED, CORRUPT = (
    (413, "media-too-large"),
    (415, "unsupported-media"),
    (422, "corrupt-media"),
)


@dataclass(frozen=True)
class Hostile:
    name: str
    data: bytes
    status: int
    type: str


def hostile_corpus() -> list[Hostile]:
    jpeg = encoded(Image.fromarray(sample_pixels(3)), "JPEG", quality=90)
    png = encoded(Image.fromarray(sample_pixels(3)), "PNG")
    heif = encoded(Image.fromarray(sample_pixels(3)), "HEIF")
    video = synthetic_video(11, seconds=2, fps=10)
    damaged_png = bytearray(png)
    start = damaged_png.index(b"IDAT") + 4
    damaged_png[start : start + 2] = b"\xff\xff"  # the zlib stream's header
    bmp_header = struct.pack("<IiiHHIIiiII", 40, 30_000, 30_000, 1, 24, 0, 0, 0, 0, 0, 0)
    files = [
        ("empty.jpg", b"", 422, "media"),
        ("zeros.bin", bytes(4096), *UNSUPPORTED),
        ("random.bin", np.random.default_rng(16).bytes(4096), *UNSUPPORTED),
        ("bomb.png", png_header_only(60_000, 60_000), *TOO_LARGE),
        ("over-limit.png", png_header_only(9_000, 9_000), *TOO_LARGE),
        ("bomb.gif", gif_header_only(65_535, 65_535), *TOO_LARGE),
        ("huge.jpg", jpeg_header_claiming(65_000, 65_000), *TOO_LARGE),
        ("huge.bmp", b"BM" + struct.pack("<IHHI", 1000, 0, 0, 54) + bmp_header, *TOO_LARGE),
        ("scans.jpg", jpeg_with_scans(4000, 10_000), *TOO_LARGE),
        ("hidden-scans.jpg", jpeg_with_scans(4000, 10_000, hidden=True), *TOO_LARGE),
        ("truncated.jpg", jpeg[: len(jpeg) // 2], *CORRUPT),
        ("truncated.png", png[: len(png) // 2], *CORRUPT),
        ("damaged.png", bytes(damaged_png), *CORRUPT),
        ("truncated.heic", heif[: len(heif) // 2], *CORRUPT),
        ("tiff-past-end.tif", b"II*\x00" + struct.pack("<I", 100) + bytes(8), *UNSUPPORTED),
        ("png-mp4-polyglot.png", png[:33] + video, *UNSUPPORTED),
        ("playlist.m3u8", PLAYLIST, *UNSUPPORTED),
        ("truncated.mp4", video[: len(video) // 2], *UNSUPPORTED),
        ("fake.mp4", b"\x00\x00\x00\x18ftypisom" + b"not really a video" * 50, *UNSUPPORTED),
        ("no-decoder.mp4", no_decoder_video(), *UNSUPPORTED),
        ("gap-past-limit.mp4", gap_video(7300), *TOO_LARGE),
        ("switch-to-8k.ts", size_switching_video([((64, 48), 60), ((7680, 4320), 1)]), *TOO_LARGE),
    ]
    return [Hostile(*f) for f in files]


@pytest.fixture(scope="module")
def corpus() -> list[Hostile]:
    return hostile_corpus()


Post = Callable[[httpx.Client, str, bytes], httpx.Response]


def _api(path: str) -> Post:
    return lambda api, name, data: api.post(path, files={"file": (name, data)})


def _hma(path: str) -> Post:
    return lambda api, name, data: api.post(path, files={"photo": (name, data)})


ROUTES: dict[str, Post] = {
    "POST /api/v1/hash": _api("/api/v1/hash"),
    "POST /api/v1/match": _api("/api/v1/match"),
    "POST /api/v1/banks/{name}/media": _api("/api/v1/banks/hostile/media"),
    "POST /h/hash": _hma("/h/hash"),
    "POST /m/lookup": _hma("/m/lookup"),
}


def test_every_route_refuses_every_hostile_file(api: httpx.Client, corpus: list[Hostile]) -> None:
    assert api.post("/api/v1/banks", json={"name": "hostile"}).status_code == 201
    wrong = []
    for route, post in ROUTES.items():
        for item in corpus:
            response = post(api, item.name, item.data)
            if route.startswith("POST /api/"):
                assert response.headers["content-type"].startswith("application/problem+json")
                got = (response.status_code, response.json()["type"])
                expected = (item.status, f"/problems/{item.type}")
            else:  # HMA's routes answer with HMA's body: {"message": ...}
                assert response.json()["message"]
                got, expected = response.status_code, item.status
            if got != expected:
                wrong.append((route, item.name, got, response.text[:200]))
    assert not wrong
    entries = api.get("/api/v1/banks/hostile/entries").json()["entries"]
    assert entries == []


def test_limit_errors_name_the_setting_to_change(api: httpx.Client, corpus: list[Hostile]) -> None:
    for item in corpus:
        if item.status == 413:
            detail = api.post("/api/v1/hash", files={"file": (item.name, item.data)}).json()
            assert "(setting" in detail["detail"] or "(settings" in detail["detail"], detail


@pytest.fixture
def scaled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many frames the TMK sampler scales in the server (which runs in this process)."""
    calls = [0]
    scale = FrameSampler._scaled

    def counting(self: FrameSampler, frame: av.VideoFrame) -> RgbFrame:
        calls[0] += 1
        return scale(self, frame)

    monkeypatch.setattr(FrameSampler, "_scaled", counting)
    return calls


def test_heavy_files_within_the_limits_cost_what_their_content_does(
    api: httpx.Client, scaled: list[int]
) -> None:
    # Two frames 7,100 s apart: 106,500 frames at TMK's 15 fps, two of them scaled (issue
    # 16: every filler frame was scaled, 100 s of CPU and 1.7 GB for a 5 KB file).
    response = api.post("/api/v1/hash", files={"file": ("gap.mp4", gap_video(7100))})
    assert response.status_code == 200, response.text
    assert response.json()["seconds"] > 7000
    assert scaled == [2]
    # Frames whose timestamps start again from 0: dropped by the frame rate, not repeated.
    response = api.post("/api/v1/match", files={"file": ("joined.ts", backwards_video())})
    assert response.status_code == 200, response.text
    assert scaled[0] <= 2 + 2 * 2 * 15 + 2
    # An animated GIF of 3,000 frames, cut off in the fourth: only the first frame is ever
    # decoded, so the missing ones are never looked for.
    response = api.post("/api/v1/hash", files={"file": ("cut.gif", animated_gif(3000, keep=3))})
    assert response.status_code == 200, response.text
    assert response.json()["format"] == "GIF"
