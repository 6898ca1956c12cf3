"""API keys limited to some banks: they see only those, and only do what they were given."""

from __future__ import annotations

import httpx
import pytest

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, NewEntry
from bastion.errors import ValidationError
from bastion.signals import Signal
from bastion.store import Database


def test_a_key_limited_to_some_banks(db: Database, store: BankStore, base_url: str) -> None:
    for name in ("confirmed", "partner", "secret"):
        store.create_bank(name)
    [secret_entry] = store.add_entries(
        "secret", [NewEntry(signals=(Signal("md5", "1" * 32),))], source="api"
    )
    [confirmed_entry] = store.add_entries(
        "confirmed", [NewEntry(signals=(Signal("md5", "2" * 32),))], source="api"
    )
    key = (
        ApiKeyStore(db)
        .create(
            "reviewer", [Scope.CURATE], banks={"confirmed": ["read", "export"], "partner": ["read"]}
        )
        .secret
    )
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as api:
        assert [b["name"] for b in api.get("/api/v1/banks").json()] == ["confirmed", "partner"]
        assert api.get("/api/v1/banks/confirmed").status_code == 200
        denied = api.get("/api/v1/banks/secret")
        assert denied.status_code == 403
        assert denied.json()["detail"] == "this API key may not read bank 'secret'"
        assert api.get(f"/api/v1/entries/{confirmed_entry}").status_code == 200
        assert api.get(f"/api/v1/entries/{secret_entry}").status_code == 403
        assert api.get("/api/v1/banks/secret/entries").status_code == 403
        assert api.get("/api/v1/banks/confirmed/export").status_code == 200
        assert api.get("/api/v1/banks/partner/export").status_code == 403
        add = {"signals": [{"type": "md5", "value": "3" * 32}]}
        assert api.post("/api/v1/banks/confirmed/entries", json=add).status_code == 403
        assert api.delete(f"/api/v1/entries/{confirmed_entry}").status_code == 403
        assert api.post("/api/v1/banks", json={"name": "mine"}).status_code == 403
        assert api.get("/c/banks").status_code == 403  # HMA's routes know no per-bank rights
    assert len(list(store.iter_entries("confirmed"))) == 1


@pytest.mark.parametrize("grants", [{"b": ["read", "delete"]}, {"b": []}])
def test_bad_grants_are_refused(db: Database, grants: dict[str, list[str]]) -> None:
    with pytest.raises(ValidationError):
        ApiKeyStore(db).create("k", [Scope.CURATE], banks=grants)
