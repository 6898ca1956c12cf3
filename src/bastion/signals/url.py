"""`url`: web addresses, matched exactly or by domain (what Lantern-style programmes share).

A value is either a URL (with or without its scheme) or a bare domain. Both are normalised
the same way: the host lower-cased, IDNA-encoded, without a trailing dot, a port or user
info; the path with its dot segments resolved and its percent-encoding made uniform; the
query kept as it is; scheme and fragment dropped (the same page over http and https is one
signal). A URL's canonical form keeps a `/` after the host (``example.com/a?b=1``), a
domain's has none (``example.com``). A URL matches a bank URL equal to it, and a bank
domain that is its host or a parent of it: ``news.example.com/x`` matches ``example.com``.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote, unquote, urlsplit

from bastion.errors import InvalidSignalError
from bastion.signals.base import MatchKind, SignalType

MAX_LENGTH = 4096
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


class UrlSignal(SignalType):
    name = "url"
    description = "A URL or a domain; a URL also matches the bank's entries for its domain."
    match_kind = MatchKind.EXACT

    @classmethod
    def normalize(cls, value: str) -> str:
        if not isinstance(value, str):
            raise InvalidSignalError(f"url: expected a string, got {type(value).__name__}")
        text = value.strip()
        if not text or len(text) > MAX_LENGTH or any(c.isspace() or ord(c) < 32 for c in text):
            raise InvalidSignalError(
                f"url: expected a URL or domain of 1-{MAX_LENGTH} characters without spaces"
            )
        scheme, sep, rest = text.partition("://")
        if not sep or any(c in scheme for c in "/?#"):  # "://" in a path or query, no scheme
            scheme, sep, rest = "http", "", text
        if scheme.lower() not in ("http", "https"):
            raise InvalidSignalError(f"url: only http(s) URLs and domains, not {scheme[:20]!r}")
        try:
            text.encode("utf-8")
            parts = urlsplit(f"http://{rest}")
        except UnicodeEncodeError:
            raise InvalidSignalError("url: not valid Unicode (it holds a lone surrogate)") from None
        except ValueError:  # urllib's only complaint here: a bracket left open or stray
            raise InvalidSignalError("url: malformed host (an unmatched '[' or ']')") from None
        host = _host(parts.hostname or "")
        try:
            port = parts.port
        except ValueError:  # not a number, or out of range
            raise InvalidSignalError("url: the port must be a number from 0 to 65535") from None
        bare = not sep and "/" not in rest and "?" not in rest and port is None
        if bare:
            return host
        path = _path(parts.path)
        query = quote(unquote(parts.query), safe=_QUERY_SAFE) if parts.query else ""
        return f"{host}{path}" + (f"?{query}" if query else "")

    @classmethod
    def lookup_keys(cls, value: str) -> list[str]:
        """The value, its host and every parent domain of at least two labels."""
        host = value.split("/", 1)[0].split("?", 1)[0]
        labels = host.split(".")
        domains = [".".join(labels[i:]) for i in range(len(labels) - 1)] or [host]
        return list(dict.fromkeys([value, *domains]))

    @classmethod
    def examples(cls) -> list[str]:
        return ["example.com/known-page", "example.org"]


def _host(host: str) -> str:
    host = host.rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidSignalError(f"url: {host[:80]!r} is not a valid host name") from None
    labels = ascii_host.split(".")
    if not ascii_host or not all(_LABEL.match(label) for label in labels):
        raise InvalidSignalError(f"url: {host[:80]!r} is not a valid host name")
    return ascii_host


def _path(path: str) -> str:
    if not path:
        return "/"
    resolved = posixpath.normpath(unquote(path))
    if resolved.startswith("//"):
        resolved = "/" + resolved.lstrip("/")
    if path.endswith("/") and resolved != "/":
        resolved += "/"
    return quote(resolved, safe=_PATH_SAFE)
