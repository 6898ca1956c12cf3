"""Fetching media from a user-supplied URL without letting the URL reach internal services.

A URL from a user asks the service to open a connection from inside its own network
(server-side request forgery), so every hop of a fetch, the first and each redirect, takes
the same steps:

1. the URL is parsed strictly: an allowed scheme, no credentials, a host, and no numeric
   host spelled in a form the OS resolver might read differently;
2. the host name is resolved exactly once, and every address it resolves to must be public
   (`bastion.media.addresses`) or inside a network the operator allows;
3. the connection is made to one of those checked addresses, never to the name, so a
   second DNS answer cannot send it elsewhere (DNS rebinding). The Host header, TLS SNI and
   the certificate check still use the name from the URL.

Pinning uses the standard library: an `http.client.HTTPConnection` whose `connect` opens a
socket to the checked address itself, and for https wraps it in TLS verified against the
URL's host name. http.client never resolves anything once `connect` is replaced, which is
easy to see and needs no dependency; httpx would need a custom transport to pin, and its
timeouts, like http.client's, bound each socket operation rather than the whole fetch.
The whole-fetch limit comes from sockets whose every receive waits only for the time left
(`_DeadlineSocket`), so a server dripping a byte at a time cannot hold a fetch open.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import TYPE_CHECKING, cast
from urllib.parse import quote, urljoin, urlsplit

from bastion import __version__
from bastion.errors import ConfigurationError, MediaError, MediaTooLargeError
from bastion.media.addresses import (
    Address,
    Network,
    host_address,
    parse_address,
    parse_networks,
    refused_class,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Resolver = Callable[[str, int], Sequence[str]]
"""Looks up a host name for a port and returns its addresses as text (like getaddrinfo)."""

_SCHEMES = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# Characters left as they are when percent-encoding a request target: the reserved set,
# and "%" so that existing escapes survive.
_TARGET_SAFE = "!$%&'()*+,/:;=?@[]"
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


class FetchError(MediaError):
    """Content could not be fetched from a URL: refused, unreachable, failed or too slow.

    Messages name the host but never the URL's path, query or credentials, which may carry
    secrets.
    """

    code = "fetch-failed"


class InvalidUrlError(FetchError):
    """The URL itself is unacceptable: malformed, a refused scheme, or credentials in it."""

    code = "invalid-url"


class ForbiddenAddressError(FetchError):
    """The URL's host is, or resolves to, an address the fetch policy refuses."""

    code = "forbidden-address"

    def __init__(self, host: str, reason: str, address: Address | None = None) -> None:
        super().__init__(f"refusing to fetch from {host}: {reason}")
        self.host = host
        # For logs only: the message leaves it out, since showing which internal address a
        # name resolves to would help map the internal network.
        self.address = address


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for fetching: the defaults refuse every address that is not public."""

    max_bytes: int = 100 * 1024 * 1024
    timeout: float = 10.0
    """Seconds for the whole fetch: connecting, every redirect and reading the body.

    Name lookups count against it too, but the system resolver cannot be cut short.
    """
    max_redirects: int = 3
    allow_networks: tuple[str, ...] = ()
    """CIDRs the operator allows even though they are not public, e.g. "10.1.2.0/24"."""
    allowed_schemes: tuple[str, ...] = ("http", "https")
    networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)
    """`allow_networks`, parsed."""

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.timeout <= 0 or self.max_redirects < 0:
            raise ConfigurationError(
                "fetch limits must be positive (max_bytes, timeout) or zero (max_redirects)"
            )
        unsupported = set(self.allowed_schemes) - set(_SCHEMES)
        if unsupported or not self.allowed_schemes:
            raise ConfigurationError(
                f"fetch schemes must be among http, https; got {', '.join(self.allowed_schemes)}"
            )
        object.__setattr__(self, "networks", parse_networks(self.allow_networks))


@dataclass(frozen=True)
class FetchedContent:
    """What a successful fetch returns; `url` is the final one, after redirects."""

    url: str
    data: bytes
    content_type: str | None


def fetch(url: str, policy: FetchPolicy, *, resolver: Resolver | None = None) -> FetchedContent:
    """GET `url` under `policy`, following redirects, each hop checked as the first.

    `resolver` replaces `socket.getaddrinfo` (tests, or a resolver the operator trusts).
    Raises ForbiddenAddressError for refused hosts, MediaTooLargeError over `max_bytes`,
    FetchError for everything else, including non-2xx statuses and timeouts.
    """
    deadline = time.monotonic() + policy.timeout
    final, target, conn, response = _open(url, policy, deadline, resolver)
    with closing(conn), response, _failures(target.host, policy.timeout):
        return _content(final, target.host, response, policy.max_bytes)


def open_body(
    url: str, policy: FetchPolicy, *, read_timeout: float, resolver: Resolver | None = None
) -> HttpBody:
    """GET `url` as `fetch` does (every hop checked and pinned, within `policy.timeout`), but
    hand back the body to be read as it arrives, each read bounded by `read_timeout`, and
    with no limit on its length: for streams, which the caller bounds by time."""
    final, target, conn, response = _open(url, policy, time.monotonic() + policy.timeout, resolver)
    if not 200 <= response.status < 300:
        response.close()
        conn.close()
        raise FetchError(f"{target.host}: HTTP status {response.status}")
    return HttpBody(final, target.host, conn, response, read_timeout)


class HttpBody:
    """A response body read as a file (`read`, `close`), for FFmpeg's custom I/O.

    `name` is the URL it came from, after redirects: the base for the URLs a playlist names.
    Once `bound`, reading past its limit raises MediaTooLargeError.
    """

    def __init__(
        self,
        url: str,
        host: str,
        conn: _PinnedConnection,
        response: http.client.HTTPResponse,
        read_timeout: float,
    ) -> None:
        self.name, self.host = url, host
        #: The declared length (Content-Length), if any.
        self.length = response.length
        self._limit: tuple[int, str] | None = None
        self._conn, self._response, self._read_timeout = conn, response, read_timeout
        self._ahead = b""
        self._received = 0

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); b"" at the end."""
        if self._ahead:
            data = self._ahead if size < 0 else self._ahead[:size]
            self._ahead = self._ahead[len(data) :]
            return data
        self._conn.socket.deadline = time.monotonic() + self._read_timeout
        with _failures(self.host, self._read_timeout):
            data = self._response.read(None if size < 0 else size)
        self._received += len(data)
        if self._limit is not None and self._received > self._limit[0]:
            limit, what = self._limit
            raise MediaTooLargeError(f"{self.host}: {what} of more than {limit:,} bytes")
        return data

    def bound(self, limit: int, what: str) -> None:
        """Refuse to read more than `limit` bytes in all; errors call the body `what`."""
        self._limit = (limit, what)

    def peek(self, size: int) -> bytes:
        """The next `size` bytes (fewer at the end), left to be read again."""
        ahead = self._ahead
        self._ahead = b""
        while len(ahead) < size and (chunk := self.read(size - len(ahead))):
            ahead += chunk
        self._ahead = ahead
        return ahead[:size]

    def close(self) -> None:
        self._response.close()
        self._conn.close()

    def __enter__(self) -> HttpBody:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(
    url: str, policy: FetchPolicy, deadline: float, resolver: Resolver | None
) -> tuple[str, _Target, _PinnedConnection, http.client.HTTPResponse]:
    """The final URL, its target, and the open connection and response after redirects."""
    for _ in range(policy.max_redirects + 1):
        target = _Target.parse(url, policy)
        addresses = resolve_allowed(target.host, target.port, policy, resolver)
        with _failures(target.host, policy.timeout):
            conn = _connect(target, addresses, deadline)
            try:
                conn.request("GET", target.path, headers=_headers(target))
                response = conn.getresponse()
            except BaseException:
                conn.close()
                raise
            location = response.getheader("Location")
            if response.status not in _REDIRECTS or not location:
                return url, target, conn, response
            response.close()
            conn.close()
            url = urljoin(url, location)
    raise FetchError(f"too many redirects (more than {policy.max_redirects})")


@contextmanager
def _failures(host: str, timeout: float) -> Iterator[None]:
    """Network failures as FetchError, naming the host and nothing the server sent."""
    try:
        yield
    except TimeoutError:
        raise FetchError(f"{host}: no complete response within {timeout:g} s") from None
    except ssl.SSLCertVerificationError as e:
        raise FetchError(f"{host}: TLS certificate rejected ({e.verify_message})") from None
    except (OSError, http.client.HTTPException) as e:
        raise FetchError(f"{host}: {_describe(e)}") from None


def resolve_allowed(
    host: str, port: int, policy: FetchPolicy, resolver: Resolver | None = None
) -> list[Address]:
    """The addresses to connect to for `host`: looked up once, every one of them checked.

    A name with one public and one internal address is refused, whichever of them a
    connection would have used. An IP literal is not looked up at all.
    """
    try:
        literal = host_address(host)
    except ValueError:
        raise ForbiddenAddressError(
            host, "numeric host not written as a dotted-quad IPv4 address"
        ) from None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            answers = (resolver or _system_resolver)(host, port)
        except OSError as e:
            raise FetchError(f"cannot resolve {host}: {e.strerror or e}") from None
        try:
            addresses = list(dict.fromkeys(parse_address(answer) for answer in answers))
        except ValueError:
            raise FetchError(f"cannot resolve {host}: resolver returned a non-address") from None
        if not addresses:
            raise FetchError(f"cannot resolve {host}: no addresses")
    for address in addresses:
        refused = refused_class(address, policy.networks)
        if refused is not None:
            raise ForbiddenAddressError(host, f"not a public address ({refused})", address)
    return addresses


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class _Target:
    """One hop's URL, split into what the connection needs."""

    scheme: str
    host: str
    """ASCII (IDNA), lowercase, IPv6 without brackets: safe to show in messages."""
    port: int
    path: str
    """The request target: path and query, percent-encoded, without the fragment."""

    @classmethod
    def parse(cls, url: str, policy: FetchPolicy) -> _Target:
        if any(ch <= " " or ch == "\x7f" for ch in url):
            raise InvalidUrlError("malformed URL: it contains spaces or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise InvalidUrlError("malformed URL: invalid host or port") from None
        if not parts.scheme:
            raise InvalidUrlError("malformed URL: it has no scheme (such as https://)")
        if parts.scheme not in policy.allowed_schemes:
            allowed = ", ".join(policy.allowed_schemes)
            raise InvalidUrlError(
                f"URL scheme {parts.scheme!r} is not allowed (allowed: {allowed})"
            )
        if "@" in parts.netloc:
            raise InvalidUrlError("URLs with credentials (user:password@host) are not accepted")
        if not parts.hostname:
            raise InvalidUrlError("malformed URL: it has no host")
        if port == 0:
            raise InvalidUrlError("malformed URL: port 0")
        host = parts.hostname
        try:
            if ":" in host:
                ip_address(host)  # IPv6, the only kind of host with a colon
            else:
                host = host.encode("idna").decode("ascii")
        except (ValueError, UnicodeError):
            raise InvalidUrlError("malformed URL: invalid host name") from None
        if ":" not in host and not set(host) <= _HOST_CHARS:
            raise InvalidUrlError("malformed URL: invalid host name")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return cls(
            parts.scheme, host, port or _SCHEMES[parts.scheme], quote(path, safe=_TARGET_SAFE)
        )

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _SCHEMES[self.scheme] else f"{host}:{self.port}"


def _headers(target: _Target) -> dict[str, str]:
    return {
        "Host": target.host_header,
        "User-Agent": f"bastion/{__version__}",
        "Connection": "close",
    }


def _connect(target: _Target, addresses: Sequence[Address], deadline: float) -> _PinnedConnection:
    """A connection to the first checked address that accepts one, as create_connection does."""
    *others, last = addresses
    for address in others:
        conn = _PinnedConnection(target, address, deadline)
        try:
            conn.connect()
        except OSError:
            continue
        return conn
    conn = _PinnedConnection(target, last, deadline)
    conn.connect()
    return conn


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to one checked address, whatever its host name resolves to now.

    `connect` is the only place http.client would look the name up; here it connects to
    the address instead. The caller sends the Host header itself. `socket` stays set after
    http.client lets go of `sock` (it does once a response says it will close).
    """

    socket: _DeadlineSocket | _DeadlineSSLSocket

    def __init__(self, target: _Target, address: Address, deadline: float) -> None:
        super().__init__(target.host, target.port)
        self._target = target
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        family = socket.AF_INET6 if self._address.version == 6 else socket.AF_INET
        plain = _DeadlineSocket(family, socket.SOCK_STREAM)
        plain.deadline = self._deadline
        try:
            plain.settimeout(_time_left(self._deadline))
            plain.connect((str(self._address), self._target.port))
            if self._target.scheme == "https":
                self.socket = _start_tls(plain, self._target.host, self._deadline)
            else:
                self.socket = plain
            self.sock = self.socket
        except BaseException:
            plain.close()
            raise


def _start_tls(sock: socket.socket, host: str, deadline: float) -> _DeadlineSSLSocket:
    """TLS over the pinned socket, with SNI and the certificate checked against `host`."""
    context = ssl.create_default_context()
    context.sslsocket_class = _DeadlineSSLSocket
    tls = cast(
        _DeadlineSSLSocket,
        context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False),
    )
    tls.deadline = deadline
    try:
        tls.settimeout(_time_left(deadline))
        tls.do_handshake()  # bounded as a whole by the timeout, not per receive
    except BaseException:
        tls.close()
        raise
    return tls


class _DeadlineSocket(socket.socket):
    """A socket whose every receive waits only for the time the fetch has left.

    A timeout on each receive alone would let a server send one byte per interval forever;
    http.client reads only through `recv_into`, so bounding each call by the time left
    bounds the whole exchange.
    """

    deadline: float

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        self.settimeout(_time_left(self.deadline))
        return super().recv_into(buffer, nbytes, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """`_DeadlineSocket` for TLS: an SSLSocket reads its file descriptor directly."""

    deadline: float

    def recv_into(self, buffer: WriteableBuffer, nbytes: int | None = None, flags: int = 0) -> int:
        self.settimeout(_time_left(self.deadline))
        return super().recv_into(buffer, nbytes, flags)


def _time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the fetch ran out of time")
    return left


def _content(
    url: str, host: str, response: http.client.HTTPResponse, max_bytes: int
) -> FetchedContent:
    """The final response's body, refused early when its declared length is over the limit."""
    if not 200 <= response.status < 300:
        raise FetchError(f"{host}: HTTP status {response.status}")
    if response.length is not None and response.length > max_bytes:  # from Content-Length
        raise MediaTooLargeError(
            f"{host}: {response.length:,} bytes exceeds the limit of {max_bytes:,} bytes"
        )
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:  # stop at one byte over: without a length, that is all we know
        chunk = response.read(min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise MediaTooLargeError(f"{host}: response exceeds the limit of {max_bytes:,} bytes")
    if response.length:  # http.client's read(amt) stops quietly at EOF, even when short
        raise http.client.IncompleteRead(b"", response.length)
    if not size:
        raise FetchError(f"{host}: empty response body")
    return FetchedContent(url, b"".join(chunks), response.getheader("Content-Type"))


def _describe(error: OSError | http.client.HTTPException) -> str:
    """One line about a failed exchange, without echoing what the server sent."""
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without a response"
    if isinstance(error, http.client.IncompleteRead):
        return "connection closed before the whole body arrived"
    if isinstance(error, http.client.HTTPException):
        return "invalid HTTP response"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or error.strerror})"
    return error.strerror or type(error).__name__
