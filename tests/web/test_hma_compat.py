"""A client written against HMA's OpenMediaMatch routes works against bastion unchanged.

Shapes and status codes follow HMA 1.1.x: `/h/hash`, `/m/lookup`, `/m/raw_lookup`,
`/m/compare`, `/m/index/status`, `/c/banks`, `/c/bank/<name>[/content[/<id>]|/signal]`,
`/status`.
"""

from __future__ import annotations

import io
import json
import time

import httpx
from PIL import Image

from bastion.samples import sample_pixels

PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_NEAR = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2d"  # 4 bits away
PDQ_FAR = "0" * 64


def photo(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_bank_curation(api: httpx.Client) -> None:
    assert api.get("/c/banks").json() == []
    created = api.post("/c/banks", json={"name": "TEST_BANK"})
    assert (created.status_code, created.json()) == (
        201,
        {"matching_enabled_ratio": 1.0, "name": "TEST_BANK"},
    )
    off = api.post("/c/banks", json={"name": "OFF_BANK", "enabled_ratio": 0.0}).json()
    assert off == {"matching_enabled_ratio": 0.0, "name": "OFF_BANK"}
    assert api.post("/c/banks", json={"name": "TEST_BANK"}).status_code == 403
    bad = api.post("/c/banks", json={"name": "lower_case"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"message": "Bank names must be UPPER_WITH_UNDERSCORE"},
    )
    assert api.get("/c/bank/TEST_BANK").json()["name"] == "TEST_BANK"
    missing = api.get("/c/bank/NOPE")
    assert (missing.status_code, missing.json()) == (404, {"message": "bank 'NOPE' not found"})
    updated = api.put("/c/bank/TEST_BANK", json={"enabled": False})
    assert updated.json() == {"matching_enabled_ratio": 0.0, "name": "TEST_BANK"}
    assert api.put("/c/bank/NOPE", json={}).status_code == 404
    for ratio in ("abc", [1], True):  # refused, the bank unchanged
        refused = api.put("/c/bank/TEST_BANK", json={"enabled_ratio": ratio})
        assert (refused.status_code, refused.json()) == (
            422,
            {"message": "enabled_ratio: Input should be a valid number"},
        )
        assert (
            api.post("/c/banks", json={"name": "RATIO", "enabled_ratio": ratio}).status_code == 422
        )
    assert api.get("/c/bank/TEST_BANK").json()["matching_enabled_ratio"] == 0.0
    # As in HMA: `enabled` counts when `enabled_ratio` is absent.
    assert api.post("/c/banks", json={"name": "SWITCHED_OFF", "enabled": False}).json() == {
        "matching_enabled_ratio": 0.0,
        "name": "SWITCHED_OFF",
    }
    assert api.delete("/c/bank/SWITCHED_OFF").json() == {"message": "Done"}
    assert api.delete("/c/bank/OFF_BANK").json() == {"message": "Done"}
    assert api.delete("/c/bank/OFF_BANK").json() == {"message": "Done"}
    assert [b["name"] for b in api.get("/c/banks").json()] == ["TEST_BANK"]


def test_signals_lookup_and_content(api: httpx.Client) -> None:
    api.post("/c/banks", json={"name": "BANK_A"})
    api.post("/c/banks", json={"name": "BANK_B"})
    added = api.post("/c/bank/BANK_A/signal", json={"pdq": PDQ_A, "note": "from partner"})
    assert added.status_code == 200
    content_id = added.json()["id"]
    assert added.json() == {"id": content_id, "signals": {"pdq": PDQ_A}}
    other = api.post("/c/bank/BANK_B/signal", json={"pdq": PDQ_A}).json()["id"]

    # Matchable at once: no index build to wait for.
    found = api.get("/m/lookup", params={"signal": PDQ_NEAR, "signal_type": "pdq"}).json()
    assert found == {
        "BANK_A": [{"bank_content_id": content_id, "distance": "4"}],
        "BANK_B": [{"bank_content_id": other, "distance": "4"}],
    }
    only_b = api.get(
        "/m/lookup", params={"signal": PDQ_A, "signal_type": "pdq", "banks": "BANK_B"}
    ).json()
    assert only_b == {"BANK_B": [{"bank_content_id": other, "distance": "0"}]}
    assert api.get("/m/lookup", params={"signal": PDQ_FAR, "signal_type": "pdq"}).json() == {}
    raw = api.get("/m/raw_lookup", params={"signal": PDQ_A, "signal_type": "pdq"}).json()
    assert sorted(raw["matches"]) == sorted([content_id, other])

    content = api.get(
        f"/c/bank/BANK_A/content/{content_id}", params={"include_signals": "true"}
    ).json()
    assert content == {
        "bank": {"matching_enabled_ratio": 1.0, "name": "BANK_A"},
        "disable_until_ts": 1,
        "id": content_id,
        "note": "from partner",
        "original_media_uri": None,
        "signals": {"pdq": PDQ_A},
    }
    disabled = api.put(f"/c/bank/BANK_A/content/{content_id}", json={"disable_until_ts": 0})
    assert disabled.json()["disable_until_ts"] == 0
    assert (
        "BANK_A" not in api.get("/m/lookup", params={"signal": PDQ_A, "signal_type": "pdq"}).json()
    )
    later = int(time.time()) + 3600
    api.put(f"/c/bank/BANK_A/content/{content_id}", json={"disable_until_ts": later})
    got = api.get(f"/c/bank/BANK_A/content/{content_id}").json()
    assert got["disable_until_ts"] == later
    assert (
        "BANK_A" not in api.get("/m/lookup", params={"signal": PDQ_A, "signal_type": "pdq"}).json()
    )
    api.put(f"/c/bank/BANK_A/content/{content_id}", json={"disable_until_ts": 1})
    assert "BANK_A" in api.get("/m/lookup", params={"signal": PDQ_A, "signal_type": "pdq"}).json()

    # As in HMA, content is found whatever bank the path names; its own bank is reported.
    api.put("/c/bank/BANK_B", json={"enabled": False})
    elsewhere = api.get(f"/c/bank/BANK_A/content/{other}").json()
    assert elsewhere["bank"] == {"matching_enabled_ratio": 0.0, "name": "BANK_B"}

    assert api.delete(f"/c/bank/BANK_A/content/{content_id}").json() == {"deleted": 1}
    assert api.delete(f"/c/bank/BANK_A/content/{content_id}").json() == {"deleted": 0}
    assert api.get(f"/c/bank/BANK_A/content/{content_id}").status_code == 404


def test_photo_upload_hash_content_and_lookup(api: httpx.Client) -> None:
    api.post("/c/banks", json={"name": "PHOTOS"})
    hashed = api.post("/h/hash", files={"photo": ("a.jpg", photo(4), "image/jpeg")})
    assert hashed.status_code == 200
    assert set(hashed.json()) == {"pdq", "md5", "sha256"}
    only_pdq = api.post(
        "/h/hash", params={"types": "pdq"}, files={"photo": ("a.jpg", photo(4), "image/jpeg")}
    )
    assert list(only_pdq.json()) == ["pdq"]

    metadata = json.dumps({"content_id": "upload-7", "json": {"case": 1}})
    added = api.post(
        "/c/bank/PHOTOS/content",
        files={"photo": ("a.jpg", photo(4), "image/jpeg")},
        data={"metadata": metadata, "note": "confirmed"},
    )
    assert added.status_code == 200
    body = added.json()
    assert body["signals"]["pdq"] == hashed.json()["pdq"]
    content = api.get(f"/c/bank/PHOTOS/content/{body['id']}").json()
    assert content["metadata"] == {
        "collab": None,
        "content_id": "upload-7",
        "content_uri": None,
        "json": {"case": 1},
    }

    # A re-encoded, resized copy matches through POST /m/lookup.
    result = api.post(
        "/m/lookup", files={"photo": ("copy.jpg", photo(4, (320, 240)), "image/jpeg")}
    ).json()
    assert [m["bank_content_id"] for m in result["pdq"]["PHOTOS"]] == [body["id"]]
    assert result["md5"] == {}
    nothing = api.post("/m/lookup", files={"photo": ("o.jpg", photo(91), "image/jpeg")}).json()
    assert nothing["pdq"] == {}


def test_compare_index_status_and_errors(api: httpx.Client) -> None:
    compared = api.post("/m/compare", json={"pdq": [PDQ_A, PDQ_NEAR]})
    assert compared.json() == {"pdq": [True, {"distance": 4}]}
    assert api.post("/m/compare", json={"pdq": [PDQ_A, PDQ_FAR]}).json()["pdq"][0] is False
    assert api.post("/m/compare", json={"pdq": [PDQ_A]}).json() == {
        "message": "Comparison hash list length must be exactly 2"
    }
    status = api.get("/m/index/status").json()
    assert status["pdq"]["present"] is True
    assert set(status["pdq"]) == {"built_to", "present", "size"}
    assert api.get("/m/index/status", params={"signal_type": "pdq"}).json().keys() == {"pdq"}

    errors = [
        (api.get("/m/lookup"), 400, "Either url or both signal and signal_type are required"),
        (
            api.get("/m/lookup", params={"signal": "x", "signal_type": "nope"}),
            400,
            "No such SignalType 'nope'",
        ),
        (api.post("/h/hash", files={"file": ("a.jpg", b"x")}), 400, "no such content_type: 'file'"),
        (api.post("/h/hash", data={"x": "y"}), 400, "Missing multipart/form-data file upload"),
        (api.post("/c/bank/NOPE/signal", json={"pdq": PDQ_A}), 404, "bank 'NOPE' not found"),
    ]
    for response, status_code, message in errors:
        assert (response.status_code, response.json()) == (status_code, {"message": message})
    api.post("/c/banks", json={"name": "B"})
    assert api.post("/c/bank/B/signal", json={"note": "x"}).json() == {
        "message": "No signals given"
    }
    assert api.post("/c/bank/B/signal", content=b"{}").status_code == 415
