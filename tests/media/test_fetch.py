"""Fetching from user-supplied URLs: the address policy, pinning, redirects and limits.

No test connects anywhere but loopback: the `connections` guard (conftest) fails a test that
tries, and records the attempts so that a test can prove none was made.
"""

from __future__ import annotations

import socket
import ssl
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from bastion.errors import ConfigurationError, MediaTooLargeError
from bastion.media.addresses import parse_networks, refused_class
from bastion.media.fetch import (
    FetchError,
    FetchPolicy,
    ForbiddenAddressError,
    fetch,
    resolve_allowed,
)
from tests.media.conftest import TLS_DIR, Handler, LocalServer, Route

Serve = Callable[..., LocalServer]
LOOPBACK_ALLOWED = FetchPolicy(allow_networks=("127.0.0.1/32",))
BODY = b"\xff\xd8 not really a jpeg"


@dataclass
class FakeResolver:
    """Answers from `table`; a host with several answers gives the next one on each lookup."""

    table: dict[str, list[list[str]]]
    lookups: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answers = self.table[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def no_lookups(host: str, port: int) -> list[str]:
    pytest.fail(f"{host} was looked up")


def respond(body: bytes = BODY, status: int = 200, headers: Mapping[str, str] = {}) -> Route:
    def route(handler: Handler) -> None:
        handler.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return respond(b"", status, {"Location": location})


def drip(head: bytes, rest: bytes) -> Route:
    """Send `head` at once, then `rest` a byte every 50 ms: each read is quick, the whole slow."""

    def route(handler: Handler) -> None:
        try:
            handler.wfile.write(head)
            for byte in rest:
                if handler.wait(0.05):
                    return
                handler.wfile.write(bytes([byte]))
        except OSError:
            pass  # the client gave up, as it should

    return route


def endless(*, chunked: bool) -> Route:
    """A 200 whose body never ends, with no Content-Length."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.close_connection = True
        piece = b"x" * 65536
        frame = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
        try:
            while not handler.server.stopping.is_set():
                handler.wfile.write(frame)
        except OSError:
            pass  # the client stopped reading, as it should

    return route


# The address policy ----------------------------------------------------------------------

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "shared (carrier-grade NAT)"),
    ("100.127.255.254", "shared (carrier-grade NAT)"),
    ("192.0.2.1", "documentation"),
    ("2001:db8::1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("fec0::1", "site-local"),
    ("2001::1", "reserved"),  # Teredo
    ("100::1", "reserved"),
    ("4000::1", "reserved"),  # outside IPv6 global unicast
    # IPv4 inside IPv6
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:10.0.0.1", "private"),
    ("::127.0.0.1", "loopback via IPv4-compatible"),
    ("::8.8.8.8", "reserved"),  # IPv4-compatible is deprecated, never public
    ("2002:7f00:1::1", "loopback via 6to4"),
    ("2002:a9fe:a9fe::", "link-local via 6to4"),
    ("64:ff9b::127.0.0.1", "loopback via NAT64"),
    ("64:ff9b::10.0.0.1", "private via NAT64"),
    ("64:ff9b:1::1", "private"),  # local-use NAT64
]

PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "11.0.0.1",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "169.253.255.255",
    "2606:4700::1111",
    "2a00:1450:4001:82b::200e",
    "::ffff:93.184.216.34",
    "2002:5db8:d822::1",  # 6to4 of a public address
    "64:ff9b::93.184.216.34",  # NAT64 of a public address
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_refuses_addresses_that_are_not_public(address: str, kind: str) -> None:
    assert refused_class(ip_address(address)) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_accepts_public_addresses(address: str) -> None:
    assert refused_class(ip_address(address)) is None


def test_allowed_networks_are_exactly_what_the_operator_listed() -> None:
    allowed = parse_networks(["10.1.2.0/24", "127.0.0.1/32"])
    assert refused_class(IPv4Address("10.1.2.3"), allowed) is None
    assert refused_class(IPv4Address("127.0.0.1"), allowed) is None
    assert refused_class(IPv4Address("10.1.3.1"), allowed) == "private"
    assert refused_class(IPv4Address("127.0.0.2"), allowed) == "loopback"
    assert refused_class(IPv6Address("::1"), allowed) == "loopback"
    assert refused_class(IPv6Address("::ffff:127.0.0.1"), allowed) is None


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # decimal 127.0.0.1
        "017700000001",  # octal
        "0x7f000001",  # hex
        "0177.0.0.1",
        "0x7f.1",
        "0x7f.0.0.1",
        "127.1",
        "127.0.0.01",
        "127.0.0.1.",
        "2852039166",  # decimal 169.254.169.254
        "1.2.3.4.5",
    ],
)
def test_refuses_numeric_hosts_not_written_canonically(host: str) -> None:
    with pytest.raises(ForbiddenAddressError, match="dotted-quad"):
        resolve_allowed(host, 80, FetchPolicy(), no_lookups)


@pytest.mark.parametrize(
    ("answers", "kind"),
    [
        (["169.254.169.254"], "link-local"),
        (["93.184.216.34", "10.0.0.1"], "private"),  # one bad address is enough
        (["2606:4700::1111", "fe80::1"], "link-local"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["64:ff9b::a9fe:a9fe"], "link-local via NAT64"),
    ],
)
def test_refuses_names_resolving_to_any_non_public_address(answers: list[str], kind: str) -> None:
    resolver = FakeResolver({"media.example": [answers]})
    with pytest.raises(ForbiddenAddressError) as raised:
        resolve_allowed("media.example", 443, FetchPolicy(), resolver)
    assert (
        raised.value.message
        == f"refusing to fetch from media.example: not a public address ({kind})"
    )
    assert raised.value.code == "forbidden-address"
    assert resolver.lookups == ["media.example"]


def test_accepts_names_resolving_only_to_public_addresses() -> None:
    resolver = FakeResolver(
        {"media.example": [["93.184.216.34", "2606:4700::1111", "93.184.216.34"]]}
    )
    assert resolve_allowed("media.example", 443, FetchPolicy(), resolver) == [
        IPv4Address("93.184.216.34"),
        IPv6Address("2606:4700::1111"),
    ]


def test_ip_literals_are_checked_without_a_lookup() -> None:
    assert resolve_allowed("93.184.216.34", 80, FetchPolicy(), no_lookups) == [
        IPv4Address("93.184.216.34")
    ]
    with pytest.raises(ForbiddenAddressError, match=r"169\.254\.169\.254: .*\(link-local\)"):
        resolve_allowed("169.254.169.254", 80, FetchPolicy(), no_lookups)


def test_mapped_ipv6_answers_are_treated_as_the_ipv4_they_map() -> None:
    resolver = FakeResolver({"media.example": [["::ffff:127.0.0.1"]]})
    assert resolve_allowed("media.example", 80, LOOPBACK_ALLOWED, resolver) == [
        IPv4Address("127.0.0.1")
    ]


def test_the_default_resolver_checks_every_address_of_localhost() -> None:
    with pytest.raises(ForbiddenAddressError, match="loopback"):
        resolve_allowed("localhost", 80, FetchPolicy())


@pytest.mark.parametrize(
    ("answers", "message"),
    [([], "no addresses"), (["not-an-address"], "non-address")],
)
def test_useless_resolver_answers_are_errors(answers: list[str], message: str) -> None:
    with pytest.raises(FetchError, match=message):
        resolve_allowed(
            "media.example", 80, FetchPolicy(), FakeResolver({"media.example": [answers]})
        )


def test_resolution_failures_are_fetch_errors() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchError, match=r"cannot resolve media\.example: Name or service"):
        resolve_allowed("media.example", 80, FetchPolicy(), failing)


# URLs and policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://media.example/a.jpg", "scheme 'ftp' is not allowed"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("media.example/a.jpg", "no scheme"),
        ("http:///a.jpg", "no host"),
        ("http://:80/a.jpg", "no host"),
        ("http://[::1/a.jpg", "malformed URL"),
        ("http://[not-ipv6]/a.jpg", "malformed URL"),
        ("http://media.example:99999/", "invalid host or port"),
        ("http://media.example:0/", "port 0"),
        ("http://media example/", "spaces or control characters"),
        ("http://media.example/a.jpg\r\nX-Injected: 1", "spaces or control characters"),
        ("http://media.ex%61mple/", "invalid host name"),
        ("http://media..example/", "invalid host name"),
        ("http://alice:hunter2@media.example/", "credentials"),
        ("http://@media.example/", "credentials"),
        ("http://media.example\\@127.0.0.1/", "credentials"),
    ],
)
def test_refuses_malformed_and_unsupported_urls(
    url: str, message: str, connections: list[tuple[str, int]]
) -> None:
    with pytest.raises(FetchError, match=message) as raised:
        fetch(url, FetchPolicy(), resolver=no_lookups)
    assert "hunter2" not in raised.value.message
    assert "alice" not in raised.value.message
    assert "\n" not in raised.value.message
    assert connections == []


def test_schemes_can_be_restricted_to_https() -> None:
    with pytest.raises(FetchError, match=r"scheme 'http' is not allowed \(allowed: https\)"):
        fetch("http://media.example/", FetchPolicy(allowed_schemes=("https",)), resolver=no_lookups)


def test_refusals_never_show_the_query_string() -> None:
    with pytest.raises(ForbiddenAddressError) as raised:
        fetch("http://10.0.0.1:8080/a.jpg?token=s3cret", FetchPolicy(), resolver=no_lookups)
    assert raised.value.message == "refusing to fetch from 10.0.0.1: not a public address (private)"
    assert raised.value.address == IPv4Address("10.0.0.1")  # kept for logs, not shown


@pytest.mark.parametrize(
    "changes",
    [
        {"max_bytes": 0},
        {"timeout": 0},
        {"max_redirects": -1},
        {"allowed_schemes": ()},
        {"allowed_schemes": ("http", "ftp")},
        {"allow_networks": ("10.0.0.300/8",)},
        {"allow_networks": ("10.1.2.3/24",)},  # host bits set: probably a typo
    ],
)
def test_policy_rejects_bad_limits(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        FetchPolicy(**changes)  # type: ignore[arg-type]


# Fetching from local servers -------------------------------------------------------------


def test_fetches_content_when_loopback_is_allowed(
    serve: Serve, connections: list[tuple[str, int]]
) -> None:
    server = serve({"/a.jpg": respond(headers={"Content-Type": "image/jpeg"})})
    content = fetch(server.url("/a.jpg?size=large"), LOOPBACK_ALLOWED, resolver=no_lookups)
    assert content.data == BODY
    assert content.content_type == "image/jpeg"
    assert content.url == server.url("/a.jpg?size=large")
    assert [r.path for r in server.requests] == ["/a.jpg?size=large"]
    assert server.requests[0].headers["Host"] == f"127.0.0.1:{server.port}"
    assert connections == [("127.0.0.1", server.port)]


def test_refuses_loopback_without_an_allow_list_before_connecting(
    serve: Serve, connections: list[tuple[str, int]]
) -> None:
    server = serve({"/a.jpg": respond()})
    with pytest.raises(
        ForbiddenAddressError, match=r"127\.0\.0\.1: not a public address \(loopback\)"
    ):
        fetch(server.url("/a.jpg"), FetchPolicy())
    assert server.requests == []
    assert connections == []


@pytest.mark.parametrize(
    ("location", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://internal.test/admin", "private"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://2852039166/", "dotted-quad"),
        ("https://[fd00::1]:8443/", "private"),
    ],
)
def test_refuses_redirects_to_internal_addresses_before_connecting(
    location: str, kind: str, serve: Serve, connections: list[tuple[str, int]]
) -> None:
    server = serve({"/go": redirect(location)})
    resolver = FakeResolver({"internal.test": [["10.0.0.1"]]})
    with pytest.raises(ForbiddenAddressError, match=kind):
        fetch(server.url("/go"), LOOPBACK_ALLOWED, resolver=resolver)
    assert connections == [("127.0.0.1", server.port)]
    assert len(server.requests) == 1


def hops(count: int) -> dict[str, Route]:
    """/hop/N redirects to /hop/N-1 (relative), /hop/0 answers."""
    routes = {
        f"/hop/{n}": redirect(f"/hop/{n - 1}", (301, 302, 303, 307, 308)[n % 5])
        for n in range(1, count + 1)
    }
    return {**routes, "/hop/0": respond()}


def test_follows_redirects_up_to_the_limit(serve: Serve) -> None:
    server = serve(hops(3))
    content = fetch(server.url("/hop/3"), LOOPBACK_ALLOWED)
    assert content.url == server.url("/hop/0")
    assert content.data == BODY
    assert len(server.requests) == 4


@pytest.mark.parametrize("limit", [0, 2])
def test_refuses_more_redirects_than_the_limit(limit: int, serve: Serve) -> None:
    server = serve(hops(limit + 1))
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_redirects=limit)
    with pytest.raises(FetchError, match=f"too many redirects \\(more than {limit}\\)"):
        fetch(server.url(f"/hop/{limit + 1}"), policy)
    assert len(server.requests) == limit + 1  # the last redirect was not followed


def test_dns_rebinding_cannot_move_a_pinned_connection(
    serve: Serve, connections: list[tuple[str, int]]
) -> None:
    # The second answer would be the attack; the connection must never ask again.
    server = serve({"/a.jpg": respond()})
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.5"]]})
    content = fetch(server.url("/a.jpg", host="rebind.test"), LOOPBACK_ALLOWED, resolver=resolver)
    assert content.data == BODY
    assert resolver.lookups == ["rebind.test"]
    assert connections == [("127.0.0.1", server.port)]
    assert server.requests[0].headers["Host"] == f"rebind.test:{server.port}"


def test_each_redirect_is_resolved_and_checked_again(
    serve: Serve, connections: list[tuple[str, int]]
) -> None:
    server = serve({"/go": redirect("/a.jpg"), "/a.jpg": respond()})
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.5"]]})
    with pytest.raises(ForbiddenAddressError, match=r"rebind\.test: .*\(private\)"):
        fetch(server.url("/go", host="rebind.test"), LOOPBACK_ALLOWED, resolver=resolver)
    assert resolver.lookups == ["rebind.test", "rebind.test"]
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.skipif(sys.platform != "linux", reason="needs all of 127.0.0.0/8 on loopback")
def test_tries_the_next_checked_address_when_one_refuses(
    serve: Serve, connections: list[tuple[str, int]]
) -> None:
    server = serve({"/a.jpg": respond()})  # listens on 127.0.0.1 only
    resolver = FakeResolver({"media.test": [["127.0.0.2", "127.0.0.1"]]})
    policy = FetchPolicy(allow_networks=("127.0.0.0/8",))
    assert fetch(server.url("/a.jpg", host="media.test"), policy, resolver=resolver).data == BODY
    assert connections == [("127.0.0.2", server.port), ("127.0.0.1", server.port)]


@pytest.mark.parametrize("status", [404, 500])
def test_error_statuses_are_fetch_errors(status: int, serve: Serve) -> None:
    server = serve({"/a.jpg": respond(b"nope", status)})
    with pytest.raises(FetchError, match=f"^127.0.0.1: HTTP status {status}$"):
        fetch(server.url("/a.jpg"), LOOPBACK_ALLOWED)


def test_a_redirect_without_location_is_an_error_status(serve: Serve) -> None:
    server = serve({"/a.jpg": respond(b"", 302)})
    with pytest.raises(FetchError, match="HTTP status 302"):
        fetch(server.url("/a.jpg"), LOOPBACK_ALLOWED)


def test_refuses_an_oversized_content_length_before_reading_the_body(serve: Serve) -> None:
    # The body never comes: reading it would time out, refusing early does not.
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n"
    server = serve({"/big": drip(head, b"x" * 100)})
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=1000, timeout=3)
    started = time.monotonic()
    with pytest.raises(MediaTooLargeError, match="1,000,000,000 bytes exceeds the limit of 1,000"):
        fetch(server.url("/big"), policy)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("chunked", [False, True], ids=["until-close", "chunked"])
def test_stops_reading_a_body_without_length_past_the_limit(chunked: bool, serve: Serve) -> None:
    server = serve({"/endless": endless(chunked=chunked)})
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=100_000, timeout=3)
    with pytest.raises(MediaTooLargeError, match="exceeds the limit of 100,000 bytes"):
        fetch(server.url("/endless"), policy)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_the_limit_is_accepted(chunked: bool, serve: Serve) -> None:
    body = b"y" * 1000
    if chunked:
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        route = drip(
            head + b"258\r\n" + body[:600] + b"\r\n190\r\n" + body[600:] + b"\r\n0\r\n\r\n", b""
        )
    else:
        route = respond(body)
    server = serve({"/a.jpg": route})
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=1000)
    assert fetch(server.url("/a.jpg"), policy).data == body
    with pytest.raises(MediaTooLargeError):
        fetch(server.url("/a.jpg"), FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=999))


@pytest.mark.parametrize(
    ("head", "rest"),
    [
        (b"HTTP/1.1 200 OK\r\n", b"X-Padding: " + b"a" * 200 + b"\r\nContent-Length: 0\r\n\r\n"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", b"a" * 200),
    ],
    ids=["headers", "body"],
)
def test_a_slow_drip_cannot_outlast_the_timeout(head: bytes, rest: bytes, serve: Serve) -> None:
    server = serve({"/slow": drip(head, rest)})
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), timeout=0.4)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no complete response within 0\.4 s"):
        fetch(server.url("/slow"), policy)
    assert time.monotonic() - started < 1


def test_the_timeout_covers_all_redirects_together(serve: Serve) -> None:
    def slowly(route: Route) -> Route:
        def slow(handler: Handler) -> None:
            if not handler.wait(0.15):
                route(handler)

        return slow

    routes = {path: slowly(route) for path, route in hops(3).items()}
    server = serve(routes)
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), timeout=0.4)  # > any one hop
    with pytest.raises(FetchError, match=r"no complete response within 0\.4 s"):
        fetch(server.url("/hop/3"), policy)
    assert len(server.requests) >= 2  # no one hop was too slow: their sum was


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (
            drip(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10, b""),
            "before the whole body",
        ),
        (drip(b"", b""), "closed without a response"),
        (drip(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", b""), "invalid HTTP response"),
        (respond(b""), "empty response body"),
    ],
    ids=["truncated", "no-response", "not-http", "empty"],
)
def test_broken_responses_are_fetch_errors(route: Route, message: str, serve: Serve) -> None:
    server = serve({"/a.jpg": route})
    with pytest.raises(FetchError, match=message):
        fetch(server.url("/a.jpg"), LOOPBACK_ALLOWED)


def test_connection_refused_is_a_fetch_error() -> None:
    with socket.socket() as unused:  # bound, never listening: connections are refused
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        with pytest.raises(FetchError, match=r"^127\.0\.0\.1: Connection refused$"):
            fetch(f"http://127.0.0.1:{port}/", LOOPBACK_ALLOWED)


# HTTPS -----------------------------------------------------------------------------------


@pytest.fixture
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ssl.create_default_context trust the test CA (OpenSSL reads SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS_DIR / "ca.pem"))


@pytest.mark.usefixtures("trust_test_ca")
def test_https_is_pinned_and_verified_against_the_url_host(
    serve: Serve, tls_server_context: ssl.SSLContext, connections: list[tuple[str, int]]
) -> None:
    server_names: list[str | None] = []
    tls_server_context.sni_callback = lambda sock, name, context: server_names.append(name)
    server = serve({"/a.jpg": respond()}, tls=tls_server_context)
    resolver = FakeResolver({"media.test": [["127.0.0.1"]]})
    url = server.url("/a.jpg", host="media.test", scheme="https")
    assert fetch(url, LOOPBACK_ALLOWED, resolver=resolver).data == BODY
    assert server_names == ["media.test"]
    assert server.requests[0].headers["Host"] == f"media.test:{server.port}"
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.usefixtures("trust_test_ca")
def test_https_refuses_a_certificate_for_another_name(
    serve: Serve, tls_server_context: ssl.SSLContext
) -> None:
    server = serve({"/a.jpg": respond()}, tls=tls_server_context)
    resolver = FakeResolver({"other.test": [["127.0.0.1"]]})
    with pytest.raises(FetchError, match=r"other\.test: TLS certificate rejected"):
        fetch(
            server.url("/a.jpg", host="other.test", scheme="https"),
            LOOPBACK_ALLOWED,
            resolver=resolver,
        )
    assert server.requests == []


@pytest.mark.usefixtures("trust_test_ca")
def test_a_slow_drip_over_tls_cannot_outlast_the_timeout(
    serve: Serve, tls_server_context: ssl.SSLContext
) -> None:
    server = serve(
        {"/slow": drip(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", b"a" * 200)},
        tls=tls_server_context,
    )
    resolver = FakeResolver({"media.test": [["127.0.0.1"]]})
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), timeout=0.4)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no complete response within 0\.4 s"):
        fetch(server.url("/slow", host="media.test", scheme="https"), policy, resolver=resolver)
    assert time.monotonic() - started < 1


def test_https_refuses_an_untrusted_certificate(
    serve: Serve, tls_server_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system store: no test CA
    server = serve({"/a.jpg": respond()}, tls=tls_server_context)
    resolver = FakeResolver({"media.test": [["127.0.0.1"]]})
    with pytest.raises(FetchError, match=r"media\.test: TLS certificate rejected"):
        fetch(
            server.url("/a.jpg", host="media.test", scheme="https"),
            LOOPBACK_ALLOWED,
            resolver=resolver,
        )
    assert server.requests == []


def test_every_attempted_connection_is_to_loopback(connections: list[tuple[str, int]]) -> None:
    """The guard itself: a connection elsewhere fails the test instead of leaving the machine."""
    with socket.socket() as sock, pytest.raises(pytest.fail.Exception, match="outside loopback"):
        sock.connect(("192.0.2.1", 80))
    assert connections == []
