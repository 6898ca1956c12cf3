"""Exchanges through API v1 over real HTTP: created, synced by the service's scheduler,
listed without their credentials, and kept to admin keys."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bastion.auth import Scope
from bastion.banks import BankStore
from bastion.settings import Settings
from bastion.signals import Md5Signal
from tests.web.conftest import running_server


def test_an_exchange_is_created_synced_and_shown_without_credentials(
    settings: Settings, make_key: Callable[..., str], store: BankStore, tmp_path: Path
) -> None:
    lists = tmp_path / "lists"  # the API takes file sources from this folder only
    lists.mkdir()
    listing = lists / "list.txt"
    listing.write_text("".join(f"md5 {v}\n" for v in Md5Signal.examples()))
    store.create_bank("shared")
    headers = {"Authorization": f"Bearer {make_key(Scope.ADMIN)}"}
    with (
        running_server(settings.with_overrides(exchange_files_dir=str(lists))) as base_url,
        httpx.Client(base_url=base_url, headers=headers, timeout=30) as api,
    ):
        created = api.post(
            "/api/v1/exchanges",
            json={
                "name": "partner",
                "kind": "local_file",
                "bank": "shared",
                "config": {"filename": str(listing)},
                "credentials": {"token": "s3cret-token"},
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["has_credentials"] is True
        assert "s3cret" not in created.text
        queued = api.post("/api/v1/exchanges/partner/sync")
        assert queued.status_code == 202
        deadline = time.monotonic() + 20
        while (found := api.get("/api/v1/exchanges/partner").json())["last_success_at"] is None:
            assert time.monotonic() < deadline, f"never synced: {found}"
            time.sleep(0.2)
        assert found["fetched"] == len(Md5Signal.examples())
        assert found["last_error"] is None
        assert "s3cret" not in api.get("/api/v1/exchanges").text
        entries = api.get("/api/v1/banks/shared/entries").json()["entries"]
        assert {e["upstream_id"] for e in entries} == {f"md5:{v}" for v in Md5Signal.examples()}
        assert {e["source"] for e in entries} == {"exchange"}
        unknown = api.post(
            "/api/v1/exchanges", json={"name": "x", "kind": "nope", "bank": "shared"}
        )
        assert unknown.status_code == 400
        assert "unknown exchange kind 'nope'" in unknown.json()["detail"]
        assert api.get("/api/v1/exchanges/missing").status_code == 404
        assert api.delete("/api/v1/exchanges/partner").status_code == 204
        assert api.get("/api/v1/exchanges").json() == []
        curate = {"Authorization": f"Bearer {make_key(Scope.CURATE)}"}
        assert httpx.get(f"{base_url}/api/v1/exchanges", headers=curate).status_code == 403
        assert httpx.get(f"{base_url}/api/v1/exchanges").status_code == 401
