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
import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape

NS = "https://hashsharing.ncmec.org/hashsharing/v2"


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
        self._server: ThreadingHTTPServer | None = None

    # Content ----------------------------------------------------------------------------

    def put(self, entry: FakeEntry) -> None:
        with self._lock:
            self.entries[(entry.member_id, entry.id)] = entry

    def delete(self, member_id: int, entry_id: str, at: int) -> None:
        with self._lock:
            old = self.entries[(member_id, entry_id)]
            self.entries[(member_id, entry_id)] = FakeEntry(
                member_id, entry_id, old.kind, at, deleted=True, member=old.member
            )

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
        with self._lock:
            matching = sorted(
                (e for e in self.entries.values() if start_ts <= e.changed_at <= end_ts),
                key=lambda e: (e.member_id, e.id),  # not in time order, as the real API
            )
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
