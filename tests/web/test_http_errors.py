"""Answers to requests the service cannot serve: a 405 names the methods a path has (`Allow`),
and a number too large to be an id is a 4xx, never a 500, on every route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bastion.auth import ApiKeyStore
from bastion.banks import BankStore, NewEntry
from bastion.federation.publisher import CollabStore
from bastion.signals import Signal
from bastion.store import Database

PAST_64_BITS = (2**63, 2**64, 10**30)
PROBLEM_405 = {"type": "/problems/method-not-allowed"}
MD5 = Signal("md5", "1" * 32)


@pytest.mark.parametrize(
    ("method", "path", "allow", "body"),
    [
        ("PUT", "/api/v1/hash", "GET, POST", {"type": "/problems/method-not-allowed"}),
        ("DELETE", "/api/v1/banks", "GET, POST", {"type": "/problems/method-not-allowed"}),
        (
            "POST",
            "/api/v1/entries/1",
            "DELETE, GET, PATCH",
            {"type": "/problems/method-not-allowed"},
        ),
        ("DELETE", "/m/lookup", "GET, POST", {"message": "Method Not Allowed"}),
        ("POST", "/c/bank/DEMO/content/1", "DELETE, GET, PUT", {"message": "Method Not Allowed"}),
        ("POST", "/status", "GET", {"type": "/problems/method-not-allowed"}),
    ],
)
def test_a_405_names_the_methods_the_path_has(
    api: httpx.Client, method: str, path: str, allow: str, body: dict[str, str]
) -> None:
    response = api.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert body.items() <= response.json().items()


def _integer_parameters(spec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, path, location, name) of every integer path and query parameter."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                types = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
                if "integer" in types:
                    found.append((method.upper(), path, parameter["in"], parameter["name"]))
    return found


def test_numbers_past_64_bits_are_refused_by_every_route(api: httpx.Client, db: Database) -> None:
    store = BankStore(db)
    store.create_bank("demo")
    store.create_bank("DEMO")
    (entry,) = store.add_entries(
        "demo", [NewEntry(signals=(Signal("md5", "1" * 32),))], source="api"
    )
    spec = api.get("/openapi.json").json()
    parameters = _integer_parameters(spec)
    # The two that answered 500, and one of HMA's, must be among those checked.
    assert {
        ("PATCH", "/api/v1/entries/{entry_id}", "path", "entry_id"),
        ("GET", "/api/v1/audit", "query", "before"),
        ("PUT", "/c/bank/{bank_name}/content/{content_id}", "path", "content_id"),
    } <= set(parameters)
    for method, template, location, name in parameters:
        for number in (*PAST_64_BITS, -(2**63) - 1):
            values = {
                "name": "demo",
                "bank_name": "DEMO",
                "collab": "demo",
                "key": "c1",
                "kind": "exact",
            }
            values.update(entry_id=entry, content_id=entry, watch_id=1, report_id=1, file_id=1)
            values[name] = number
            path = template.format(**values)
            params = {name: number} if location == "query" else {}
            body = {"note": "x"} if method in ("PATCH", "PUT", "POST") else None
            response = api.request(method, path, params=params, json=body)
            assert 400 <= response.status_code < 500, (method, template, name, number)


def test_the_ids_that_answered_500(api: httpx.Client, db: Database) -> None:
    store = BankStore(db)
    store.create_bank("DEMO")
    (entry,) = store.add_entries(
        "DEMO", [NewEntry(signals=(Signal("md5", "1" * 32),))], source="api"
    )
    patched = api.patch(f"/api/v1/entries/{2**63}", json={"note": "x"})
    assert patched.status_code == 422
    assert patched.json()["detail"].startswith("path.entry_id: ")
    audit = api.get("/api/v1/audit", params={"before": 2**63})
    assert audit.status_code == 422
    assert audit.json()["detail"].startswith("query.before: ")
    for far in (2**62, "9" * 30):
        hma = api.put(f"/c/bank/DEMO/content/{entry}", json={"disable_until_ts": far})
        assert (hma.status_code, hma.json()) == (
            400,
            {"message": "disable_until_ts must be less than 5 years in the future"},
        )
    assert store.get_entry(entry).enabled


def test_a_partner_feedback_id_past_64_bits(
    db: Database, base_url: str, make_key: Callable[..., str]
) -> None:
    BankStore(db).create_bank("shared")
    collabs = CollabStore(db, ApiKeyStore(db))
    collabs.create("c", ["shared"])
    partner = collabs.add_partner("c", "p").secret
    with httpx.Client(base_url=base_url, headers={"X-API-Key": partner}) as client:
        response = client.post(
            "/v1/exchange/c/feedback", json={"id": "9" * 19, "opinion": "disputed"}
        )
    assert response.status_code == 422
    assert "entry ids are at most" in response.json()["detail"]
    assert collabs.feedback("c") == []
