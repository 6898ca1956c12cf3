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
from tests.videos import synthetic_video

PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_NEAR = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2d"  # 4 bits away
PDQ_FAR = "0" * 64
JSON_HEADERS = {"content-type": "application/json"}


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
    for ratio in ("abc", [1], ""):  # refused, the bank unchanged
        refused = api.put("/c/bank/TEST_BANK", json={"enabled_ratio": ratio})
        assert refused.status_code == 422
        assert refused.json()["message"].startswith("enabled_ratio: Input should be a valid number")
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


def flat(colour: tuple[int, int, int] = (128, 128, 128)) -> bytes:
    """A featureless picture: its PDQ hash has quality 0."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_bank_switch_parsed_as_hma_parses_it(api: httpx.Client) -> None:
    api.post("/c/banks", json={"name": "SWITCHED"})
    for off, on in (("false", "true"), ("0", "1"), ("off", "on"), ("no", "yes"), (0, 1)):
        assert api.put("/c/bank/SWITCHED", json={"enabled": off}).json() == {
            "matching_enabled_ratio": 0.0,
            "name": "SWITCHED",
        }, off
        assert (
            api.put("/c/bank/SWITCHED", json={"enabled": on}).json()["matching_enabled_ratio"]
            == 1.0
        )
    refused = api.put("/c/bank/SWITCHED", json={"enabled": "maybe"})
    assert (refused.status_code, refused.json()) == (
        422,
        {"message": "enabled: Input should be a valid boolean, unable to interpret input"},
    )
    # `enabled_ratio` after `enabled`, as HMA applies them; a ratio may be sent as text.
    both = api.put("/c/bank/SWITCHED", json={"enabled": True, "enabled_ratio": "0"})
    assert both.json()["matching_enabled_ratio"] == 0.0
    # How ROOST's Coop creates banks: the ratio as a string.
    coop = api.post("/c/banks", json={"name": "COOP_1_LIST", "enabled_ratio": "0.5"})
    assert (coop.status_code, coop.json()) == (
        201,
        {"matching_enabled_ratio": 1.0, "name": "COOP_1_LIST"},
    )
    off = api.post("/c/banks", json={"name": "COOP_1_OFF", "enabled_ratio": "0"}).json()
    assert off["matching_enabled_ratio"] == 0.0


def test_raw_lookup_includes_content_switched_off(api: httpx.Client) -> None:
    api.post("/c/banks", json={"name": "RAW"})
    off = api.post("/c/bank/RAW/signal", json={"pdq": PDQ_A}).json()["id"]
    later = api.post("/c/bank/RAW/signal", json={"pdq": PDQ_NEAR}).json()["id"]
    api.put(f"/c/bank/RAW/content/{off}", json={"disable_until_ts": 0})
    api.put(f"/c/bank/RAW/content/{later}", json={"disable_until_ts": int(time.time()) + 3600})
    query = {"signal": PDQ_A, "signal_type": "pdq"}
    assert api.get("/m/lookup", params=query).json() == {}
    raw = api.get("/m/raw_lookup", params={**query, "include_distance": "true"}).json()
    assert sorted(raw["matches"], key=lambda m: m["bank_content_id"]) == [
        {"bank_content_id": off, "distance": "0"},
        {"bank_content_id": later, "distance": "4"},
    ]


def test_a_hash_too_poor_to_match_is_hmas_empty_hash(api: httpx.Client) -> None:
    api.post("/c/banks", json={"name": "POOR"})
    upload = {"photo": ("flat.png", flat(), "image/png")}
    hashed = api.post("/h/hash", params={"types": "pdq"}, files=upload)
    assert (hashed.status_code, hashed.json()) == (200, {"pdq": ""})
    refused = api.post("/c/bank/POOR/content", files=upload)
    assert (refused.status_code, refused.json()) == (
        400,
        {"message": "Invalid pdq signal: invalid PDQ hash"},
    )
    assert api.get("/c/bank/POOR/content/1").status_code == 404  # nothing was stored
    looked_up = api.post("/m/lookup", files=upload)
    assert (looked_up.status_code, looked_up.json()) == (
        400,
        {"message": "invalid signal: invalid PDQ hash"},
    )
    # Without PDQ the file's digests are banked and found.
    added = api.post("/c/bank/POOR/content", params={"types": "md5"}, files=upload)
    assert added.status_code == 200, added.text
    found = api.post("/m/lookup", params={"types": "md5"}, files=upload).json()
    assert found == {"md5": {"POOR": [{"bank_content_id": added.json()["id"], "distance": "-"}]}}


def test_bank_names_hma_accepts(api: httpx.Client) -> None:
    for name in ("_LEADING_UNDERSCORE", "B" * 65, "C" * 255):
        created = api.post("/c/banks", json={"name": name})
        assert created.status_code == 201, (name, created.text)
        assert api.post(f"/c/bank/{name}/signal", json={"pdq": PDQ_A}).status_code == 200
        assert api.get(f"/c/bank/{name}").json()["name"] == name
    assert api.post("/c/banks", json={"name": "D" * 256}).status_code == 400
    # The same names through API v1: one rule.
    assert api.post("/api/v1/banks", json={"name": "_v1_" + "e" * 200}).status_code == 201


def test_signal_types_of_the_content_type(api: httpx.Client) -> None:
    upload = {"photo": ("a.jpg", photo(5), "image/jpeg")}
    refused = api.post("/h/hash", params={"types": "video_md5"}, files=upload)
    assert (refused.status_code, refused.json()) == (
        400,
        {"message": "signal type 'video_md5' doesn't exist or is disabled"},
    )
    unknown = api.post("/h/hash", params={"types": "pdq,nope"}, files=upload)
    assert unknown.json() == {"message": "signal type 'nope' doesn't exist or is disabled"}


def test_video_through_hmas_content_routes(api: httpx.Client) -> None:
    video = synthetic_video(21, seconds=4, fps=10)
    upload = {"video": ("v.mp4", video, "video/mp4")}
    hashed = api.post("/h/hash", files=upload)
    assert hashed.status_code == 200, hashed.text
    assert list(hashed.json()) == ["video_md5", "sha256", "vpdq", "tmk_pdqf"]
    only = api.post("/h/hash", params={"types": "video_md5"}, files=upload).json()
    assert only == {"video_md5": hashed.json()["video_md5"]}

    api.post("/c/banks", json={"name": "VIDEOS"})
    added = api.post("/c/bank/VIDEOS/content", files=upload)
    assert added.status_code == 200, added.text
    assert added.json()["signals"] == hashed.json()
    found = api.post("/m/lookup", files=upload).json()
    assert found["video_md5"] == {
        "VIDEOS": [{"bank_content_id": added.json()["id"], "distance": "-"}]
    }
    assert [m["bank_content_id"] for m in found["vpdq"]["VIDEOS"]] == [added.json()["id"]]

    # A photo sent as a video (and the other way round) is refused.
    wrong = api.post("/h/hash", files={"video": ("a.jpg", photo(1), "image/jpeg")})
    assert wrong.status_code == 400
    assert api.post("/h/hash", files={"photo": ("v.mp4", video, "video/mp4")}).status_code == 400


def test_exchange_and_configuration_routes_as_coop_drives_them(api: httpx.Client) -> None:
    assert {"ncmec", "fb_threatexchange", "stop_ncii"} <= set(api.get("/c/exchanges/apis").json())
    assert api.get("/c/exchanges/api/ncmec").json() == {
        "supports_authentification": True,
        "has_set_authentification": False,
    }
    environment = "https://report.cybertip.org/hashsharing"
    created = api.post(
        "/c/exchanges",
        json={
            "bank": "COOP_1_NCMEC",
            "api": "ncmec",
            "api_json": {"environment": environment, "only_esp_ids": [7]},
        },
    )
    assert (created.status_code, created.json()) == (201, {"message": "Created successfully"})
    assert api.get("/c/exchanges").json() == ["COOP_1_NCMEC"]
    assert api.get("/c/bank/COOP_1_NCMEC").json() == {
        "matching_enabled_ratio": 1.0,
        "name": "COOP_1_NCMEC",
    }
    shown = api.get("/c/exchange/COOP_1_NCMEC").json()
    assert (shown["name"], shown["api"], shown["enabled"]) == ("COOP_1_NCMEC", "ncmec", True)
    assert (shown["environment"], shown["only_esp_ids"]) == (environment, [7])
    assert api.get("/c/exchange/COOP_1_NCMEC/status").json() == {
        "checkpoint_ts": None,
        "running_fetch_start_ts": None,
        "last_fetch_complete_ts": None,
        "last_fetch_succeeded": None,
        "up_to_date": False,
        "fetched_items": 0,
    }
    missing = api.get("/c/exchange/NOPE")
    assert (missing.status_code, missing.json()) == (404, {"message": "Exchange 'NOPE' not found"})
    for body, message in (
        ({"api": "ncmec"}, "bank is required"),
        ({"bank": "lower", "api": "ncmec"}, "Field `bank` must match /^[A-Z0-9_]+$/"),
        ({"bank": "X"}, "Field `api_type` is required"),
        ({"bank": "X", "api": "nope"}, "No such exchange type 'nope'"),
    ):
        refused = api.post("/c/exchanges", json=body)
        assert (refused.status_code, refused.json()) == (400, {"message": message})
    bad = api.post("/c/exchanges", json={"bank": "X", "api": "ncmec", "api_json": {"x": 1}})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("Failed to parse `api_json` - ")
    assert api.get("/c/bank/X").status_code == 404  # nothing was created

    types = api.get("/c/signal_type").json()
    assert {"name": "pdq", "enabled_ratio": 1.0} in types
    assert {"name": "video_md5", "enabled_ratio": 1.0} in types
    assert api.get("/c/content_type").json() == [
        {"name": "photo", "enabled": True},
        {"name": "video", "enabled": True},
    ]
    api.post("/c/bank/COOP_1_NCMEC/signal", json={"pdq": PDQ_A})
    index = api.get("/c/signal_type/index", params={"signal_type": "pdq"}).json()
    assert list(index) == ["pdq"]
    assert (index["pdq"]["db_size"], index["pdq"]["index_out_of_date"]) == (1, False)


def test_errors_keep_hmas_message_body_and_index_size_counts_banked_hashes(
    api: httpx.Client,
) -> None:
    api.post("/c/banks", json={"name": "SIZES"})
    added = api.post("/c/bank/SIZES/content", files={"photo": ("a.jpg", photo(6), "image/jpeg")})
    assert added.status_code == 200, added.text
    status = api.get("/m/index/status").json()
    assert {t: status[t]["size"] for t in ("pdq", "md5", "sha256")} == {
        "pdq": 1,
        "md5": 1,
        "sha256": 1,
    }
    # A body the service will not read: HMA's body, not a problem document.
    nan = api.post("/c/banks", content=b'{"name": "N", "enabled_ratio": NaN}', headers=JSON_HEADERS)
    assert nan.status_code == 400
    assert nan.headers["content-type"] == "application/json"
    assert set(nan.json()) == {"message"}
    missing = api.post("/c/banks", json={})
    assert (missing.status_code, missing.json()) == (422, {"message": "name: Field required"})
