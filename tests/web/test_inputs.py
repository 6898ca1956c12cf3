"""Every route checks what a request carries before it reads it (`bastion.web.inputs`)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from bastion.auth import ApiKeyStore, Scope
from bastion.settings import Settings
from bastion.store import Database
from bastion.web.app import create_app
from tests.web.conftest import running_server


def test_every_route_that_takes_a_body_refuses_a_lone_surrogate_first(tmp_path: Path) -> None:
    """A route added on a plain `APIRouter` would parse the body with Python's lenient
    parser: every write route of the OpenAPI document must answer the door's 400."""
    settings = Settings.load(env={}, data_dir=tmp_path)
    key = ApiKeyStore(Database.open(settings.database_url)).create("t", [Scope.ADMIN]).secret
    document = create_app(settings).openapi()
    writes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("post", "put", "patch")
    ]
    assert len(writes) > 20
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with running_server(settings) as url, httpx.Client(base_url=url, headers=headers) as client:
        for method, path in writes:
            response = client.request(method, path, content=b'{"x": "\\ud800"}')
            assert response.status_code == 400, (method, path, response.text)
            assert "lone surrogate" in response.text, (method, path, response.text)
        response = client.get("/api/v1/audit", params={"action": "a\x00b"})
        assert response.status_code == 400
        assert "action: text must not contain NUL" in response.json()["detail"]
