"""One HTTP exchange with an outside service, within a deadline, and what its failures mean.

The body is read in chunks against the deadline (a server that trickles bytes cannot hold a
worker past it) and up to `MAX_REPLY` bytes. A failure to connect or a deadline passed
becomes `CallFailed` with the state it gives the item; the clients read the reply."""

from __future__ import annotations

import http.client
import json
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bastion.triage.outside import OutsideServiceError, State

#: The most bytes of a reply read (the services answer in a few kilobytes).
MAX_REPLY = 1 << 20


class CallFailed(OutsideServiceError):
    """No usable reply: `state` says which (timeout, unavailable, malformed)."""

    def __init__(self, state: State, message: str) -> None:
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON; `CallFailed` (malformed) when it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise CallFailed(
                State.MALFORMED, f"HTTP {self.status}: the answer is not JSON"
            ) from None

    def retry_after(self) -> float | None:
        """Seconds the service asked to wait (Retry-After in seconds), if it said."""
        value = self.headers.get("retry-after", "")
        try:
            return max(0.0, float(value))
        except ValueError:
            return None


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Reply:
    """POST `body` to `url` and read the reply, all within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", path or "/", body=body, headers=headers)
        _left(deadline)
        response = connection.getresponse()
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
            if size > MAX_REPLY:
                raise CallFailed(State.MALFORMED, f"the answer is over {MAX_REPLY} bytes")
            chunks.append(chunk)
            if connection.sock is not None:
                connection.sock.settimeout(_left(deadline))
        return Reply(
            response.status, {k.lower(): v for k, v in response.getheaders()}, b"".join(chunks)
        )
    except TimeoutError:
        raise CallFailed(State.TIMEOUT, f"no answer within {timeout:.1f} s") from None
    except (OSError, http.client.HTTPException) as e:
        raise CallFailed(
            State.UNAVAILABLE, f"cannot reach the service ({type(e).__name__})"
        ) from None
    finally:
        connection.close()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left
