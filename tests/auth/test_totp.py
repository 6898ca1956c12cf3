"""TOTP against the RFCs' own test vectors, and the URI authenticator apps read."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bastion.auth import totp
from bastion.errors import ValidationError

#: RFC 6238's (and RFC 4226's) SHA-1 key: the ASCII bytes "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()

#: RFC 6238, Appendix B: (Unix time, the 8-digit SHA-1 TOTP).
RFC_6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]

#: RFC 4226, Appendix D: the 6-digit HOTP for counters 0-9 (a TOTP step is the counter).
RFC_4226 = ["755224", "287082", "359152", "969429", "338314",
            "254676", "287922", "162583", "399871", "520489"]  # fmt: skip


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize(("seconds", "code"), RFC_6238_SHA1)
def test_rfc_6238_sha1_vectors(seconds: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, at(seconds), digits=8) == code
    # Six digits are the same number modulo 10^6: the vector's last six.
    assert totp.code_at(RFC_SECRET, at(seconds)) == code[-6:]
    assert totp.verify(RFC_SECRET, code, at(seconds), digits=8) == seconds // 30


@pytest.mark.parametrize(("counter", "code"), list(enumerate(RFC_4226)))
def test_rfc_4226_hotp_vectors(counter: int, code: str) -> None:
    assert totp.code_for_step(RFC_SECRET, counter) == code


def test_a_code_is_accepted_one_step_either_side_and_no_further() -> None:
    now = at(1_700_000_010)
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.code_for_step(RFC_SECRET, step + offset)
        assert totp.verify(RFC_SECRET, code, now) == step + offset
    for offset in (-2, 2):
        code = totp.code_for_step(RFC_SECRET, step + offset)
        assert totp.verify(RFC_SECRET, code, now) is None
    wide = totp.code_for_step(RFC_SECRET, step + 2)
    assert totp.verify(RFC_SECRET, wide, now, window=2) == step + 2
    exact = totp.code_for_step(RFC_SECRET, step - 1)
    assert totp.verify(RFC_SECRET, exact, now, window=0) is None


def test_a_step_already_used_is_refused_with_after() -> None:
    now = at(1_700_000_010)
    step = totp.step_at(now)
    code = totp.code_at(RFC_SECRET, now)
    assert totp.verify(RFC_SECRET, code, now, after=step - 1) == step
    assert totp.verify(RFC_SECRET, code, now, after=step) is None
    earlier = totp.code_for_step(RFC_SECRET, step - 1)
    assert totp.verify(RFC_SECRET, earlier, now, after=step) is None


def test_codes_are_read_as_apps_show_them_and_nothing_else_passes() -> None:
    now = at(1_700_000_010)
    code = totp.code_at(RFC_SECRET, now)
    assert totp.verify(RFC_SECRET, f"{code[:3]} {code[3:]}", now) is not None
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for typed in ("", code[:5], code + "0", "abcdef", "١٢٣٤٥٦", wrong):  # Arabic-Indic digits
        assert totp.verify(RFC_SECRET, typed, now) is None


def test_new_secrets_are_random_160_bit_base32() -> None:
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(secret) == 32
        assert len(base64.b32decode(secret)) == 20


def test_a_secret_that_is_not_base32_is_refused() -> None:
    with pytest.raises(ValidationError, match="base32"):
        totp.code_at("not base32 at all!", at(0))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        totp.code_at(RFC_SECRET, datetime(2030, 1, 1))


def test_provisioning_uri_holds_what_an_authenticator_needs() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "ana.lima@example.org", issuer="Bastion Desk")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Bastion%20Desk:ana.lima%40example.org"
    assert unquote(parts.path) == "/Bastion Desk:ana.lima@example.org"
    query = {k: v for k, (v,) in parse_qs(parts.query).items()}
    assert query == {
        "secret": secret,
        "issuer": "Bastion Desk",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
    # What the app computes from the URI is what the server checks.
    now = at(1_800_000_000)
    assert totp.verify(secret, totp.code_at(query["secret"], now), now) == totp.step_at(now)
    assert totp.provisioning_uri(secret, "ana").startswith("otpauth://totp/bastion:ana?")


def test_codes_change_every_thirty_seconds() -> None:
    start = at(1_800_000_000)  # a multiple of 30
    codes = [totp.code_at(RFC_SECRET, start + timedelta(seconds=s)) for s in (0, 29, 30)]
    assert codes[0] == codes[1] != codes[2]
