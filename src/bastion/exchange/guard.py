"""`GuardedTransport`: the httpx transport every exchange request goes through, so an
exchange reaches only the addresses a media fetch may (`bastion.media.fetch`).

For each request the host is resolved once and every address it resolves to is checked
(`resolve_allowed`: public, or inside the operator's `fetch_allow_networks`); the request is
then sent to a checked address itself, with the Host header, TLS SNI and the certificate
check still using the name, so a second DNS answer cannot send it elsewhere (DNS
rebinding). httpx follows a redirect with a new request through the same transport, so
every hop is checked alike. A refusal is a `FetchError` naming the exchange and the host
(never the path or query, which may carry a token), and how to allow the address.
"""

from __future__ import annotations

import httpx

from bastion.media.fetch import (
    FetchError,
    FetchPolicy,
    ForbiddenAddressError,
    InvalidUrlError,
    Resolver,
    resolve_allowed,
)

#: What a refused address's message adds: how the operator allows it.
ALLOW_HINT = "; the fetch_allow_networks setting can allow it"
_PORTS = {"http": 80, "https": 443}
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def checked_target(url: httpx.URL, policy: FetchPolicy, where: str) -> tuple[str, int]:
    """The host (ASCII, IPv6 without brackets) and port a request to `url` goes to; raises
    InvalidUrlError, naming `where`, for a scheme the policy refuses or a URL without host."""
    if url.scheme not in policy.allowed_schemes or url.scheme not in _PORTS:
        raise InvalidUrlError(f"{where}: only http(s) URLs, not {url.scheme[:20]!r}")
    host = url.raw_host.decode("ascii").lower()
    if not host:
        raise InvalidUrlError(f"{where}: the URL has no host")
    labels = host.removesuffix(".").split(".")
    if ":" not in host and (  # IPv6 apart, what a resolver takes: labels of 1-63 characters
        not set(host) <= _HOST_CHARS or not all(0 < len(label) <= 63 for label in labels)
    ):
        raise InvalidUrlError(f"{where}: the URL's host is not a valid host name")
    return host, url.port or _PORTS[url.scheme]


class GuardedTransport(httpx.BaseTransport):
    """Sends each request to a checked address of its host (see the module docstring)."""

    def __init__(self, name: str, policy: FetchPolicy, *, resolver: Resolver | None = None):
        self._name, self._policy, self._resolver = name, policy, resolver
        self._inner = httpx.HTTPTransport(trust_env=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host, port = checked_target(request.url, self._policy, self._name)
        try:
            addresses = resolve_allowed(host, port, self._policy, self._resolver)
        except ForbiddenAddressError as e:
            raise FetchError(f"{self._name}: {e.message}{ALLOW_HINT}") from None
        except FetchError as e:
            raise FetchError(f"{self._name}: {e.message}") from None
        *others, last = addresses
        for address in others:  # the first that accepts a connection, as a browser would
            try:
                return self._inner.handle_request(self._pinned(request, host, str(address)))
            except httpx.ConnectError:
                continue
        return self._inner.handle_request(self._pinned(request, host, str(last)))

    def close(self) -> None:
        self._inner.close()

    @staticmethod
    def _pinned(request: httpx.Request, host: str, address: str) -> httpx.Request:
        """`request` sent to `address`: its Host header (set from the URL when the request
        was made) and the name TLS checks stay `host`."""
        return httpx.Request(
            request.method,
            request.url.copy_with(host=address),
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
