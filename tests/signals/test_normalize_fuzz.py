"""Every signal type's `normalize`, fuzzed: whatever a caller sends (a look-up, an entry, an
imported row, an exchange's record), the answer is a canonical value or InvalidSignalError,
never another exception (which the service would answer with a 500 and a sync with a
failure). A canonical value is one a database can store, and normalising it again gives it
back unchanged."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.errors import InvalidSignalError
from bastion.signals import SIGNAL_TYPES, SignalType, TmkPdqfSignal, normalize_signal

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that URL parsers trip on: brackets, ports, escapes, dots, IDNA, surrogates.
_URL_PIECES = st.sampled_from(
    ["http://", "https://", "ftp://", "[", "]", ":", "::1", "[::1]", "@", "/", "?", "#", "%",
     "%2e", "%ZZ", "%00", "%ed%a0%80", ".", "..", "example", ".com", "99999", "abc", "-", "0",
     "\ud800", "é", "ß", "xn--", "\\", ";", "&", "=", "+", " ", "\t", "\uff11", "\x00"]
)  # fmt: skip
_NUMBERS = st.sampled_from(
    ["0", "1", "100", "101", "-1", "1.5", "1e400", "nan", "inf", "", "٣", "0x10", "1_0", "9" * 5000]
)
_PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
_FRAME = st.tuples(st.sampled_from([_PDQ, _PDQ.upper(), "x", ""]), _NUMBERS, _NUMBERS).map(",".join)
_VPDQ = st.lists(
    st.one_of(_FRAME, st.integers(), st.none(), st.floats(), st.lists(st.integers(), max_size=2)),
    max_size=4,
).map(json.dumps) | st.sampled_from(["[" * 5000, '"x"', "1e9999", "NaN", "[NaN]", "{}"])
_TMK = TmkPdqfSignal.examples()[0]

#: For each type, values shaped like its own besides any text at all.
SHAPED: dict[str, st.SearchStrategy[str]] = {
    "url": st.lists(_URL_PIECES, max_size=12).map("".join),
    "vpdq": _VPDQ,
    "tmk_pdqf": st.binary(max_size=600).map(lambda b: base64.b64encode(b).decode())
    | st.integers(0, len(_TMK) - 4).map(lambda cut: _TMK[: cut - cut % 4]),
}


def _canonical_or_refused(signal_type: type[SignalType], value: str) -> None:
    try:
        canonical = signal_type.normalize(value)
    except InvalidSignalError:
        return
    canonical.encode("utf-8")  # no lone surrogates
    assert "\x00" not in canonical
    assert signal_type.normalize(canonical) == canonical


@pytest.mark.parametrize("name", sorted(SIGNAL_TYPES))
def test_normalize_answers_a_canonical_value_or_invalid_signal(name: str) -> None:
    signal_type = SIGNAL_TYPES[name]
    strategy = st.text() | SHAPED.get(name, st.text(alphabet="0123456789abcdefABCDEF ,[]"))

    @FUZZ
    @given(strategy)
    def check(value: str) -> None:
        _canonical_or_refused(signal_type, value)

    check()


@FUZZ
@given(st.text(max_size=20) | st.sampled_from(sorted(SIGNAL_TYPES)), st.text())
def test_normalize_signal_refuses_unknown_types_and_bad_values_alike(
    type_name: str, value: str
) -> None:
    with contextlib.suppress(InvalidSignalError):
        normalize_signal(type_name, value)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("example.com:abc", "port must be a number"),
        ("example.com:99999", "port must be a number"),
        ("http://[::1", r"unmatched '\['"),
        ("https://example.com]/x", r"unmatched"),
        ("example.com/\ud800", "lone surrogate"),
    ],
)
def test_malformed_ports_brackets_and_surrogates_in_urls(bad: str, message: str) -> None:
    with pytest.raises(InvalidSignalError, match=f"^url: .*{message}"):
        normalize_signal("url", bad)


def test_a_url_whose_path_or_query_holds_a_scheme_separator_normalises_once() -> None:
    """Found by the fuzz test above: "://" after the host is not a scheme."""
    canonical = normalize_signal("url", "http://0/?://")[1]
    assert canonical == "0/?://"
    assert normalize_signal("url", canonical)[1] == canonical
    path = normalize_signal("url", "example.com/a://b")[1]
    assert path == "example.com/a:/b" == normalize_signal("url", path)[1]
    with pytest.raises(InvalidSignalError, match="only http"):
        normalize_signal("url", "ftp://example.com/")
