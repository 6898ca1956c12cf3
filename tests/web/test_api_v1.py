"""API v1 end to end over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import socket
from collections.abc import Callable, Iterator

import httpx
from PIL import Image

from bastion.auth import Scope
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import PdqSignal
from tests.web.conftest import running_server

BRIDGE = PdqSignal.examples()[0]


def jpeg(seed: int, size: tuple[int, int] = (640, 480), quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def test_hash_upload(api: httpx.Client) -> None:
    response = api.post("/api/v1/hash", files={"file": ("a.jpg", jpeg(1), "image/jpeg")})
    assert response.status_code == 200
    body = response.json()
    assert (body["format"], body["width"], body["height"]) == ("JPEG", 640, 480)
    assert [s["type"] for s in body["signals"]] == ["pdq", "md5", "sha256"]
    assert body["signals"][0]["quality"] == 100


def test_bank_entries_match_and_lookup(api: httpx.Client) -> None:
    created = api.post("/api/v1/banks", json={"name": "known", "thresholds": {"pdq": 40}})
    assert created.status_code == 201
    assert created.json()["thresholds"] == {"pdq": 40}
    added = api.post("/api/v1/banks/known/media", files={"file": ("k.jpg", jpeg(3), "image/jpeg")})
    assert added.status_code == 201
    entry = added.json()
    assert entry["source"] == "media"
    assert entry["added_by"].startswith("key:")

    copy = api.post(
        "/api/v1/match", files={"file": ("c.jpg", jpeg(3, (320, 240), 60), "image/jpeg")}
    )
    matches = copy.json()["matches"]
    assert [(m["bank"], m["entry_id"], m["signal_type"]) for m in matches] == [
        ("known", entry["id"], "pdq")
    ]
    unrelated = api.post("/api/v1/match", files={"file": ("u.jpg", jpeg(99), "image/jpeg")})
    assert unrelated.json()["matches"] == []

    pdq = entry["signals"][0]["value"]
    looked_up = api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": pdq.upper()})
    assert [(m["entry_id"], m["distance"]) for m in looked_up.json()["matches"]] == [
        (entry["id"], 0)
    ]

    disabled = api.patch(f"/api/v1/entries/{entry['id']}", json={"enabled": False})
    assert disabled.json()["enabled"] is False
    assert (
        api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": pdq}).json()["matches"]
        == []
    )
    assert api.delete(f"/api/v1/entries/{entry['id']}").status_code == 204
    assert api.get(f"/api/v1/entries/{entry['id']}").status_code == 404


def test_signal_entries_pagination_and_filters(api: httpx.Client) -> None:
    api.post("/api/v1/banks", json={"name": "b"})
    ids = []
    for i in range(5):
        body = {"signals": [{"type": "pdq", "value": f"{i:064x}"}], "metadata": {"i": i}}
        ids.append(api.post("/api/v1/banks/b/entries", json=body).json()["id"])
    md5 = {"signals": [{"type": "md5", "value": "0" * 32}], "note": "exact"}
    ids.append(api.post("/api/v1/banks/b/entries", json=md5).json()["id"])
    api.patch(f"/api/v1/entries/{ids[1]}", json={"enabled": False})

    first = api.get("/api/v1/banks/b/entries", params={"limit": 4}).json()
    assert [e["id"] for e in first["entries"]] == ids[:4]
    assert first["next_after"] == ids[3]
    rest = api.get("/api/v1/banks/b/entries", params={"limit": 4, "after": ids[3]}).json()
    assert [e["id"] for e in rest["entries"]] == ids[4:]
    assert rest["next_after"] is None
    only_md5 = api.get("/api/v1/banks/b/entries", params={"signal_type": "md5"}).json()
    assert [e["note"] for e in only_md5["entries"]] == ["exact"]
    disabled = api.get("/api/v1/banks/b/entries", params={"enabled": False}).json()
    assert [e["id"] for e in disabled["entries"]] == [ids[1]]


def test_bank_crud(api: httpx.Client) -> None:
    api.post("/api/v1/banks", json={"name": "b", "description": "d"})
    assert api.post("/api/v1/banks", json={"name": "b"}).status_code == 409
    updated = api.patch("/api/v1/banks/b", json={"enabled": False, "thresholds": {"pdq": 10}})
    assert (updated.json()["enabled"], updated.json()["thresholds"]) == (False, {"pdq": 10})
    assert [b["name"] for b in api.get("/api/v1/banks").json()] == ["b"]
    assert api.delete("/api/v1/banks/b").status_code == 204
    missing = api.get("/api/v1/banks/b")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no bank named 'b'"


def test_import_and_export_round_trip(api: httpx.Client) -> None:
    api.post("/api/v1/banks", json={"name": "src"})
    text = "collab,signal_type,signal_str,category,tags\n" + "".join(
        f"c,pdq,{i:064x},POSITIVE_CLASS,t\n" for i in range(1, 30)
    )
    result = api.post(
        "/api/v1/banks/src/import", files={"file": ("list.csv", text.encode(), "text/csv")}
    ).json()
    assert (result["accepted"], result["rejected"]) == (29, 0)
    exported = api.get("/api/v1/banks/src/export")
    assert exported.status_code == 200
    header, *rows = text.splitlines()
    assert exported.text.splitlines() == [  # and bastion's column numbering entries
        header + ",entry",
        *(f"{row},{number}" for number, row in enumerate(rows, start=1)),
    ]
    entry = api.get("/api/v1/banks/src/entries", params={"limit": 1}).json()["entries"][0]
    assert entry["imported_from"] == "list.csv"

    bad = text + "c,pdq,xyz,,\n"
    rejected = api.post("/api/v1/banks/src/import", files={"file": ("bad.csv", bad.encode())})
    assert rejected.status_code == 400
    assert rejected.json()["type"] == "/problems/import-format"
    assert "line 31" in rejected.json()["detail"]


def test_bad_input_gets_problem_responses(api: httpx.Client) -> None:
    cases = [
        (("t.txt", b"not an image at all", "text/plain"), 415, "unsupported-media"),
        (("t.jpg", jpeg(1)[:400], "image/jpeg"), 422, "corrupt-media"),
        (("e.jpg", b"", "image/jpeg"), 422, "media"),
    ]
    for file, status, code in cases:
        response = api.post("/api/v1/hash", files={"file": file})
        assert response.status_code == status, file[0]
        assert response.json()["type"] == f"/problems/{code}"
    lookup = api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": "zz"})
    assert lookup.status_code == 400
    assert lookup.json()["type"] == "/problems/invalid-signal"
    missing = api.get("/api/v1/lookup", params={"signal_type": "pdq"})
    assert missing.status_code == 422
    assert missing.json()["type"] == "/problems/invalid-request"
    bad_name = api.post("/api/v1/banks", json={"name": "bad name"})
    assert bad_name.status_code == 422
    assert bad_name.json()["errors"][0]["location"] == ["body", "name"]
    # Ids beyond 64 bits cannot exist; found by schemathesis as a 500 (database overflow).
    huge = str(10**30)
    assert api.get("/api/v1/banks/x/entries", params={"after": huge}).status_code == 422
    assert api.get(f"/api/v1/entries/{huge}").status_code == 422
    assert api.get(f"/c/bank/X/content/{huge}").status_code == 422
    assert api.get("/no/such/route").json()["type"] == "/problems/not-found"


def test_oversized_uploads_are_refused(settings: Settings, make_key: Callable[..., str]) -> None:
    small = settings.with_overrides(max_media_bytes=20_000)
    key = make_key(Scope.HASH)
    with running_server(small) as url:
        host, port = url.removeprefix("http://").split(":")
        # A declared length over the limit is refused from the headers alone.
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /api/v1/hash HTTP/1.1\r\nHost: x\r\n"
                + f"Authorization: Bearer {key}\r\n".encode()
                + b"Content-Type: application/octet-stream\r\n"
                + b"Content-Length: 10000000000\r\nConnection: close\r\n\r\n"
            )
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 413")
        assert b"/problems/media-too-large" in reply

        # A chunked body with no declared length is cut off once it passes the limit.
        def body() -> Iterator[bytes]:
            yield (
                b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\n"
            )
            for _ in range(100):
                yield b"x" * 10_000

        with httpx.Client(base_url=url, headers={"X-API-Key": key}) as client:
            response = client.post(
                "/api/v1/hash",
                content=body(),
                headers={"Content-Type": "multipart/form-data; boundary=b"},
            )
            assert response.status_code == 413
            # A file part over the limit inside an acceptable body.
            big = client.post("/api/v1/hash", files={"file": ("big.bmp", b"x" * 20_001)})
            assert big.status_code == 413
            assert "exceeds the limit of 20,000 bytes" in big.json()["detail"]
