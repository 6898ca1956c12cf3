"""Fakes of services that cannot run here, each a real HTTP server on 127.0.0.1 speaking
the service's documented protocol.

`FakeNcmec` speaks NCMEC's Hash Sharing API v2 as python-threatexchange's client and its
sample payloads show it: Basic auth, XML in NCMEC's namespace, `GET /v2/status`, `GET
/v2/entries?from=&to=` with `<paging><next>` links carrying `start`, `size` and `max`,
entries and `deletedImage`/`deletedVideo` tombstones, feedback reasons and `PUT .../feedback`.
A query returns the current state of every entry last changed in [from, to]. Failures can
be injected: status codes for the next requests, a malformed page, refused credentials.
"""

from __future__ import annotations

import base64
import bisect
import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bastion.exchange.access import SourceAccess
from bastion.federation.signing import HEADER as SIGNATURE
from bastion.federation.signing import SigningKey
from bastion.media.fetch import FetchPolicy

NS = "https://hashsharing.ncmec.org/hashsharing/v2"
#: What exchanges in these tests may reach: the fakes, on loopback, and no file.
LOOPBACK = SourceAccess(FetchPolicy(allow_networks=("127.0.0.1/32",)))


@dataclass
class FakeEntry:
    member_id: int
    id: str
    kind: str  # "image" or "video"
    changed_at: int  # Unix seconds
    fingerprints: dict[str, str] = field(default_factory=dict)
    classification: str | None = "A1"
    deleted: bool = False
    member: str = "Example Member"


def _time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


class FakeNcmec:
    def __init__(self, *, username: str = "esp", password: str = "pw", page_size: int = 3) -> None:
        self.username, self.password, self.page_size = username, password, page_size
        self.entries: dict[tuple[int, str], FakeEntry] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self.feedback: list[tuple[str, bytes]] = []  # (path, body)
        self.reasons = {"01234567-abcd-0123-4567-012345678900": "Not the content described"}
        self.fail_next: list[int] = []  # statuses to answer the next requests with
        self.malformed_starts: set[int] = set()  # pages (by start) answered with broken XML
        self.announce_max: int | None = None  # overrides paging `max` (a "huge" window)
        self._lock = threading.Lock()
        self._version = 0  # bumped by every change, to drop cached windows
        self._by_time: list[FakeEntry] | None = None
        self._times: list[int] = []
        self._cached: tuple[tuple[int, int, int], list[FakeEntry]] | None = None

    # Content ----------------------------------------------------------------------------

    def put(self, entry: FakeEntry) -> None:
        with self._lock:
            self.entries[(entry.member_id, entry.id)] = entry
            self._changed()

    def delete(self, member_id: int, entry_id: str, at: int) -> None:
        with self._lock:
            old = self.entries[(member_id, entry_id)]
            self.entries[(member_id, entry_id)] = FakeEntry(
                member_id, entry_id, old.kind, at, deleted=True, member=old.member
            )
            self._changed()

    def _changed(self) -> None:
        self._version += 1
        self._by_time = None

    # Serving ----------------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_PUT(self) -> None:
                fake._handle(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/hashsharing"
        finally:
            server.shutdown()
            server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = handler.path
        self.requests.append((method, path))
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if handler.headers.get("Authorization") != f"Basic {expected}":
            return self._send(handler, 401, b"")
        if self.fail_next:
            return self._send(handler, self.fail_next.pop(0), b"")
        parts = urlsplit(path)
        route = parts.path.removeprefix("/hashsharing")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if method == "GET" and route == "/v2/status":
            return self._xml(
                handler,
                f'<status xmlns="{NS}"><ipAddress>127.0.0.1</ipAddress><username>esp</username>'
                '<member id="1">Our Service</member></status>',
            )
        if method == "GET" and route == "/v2/entries":
            return self._entries(handler, query)
        if method == "GET" and route.startswith("/v2/feedback/") and route.endswith("/reasons"):
            reasons = "".join(
                f'<reason guid="{g}" name="{escape(n)}" type="Md5"/>'
                for g, n in self.reasons.items()
            )
            return self._xml(
                handler,
                f'<feedbackReasons xmlns="{NS}"><availableFeedbackReasons>{reasons}'
                "</availableFeedbackReasons></feedbackReasons>",
            )
        if method == "PUT" and route.startswith("/v2/entries/") and route.endswith("/feedback"):
            self.feedback.append((route, body))
            return self._xml(handler, f'<submissionResult xmlns="{NS}"/>')
        return self._send(handler, 404, b"")

    def _entries(self, handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        start_ts, end_ts = _parse_time(query["from"]), _parse_time(query["to"])
        start = int(query.get("start", "1"))
        size = int(query.get("size", str(self.page_size)))
        if start in self.malformed_starts:
            self.malformed_starts.discard(start)
            return self._send(handler, 200, b"<queryResult><images><image><id>", "application/xml")
        matching = self._window(start_ts, end_ts)
        chunk = matching[start - 1 : start - 1 + size]
        parts = [f'<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="{NS}">']
        for kind, container in (("image", "images"), ("video", "videos")):
            items = [e for e in chunk if e.kind == kind]
            stamp = max((e.changed_at for e in items), default=None)
            attributes = f' count="{len(items)}"'
            if stamp is not None:
                attributes += f' maxTimestamp="{_time(stamp)}"'
            parts.append(f"<{container}{attributes}>")
            parts.extend(_entry_xml(e) for e in items)
            parts.append(f"</{container}>")
        if start - 1 + size < len(matching):
            announced = self.announce_max or len(matching)
            link = "/v2/entries?" + urlencode(
                {
                    "from": query["from"],
                    "to": query["to"],
                    "start": start + size,
                    "size": size,
                    "max": announced,
                }
            )
            parts.append(f"<paging><next>{html.escape(link)}</next></paging>")
        parts.append("</queryResult>")
        return self._xml(handler, "".join(parts))

    def _window(self, start_ts: int, end_ts: int) -> list[FakeEntry]:
        """Entries last changed in [start_ts, end_ts], not in time order (as the real API
        answers); a window's list is kept while it is paged through."""
        with self._lock:
            key = (start_ts, end_ts, self._version)
            if self._cached is None or self._cached[0] != key:
                if self._by_time is None:
                    self._by_time = sorted(self.entries.values(), key=lambda e: e.changed_at)
                    self._times = [e.changed_at for e in self._by_time]
                low = bisect.bisect_left(self._times, start_ts)
                high = bisect.bisect_right(self._times, end_ts)
                window = sorted(self._by_time[low:high], key=lambda e: (e.member_id, e.id))
                self._cached = (key, window)
            return self._cached[1]

    def _xml(self, handler: BaseHTTPRequestHandler, text: str) -> None:
        self._send(handler, 200, text.encode(), "application/xml")

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str = "text/plain"
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _entry_xml(entry: FakeEntry) -> str:
    head = (
        f'<member id="{entry.member_id}">{escape(entry.member)}</member>'
        f"<timestamp>{_time(entry.changed_at)}</timestamp><id>{escape(entry.id)}</id>"
    )
    if entry.deleted:
        tag = f"deleted{entry.kind.capitalize()}"
        return f"<{tag}>{head}</{tag}>"
    classification = (
        f"<classification>{entry.classification}</classification>" if entry.classification else ""
    )
    prints = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in entry.fingerprints.items())
    return (
        f"<{entry.kind}>{head}{classification}<fingerprints>{prints}</fingerprints></{entry.kind}>"
    )


class FakeStopNcii:
    """StopNCII's FetchHashes and SubmitFeedback, as python-threatexchange's client and its
    sample payloads show them: JSON, an APIM subscription key and a function key per
    endpoint, `hasMoreRecords` with an opaque `nextPageToken`, `nextSetTimestamp`."""

    def __init__(
        self, *, subscription: str = "sub", fetch_key: str = "fk", feedback_key: str = "bk"
    ) -> None:
        self.keys = {"FetchHashes": fetch_key, "SubmitFeedback": feedback_key}
        self.subscription = subscription
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[str] = []
        self.feedback: list[Any] = []
        self.extra_raw: list[Any] = []  # records sent as they are (malformed ones)
        self.broken_pages: set[int] = set()  # page offsets answered with an HTML error page

    def put(self, kind: str, value: str, status: str, modified: int, **extra: Any) -> None:
        self.records[(kind, value)] = {
            "lastModtimestamp": modified, "signalType": kind, "hashValue": value,
            "hashStatus": status, "caseNumbers": {f"case-{value[:6]}": status}, **extra,
        }  # fmt: skip

    @contextmanager
    def serving(self) -> Iterator[str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/v1"
        finally:
            server.shutdown()
            server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        endpoint = parts.path.rpartition("/")[2]
        self.requests.append(handler.path)
        ok_keys = handler.headers.get("Ocp-Apim-Subscription-Key") == self.subscription and (
            handler.headers.get("x-functions-key") == self.keys.get(endpoint)
        )
        if not ok_keys:
            return _reply(handler, 401, b'{"error": "unauthorized"}')
        if endpoint == "SubmitFeedback":
            self.feedback.append(json.loads(body))
            return _reply(handler, 200, b"{}")
        if endpoint != "FetchHashes":
            return _reply(handler, 404, b"{}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        start, size = int(query["startTimestamp"]), int(query.get("pageSize", "800"))
        offset = int(base64.b64decode(query["nextPageToken"])) if "nextPageToken" in query else 0
        if offset in self.broken_pages:
            self.broken_pages.discard(offset)
            return _reply(handler, 200, b"<html><body>Service Unavailable</body></html>")
        matching = sorted(
            (r for r in self.records.values() if r["lastModtimestamp"] >= start),
            key=lambda r: (r["lastModtimestamp"], r["hashValue"]),
        )
        chunk = matching[offset : offset + size] + (self.extra_raw if offset == 0 else [])
        more = offset + size < len(matching)
        doc = {
            "count": len(chunk),
            "nextSetTimestamp": max((r["lastModtimestamp"] for r in matching), default=start) + 1,
            "hasMoreRecords": more,
            "nextPageToken": base64.b64encode(str(offset + size).encode()).decode()
            if more
            else None,
            "hashRecords": chunk,
        }
        return _reply(handler, 200, json.dumps(doc).encode())


def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class FakeThreatExchange:
    """The Graph API's threat updates of one privacy group, and descriptor reactions, as
    python-threatexchange's `fb_threatexchange` exchange reads them: `access_token` in the
    query, `start_time`, `limit`, `fields`, `paging.next` as an absolute URL that carries the
    token (and here, optionally, points to another host), reactions by POST."""

    def __init__(
        self, *, token: str = "12345678|abcdefghijklmnopqrstuvwxyz", group: int = 1012185296055235
    ) -> None:
        self.token, self.group = token, group
        self.updates: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.reactions: list[tuple[str, str]] = []
        self.empty_first_page = False
        self.next_host: str | None = None  # send paging links to another host

    def put(
        self,
        update_id: str,
        indicator: str,
        kind: str,
        updated: int,
        *,
        delete: bool = False,
        tags: tuple[str, ...] = (),
        owner: str = "616912251743987",
    ) -> None:
        update: dict[str, Any] = {
            "id": update_id, "indicator": indicator, "type": kind, "last_updated": updated,
            "should_delete": delete,
        }  # fmt: skip
        if not delete:
            update["descriptors"] = {"data": [{
                "id": f"d{update_id}", "owner": {"id": owner}, "status": "MALICIOUS",
                "tags": {"data": [{"id": "1", "text": t} for t in tags]}, "reactions": [],
                "my_reactions": [],
            }]}  # fmt: skip
        self.updates[update_id] = update

    @contextmanager
    def serving(self) -> Iterator[str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{server.server_port}/v21.0"
        try:
            yield self.base
        finally:
            server.shutdown()
            server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.requests.append(handler.path)
        if query.get("access_token") != self.token:
            return _reply(
                handler, 400, b'{"error": {"message": "Invalid OAuth access token", "code": 190}}'
            )
        if method == "POST":
            self.reactions.append(
                (parts.path.strip("/").rpartition("/")[2], query.get("reactions", ""))
            )
            return _reply(handler, 200, b'{"success": true}')
        if parts.path.rstrip("/") != f"/v21.0/{self.group}/threat_updates":
            return _reply(handler, 404, b'{"error": {"message": "Unknown path"}}')
        since = int(query.get("start_time", "0"))
        limit, offset = int(query.get("limit", "100")), int(query.get("after", "0"))
        matching = sorted(
            (u for u in self.updates.values() if u["last_updated"] >= since),
            key=lambda u: (u["last_updated"], u["id"]),
        )
        if self.empty_first_page and offset == 0:
            self.empty_first_page = False  # once: the next link asks for the same offset
            chunk, nxt = [], 0
        else:
            chunk, nxt = matching[offset : offset + limit], offset + limit
        doc: dict[str, Any] = {"data": chunk}
        if nxt < len(matching):
            link = {k: v for k, v in query.items() if k != "after"}
            link["after"] = str(nxt)
            base = self.next_host or self.base
            next_link = f"{base}/{self.group}/threat_updates/?{urlencode(link)}"
            doc["paging"] = {"cursors": {"after": str(nxt)}, "next": next_link}
        return _reply(handler, 200, json.dumps(doc).encode())


class FakePublisher:
    """Another bastion's federation feed (`GET /v1/exchange/{collab}/changes`), serving the
    pages it is given as they are, each signed with its own key: the changes a partner on
    another version, or a broken one, might send, which bastion's publisher never does."""

    def __init__(self, collab: str, pages: list[list[Any]]) -> None:
        self.collab, self.pages = collab, pages
        self.key = SigningKey(Ed25519PrivateKey.generate())

    @contextmanager
    def serving(self) -> Iterator[str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
                number = int(query.get("cursor", "0"))
                more = number + 1 < len(fake.pages)
                body = json.dumps(
                    {"version": 1, "collab": fake.collab, "changes": fake.pages[number],
                     "cursor": str(number + 1 if more else number), "more": more},
                ).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header(SIGNATURE, fake.key.header(body))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
