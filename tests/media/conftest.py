"""Fixtures for the media tests: a guard that keeps them on this machine, and local servers.

The fetch tests hand bastion URLs that point at internal networks and at the cloud metadata
service on purpose. Should a check ever fail to refuse one, the guard stops the connection
before it leaves the machine and fails the test.

tls/ holds a test CA (ca.pem) and a certificate for "media.test" signed by it, with its key
(media.test.pem), valid 2020-2120; the CA key was thrown away.
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest

TLS_DIR = Path(__file__).parent / "tls"
_LOOPBACK = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


def _is_loopback(host: object) -> bool:
    try:
        return any(ip_address(str(host).partition("%")[0]) in net for net in _LOOPBACK)
    except ValueError:
        return False  # a name: connecting would resolve it first


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (address, port) the test connects to; anything but loopback fails the test.

    Also refuses host name lookups other than "localhost", so no test depends on DNS.
    """
    attempts: list[tuple[str, int]] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            if not _is_loopback(address[0]):
                pytest.fail(f"test tried to connect to {address[0]!r}, outside loopback")
            attempts.append((str(address[0]), int(address[1])))

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost" and not _is_loopback(host):
            pytest.fail(f"test tried to look up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    # create_connection and http.client connect through socket.socket.connect.
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


# Local HTTP(S) servers -------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    """Answers each GET with the route registered for its path (404 without one)."""

    protocol_version = "HTTP/1.1"
    timeout = 5  # a client that stops reading cannot block a handler thread for longer
    server: LocalServer

    def do_GET(self) -> None:
        self.server.requests.append(Request(self.path, dict(self.headers)))
        route = self.server.routes.get(self.path.partition("?")[0])
        if route is None:
            self.send_error(404)
        else:
            route(self)

    def wait(self, seconds: float) -> bool:
        """Sleep, cut short (returning True) when the test is over."""
        return self.server.stopping.wait(seconds)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


Route = Callable[[Handler], None]


class LocalServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1, optionally TLS, that records what it was asked."""

    daemon_threads = False  # server_close joins every handler thread: none outlives a test

    def __init__(self, routes: Mapping[str, Route], tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would also reverse-resolve the address (socket.getfqdn).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.port

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response is what several tests do; anything else is a bug.
        error = sys.exception()
        if error is not None and not isinstance(error, OSError):
            self.errors.append(error)


@pytest.fixture
def serve() -> Iterator[Callable[..., LocalServer]]:
    """Start a `LocalServer(routes, tls=None)`; it is stopped and closed after the test."""
    running: list[tuple[LocalServer, threading.Thread]] = []

    def start(routes: Mapping[str, Route], tls: ssl.SSLContext | None = None) -> LocalServer:
        server = LocalServer(routes, tls)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
        thread.start()
        running.append((server, thread))
        return server

    yield start
    for server, thread in running:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
        assert not server.errors, f"the test server failed: {server.errors!r}"


@pytest.fixture
def tls_server_context() -> ssl.SSLContext:
    """A server context presenting the media.test certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS_DIR / "media.test.pem")
    return context
