"""A request that does not succeed stores nothing, whatever it carries.

For every operation of the API's OpenAPI document, schemathesis generates requests that fit
the schema (hypothesis underneath), and the test makes each hostile in one place: a string in
the body, query or path replaced by a lone surrogate, a NUL character or a long text, a number
by NaN, Infinity or an integer past 64 bits, a value by JSON nested hundreds deep. A digest of
every table is taken before and after each request: one that did not answer 2xx must leave it
unchanged, and none may answer 5xx.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from sqlalchemy import MetaData, select

from bastion.auth import Scope
from bastion.banks import BankStore, NewEntry
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal
from bastion.store import Database
from bastion.web.app import create_app
from tests.web.conftest import running_server

#: Columns a request may change without storing anything of the caller's (when a key was
#: last used).
TOUCHED = {("api_keys", "last_used_at")}
#: Tables written in the background, whatever the request: the transparency report's tallies
#: of checks (counts of the earlier requests' checks, flushed every few seconds).
BACKGROUND = {"check_tallies", "match_tallies"}
#: Without the `worker` role nothing writes in the background.
ROLES = ["hash", "match", "curate"]
EXAMPLES_PER_OPERATION = 8
PDQ = PdqSignal.examples()[0]

#: Raw JSON that replaces one value of a body.
HOSTILE_JSON = (
    '"\\ud800"',
    '"a\\udfffb"',
    '"\\u0000"',
    '"x\\u0000y"',
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    str(2**64),
    str(-(2**70)),
    "[" * 300 + "]" * 300,
    '{"a":' * 300 + "1" + "}" * 300,
    json.dumps("w" * 100_000),
)
#: Percent-encoded text that replaces one query or path parameter.
HOSTILE_QUERY = (
    "%00",
    "a%00b",
    "%ED%A0%80",  # a surrogate's UTF-8 form: not valid UTF-8
    "%FF%FE",
    str(2**63),
    str(2**64 + 1),
    "-" + str(2**63 + 1),
    "9" * 400,
    "NaN",
    "x" * 10_000,
)
_MARK = "__hostile_value__"


def database_digest(db: Database, tables: MetaData) -> str:
    """A digest of every row of every table (but the columns in `TOUCHED` and the tables in
    `BACKGROUND`)."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in sorted(tables.tables.values(), key=lambda t: t.name):
            if table.name in BACKGROUND:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in TOUCHED]
            rows = conn.execute(select(*columns).order_by(*columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode("utf-8", "backslashreplace"))
    return digest.hexdigest()


def seed(db: Database) -> None:
    """Something for the generated requests to find and change."""
    store = BankStore(db)
    store.create_bank("seeded", description="seeded for the fuzz test")
    store.add_entries(
        "seeded",
        [NewEntry(signals=(Signal("pdq", value, 100),)) for value in PdqSignal.examples()],
        source="api",
    )


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every value inside a JSON value, itself included."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += leaves(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += leaves(child, (*path, i))
    return found


def with_hostile_value(body: Any, path: tuple[Any, ...], raw: str) -> bytes:
    """`body` as JSON text with the value at `path` replaced by the raw JSON `raw`."""
    if not path:
        return raw.encode()
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = _MARK
    return json.dumps(body).replace(f'"{_MARK}"', raw, 1).encode()


def plausible(value: Any) -> Any:
    """`value` with every signal in it made valid, so that requests get past the signal
    checks to what they store (metadata, notes)."""
    if isinstance(value, dict):
        if {"type", "value"} <= value.keys():
            return {**value, "type": "pdq", "value": PDQ, "quality": 100}
        return {k: plausible(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plausible(v) for v in value]
    return value


#: Path parameters that name what `seed` made.
SEEDED = {"name": "seeded", "entry_id": 1, "bank_name": "seeded"}


def hostile_request(
    case: Any, data: st.DataObject
) -> tuple[str, str, dict[str, str], bytes | None]:
    """(method, path with query, extra headers, body) of `case`, aimed at the seeded bank
    and made hostile in one place."""
    json_body = isinstance(case.body, dict | list) and case.media_type == "application/json"
    targets = ["body"] * 3 * json_body + ["path"] * bool(case.path_parameters)
    targets += ["query"] * bool(case.query)
    target = data.draw(st.sampled_from(targets)) if targets else None
    path_params = {k: SEEDED.get(k, v) for k, v in (case.path_parameters or {}).items()}
    query = {k: quote(str(v), safe="") for k, v in (case.query or {}).items()}
    if "signal" in query and data.draw(st.booleans()):
        query.update(signal=PDQ, signal_type="pdq")
    if json_body:
        case.body = plausible(case.body)
    body: bytes | None = None
    headers: dict[str, str] = {}
    if target == "body":
        paths = leaves(case.body)
        raw = data.draw(st.sampled_from(HOSTILE_JSON))
        body = with_hostile_value(case.body, data.draw(st.sampled_from(paths)), raw)
    elif json_body:
        body = json.dumps(case.body).encode()
    if body is not None:
        headers["Content-Type"] = "application/json"
    path = case.operation.path
    for name, value in path_params.items():
        path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
    if target == "path":
        name = data.draw(st.sampled_from(sorted(path_params)))
        hostile = data.draw(st.sampled_from(HOSTILE_QUERY))
        path = case.operation.path.replace(f"{{{name}}}", hostile)
        for other, value in path_params.items():
            path = path.replace(f"{{{other}}}", quote(str(value), safe=""))
    elif target == "query":
        name = data.draw(st.sampled_from(sorted(query)))
        query[name] = data.draw(st.sampled_from(HOSTILE_QUERY))
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return case.method.upper(), path, headers, body


def test_no_request_that_fails_writes_anything(
    settings: Settings, db: Database, make_key: Callable[..., str]
) -> None:
    seed(db)
    tables = MetaData()
    tables.reflect(db.engine)
    key = make_key(Scope.ADMIN)
    schema = schemathesis.openapi.from_dict(create_app(settings, roles=ROLES).openapi())
    failures: list[str] = []
    refused = 0
    with (
        running_server(settings, roles=ROLES) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client,
    ):
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith(("/api/", "/v1/", "/m/", "/c/", "/h/")):
                continue

            cases = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)

            @given(case=cases, data=st.data())
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION,
                database=None,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any, data: st.DataObject) -> None:
                nonlocal refused
                method, path, headers, body = hostile_request(case, data)
                before = database_digest(db, tables)
                response = client.request(method, path, headers=headers, content=body, timeout=60)
                where = f"{method} {path[:200]} -> {response.status_code}"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.text[:300]}")
                if not response.is_success:
                    refused += 1
                    if database_digest(db, tables) != before:
                        failures.append(f"{where} changed the database")

            check()
    assert refused > 50, "too few requests were refused for the test to mean anything"
    assert not failures, "\n".join(failures)
