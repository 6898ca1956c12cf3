"""API keys limited to some banks: they see only those, and only do what they were given."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, NewEntry
from bastion.errors import ValidationError
from bastion.samples import sample_pixels
from bastion.signals import Signal
from bastion.store import Database


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


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


def test_a_bank_limited_key_matches_only_in_the_banks_it_may_read(
    db: Database, api: httpx.Client, base_url: str
) -> None:
    """The same picture and hash are in a granted bank and in one the key was not given: every
    match and look-up route answers from the granted bank only, and naming the other in
    `banks=` is refused."""
    for name in ("granted", "other", "exported"):
        api.post("/api/v1/banks", json={"name": name}).raise_for_status()
    picture = jpeg(3)
    entries = {
        name: api.post(
            f"/api/v1/banks/{name}/media", files={"file": ("k.jpg", picture, "image/jpeg")}
        ).json()
        for name in ("granted", "other", "exported")
    }
    pdq = entries["granted"]["signals"][0]["value"]
    keys = ApiKeyStore(db)
    limited = keys.create(
        "limited", [Scope.MATCH], banks={"granted": ["read"], "exported": ["export"]}
    ).secret
    lookup = {"signal_type": "pdq", "signal": pdq}
    # Every bank, for a key that is not limited.
    assert {m["bank"] for m in api.get("/api/v1/lookup", params=lookup).json()["matches"]} == {
        "granted",
        "other",
        "exported",
    }

    with httpx.Client(base_url=base_url, headers={"X-API-Key": limited}, timeout=30) as client:
        upload = {"file": ("c.jpg", jpeg(3, (320, 240)), "image/jpeg")}
        for response in (
            client.get("/api/v1/lookup", params=lookup),
            client.post("/api/v1/lookup", json={"signals": [{"type": "pdq", "value": pdq}]}),
            client.post("/api/v1/match", files=upload),
        ):
            assert response.status_code == 200
            matches = response.json()["matches"]
            assert {m["bank"] for m in matches} == {"granted"}
            assert {m["entry_id"] for m in matches} == {entries["granted"]["id"]}

        hma = client.get("/m/lookup", params=lookup)
        assert hma.json() == {
            "granted": [{"bank_content_id": entries["granted"]["id"], "distance": "0"}]
        }
        raw = client.get("/m/raw_lookup", params=lookup)
        assert raw.json() == {"matches": [entries["granted"]["id"]]}
        photo = {"photo": ("c.jpg", picture, "image/jpeg")}
        by_type = client.post("/m/lookup", files=photo).json()
        assert {bank for banks in by_type.values() for bank in banks} == {"granted"}

        for path in ("/m/lookup", "/m/raw_lookup"):
            for banks in ("other", "granted,other", "exported", "nonexistent"):
                refused = client.get(path, params={**lookup, "banks": banks})
                assert refused.status_code == 403, (path, banks)
                assert list(refused.json()) == ["message"]
                assert "may not read bank" in refused.json()["message"]
        assert client.post("/m/lookup?banks=other", files=photo).status_code == 403
        narrowed = client.get("/m/lookup", params={**lookup, "banks": "granted"})
        assert list(narrowed.json()) == ["granted"]

        # Stream watches match every bank and show their counts: not for a limited key.
        assert client.get("/api/v1/streams").status_code == 403
        started = client.post("/api/v1/streams", json={"url": "https://example.com/a.m3u8"})
        assert started.status_code == 403

    export_only = keys.create("export-only", [Scope.MATCH], banks={"exported": ["export"]})
    with httpx.Client(base_url=base_url, headers={"X-API-Key": export_only.secret}) as client:
        assert client.get("/api/v1/lookup", params=lookup).json()["matches"] == []
        assert client.get("/m/raw_lookup", params=lookup).json() == {"matches": []}
