"""A raw client for NCMEC's CyberTipline Reporting API, as its technical documentation
(report.cybertip.org/ispws/documentation) describes it.

HTTPS with HTTP Basic auth. `GET /status` and `GET /xsd` read; `POST /submit` opens a report
from a `<report>` document and answers its id; `POST /upload` (multipart: `id`, `file`) adds a
file and answers its id and the MD5 NCMEC computed; `POST /fileinfo` describes a file with a
`<fileDetails>` document; `POST /finish` (`id`) closes the report and lists its files;
`POST /retract` (`id`) withdraws a report that is not finished. NCMEC deletes an unfinished
report 24 hours after it was opened or 1 hour after its last change, whichever is later.

Only the two GETs are retried here (connection errors, timeouts, 408/429/5xx and 1xxx codes,
with backoff); a POST is sent once, because only the filing knows whether repeating it is
safe. Answers are untrusted: their size is bounded, a DTD is refused, and NCMEC's response
codes become the sink errors of `bastion.reporting.sink` (see `responses`). No message and no
`repr` holds the password.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from bastion import __version__
from bastion.errors import ConfigurationError
from bastion.reporting.cybertipline.responses import (
    Answer,
    error_for_status,
    parse_xml,
    read_answer,
    where,
)
from bastion.reporting.sink import Attached, ReportingError, SinkUnavailable

#: NCMEC's environments and their base URLs.
ENVIRONMENTS = {
    "production": "https://report.cybertip.org/ispws",
    "test": "https://exttest.cybertip.org/ispws",
}
#: Largest answer read (the schema, the largest, is about 150 kB).
MAX_BYTES = 4 * 1024 * 1024
XML_TYPE = "text/xml; charset=utf-8"
_REPORT_ID = re.compile(r"[0-9]{1,19}")
_MD5 = re.compile(r"[0-9a-fA-F]{32}")
XS = "http://www.w3.org/2001/XMLSchema"
T = TypeVar("T")


class CyberTiplineClient:
    """`base_url` is an environment's name (``test``, ``production``) or a base URL; plain
    HTTP is refused except on a loopback address (a local test server)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        upload_timeout: float = 600.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_bytes: int = MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.environment = base_url if base_url in ENVIRONMENTS else None
        self.base_url = _base_url(ENVIRONMENTS.get(base_url, base_url))
        self.username = username
        self._password = password
        self._client = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            auth=httpx.BasicAuth(username, password),
            headers={"User-Agent": f"bastion/{__version__}"},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy settings or ~/.netrc credentials from the host
        )
        self._timeout, self._upload_timeout = timeout, upload_timeout
        self._retries, self._backoff, self._max = retries, backoff, max_bytes
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"<CyberTiplineClient {self.base_url} as {self.username!r}>"

    # Reads ------------------------------------------------------------------------------

    def status(self) -> str:
        """NCMEC's line about this connection (``Remote User : ..., Remote Ip : ...``)."""
        answer = self._answer("status", "GET", "/status", retry=True)
        return answer.get("responseDescription") or "ok"

    def xsd(self, *, retry: bool = True) -> bytes:
        """The report schema NCMEC serves today (`retry`: as the other reads are)."""

        def judge(status: int, body: bytes) -> bytes:
            return _schema(status, body, self._password)

        return self._call("xsd", "GET", "/xsd", judge, retry=retry)

    # Writes (each sent once) --------------------------------------------------------------

    def submit(self, document: bytes) -> str:
        """Open a report from a `<report>` document; NCMEC's id for it."""
        answer = self._answer(
            "submit", "POST", "/submit", content=document, headers={"Content-Type": XML_TYPE}
        )
        report_id = answer.get("reportId") or ""
        if not _REPORT_ID.fullmatch(report_id):
            raise SinkUnavailable(f"{where('submit')}: the answer holds no report id")
        return report_id

    def upload(self, report_id: str, file_name: str, data: bytes) -> Attached:
        """Add a file to an open report: NCMEC's file id and the MD5 it computed."""
        answer = self._answer(
            "upload",
            "POST",
            "/upload",
            files={
                "id": (None, _checked_id("upload", report_id)),
                "file": (file_name, data, "application/octet-stream"),
            },
            timeout=self._upload_timeout,
        )
        file_id = answer.get("fileId")
        if file_id is None or any(c.isspace() for c in file_id):
            raise SinkUnavailable(f"{where('upload')}: the answer holds no file id")
        md5 = answer.get("hash")
        if md5 is not None and not _MD5.fullmatch(md5):
            raise SinkUnavailable(f"{where('upload')}: the answer's hash is not an MD5")
        return Attached(file_id, md5.lower() if md5 else None)

    def fileinfo(self, document: bytes) -> None:
        """Describe an uploaded file with a `<fileDetails>` document."""
        self._answer(
            "fileinfo", "POST", "/fileinfo", content=document, headers={"Content-Type": XML_TYPE}
        )

    def finish(self, report_id: str) -> tuple[str, ...]:
        """Close the report (it can change no more); the ids of the files NCMEC holds."""
        answer = self._answer(
            "finish", "POST", "/finish", files={"id": (None, _checked_id("finish", report_id))}
        )
        return answer.file_ids

    def retract(self, report_id: str) -> None:
        """Withdraw a report that is not finished."""
        self._answer(
            "retract", "POST", "/retract", files={"id": (None, _checked_id("retract", report_id))}
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CyberTiplineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # HTTP -------------------------------------------------------------------------------

    def _answer(self, step: str, method: str, path: str, **kw: Any) -> Answer:
        def judge(status: int, body: bytes) -> Answer:
            return read_answer(step, status, body, secret=self._password)

        return self._call(step, method, path, judge, **kw)

    def _call(
        self,
        step: str,
        method: str,
        path: str,
        judge: Callable[[int, bytes], T],
        *,
        retry: bool = False,
        content: bytes | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> T:
        """Send one request (a retried one up to `retries` more times while the answer
        amounts to `SinkUnavailable`) and judge its answer."""
        attempts = self._retries + 1 if retry else 1
        for attempt in range(attempts):
            try:
                status, body = self._send(method, path, content, files, headers, timeout, step)
                return judge(status, body)
            except SinkUnavailable:
                if attempt == attempts - 1:
                    raise
            self._sleep(self._backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _send(
        self,
        method: str,
        path: str,
        content: bytes | None,
        files: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        step: str,
    ) -> tuple[int, bytes]:
        wait = self._timeout if timeout is None else timeout
        try:
            with self._client.stream(
                method,
                path,
                content=content,
                files=files,
                headers=headers,
                timeout=wait,
            ) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self._max:
                        raise SinkUnavailable(
                            f"{where(step)}: the answer is over {self._max:,} bytes (refused)"
                        )
                return response.status_code, bytes(body)
        except httpx.TimeoutException:
            raise SinkUnavailable(f"{where(step)}: no answer within {wait:g} s") from None
        except httpx.ConnectError:
            raise SinkUnavailable(f"{where(step)}: cannot connect") from None
        except httpx.TransportError as e:
            # The request may have arrived: only the caller knows whether to repeat it.
            raise SinkUnavailable(
                f"{where(step)}: the connection broke without an answer ({type(e).__name__})"
            ) from None


def md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _schema(status: int, body: bytes, secret: str) -> bytes:
    """`GET /xsd` answers the schema itself; a `<reportResponse>` is judged as an answer."""
    step = "xsd"
    root = parse_xml(step, body, strict=False)
    if 200 <= status < 300 and root is not None and root.tag == f"{{{XS}}}schema":
        return body
    if root is not None and root.tag.rpartition("}")[2] == "reportResponse":
        read_answer(step, status, body, secret=secret)
    if 200 <= status < 300:
        raise SinkUnavailable(f"{where(step)}: the answer is not an XML schema")
    raise error_for_status(step, status)


def _checked_id(step: str, report_id: str) -> str:
    if not _REPORT_ID.fullmatch(report_id):
        raise ReportingError(f"{where(step)}: {report_id[:40]!r} is not a report id")
    return report_id


def _base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        names = ", ".join(ENVIRONMENTS)
        # The value is not echoed: it may hold credentials typed in the wrong place.
        raise ConfigurationError(
            f"CyberTipline: the address is neither an environment ({names}) nor an http(s) URL"
        )
    if parts.username or parts.password:
        raise ConfigurationError("CyberTipline: put the credentials apart, not in the URL")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigurationError(
            f"CyberTipline: {parts.hostname} must be reached over HTTPS (credentials and "
            "reports are sent)"
        )
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
