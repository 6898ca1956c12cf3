"""The additional-information webhook, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bastion.actions.webhook import verify_signature
from bastion.reporting.model import IpEvent
from bastion.reporting.platform_info import PlatformInfoClient, PlatformInfoError

SECRET = "platform-info-secret-0123456789"


@dataclass
class Platform:
    """The platform's side: records each request and answers what it is told."""

    url: str = ""
    answers: list[tuple[int, bytes]] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        platform: Platform = self.server.platform
        platform.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
        status, answer = platform.answers.pop(0) if platform.answers else (200, b"{}")
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[Platform]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.platform = Platform(url=f"http://127.0.0.1:{server.server_address[1]}/info")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.platform  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def ask(platform: Platform) -> Any:
    client = PlatformInfoClient(platform.url, SECRET, timeout=5)
    try:
        return client.ask(
            report_id=7,
            case_id=3,
            user_id="u-1",
            content=[{"content_id": 5, "platform_id": "post-9", "url": None}],
        )
    finally:
        client.close()


def test_the_request_is_signed_and_the_answer_read(platform: Platform) -> None:
    answer = {
        "person": {
            "screen_name": "rook",
            "emails": ["rook@example.net"],
            "display_names": ["Rook"],
            "age": 41,
            "ip_captures": [
                {"ip": "203.0.113.5", "event": "login", "at": "2026-05-01T10:00:00Z", "port": 443}
            ],
        },
        "files": {
            "post-9": {"uploaded_at": "2026-05-01T10:05:00+02:00", "publicly_available": True}
        },
    }
    platform.answers.append((200, json.dumps(answer).encode()))
    info = ask(platform)
    [(headers, body)] = platform.requests
    assert verify_signature(
        SECRET, headers["x-bastion-timestamp"], body, headers["x-bastion-signature"]
    )
    assert json.loads(body) == {
        "type": "report.additional_info",
        "report_id": 7,
        "case_id": 3,
        "user_id": "u-1",
        "content": [{"content_id": 5, "platform_id": "post-9", "url": None}],
    }
    person = info.person
    assert (person.screen_name, person.emails, person.age) == ("rook", ("rook@example.net",), 41)
    [capture] = person.ip_captures
    assert (capture.ip, capture.event, capture.port) == ("203.0.113.5", IpEvent.LOGIN, 443)
    assert capture.at == datetime(2026, 5, 1, 10, tzinfo=UTC)
    posted = info.files["post-9"]
    assert posted.publicly_available is True
    assert posted.uploaded_at == datetime(2026, 5, 1, 8, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (500, b"{}", "answered HTTP 500"),
        (302, b"", "answered HTTP 302"),  # a redirect is not followed
        (200, b"<html>", "the answer is not JSON"),
        (200, b"[]", "the answer is not an object"),
        (200, b'{"person": {"emails": "a@b.c"}}', "person.emails must be a list"),
        (200, b'{"person": {"age": -3}}', "person.age must be a whole number"),
        (200, b'{"person": {"ip_captures": [{"ip": "1.2.3.4", "event": "Teleport"}]}}', "event"),
        (200, b'{"files": {"p": {"uploaded_at": "2026-05-01 10:00"}}}', "with its offset"),
        (200, b'{"files": {"p": {"publicly_available": "no"}}}', "true or false"),
    ],
)
def test_a_wrong_answer_is_a_clear_error(
    platform: Platform, status: int, answer: bytes, message: str
) -> None:
    platform.answers.append((status, answer))
    with pytest.raises(PlatformInfoError, match=message):
        ask(platform)


def test_an_oversized_answer_is_refused(platform: Platform) -> None:
    platform.answers.append((200, b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}'))
    with pytest.raises(PlatformInfoError, match="over 1048576 bytes"):
        ask(platform)


def test_an_unreachable_platform_is_a_clear_error() -> None:
    client = PlatformInfoClient("http://127.0.0.1:9/info", SECRET, timeout=2)
    with pytest.raises(PlatformInfoError, match="additional-information webhook: "):
        client.ask(report_id=1, case_id=None, user_id=None, content=[])
    client.close()
