"""The audit log through the API: partners' full reads and API exports are recorded, and
only admin keys may read it."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bastion.audit import AuditLog
from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, NewEntry
from bastion.federation.publisher import CollabStore
from bastion.signals import Signal
from bastion.store import Database


def test_partners_full_reads_and_api_exports_are_recorded(
    db: Database, store: BankStore, base_url: str, make_key: Callable[..., str]
) -> None:
    store.create_bank("confirmed")
    store.add_entries("confirmed", [NewEntry(signals=(Signal("md5", "2" * 32),))], source="api")
    collabs = CollabStore(db, ApiKeyStore(db))
    collabs.create("partners", ["confirmed"], actor="cli:alice")
    partner = collabs.add_partner("partners", "acme", actor="cli:alice").secret
    first = httpx.get(
        f"{base_url}/v1/exchange/partners/changes", headers={"Authorization": f"Bearer {partner}"}
    )
    assert first.status_code == 200
    again = httpx.get(
        f"{base_url}/v1/exchange/partners/changes",
        params={"cursor": first.json()["cursor"]},
        headers={"Authorization": f"Bearer {partner}"},
    )
    assert again.status_code == 200
    admin = make_key(Scope.ADMIN)
    curate = make_key(Scope.CURATE)
    exported = httpx.get(
        f"{base_url}/api/v1/banks/confirmed/export", headers={"Authorization": f"Bearer {curate}"}
    )
    assert exported.status_code == 200
    reads = [e for e in AuditLog(db).list() if e.action == "collab.read"]
    assert [(e.actor, e.target) for e in reads] == [("partner:acme", "partners")]  # once
    log = httpx.get(f"{base_url}/api/v1/audit", headers={"Authorization": f"Bearer {admin}"})
    assert log.status_code == 200
    newest = log.json()[0]
    assert newest["action"] == "bank.export"
    assert newest["actor"] == f"key:{curate.split('_')[1]}"
    assert (
        httpx.get(
            f"{base_url}/api/v1/audit", headers={"Authorization": f"Bearer {curate}"}
        ).status_code
        == 403
    )
    assert {"collab.create", "collab.add_partner", "key.create"} <= {
        e["action"] for e in log.json()
    }
