"""Hashing and matching content by URL through the service: public addresses only, unless
the operator allows a network; every test connection is guarded to stay on loopback."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import httpx
import pytest
from PIL import Image

from bastion.auth import Scope
from bastion.samples import sample_pixels
from bastion.settings import Settings
from tests.media.conftest import LocalServer, connections, serve  # noqa: F401 (fixtures)
from tests.media.test_fetch import redirect, respond
from tests.web.conftest import running_server


def jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def media_server(serve: Callable[..., LocalServer]) -> LocalServer:  # noqa: F811
    return serve(
        {
            "/photo.jpg": respond(jpeg(8), headers={"Content-Type": "image/jpeg"}),
            "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-private": redirect("http://10.0.0.1/photo.jpg"),
        }
    )


@pytest.fixture
def client(
    settings: Settings, make_key: Callable[..., str]
) -> Iterator[Callable[[Settings], httpx.Client]]:
    servers = []

    def make(with_settings: Settings) -> httpx.Client:
        context = running_server(with_settings)
        url = context.__enter__()
        servers.append(context)
        return httpx.Client(base_url=url, headers={"X-API-Key": make_key(Scope.ADMIN)}, timeout=30)

    yield make
    for context in servers:
        context.__exit__(None, None, None)


def test_loopback_is_refused_by_default_before_connecting(
    settings: Settings,
    client: Callable[[Settings], httpx.Client],
    media_server: LocalServer,
    connections: list[tuple[str, int]],  # noqa: F811
) -> None:
    with client(settings) as api:
        response = api.get("/api/v1/hash", params={"url": media_server.url("/photo.jpg")})
        assert response.status_code == 400
        assert response.json()["type"] == "/problems/forbidden-address"
        hma = api.get("/h/hash", params={"url": media_server.url("/photo.jpg")})
        assert hma.status_code == 400
        assert set(hma.json()) == {"message"}
    assert media_server.requests == []
    assert all(port != media_server.port for _, port in connections)


def test_allowed_network_hashes_and_matches_by_url(
    settings: Settings,
    client: Callable[[Settings], httpx.Client],
    media_server: LocalServer,
) -> None:
    allowed = settings.with_overrides(fetch_allow_networks="127.0.0.1/32")
    with client(allowed) as api:
        url = media_server.url("/photo.jpg")
        hashed = api.get("/api/v1/hash", params={"url": url}).json()
        uploaded = api.post("/api/v1/hash", files={"file": ("p.jpg", jpeg(8))}).json()
        assert hashed["signals"] == uploaded["signals"]

        api.post("/c/banks", json={"name": "BY_URL"})
        added = api.post("/c/bank/BY_URL/content", params={"url": url}, json={"note": "n"})
        assert added.status_code == 200
        matched = api.get("/api/v1/match", params={"url": url}).json()["matches"]
        assert {m["entry_id"] for m in matched} == {added.json()["id"]}
        hma = api.get("/m/lookup", params={"url": url, "signal_type": "pdq"}).json()
        assert [m["bank_content_id"] for m in hma["BY_URL"]] == [added.json()["id"]]
        assert (
            api.get("/h/hash", params={"url": url}).json()["pdq"] == hashed["signals"][0]["value"]
        )


@pytest.mark.parametrize("path", ["/to-metadata", "/to-private"])
def test_redirects_to_internal_addresses_are_refused(
    settings: Settings,
    client: Callable[[Settings], httpx.Client],
    media_server: LocalServer,
    connections: list[tuple[str, int]],  # noqa: F811
    path: str,
) -> None:
    allowed = settings.with_overrides(fetch_allow_networks="127.0.0.1/32")
    with client(allowed) as api:
        response = api.get("/api/v1/hash", params={"url": media_server.url(path)})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/forbidden-address"
    assert [r.path for r in media_server.requests] == [path]
    assert all(address.startswith("127.") for address, _ in connections)


def test_malformed_urls_are_client_errors(
    settings: Settings, client: Callable[[Settings], httpx.Client]
) -> None:
    with client(settings) as api:
        for url in ("", "ftp://host/x.jpg", "http://user:pw@host/x.jpg", "not a url"):
            response = api.get("/api/v1/hash", params={"url": url})
            assert response.status_code == 400, url
            assert response.json()["type"] == "/problems/invalid-url", url
            assert "pw" not in response.text
        hma = api.get("/h/hash", params={"url": "gopher://x"})
        assert hma.status_code == 400
        assert set(hma.json()) == {"message"}
        # Request validation errors keep HMA's body on HMA routes too.
        invalid = api.get("/c/bank/X/content/-5")
        assert (invalid.status_code, set(invalid.json())) == (422, {"message"})
