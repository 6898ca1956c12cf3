"""The additional-information webhook: before a report is sent, bastion asks the platform
what it knows of the reported user and files that it did not send with the content (emails,
the addresses the user acted from, when each file was uploaded).

The request is a POST of JSON, signed as action webhooks are (`X-Bastion-Timestamp`,
``X-Bastion-Signature: sha256=<hex>`` over ``"<timestamp>." + body``)::

    {"type": "report.additional_info", "report_id": 12, "case_id": 3,
     "user_id": "u-1", "content": [{"content_id": 5, "platform_id": "post-9", "url": "..."}]}

and the platform answers 200 with JSON, every part optional::

    {"person": {"screen_name": "...", "display_names": ["..."], "emails": ["..."],
                "phones": ["..."], "profile_urls": ["..."], "service": "...", "age": 34,
                "ip_captures": [{"ip": "203.0.113.5", "event": "Login",
                                 "at": "2026-05-01T10:00:00Z", "port": 443}]},
     "files": {"post-9": {"uploaded_at": "...", "location": "https://...",
                           "publicly_available": false, "ip_capture": {...}}}}

Its URL is set by an administrator, so, as with action webhooks, it may be a private
address; redirects are not followed and the answer is bounded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from bastion import __version__
from bastion.actions.webhook import signature_header
from bastion.errors import first_line
from bastion.reporting.model import IpCapture, IpEvent, ReportedPerson
from bastion.reporting.sink import ReportingError

MAX_ANSWER_BYTES = 1024 * 1024
_LISTS = ("display_names", "emails", "phones", "profile_urls")
_TEXTS = ("user_id", "screen_name", "service", "date_of_birth", "first_name", "last_name")


class PlatformInfoError(ReportingError):
    """The platform's additional-information webhook failed or answered nonsense."""

    code = "report-platform-info"


@dataclass(frozen=True)
class FileInfo:
    uploaded_at: datetime | None = None
    location: str | None = None
    publicly_available: bool | None = None
    ip_capture: IpCapture | None = None


@dataclass(frozen=True)
class PlatformInfo:
    person: ReportedPerson | None = None
    #: By the platform's content id.
    files: Mapping[str, FileInfo] = field(default_factory=dict)


class PlatformInfoClient:
    def __init__(
        self,
        url: str,
        secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._url = url
        self._secret = secret
        self._client = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )

    def ask(
        self,
        *,
        report_id: int,
        case_id: int | None,
        user_id: str | None,
        content: Sequence[Mapping[str, Any]],
    ) -> PlatformInfo:
        body = json.dumps(
            {
                "type": "report.additional_info",
                "report_id": report_id,
                "case_id": case_id,
                "user_id": user_id,
                "content": list(content),
            },
            separators=(",", ":"),
        ).encode()
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"bastion/{__version__}",
            "X-Bastion-Timestamp": str(stamp),
            "X-Bastion-Signature": signature_header([self._secret], stamp, body),
        }
        try:
            with self._client.stream("POST", self._url, content=body, headers=headers) as reply:
                data = _bounded(reply)
                status = reply.status_code
        except httpx.HTTPError as e:
            raise PlatformInfoError(f"additional-information webhook: {first_line(e)}") from None
        if status != 200:
            raise PlatformInfoError(f"additional-information webhook answered HTTP {status}")
        try:
            parsed = json.loads(data)
        except ValueError:
            raise PlatformInfoError(
                "additional-information webhook: the answer is not JSON"
            ) from None
        return parse_answer(parsed)

    def close(self) -> None:
        self._client.close()


def _bounded(reply: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in reply.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise PlatformInfoError(
                f"additional-information webhook: the answer is over {MAX_ANSWER_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def parse_answer(data: Any) -> PlatformInfo:
    """The platform's answer, checked part by part (a wrong type names its place)."""
    if not isinstance(data, dict):
        raise PlatformInfoError("additional-information webhook: the answer is not an object")
    person = None
    if data.get("person") is not None:
        person = parse_person(data["person"], "person")
    files: dict[str, FileInfo] = {}
    raw_files = data.get("files") or {}
    if not isinstance(raw_files, dict):
        raise PlatformInfoError("additional-information webhook: files must be an object")
    for key, value in raw_files.items():
        files[str(key)] = _file(value, f"files.{key}")
    return PlatformInfo(person, files)


def parse_person(value: Any, where: str) -> ReportedPerson:
    """A reported person from JSON (the webhook's answer, or a content's context)."""
    if not isinstance(value, dict):
        raise _wrong(where, "an object")
    out: dict[str, Any] = {}
    for name in _TEXTS:
        if value.get(name) is not None:
            out[name] = _text(value[name], f"{where}.{name}")
    for name in _LISTS:
        if value.get(name) is not None:
            items = value[name]
            if not isinstance(items, list):
                raise _wrong(f"{where}.{name}", "a list")
            out[name] = tuple(_text(v, f"{where}.{name}[{i}]") for i, v in enumerate(items))
    if value.get("age") is not None:
        age = value["age"]
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 150:
            raise _wrong(f"{where}.age", "a whole number of years")
        out["age"] = age
    captures = value.get("ip_captures") or []
    if not isinstance(captures, list):
        raise _wrong(f"{where}.ip_captures", "a list")
    out["ip_captures"] = tuple(
        parse_ip_capture(c, f"{where}.ip_captures[{i}]") for i, c in enumerate(captures)
    )
    return ReportedPerson(**out)


def parse_ip_capture(value: Any, where: str) -> IpCapture:
    if not isinstance(value, dict) or not isinstance(value.get("ip"), str):
        raise _wrong(where, "an object with an ip")
    event = IpEvent.UNKNOWN
    if value.get("event") is not None:
        try:
            event = IpEvent(str(value["event"]).capitalize())
        except ValueError:
            names = ", ".join(e.value for e in IpEvent)
            raise _wrong(f"{where}.event", f"one of {names}") from None
    proxy = value.get("possible_proxy")
    if proxy is not None and not isinstance(proxy, bool):
        raise _wrong(f"{where}.possible_proxy", "true or false")
    port = value.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise _wrong(f"{where}.port", "a port number")
    return IpCapture(
        ip=value["ip"].strip(),
        event=event,
        at=_time(value.get("at"), f"{where}.at"),
        possible_proxy=proxy,
        port=port,
    )


def _file(value: Any, where: str) -> FileInfo:
    if not isinstance(value, dict):
        raise _wrong(where, "an object")
    public = value.get("publicly_available")
    if public is not None and not isinstance(public, bool):
        raise _wrong(f"{where}.publicly_available", "true or false")
    capture = value.get("ip_capture")
    return FileInfo(
        uploaded_at=_time(value.get("uploaded_at"), f"{where}.uploaded_at"),
        location=None if value.get("location") is None else _text(value["location"], where),
        publicly_available=public,
        ip_capture=None if capture is None else parse_ip_capture(capture, f"{where}.ip_capture"),
    )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _wrong(where, "text")
    return str(value)


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(where, "an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _wrong(where, "an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise _wrong(where, "a time with its offset (Z or +hh:mm)")
    return parsed


def _wrong(where: str, expected: str) -> PlatformInfoError:
    return PlatformInfoError(f"additional information: {where} must be {expected}")
