"""What every exchange client shares: one `httpx.Client` with an injectable transport,
bounded responses, and retries with backoff for reads.

GETs (and PUTs the API defines as idempotent) are retried on connection errors, timeouts,
429 and 5xx, waiting `backoff`, then twice that, and so on (or what `Retry-After` asks, up
to a minute). POSTs are sent once. 401 and 403 raise `ExchangeAuthError`; any other error
status raises `ExchangeError` naming the source and the status, never a credential or the
query string. A response larger than `max_bytes` is refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bastion import __version__
from bastion.exchange.api import ExchangeAuthError, ExchangeError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Largest response body read (a page of a hash list is far smaller).
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    source: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise ExchangeError(f"{self.source}: the answer is not JSON") from None


class HttpSession:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_bytes: int = MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self._client = httpx.Client(
            base_url=base_url,
            transport=transport,
            auth=auth,
            headers={"User-Agent": f"bastion/{__version__}", **(headers or {})},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy settings or ~/.netrc credentials from the host
        )
        self._retries, self._backoff, self._max = retries, backoff, max_bytes
        self._sleep = sleep

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Reply:
        """The reply to a 2xx response, its body read within `max_bytes`."""
        retry = method in ("GET", "HEAD", "PUT") if idempotent is None else idempotent
        attempts = self._retries + 1 if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                with self._client.stream(
                    method, url, params=params, content=content, json=body, headers=headers
                ) as response:
                    if response.status_code in RETRY_STATUSES and not last:
                        self._sleep(self._wait(attempt, response))
                        continue
                    self._check(response)
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > self._max:
                            raise ExchangeError(f"{self.name}: response over {self._max:,} bytes")
                    return Reply(response.status_code, response.headers, bytes(body), self.name)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                if last:
                    raise ExchangeError(f"{self.name}: {_describe(e)}") from None
                self._sleep(self._wait(attempt, None))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._client.close()

    def _wait(self, attempt: int, response: httpx.Response | None) -> float:
        asked = response.headers.get("Retry-After") if response is not None else None
        if asked is not None and asked.strip().isdigit():
            return min(60.0, float(asked))
        return float(self._backoff * 2**attempt)

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        where = f"{self.name}: {response.request.method} {response.request.url.path}"
        if status in (401, 403):
            raise ExchangeAuthError(f"{where}: HTTP {status} (credentials refused or expired)")
        raise ExchangeError(f"{where}: HTTP {status}")


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "no answer in time"
    return f"cannot connect ({type(error).__name__})"
