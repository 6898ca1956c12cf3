"""`url` and `text` signals: normalisation, and matching by domain and by phrase."""

from __future__ import annotations

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.errors import InvalidSignalError
from bastion.matching import Matcher
from bastion.settings import Settings
from bastion.signals import Signal, TextSignal, UrlSignal, normalize_signal


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("https://News.Example.COM:443/a/../b/?x=1#top", "news.example.com/b/?x=1"),
        ("http://example.com", "example.com/"),
        ("example.com/", "example.com/"),
        ("EXAMPLE.com.", "example.com"),
        ("bücher.de/seite", "xn--bcher-kva.de/seite"),
        ("https://example.com/%7euser//a/./b", "example.com/~user/a/b"),
        ("https://user:pw@example.com/a", "example.com/a"),
    ],
)
def test_urls_are_normalised(given: str, canonical: str) -> None:
    assert UrlSignal.normalize(given) == canonical


@pytest.mark.parametrize(
    "bad",
    ["", "ftp://example.com/x", "http://exa mple.com", "http:///x", "http://-a.com/", "x" * 5000],
)
def test_bad_urls_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSignalError, match="url:"):
        UrlSignal.normalize(bad)


def test_texts_are_folded_into_words() -> None:
    fullwidth = "".join(chr(0xFF21 + ord(c) - ord("A")) for c in "WIDE")  # U+FF37 ...
    assert TextSignal.normalize(f"  Are YOU alone?!\n{fullwidth} ") == "are you alone wide"
    assert normalize_signal("raw_text", "Hello") == ("text", "hello")  # pytx's name
    with pytest.raises(InvalidSignalError, match="at least one word"):
        TextSignal.normalize(" ?! ")
    with pytest.raises(InvalidSignalError, match="10,000"):
        TextSignal.normalize("a " * 6000)


@pytest.fixture
def banked(store: BankStore) -> BankStore:
    store.create_bank("lantern")
    store.add_entries(
        "lantern",
        [
            NewEntry(signals=(Signal(*normalize_signal("url", "bad.example")),)),
            NewEntry(signals=(Signal(*normalize_signal("url", "https://files.example.org/x/1")),)),
            NewEntry(signals=(Signal(*normalize_signal("text", "keep this between us")),)),
            NewEntry(signals=(Signal(*normalize_signal("text", "Snapcode")),)),
        ],
        source="api",
    )
    return store


@pytest.mark.parametrize(
    ("kind", "query", "matched"),
    [
        ("url", "https://cdn.bad.example/any/page?x=1", ["bad.example"]),  # by domain
        ("url", "http://bad.example", ["bad.example"]),
        ("url", "https://FILES.example.org/x/1#frag", ["files.example.org/x/1"]),  # exactly
        ("url", "https://files.example.org/x/2", []),
        ("url", "https://notbad.example/", []),  # a suffix is not a parent domain
        ("text", "ok, but keep this between us, right?", ["keep this between us"]),
        ("text", "what is your SNAPCODE", ["snapcode"]),
        ("text", "keep this secret", []),
        ("text", "snapcodes", []),  # whole words only
    ],
)
def test_urls_match_by_domain_and_texts_by_phrase(
    banked: BankStore, settings: Settings, kind: str, query: str, matched: list[str]
) -> None:
    matcher = Matcher(banked, settings.matching_options())
    found = matcher.match_signals([Signal(*normalize_signal(kind, query))])
    assert [m.bank_value for m in found] == matched
