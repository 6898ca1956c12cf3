"""Stand-ins for the outside services, on 127.0.0.1, speaking each one's documented protocol
strictly: a request that breaks it (wrong path, method, credentials header, content type or
body shape) is answered as the service would refuse it and recorded in `violations`, which
every test expects to stay empty.

Each knows media by the SHA-256 of its bytes (benign generated images registered by a test)
and can be told to misbehave: `mode` = ``ok``, ``rate`` (429, or PhotoDNA's 403 quota),
``hang`` (answers after `hang_seconds`), ``auth`` (refuses the credentials), ``malformed``
(an answer that breaks the protocol, `malformed` picks which), ``error`` (500)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fake:
    """What a fake knows, how it should behave, and what it saw."""

    credentials: dict[str, str]
    known: dict[str, str] = field(default_factory=dict)  # sha256 -> classification
    known_pdq: dict[str, str] = field(default_factory=dict)  # hex -> classification
    known_urls: dict[str, str] = field(default_factory=dict)  # url -> classification
    mode: str = "ok"
    malformed: str = "not_json"
    hang_seconds: float = 3.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    url: str = ""

    def know(self, data: bytes, classification: str = "csam") -> None:
        self.known[hashlib.sha256(data).hexdigest()] = classification


class _Handler(BaseHTTPRequestHandler):
    fake: Fake
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._violation(f"GET {self.path}: the service takes POST")
        self._send(405, {"message": "method not allowed"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.fake.requests.append(
            {"path": self.path, "headers": dict(self.headers), "size": length}
        )
        if self.fake.mode == "hang":
            time.sleep(self.fake.hang_seconds)
        self.answer(urlsplit(self.path), body)

    def answer(self, url: Any, body: bytes) -> None:
        raise NotImplementedError

    def _violation(self, what: str) -> None:
        self.fake.violations.append(what)

    def _send(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)


class PhotoDnaHandler(_Handler):
    """``POST /photodna/v1.0/Match`` with ``Ocp-Apim-Subscription-Key`` and image bytes."""

    def answer(self, url: Any, body: bytes) -> None:
        fake = self.fake
        if url.path != "/photodna/v1.0/Match":
            self._violation(f"path {url.path}")
            return self._send(404, {"statusCode": 404, "message": "Resource not found"})
        if set(parse_qs(url.query)) - {"enhance"}:
            self._violation(f"query {url.query}")
        if (
            self.headers.get("Ocp-Apim-Subscription-Key") != fake.credentials["subscription_key"]
            or fake.mode == "auth"
        ):
            return self._send(
                401,
                {"statusCode": 401, "message": "Access denied due to invalid subscription key."},
            )
        if fake.mode == "rate":
            return self._send(
                429,
                {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 2 seconds."},
                {"Retry-After": "2"},
            )
        if fake.mode == "quota":
            return self._send(403, {"statusCode": 403, "message": "Out of call volume quota."})
        if fake.mode == "error":
            return self._send(500, {"statusCode": 500, "message": "Internal error"})
        kind = self.headers.get("Content-Type", "")
        by_url = None
        if kind == "application/json":
            try:
                request = json.loads(body)
                assert request["DataRepresentation"] == "URL"
                by_url = str(request["Value"])
            except (ValueError, KeyError, TypeError, AssertionError):
                self._violation("URL body")
                return self._send(400, {"statusCode": 400, "message": "Bad request"})
        elif kind not in ("image/gif", "image/jpeg", "image/png", "image/bmp", "image/tiff"):
            self._violation(f"content type {kind}")
            return self._send(415, {"statusCode": 415, "message": "Unsupported media type"})
        status = {"Code": 3000, "Description": "OK", "Exception": None}
        if fake.mode == "tiny":
            status = {
                "Code": 3208,
                "Description": "Image size in pixels is not within allowed range",
                "Exception": None,
            }
        if fake.mode == "malformed":
            return self._send(200, _broken(fake.malformed, {"Status": status, "IsMatch": "yes"}))
        classification = (
            fake.known.get(hashlib.sha256(body).hexdigest())
            if by_url is None
            else fake.known_urls.get(by_url)
        )
        flags = (
            []
            if classification is None
            else [
                {
                    "AdvancedInfo": [{"Key": "MatchId", "Value": "117"}],
                    "Source": "Test",
                    "Violations": ["A1"],
                }
            ]
        )
        self._send(
            200,
            {
                "Status": status,
                "ContentId": None,
                "IsMatch": classification is not None and status["Code"] == 3000,
                "MatchDetails": {"AdvancedInfo": [], "MatchFlags": flags},
                "TrackingId": "WUS_418b_1",
            },
        )
        return None


class ArachnidHandler(_Handler):
    """``POST /v1/media/`` (bytes) and ``/v1/pdq/`` (``{"hashes": [base64]}``), HTTP Basic."""

    def answer(self, url: Any, body: bytes) -> None:
        fake = self.fake
        expected = (
            "Basic "
            + base64.b64encode(
                f"{fake.credentials['username']}:{fake.credentials['password']}".encode()
            ).decode()
        )
        if url.path not in ("/v1/media/", "/v1/pdq/", "/v1/url/"):
            self._violation(f"path {url.path}")
            return self._send(404, {"detail": "Not found."})
        if self.headers.get("Authorization") != expected or fake.mode == "auth":
            return self._send(401, {"detail": "Invalid username/password."})
        if fake.mode == "rate":
            return self._send(
                429,
                {"detail": "Request was throttled. Expected available in 2 seconds."},
                {"Retry-After": "2"},
            )
        if fake.mode == "error":
            return self._send(500, {"detail": "Server error"})
        if url.path == "/v1/pdq/":
            return self._pdq(body)
        if url.path == "/v1/url/":
            try:
                address = json.loads(body)["url"]
            except (ValueError, KeyError, TypeError):
                self._violation("url body")
                return self._send(400, {"detail": "url: a URL"})
            classification = fake.known_urls.get(address, "no-known-match")
            return self._send(
                200,
                {
                    "sha1_base32": "B" * 32,
                    "sha256_hex": "1" * 64,
                    "size_bytes": 1000,
                    "classification": classification,
                    "match_type": None if classification == "no-known-match" else "near",
                    "near_match_details": []
                    if classification == "no-known-match"
                    else [
                        {
                            "timestamp": 0,
                            "sha1_base32": "C" * 32,
                            "sha256_hex": "2" * 64,
                            "classification": classification,
                        }
                    ],
                },
            )
        kind = self.headers.get("Content-Type", "")
        if not (kind.startswith(("image/", "video/"))):
            self._violation(f"content type {kind}")
            return self._send(415, {"detail": f'Unsupported media type "{kind}" in request.'})
        digest = hashlib.sha256(body).hexdigest()
        classification = fake.known.get(digest, "no-known-match")
        found = {
            "sha1_base32": base64.b32encode(hashlib.sha1(body).digest()).decode(),
            "sha256_hex": digest,
            "size_bytes": len(body),
            "classification": classification,
            "match_type": None if classification == "no-known-match" else "exact",
            "near_match_details": [],
        }
        if fake.mode == "malformed":
            return self._send(200, _broken(fake.malformed, {**found, "near_match_details": "none"}))
        self._send(200, found)
        return None

    def _pdq(self, body: bytes) -> None:
        fake = self.fake
        try:
            hashes = json.loads(body)["hashes"]
            raw = [base64.b64decode(h, validate=True) for h in hashes]
        except (ValueError, KeyError, TypeError, binascii.Error):
            self._violation("pdq body")
            return self._send(400, {"detail": "hashes: a list of base64 PDQ hashes"})
        if any(len(r) != 32 for r in raw):
            self._violation("pdq hash size")
            return self._send(400, {"detail": "each hash is 32 bytes"})
        scanned: dict[str, Any] = {}
        for key, value in zip(hashes, raw, strict=True):
            classification = fake.known_pdq.get(value.hex())
            scanned[key] = (
                None
                if classification is None
                else {
                    "classification": classification,
                    "match_type": "near",
                    "near_match_details": {
                        "timestamp": 0,
                        "sha1_base32": "A" * 32,
                        "sha256_hex": "0" * 64,
                        "classification": classification,
                    },
                }
            )
        self._send(200, {"scanned_hashes": scanned})
        return None


class ContentSafetyHandler(_Handler):
    """``POST /v1beta1/images:classify?key=...`` with ``{"images": [base64, ...]}`` (≤ 32)."""

    def answer(self, url: Any, body: bytes) -> None:
        fake = self.fake
        if url.path != "/v1beta1/images:classify":
            self._violation(f"path {url.path}")
            return self._send(
                404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}
            )
        key = parse_qs(url.query).get("key", [""])[0]
        if key != fake.credentials["api_key"] or fake.mode == "auth":
            return self._send(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid. Please pass a valid API key.",
                        "status": "INVALID_ARGUMENT",
                        "details": [{"reason": "API_KEY_INVALID"}],
                    }
                },
            )
        if fake.mode == "rate":
            return self._send(
                429,
                {
                    "error": {
                        "code": 429,
                        "message": "Quota exceeded",
                        "status": "RESOURCE_EXHAUSTED",
                    }
                },
            )
        if fake.mode == "error":
            return self._send(
                503, {"error": {"code": 503, "message": "unavailable", "status": "UNAVAILABLE"}}
            )
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            self._violation("content type")
        try:
            images = [base64.b64decode(i, validate=True) for i in json.loads(body)["images"]]
        except (ValueError, KeyError, TypeError, binascii.Error):
            self._violation("body")
            return self._send(
                400,
                {"error": {"code": 400, "message": "images: base64", "status": "INVALID_ARGUMENT"}},
            )
        if not 1 <= len(images) <= 32:
            self._violation(f"{len(images)} images in one request")
            return self._send(
                400,
                {"error": {"code": 400, "message": "1 to 32 images", "status": "INVALID_ARGUMENT"}},
            )
        priorities = [fake.known.get(hashlib.sha256(i).hexdigest(), "VERY_LOW") for i in images]
        if fake.mode == "malformed":
            return self._send(
                200, _broken(fake.malformed, {"reviewPriorities": priorities[:-1] or ["URGENT"]})
            )
        self._send(200, {"reviewPriorities": priorities, "modelVersion": "fake-1"})
        return None


def _broken(how: str, shaped: dict[str, Any]) -> Any:
    """An answer that breaks the protocol: not JSON, JSON of the wrong shape, or `shaped`."""
    if how == "not_json":
        return b"<html>Service Unavailable</html>"
    if how == "list":
        return [1, 2, 3]
    return shaped


@contextmanager
def serving(handler: type[_Handler], fake: Fake) -> Iterator[Fake]:
    """`fake` served by `handler` on 127.0.0.1 for the duration."""
    bound = type("Bound", (handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
