"""A fake of NCMEC's CyberTipline Reporting API: a real HTTP server on 127.0.0.1 that speaks the
documented protocol strictly (NCMEC's service cannot run here).

Base URL ``http://127.0.0.1:<port>/ispws``; HTTP Basic auth on every call (no header: HTTP 401
and code 2000; wrong credentials: HTTP 401 and 2000; an account marked not authorized: HTTP
403 and 3000 on every call, or 3100 on every write). `GET /status`, `GET /xsd` (the schema the
fake was given), `POST /submit` (a `text/xml` `<report>`, validated with xmlschema against that
schema: 4100 with the first problem when it fails), `POST /upload` (multipart `id` and `file`;
answers the MD5 of the bytes received), `POST /fileinfo` (a `<fileDetails>`, validated too, and
its report and file must exist: 5001 / 4000), `POST /finish` and `POST /retract` (field `id`).
A finished report answers 5102 to anything that would change it, a retracted one 5101; an
unknown id (or another account's, or an expired one) answers 5001. Codes other than 2xxx/3xxx
and 1000 come with HTTP 200.

Every call is recorded (`calls`, `accepted`, `count`); the reports held can be read
(`reports`, `report`). Failures can be injected per step: `fail` (code 1000 with HTTP 500, or
another), `drop` (connection closed without an answer, before or after the call took effect),
`answer_raw` (any status and body), `hang` (no answer until the fake stops), `expire` (NCMEC
deleted an unfinished report), and `kill_after` (SIGKILL a process right after the answer to
the Nth call of a step is written: crash tests).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import os
import secrets
import signal
import threading
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

import xmlschema
from python_multipart import create_form_parser

STEPS = ("status", "xsd", "submit", "upload", "fileinfo", "finish", "retract")
READS = ("status", "xsd")
PREFIX = "/ispws/"
MAX_BODY = 256 * 1024 * 1024


@dataclass
class FakeFile:
    id: str
    name: str
    data: bytes
    md5: str
    #: The last `<fileDetails>` accepted for the file.
    details: bytes | None = None


@dataclass
class FakeReport:
    id: str
    username: str
    #: The `<report>` document received.
    xml: bytes
    status: str = "open"  # open, finished or retracted
    files: dict[str, FakeFile] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    step: str
    username: str | None
    http_status: int | None  # None: no answer was written
    code: int | None  # the responseCode answered, when any
    report_id: str | None = None
    body: bytes = b""

    @property
    def accepted(self) -> bool:
        return self.code == 0


@dataclass
class _Fault:
    step: str
    kind: str  # error, drop, lost, raw, hang
    times: int
    code: int = 1000
    status: int = 500
    body: bytes = b""
    content_type: str = "text/xml"


@dataclass
class _Kill:
    step: str
    remaining: int
    pid: int
    signal: int


class _Refused(Exception):
    def __init__(self, code: int, description: str, status: int = 200) -> None:
        self.code, self.description, self.status = code, description, status


@functools.lru_cache(maxsize=4)
def _schema(xsd: bytes) -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(io.BytesIO(xsd))


class FakeCyberTipline:
    def __init__(
        self,
        xsd: bytes,
        *,
        username: str = "esp",
        password: str = "secret",
        first_report_id: int = 4564654,
    ) -> None:
        self.xsd = xsd
        self.schema = _schema(xsd)
        self.accounts: dict[str, tuple[str, int | None]] = {username: (password, None)}
        self.calls: list[Call] = []
        self._reports: dict[str, FakeReport] = {}
        self._next_id = first_report_id
        self._faults: list[_Fault] = []
        self._kills: list[_Kill] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # Set-up -----------------------------------------------------------------------------

    def add_account(self, username: str, password: str, *, refuse: int | None = None) -> None:
        """An account; `refuse` 3000 refuses it everything, 3100 every write."""
        self.accounts[username] = (password, refuse)

    def fail(self, step: str, times: int = 1, *, code: int = 1000, status: int = 500) -> None:
        """Answer the next `times` calls of `step` with `code` (and HTTP `status`)."""
        self._fault(_Fault(step, "error", times, code=code, status=status))

    def drop(self, step: str, times: int = 1, *, after_processing: bool = False) -> None:
        """Close the connection of the next `times` calls of `step` without an answer;
        `after_processing`: the call takes effect first (its answer is lost)."""
        self._fault(_Fault(step, "lost" if after_processing else "drop", times))

    def answer_raw(
        self,
        step: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "text/xml",
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `step` with exactly this, without acting."""
        self._fault(_Fault(step, "raw", times, status=status, body=body, content_type=content_type))

    def hang(self, step: str, times: int = 1) -> None:
        """Never answer the next `times` calls of `step` (until the fake stops)."""
        self._fault(_Fault(step, "hang", times))

    def kill_after(self, step: str, nth: int, pid: int, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to `pid` right after the answer to the `nth` call of `step` (counted
        from now, failed calls included) has been written."""
        assert step in STEPS, step
        assert nth >= 1, nth
        with self._lock:
            self._kills.append(_Kill(step, nth, pid, sig))

    def expire(self, report_id: str) -> None:
        """Forget a report, as NCMEC deletes an unfinished one after its time."""
        with self._lock:
            del self._reports[report_id]

    # Reading ----------------------------------------------------------------------------

    @property
    def reports(self) -> dict[str, FakeReport]:
        """The reports held, by id (copies)."""
        with self._lock:
            return {
                k: replace(r, files={i: replace(f) for i, f in r.files.items()})
                for k, r in self._reports.items()
            }

    def report(self, report_id: str) -> FakeReport:
        return self.reports[report_id]

    def accepted(self, step: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.accepted and step in (None, c.step)]

    def count(self, step: str, *, accepted: bool = True) -> int:
        with self._lock:
            return sum(1 for c in self.calls if c.step == step and (c.accepted or not accepted))

    # Serving ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "use the fake as a context manager"
        return f"http://127.0.0.1:{self._server.server_port}/ispws"

    def __enter__(self) -> FakeCyberTipline:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes: with Nagle's algorithm the second
            # waits for the client's delayed ACK (40 ms a request on Linux).
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _fault(self, fault: _Fault) -> None:
        assert fault.step in STEPS, fault.step
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, step: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.step == step:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # One call --------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = handler.path.split("?", 1)[0]
        step = path.removeprefix(PREFIX) if path.startswith(PREFIX) else ""
        length = handler.headers.get("Content-Length")
        refused = _refused(step, method, length)
        if refused is not None:
            _write(handler, refused[0], refused[1], "text/plain")
            return
        body = handler.rfile.read(int(length or 0))
        user = basic_user(handler.headers.get("Authorization"), self.accounts)
        fault = self._take_fault(step)
        status: int | None
        code: int | None
        report_id: str | None = None
        answer, content_type = b"", "text/xml; charset=utf-8"
        if fault is not None and fault.kind in ("drop", "hang"):
            if fault.kind == "hang":
                self._release.wait(30)
            status, code = None, None
        elif fault is not None and fault.kind == "raw":
            status, code, answer, content_type = fault.status, None, fault.body, fault.content_type
        elif fault is not None and fault.kind == "error":
            status, code = fault.status, fault.code
            answer = response(fault.code, "Server error" if fault.code == 1000 else "Error")
        else:
            try:
                status, answer, report_id = self._act(step, user, handler, body)
                code = 0
            except _Refused as e:
                status, code, answer = e.status, e.code, response(e.code, e.description)
            if fault is not None:  # "lost": it took effect, the answer never leaves
                status = None
        with self._lock:
            self.calls.append(Call(step, user, status, code, report_id, body))
        if status is None:
            handler.close_connection = True
        else:
            extra = {"WWW-Authenticate": 'Basic realm="ispws"'} if status == 401 else {}
            _write(handler, status, answer, content_type, extra)
        self._after(step)

    def _after(self, step: str) -> None:
        with self._lock:
            due = []
            for k in list(self._kills):
                if k.step == step:
                    k.remaining -= 1
                    if k.remaining == 0:
                        self._kills.remove(k)
                        due.append(k)
        for k in due:
            kill(k.pid, k.signal)

    def _act(
        self, step: str, user: str | None, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, bytes, str | None]:
        """HTTP status, answer and report id of a call that is answered in full."""
        if user is None:
            missing = handler.headers.get("Authorization") is None
            words = "Authentication required" if missing else "Bad credentials"
            raise _Refused(2000, words, 401)
        refuse = self.accounts[user][1]
        if refuse == 3000 or (refuse is not None and step not in READS):
            raise _Refused(
                refuse, "Not authorized" if refuse == 3000 else "No submission authorization", 403
            )
        if step == "status":
            ip = handler.client_address[0]
            return 200, response(0, f"Remote User : {user}, Remote Ip : {ip}"), None
        if step == "xsd":
            return 200, self.xsd, None
        content_type = handler.headers.get("Content-Type", "")
        with self._lock:
            if step == "submit":
                return self._submit(user, content_type, body)
            if step == "fileinfo":
                return self._fileinfo(user, content_type, body)
            form, files = self._form(content_type, body)
            report = self._held(user, form.get("id"))
            if step == "upload":
                return self._upload(report, files)
            if step == "finish":
                report.status = "finished"
                ids = "".join(f"<fileId>{escape(i)}</fileId>" for i in report.files)
                done = (
                    f'<?xml version="1.0" encoding="UTF-8"?><reportDoneResponse>'
                    f"<responseCode>0</responseCode><reportId>{report.id}</reportId>"
                    f"<files>{ids}</files></reportDoneResponse>"
                )
                return 200, done.encode(), report.id
            report.status = "retracted"
            return 200, response(0, "Success", reportId=report.id), report.id

    def _submit(self, user: str, content_type: str, body: bytes) -> tuple[int, bytes, str]:
        self._validate(content_type, body, "report")
        report_id = str(self._next_id)
        self._next_id += 1
        self._reports[report_id] = FakeReport(report_id, user, body)
        return 200, response(0, "Success", reportId=report_id), report_id

    def _upload(
        self, report: FakeReport, files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, bytes, str]:
        if "file" not in files or not files["file"][0]:
            raise _Refused(4000, "Invalid request: no file")
        name, data = files["file"]
        file = FakeFile(secrets.token_hex(16), name, data, md5(data))
        report.files[file.id] = file
        answer = response(0, "Success", reportId=report.id, fileId=file.id, hash=file.md5)
        return 200, answer, report.id

    def _fileinfo(self, user: str, content_type: str, body: bytes) -> tuple[int, bytes, str]:
        root = self._validate(content_type, body, "fileDetails")
        fields = {child.tag: (child.text or "").strip() for child in root}
        report = self._held(user, fields.get("reportId"))
        file = report.files.get(fields.get("fileId", ""))
        if file is None:
            raise _Refused(4000, f"Invalid request: no file {fields.get('fileId')!r} in the report")
        file.details = body
        return 200, response(0, "Success", reportId=report.id), report.id

    def _validate(self, content_type: str, body: bytes, root_tag: str) -> Any:
        if not content_type.startswith("text/xml"):
            raise _Refused(4000, f"Invalid request: Content-Type {content_type!r}, not text/xml")
        try:
            resource = xmlschema.XMLResource(io.BytesIO(body), allow="none", defuse="always")
        except (xmlschema.XMLSchemaException, SyntaxError, ValueError) as e:
            raise _Refused(4000, f"Invalid request: not well-formed XML ({e})") from None
        root = resource.root
        if root.tag != root_tag:
            raise _Refused(4100, f"Validation failed: expected <{root_tag}>, got <{root.tag}>")
        for error in self.schema.iter_errors(resource):
            raise _Refused(4100, f"Validation failed: {error.path}: {error.reason}")
        return root

    def _form(
        self, content_type: str, body: bytes
    ) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
        if not content_type.startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")
        ):
            raise _Refused(4000, f"Invalid request: Content-Type {content_type!r}")
        try:
            return parse_form(content_type, body)
        except Exception as e:  # a broken body, as the real one answers
            raise _Refused(4000, f"Invalid request: {type(e).__name__}") from None

    def _held(self, user: str, report_id: str | None) -> FakeReport:
        if not report_id:
            raise _Refused(4000, "Invalid request: no report id")
        report = self._reports.get(report_id)
        if report is None or report.username != user:
            raise _Refused(5001, "Report does not exist")
        if report.status == "finished":
            raise _Refused(5102, "Report already finished")
        if report.status == "retracted":
            raise _Refused(5101, "Report already retracted")
        return report


def _refused(step: str, method: str, length: str | None) -> tuple[int, bytes] | None:
    """An HTTP error for a call the API does not know, or a body it will not read."""
    if step not in STEPS:
        return 404, b"not found"
    if (method == "GET") != (step in READS):
        return 405, b"method not allowed"
    if method == "POST" and (length is None or not length.isdigit()):
        return 411, b"length required"
    if int(length or 0) > MAX_BODY:
        return 413, b"too large"
    return None


def _write(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def basic_user(header: str | None, accounts: dict[str, tuple[str, int | None]]) -> str | None:
    """The account `header` authenticates, or None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except ValueError:
        return None
    known = accounts.get(user)
    if known is None or not secrets.compare_digest(known[0], password):
        return None
    return user


def response(code: int, description: str, **extra: str) -> bytes:
    parts = [f"<responseCode>{code}</responseCode>"]
    parts.append(f"<responseDescription>{escape(description)}</responseDescription>")
    for name in ("reportId", "fileId", "hash"):
        if name in extra:
            parts.append(f"<{name}>{escape(extra[name])}</{name}>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><reportResponse>'
        + "".join(parts)
        + "</reportResponse>"
    ).encode()


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def parse_form(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """The fields and files of a multipart/form-data (or urlencoded) body."""
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}

    def on_field(f: Any) -> None:
        fields[f.field_name.decode()] = (f.value or b"").decode()

    def on_file(f: Any) -> None:
        f.file_object.seek(0)
        files[f.field_name.decode()] = ((f.file_name or b"").decode(), f.file_object.read())

    parser = create_form_parser(
        {"Content-Type": content_type.encode()},
        on_field,
        on_file,
        config={"MAX_MEMORY_FILE_SIZE": MAX_BODY},
    )
    parser.write(body)
    parser.finalize()
    return fields, files
