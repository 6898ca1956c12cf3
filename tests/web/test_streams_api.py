"""Stream watchers through API v1 over real HTTP: start, list, stop, and the address check."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from bastion.auth import Scope
from bastion.settings import Settings
from tests.media.hls import HlsServer, encode_segments, pattern_frames
from tests.web.conftest import running_server


def test_watchers_are_started_listed_and_stopped(
    settings: Settings, make_key: Callable[..., str]
) -> None:
    allowed = settings.with_overrides(fetch_allow_networks="127.0.0.0/8")
    segments = encode_segments(pattern_frames(20))
    with HlsServer(segments, live=True) as stream, running_server(allowed) as base:
        headers = {"Authorization": f"Bearer {make_key(Scope.MATCH)}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            started = api.post("/api/v1/streams", json={"url": stream.url + "?t=x", "name": "s"})
            assert started.status_code == 201, started.text
            watch = started.json()
            assert watch["url"] == stream.url
            deadline = time.monotonic() + 15
            while api.get(f"/api/v1/streams/{watch['id']}").json()["frames"] < 3:
                assert time.monotonic() < deadline, "no frames watched"
                time.sleep(0.2)
            [listed] = api.get("/api/v1/streams").json()
            assert listed["running"]
            assert listed["connected"]
            assert listed["lag_seconds"] < 5
            stopped = api.delete(f"/api/v1/streams/{watch['id']}")
            assert stopped.status_code == 200
            assert api.get("/api/v1/streams").json() == []
            assert api.get(f"/api/v1/streams/{watch['id']}").status_code == 404


def wait_for(api: httpx.Client, path: str, ready: Callable[[dict], bool]) -> dict:
    deadline = time.monotonic() + 15
    while not ready(found := api.get(path).json()):
        assert time.monotonic() < deadline, f"not ready: {found}"
        time.sleep(0.2)
    return found


def test_every_service_process_shares_the_watches(
    settings: Settings, make_key: Callable[..., str]
) -> None:
    """Two service processes on one database, as `--workers 2` runs them: a watch started
    through one is listed and stopped through the other, and survives a restart."""
    allowed = settings.with_overrides(fetch_allow_networks="127.0.0.0/8")
    headers = {"Authorization": f"Bearer {make_key(Scope.MATCH)}"}
    segments = encode_segments(pattern_frames(60))
    with HlsServer(segments, live=True) as stream:
        with (
            running_server(allowed) as first,
            httpx.Client(base_url=first, headers=headers, timeout=30) as api,
        ):
            watch = api.post("/api/v1/streams", json={"url": stream.url}).json()
            assert watch["state"] == "running"
            path = f"/api/v1/streams/{watch['id']}"
            frames = wait_for(api, path, lambda w: w["frames"] >= 2)["frames"]
        # The first process has shut down and handed the watch back; a new one resumes it.
        with running_server(allowed) as second, running_server(allowed) as third:
            with httpx.Client(base_url=second, headers=headers, timeout=30) as api:
                resumed = wait_for(api, path, lambda w: w["frames"] > frames)
                assert resumed["state"] == "running"
            with httpx.Client(base_url=third, headers=headers, timeout=30) as api:
                [listed] = api.get("/api/v1/streams").json()
                assert listed["id"] == watch["id"]
                stopped = api.delete(path)
                assert stopped.status_code == 200
                assert stopped.json()["state"] == "ended"
                assert api.get(path).status_code == 404
            time.sleep(1.5)  # the running process notices at its next report, within 1 s
            fetched = len(stream.requests)
            time.sleep(1.5)
            assert len(stream.requests) == fetched


def test_private_addresses_bad_urls_and_scopes_are_refused(
    base_url: str, make_key: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {make_key(Scope.MATCH)}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
        for url in (
            "http://127.0.0.1:9/live.m3u8",
            "http://169.254.169.254/latest",
            "file:///etc/passwd",
            "http://user:pw@example.com/x",
        ):
            response = api.post("/api/v1/streams", json={"url": url})
            assert response.status_code in (400, 403, 415, 422), (url, response.text)
            assert "application/problem+json" in response.headers["content-type"]
        assert api.get("/api/v1/streams").json() == []
    curate_only = {"Authorization": f"Bearer {make_key(Scope.CURATE)}"}
    with httpx.Client(base_url=base_url, headers=curate_only) as api:
        assert api.get("/api/v1/streams").status_code == 403
    assert httpx.get(f"{base_url}/api/v1/streams").status_code == 401
