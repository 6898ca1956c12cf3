"""Hostile strings and values through every door that stores something, on SQLite and
PostgreSQL: the API (as an admin key and as a key limited to one bank), HMA's routes and the
command line. Each is refused with a 4xx (or exit status 2) naming the field, nothing is
stored, and afterwards matching, listings and exchanges still answer for everyone.

(Before these checks, one entry whose metadata held a lone surrogate, nested 256 levels or
held NaN was stored by a request that then answered 500, and from then on every match that
found the entry, in any bank, answered 500 too.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, NewEntry
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from tests.cli.conftest import CliRunner
from tests.web.conftest import running_server

PDQ = PdqSignal.examples()[0]
SIGNALS = [{"type": "pdq", "value": PDQ, "quality": 100}]

#: (name, raw JSON of a value, what the refusal says).
HOSTILE = [
    ("lone surrogate", '"\\ud800"', "lone surrogate"),
    ("low surrogate in text", '"ab\\udfffcd"', "lone surrogate"),
    ("NUL", '"a\\u0000b"', "NUL"),
    ("NaN", "NaN", "NaN is not a JSON number"),
    ("Infinity", "Infinity", "Infinity is not a JSON number"),
    ("integer past 64 bits", str(2**64), "64 bits"),
    ("nested 256 deep", '{"a":' * 256 + "1" + "}" * 256, "nested deeper"),
    ("nested 1,000 deep", "[" * 1000 + "]" * 1000, "nested deeper"),
]


def raw_json(template: dict[str, Any], raw: str) -> bytes:
    """`template` as JSON with the string "HOSTILE" replaced by the raw JSON `raw`."""
    return json.dumps(template).replace('"HOSTILE"', raw).encode()


@pytest.fixture
def server(settings: Settings, db: Database) -> Iterator[tuple[str, dict[str, str]]]:
    """The service with a bank `shared` holding one entry, and keys: admin, and curate+match
    limited to bank `mine`."""
    store = BankStore(db)
    store.create_bank("shared")
    store.create_bank("mine")
    store.add_entries("shared", [NewEntry(signals=(Signal("pdq", PDQ, 100),))], source="api")
    keys = ApiKeyStore(db)
    secrets = {
        "admin": keys.create("admin", [Scope.ADMIN]).secret,
        "limited": keys.create(
            "limited", [Scope.CURATE, Scope.MATCH], banks={"mine": ["read", "write"]}
        ).secret,
    }
    with running_server(settings) as url:
        yield url, secrets


def client(url: str, secret: str) -> httpx.Client:
    return httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        timeout=30,
    )


LIST_CONFIG = {"url": "https://lists.example/a.csv", "format": "HOSTILE"}
#: (method, path, body template, which key) of every JSON write a hostile value can reach.
WRITES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/api/v1/banks/mine/entries", {"signals": SIGNALS, "metadata": {"a": "HOSTILE"}}, "limited"),  # noqa: E501
    ("POST", "/api/v1/banks/mine/entries", {"signals": SIGNALS, "note": "HOSTILE"}, "limited"),
    ("PATCH", "/api/v1/entries/1", {"metadata": {"x": ["HOSTILE"]}}, "admin"),
    ("PATCH", "/api/v1/entries/1", {"note": "HOSTILE"}, "admin"),
    ("POST", "/api/v1/banks", {"name": "new", "description": "HOSTILE"}, "admin"),
    ("PATCH", "/api/v1/banks/shared", {"description": "HOSTILE"}, "admin"),
    ("POST", "/api/v1/exchanges", {"name": "x", "kind": "local_file", "bank": "shared", "config": LIST_CONFIG}, "admin"),  # noqa: E501
    ("POST", "/api/v1/lookup", {"signals": [{"type": "text", "value": "HOSTILE"}]}, "admin"),
    ("POST", "/api/v1/streams", {"url": "https://live.example/s.m3u8", "name": "HOSTILE"}, "admin"),
    ("POST", "/c/bank/shared/signal", {"pdq": PDQ, "note": "HOSTILE"}, "admin"),
    ("POST", "/c/banks", {"name": "HOSTILE"}, "admin"),
    ("POST", "/m/compare", {"pdq": [PDQ, "HOSTILE"]}, "admin"),
]  # fmt: skip


def snapshot(db: Database) -> Any:
    """What the writes above could change."""
    store = BankStore(db)
    return (
        [(b.name, b.description, b.entry_count) for b in store.list_banks()],
        [(e.id, e.note, e.metadata) for e in store.iter_entries("shared")],
        [(e.id, e.note, e.metadata) for e in store.iter_entries("mine")],
        store.head_seq(),
    )


@pytest.mark.parametrize(("label", "raw", "said"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_values_are_refused_at_every_door_and_store_nothing(
    server: tuple[str, dict[str, str]], db: Database, label: str, raw: str, said: str
) -> None:
    url, secrets = server
    before = snapshot(db)
    for method, path, template, who in WRITES:
        with client(url, secrets[who]) as api:
            response = api.request(method, path, content=raw_json(template, raw))
        where = f"{method} {path} with {label}"
        assert response.status_code == 400, f"{where}: {response.status_code} {response.text}"
        body = response.json()
        detail = body["message"] if path.startswith(("/c/", "/m/")) else body["detail"]
        assert said in detail, f"{where}: {detail}"
    assert snapshot(db) == before
    with client(url, secrets["admin"]) as api:
        assert (
            api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": PDQ}).json()[
                "matches"
            ][0]["bank"]
            == "shared"
        )
        assert api.get("/api/v1/banks/shared/entries").status_code == 200
        assert api.get("/api/v1/exchanges").status_code == 200
        assert api.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ}).status_code == 200


def test_hostile_text_in_query_strings_is_refused_not_a_server_error(
    server: tuple[str, dict[str, str]],
) -> None:
    url, secrets = server
    with client(url, secrets["admin"]) as api:
        for path in (
            "/api/v1/lookup?signal_type=url&signal=example.com:abc",
            "/api/v1/lookup?signal_type=url&signal=example.com:99999",
            "/api/v1/lookup?signal_type=url&signal=http://%5B::1",
            "/api/v1/audit?action=%00",
            "/api/v1/banks/shared/entries?signal_type=%00",
            "/m/lookup?signal_type=pdq&signal=%00",
            "/api/v1/audit?before=99999999999999999999999",
            "/api/v1/entries/99999999999999999999999",
        ):
            response = api.get(path)
            assert 400 <= response.status_code < 500, f"{path}: {response.status_code}"


def test_invalid_utf8_in_command_line_arguments_stores_nothing(
    cli: CliRunner, tmp_path: Path, database_url: str
) -> None:
    """Python turns bytes of an argument that are not UTF-8 into lone surrogates; a
    description or note made of them is refused with the field named."""
    surrogate = b"caf\xe9".decode("utf-8", "surrogateescape")
    result = cli("bank", "create", "b", "--description", surrogate)
    assert result.code == 2
    assert "description: text must be valid Unicode" in result.err
    assert cli("bank", "list", "--json").out.strip() in ("[]", "")


def test_values_stored_before_these_checks_no_longer_break_answers(
    server: tuple[str, dict[str, str]], db: Database
) -> None:
    """A database written by an earlier version may already hold what the checks now refuse:
    it is mended on the way out, and matching, listings and the entry itself answer."""
    deep: Any = {}
    for _ in range(300):
        deep = {"a": deep}
    stored = json.dumps({"deep": deep, "nan": float("nan"), "text": "x\ud800"})
    if db.dialect == "postgresql":  # jsonb refuses NaN and lone surrogates: only nesting
        stored = json.dumps({"deep": deep})
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE bank_entries SET metadata = :m WHERE id = 1"), {"m": stored})
    url, secrets = server
    with client(url, secrets["admin"]) as api:
        config = {"url": "https://lists.example/a.csv"}
        body = {"name": "x", "kind": "local_file", "bank": "shared", "config": config}
        assert api.post("/api/v1/exchanges", json=body).status_code == 201
    if db.dialect == "sqlite":
        with db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE exchanges SET config = :c, checkpoint = :c"),
                {"c": '{"url": "https://lists.example/a.csv", "odd": "\\ud800", "n": NaN}'},
            )
    with client(url, secrets["admin"]) as api:
        exchanges = api.get("/api/v1/exchanges")
        assert exchanges.status_code == 200, exchanges.text
        if db.dialect == "sqlite":
            assert exchanges.json()[0]["config"]["odd"] == "\ufffd"
            assert exchanges.json()[0]["checkpoint"]["n"] is None
        found = api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": PDQ})
        assert found.status_code == 200, found.text
        metadata = found.json()["matches"][0]["metadata"]
        assert json.dumps(metadata).count("{") == 64
        if db.dialect == "sqlite":
            assert (metadata["nan"], metadata["text"]) == (None, "x\ufffd")
        assert api.get("/api/v1/entries/1").status_code == 200
        assert api.get("/api/v1/banks/shared/entries").status_code == 200
        assert api.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ}).status_code == 200
