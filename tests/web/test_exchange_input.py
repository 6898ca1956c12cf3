"""Hostile input at the API's exchange and hash-list doors, over real HTTP: an admin key
cannot make the service read its own files or internal addresses, bad config is refused
before it is stored, bad URL signals are a 4xx, and import errors speak the API's words."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bastion.auth import Scope
from bastion.banks import BankStore
from bastion.settings import Settings


def test_an_admin_key_cannot_point_an_exchange_at_the_servers_files_or_network(
    api: httpx.Client, store: BankStore, settings: Settings
) -> None:
    store.create_bank("shared")
    settings.credential_box()  # the key files exist, as on a running service
    settings.signing_key()
    for name in ("secret.key", "federation.key", "bastion.db"):
        for extra in ({}, {"format": "csv"}, {"format": "local_file", "signal_type": "photodna"}):
            answer = api.post(
                "/api/v1/exchanges",
                json={
                    "name": "steal",
                    "kind": "local_file",
                    "bank": "shared",
                    "config": {"filename": str(settings.data_dir / name), **extra},
                },
            )
            assert answer.status_code == 400, answer.text
            assert "file sources are not accepted here" in answer.json()["detail"]
    for config in (
        {"url": "http://127.0.0.1:9/list.txt"},
        {"url": "http://169.254.169.254/latest/meta-data/"},
    ):
        answer = api.post(
            "/api/v1/exchanges",
            json={"name": "reach", "kind": "local_file", "bank": "shared", "config": config},
        )
        assert answer.status_code == 400, answer.text
        assert "not a public address" in answer.json()["detail"]
    assert api.get("/api/v1/exchanges").json() == []


def test_config_and_credentials_that_cannot_be_stored_are_refused(
    api: httpx.Client, store: BankStore, make_key: Callable[..., str]
) -> None:
    store.create_bank("shared")
    surrogate = '"\\ud800"'  # valid JSON, but not text any database or client can hold
    for body in (
        '{"name": "x", "kind": "ncmec", "bank": "shared", "config": {"base_url": %s}}',
        '{"name": "x", "kind": "ncmec", "bank": "shared", "config": {"environment": "Industry",'
        ' "only_esp_ids": [], "false_positive_reason": %s}, "credentials": {"username": "u",'
        ' "password": "p"}}',
        '{"name": "x", "kind": "ncmec", "bank": "shared", "config": {},'
        ' "credentials": {"username": "u", "password": %s}}',
    ):
        answer = api.post(
            "/api/v1/exchanges",
            content=(body % surrogate).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert 400 <= answer.status_code < 500, answer.text
    listed = api.get("/api/v1/exchanges")
    assert (listed.status_code, listed.json()) == (200, [])


def test_url_signals_with_a_bad_port_or_bracket_are_a_client_error(
    api: httpx.Client, store: BankStore, base_url: str, make_key: Callable[..., str]
) -> None:
    store.create_bank("shared")
    match = {"Authorization": f"Bearer {make_key(Scope.MATCH)}"}
    for bad in ("example.com:abc", "example.com:99999", "http://[::1"):
        signal = {"type": "url", "value": bad}
        answers = (
            httpx.get(
                f"{base_url}/api/v1/lookup", params={"signal_type": "url", "signal": bad},
                headers=match,
            ),
            httpx.post(f"{base_url}/api/v1/lookup", json={"signals": [signal]}, headers=match),
            api.post("/api/v1/banks/shared/entries", json={"signals": [signal]}),
        )  # fmt: skip
        for answer in answers:
            assert answer.status_code == 400, answer.text
            assert "url: " in answer.json()["detail"]
    imported = api.post(
        "/api/v1/banks/shared/import",
        files={"file": ("urls.txt", b"url example.com/ok\nurl example.com:abc\n")},
        data={"skip_invalid": "true"},
    )
    assert imported.status_code == 200, imported.text
    assert (imported.json()["accepted"], imported.json()["rejected"]) == (1, 1)


def test_import_errors_speak_the_apis_words(api: httpx.Client, store: BankStore) -> None:
    store.create_bank("shared")
    aborted = api.post(
        "/api/v1/banks/shared/import",
        files={"file": ("list.txt", b"md5 " + b"a" * 32 + b"\nmd5 nothex\n")},
    )
    assert aborted.status_code == 400
    detail = aborted.json()["detail"]
    assert detail.endswith("fix the file, or import with skip_invalid to skip bad rows")
    assert "--skip-invalid" not in detail
    for content, message in (
        (b"", "list.csv: the file holds no hashes"),
        (b"type,hash\nmd5,abc\n", "list.csv: looks like CSV but the header lacks the columns"),
    ):
        answer = api.post("/api/v1/banks/shared/import", files={"file": ("list.csv", content)})
        assert answer.status_code == 400, answer.text
        assert answer.json()["detail"].startswith(message)
    assert store.get_bank("shared").entry_count == 0
