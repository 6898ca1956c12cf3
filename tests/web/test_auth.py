"""Every route but health needs a key with the right scope; keys can be revoked and limited."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from bastion.auth import ApiKeyStore, AuthenticationError, Scope
from bastion.settings import Settings
from bastion.store import Database
from tests.web.conftest import running_server


def test_health_routes_need_no_key(anonymous: httpx.Client) -> None:
    for path in ("/status", "/status/live"):
        response = anonymous.get(path)
        assert (response.status_code, response.text) == (200, "I-AM-ALIVE")


def test_every_other_route_needs_a_key(
    anonymous: httpx.Client, make_key: Callable[..., str]
) -> None:
    spec = anonymous.get("/openapi.json", headers={"X-API-Key": make_key(Scope.HASH)}).json()
    checked = 0
    routes = [(p, list(ops)) for p, ops in spec["paths"].items() if not p.startswith("/status")]
    # The OpenAPI document lists every route, and paths that name no route are no exception.
    routes += [("/openapi.json", ["get"]), ("/no/such/path", ["get", "post"])]
    for path, operations in routes:
        for method in operations:
            url = (
                path.replace("{name}", "demo")
                .replace("{bank_name}", "DEMO")
                .replace("{entry_id}", "1")
                .replace("{content_id}", "1")
            )
            response = anonymous.request(method.upper(), url)
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
            if path.startswith(("/h/", "/m/", "/c/")):  # HMA's error body
                assert response.json() == {
                    "message": "an API key is required (header 'Authorization: Bearer KEY')"
                }
            else:
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["type"] == "/problems/unauthenticated"
            checked += 1
    assert checked >= 30


def test_the_pages_need_no_key(anonymous: httpx.Client) -> None:
    for path in ("/", "/docs", "/redoc", "/static/bastion.css", "/static/swagger/swagger-ui.css"):
        assert anonymous.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/match", {"type": "/problems/unauthenticated"}),
        ("/api/v1/banks/demo/import", {"type": "/problems/unauthenticated"}),
        ("/m/lookup", {"message": "an API key is required (header 'Authorization: Bearer KEY')"}),
    ],
)
def test_an_upload_without_a_key_is_refused_before_its_body_is_sent(
    base_url: str, path: str, body: dict[str, str]
) -> None:
    """The 401 comes back while the client has sent 1 MB of a 100 MB upload: the service
    answered from the headers, without waiting for (or reading, or spooling) the body."""
    port = httpx.URL(base_url).port
    assert port is not None
    boundary = "bastion-test-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    declared = 100 * 1024 * 1024  # within max_media_bytes: not refused for its size
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as conn:
        # A guard, not a measure: without an answer the test fails here rather than hang.
        conn.settimeout(30)
        conn.sendall(request + head + b"\0" * (1024 * 1024 - len(head)))
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, content = rest.partition(b"\r\n\r\n")
    assert status_line == b"HTTP/1.1 401 Unauthorized"
    assert b"www-authenticate: bearer" in headers.lower()
    assert body.items() <= json.loads(content).items()


def test_a_key_table_that_cannot_be_read_is_an_outage_not_a_401(
    anonymous: httpx.Client, make_key: Callable[..., str], db: Database
) -> None:
    import sqlalchemy as sa

    key = make_key(Scope.MATCH)
    with db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE api_keys RENAME TO api_keys_away"))
    try:
        response = anonymous.get("/api/v1/index/status", headers={"X-API-Key": key})
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE api_keys_away RENAME TO api_keys"))
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/storage"
    assert anonymous.get("/api/v1/index/status", headers={"X-API-Key": key}).status_code == 200


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ({"Authorization": "Bearer nonsense"}, "malformed API key"),
        ({"X-API-Key": "bst_AAAAAAAAAAAA_" + "A" * 43}, "unknown API key"),
    ],
)
def test_bad_keys(anonymous: httpx.Client, header: dict[str, str], detail: str) -> None:
    response = anonymous.get("/api/v1/banks", headers=header)
    assert response.status_code == 401
    assert response.json()["detail"] == detail


def test_scopes_and_revocation(
    anonymous: httpx.Client, make_key: Callable[..., str], db: Database
) -> None:
    key = make_key(Scope.HASH)
    headers = {"Authorization": f"Bearer {key}"}
    response = anonymous.get("/api/v1/banks", headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "type": "/problems/forbidden",
        "title": "Forbidden",
        "status": 403,
        "detail": "this API key lacks the 'curate' scope",
    }
    assert anonymous.get("/api/v1/index/status", headers=headers).status_code == 403
    matcher_key = make_key(Scope.MATCH)
    assert (
        anonymous.get("/api/v1/index/status", headers={"X-API-Key": matcher_key}).status_code == 200
    )
    unused = make_key(Scope.MATCH)
    ApiKeyStore(db).revoke(unused.split("_")[1])
    revoked = anonymous.get("/api/v1/index/status", headers={"X-API-Key": unused})
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == "this API key has been revoked"


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_time(
    settings: Settings, make_key: Callable[..., str], db: Database
) -> None:
    key = {"X-API-Key": make_key(Scope.MATCH)}
    with (
        running_server(replace(settings, api_key_cache_seconds=0.5)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        assert client.get("/api/v1/index/status", headers=key).status_code == 200
        revoked_at = time.monotonic()
        ApiKeyStore(db).revoke(key["X-API-Key"].split("_")[1])  # as `bastion key revoke` does
        while (status := client.get("/api/v1/index/status", headers=key).status_code) == 200:
            assert time.monotonic() - revoked_at < 5, "the revoked key still works"
            time.sleep(0.05)
        assert status == 401
        assert time.monotonic() - revoked_at >= 0.3  # it was remembered, not read every time


def test_remembered_keys_expire_and_revoking_here_forgets_them(db: Database) -> None:
    now = [0.0]
    keys = ApiKeyStore(db, cache_seconds=5, clock=lambda: now[0])
    other = ApiKeyStore(db)  # another process
    first, second = (keys.create(n, [Scope.MATCH]).secret for n in ("one", "two"))
    assert keys.recall(first) is None
    assert keys.authenticate(first).name == "one"
    assert keys.recall(first) == keys.authenticate(first)
    other.revoke("one")
    now[0] = 4.9
    assert keys.authenticate(first).name == "one"  # remembered
    now[0] = 5.0
    assert keys.recall(first) is None
    with pytest.raises(AuthenticationError, match="revoked"):
        keys.authenticate(first)
    keys.authenticate(second)
    keys.revoke("two")  # through this store: at once
    with pytest.raises(AuthenticationError, match="revoked"):
        keys.authenticate(second)
    assert ApiKeyStore(db).recall(second) is None  # the default remembers nothing


def test_rate_limit(anonymous: httpx.Client, make_key: Callable[..., str]) -> None:
    headers = {"X-API-Key": make_key(Scope.MATCH, rate_limit=3)}
    codes = [anonymous.get("/api/v1/index/status", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = anonymous.get("/api/v1/index/status", headers=headers)
    assert limited.json()["type"] == "/problems/rate-limited"
    assert int(limited.headers["retry-after"]) >= 1


def test_keys_are_stored_only_as_digests(make_key: Callable[..., str], db: Database) -> None:
    import sqlalchemy as sa

    secret = make_key(Scope.ADMIN)
    with db.engine.connect() as conn:
        dumped = " ".join(str(row) for row in conn.execute(sa.text("SELECT * FROM api_keys")))
    assert secret not in dumped
    assert secret.split("_")[2] not in dumped
