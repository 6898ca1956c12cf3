"""Each outside service's client against its stand-in on 127.0.0.1: a match with its details,
no match, rate limits (429 and the service's own), a service that hangs, refused credentials,
malformed answers and failures each end in a clear state, never an exception; behind the
guard, the breaker opens and the shared bucket holds the rate."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from bastion.samples import sample_pixels
from bastion.triage.findings import FindingKind
from bastion.triage.outside import Item, State
from bastion.triage.outside.arachnid import ArachnidShield
from bastion.triage.outside.google_csai import ContentSafety
from bastion.triage.outside.guard import Breaker, Guard
from bastion.triage.outside.photodna import PhotoDna
from bastion.triage.outside.store import ServiceConfig
from tests.triage.fakes import (
    ArachnidHandler,
    ContentSafetyHandler,
    Fake,
    PhotoDnaHandler,
    serving,
)


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).save(out, "JPEG", quality=90)
    return out.getvalue()


KNOWN, OTHER = jpeg(11), jpeg(12)


def item(data: bytes, pdq: str | None = None) -> Item:
    return Item(data, "image", "image/jpeg", pdq)


def config(fake: Fake, kind: str, **options: Any) -> ServiceConfig:
    return ServiceConfig("svc", kind, fake.url, credentials=dict(fake.credentials), options=options)


# PhotoDNA ---------------------------------------------------------------------------------


@pytest.fixture
def photodna() -> Iterator[Fake]:
    fake = Fake({"subscription_key": "k-123"})
    fake.know(KNOWN)
    with serving(PhotoDnaHandler, fake):
        yield fake
    assert fake.violations == []


def test_photodna_match_and_no_match(photodna: Fake) -> None:
    client = PhotoDna(config(photodna, "photodna"))
    matched, missed = client.ask([item(KNOWN), item(OTHER)], 5)
    assert matched.state is State.MATCHED
    [finding] = matched.findings
    assert (finding.kind, finding.source, finding.label) == (
        FindingKind.OUTSIDE_MATCH,
        "svc",
        "photodna",
    )
    assert finding.detail["match_flags"] == [{"source": "Test", "violations": ["A1"]}]
    assert finding.detail["tracking_id"] == "WUS_418b_1"
    assert missed.state is State.NO_MATCH
    assert [r["headers"]["Content-Type"] for r in photodna.requests] == ["image/jpeg"] * 2


@pytest.mark.parametrize(
    ("mode", "state", "error"),
    [
        ("rate", State.RATE_LIMITED, "HTTP 429: Rate limit is exceeded"),
        ("quota", State.RATE_LIMITED, "HTTP 403: Out of call volume quota"),
        ("auth", State.BAD_CREDENTIALS, "key was refused"),
        ("error", State.UNAVAILABLE, "HTTP 500"),
        ("tiny", State.REFUSED, "status 3208: image size out of range"),
        ("malformed", State.MALFORMED, "not JSON"),
    ],
)
def test_photodna_failures_are_states(photodna: Fake, mode: str, state: State, error: str) -> None:
    photodna.mode = mode
    (answer,) = PhotoDna(config(photodna, "photodna")).ask([item(KNOWN)], 5)
    assert answer.state is state
    assert error in answer.error
    assert answer.findings == ()


@pytest.mark.parametrize("shape", ["list", "shaped"])
def test_photodna_answers_of_the_wrong_shape_are_malformed(photodna: Fake, shape: str) -> None:
    photodna.mode, photodna.malformed = "malformed", shape
    (answer,) = PhotoDna(config(photodna, "photodna")).ask([item(KNOWN)], 5)
    assert answer.state is State.MALFORMED


def test_photodna_says_when_to_retry_and_refuses_what_it_cannot_read(photodna: Fake) -> None:
    photodna.mode = "rate"
    (answer,) = PhotoDna(config(photodna, "photodna")).ask([item(KNOWN)], 5)
    assert answer.detail == {"retry_after": 2.0}
    (webp,) = PhotoDna(config(photodna, "photodna")).ask([Item(b"x", "image", "image/webp")], 5)
    assert webp.state is State.REFUSED
    assert len(photodna.requests) == 1  # the WebP never left


def test_a_hanging_service_times_out_within_the_deadline(photodna: Fake) -> None:
    photodna.mode, photodna.hang_seconds = "hang", 3.0
    started = time.monotonic()
    (answer,) = PhotoDna(config(photodna, "photodna")).ask([item(KNOWN)], 0.5)
    assert answer.state is State.TIMEOUT
    assert time.monotonic() - started < 2.0


# Arachnid Shield --------------------------------------------------------------------------


@pytest.fixture
def arachnid() -> Iterator[Fake]:
    fake = Fake({"username": "platform", "password": "s3cret"})
    fake.know(KNOWN, "harmful-abusive-material")
    with serving(ArachnidHandler, fake):
        yield fake
    assert fake.violations == []


def test_arachnid_media_match_and_no_match(arachnid: Fake) -> None:
    client = ArachnidShield(config(arachnid, "arachnid"))
    matched, missed = client.ask([item(KNOWN), item(OTHER)], 5)
    assert matched.state is State.MATCHED
    [finding] = matched.findings
    assert finding.label == "harmful-abusive-material"
    assert finding.detail["match_type"] == "exact"
    assert finding.detail["size_bytes"] == len(KNOWN)
    assert missed.state is State.NO_MATCH
    assert missed.detail["classification"] == "no-known-match"
    assert {r["path"] for r in arachnid.requests} == {"/v1/media/"}


def test_arachnid_by_pdq_sends_no_media(arachnid: Fake) -> None:
    pdq = "f" * 63 + "0"
    arachnid.known_pdq[pdq] = "csam"
    client = ArachnidShield(config(arachnid, "arachnid", send="pdq"))
    matched, missed, none = client.ask([item(KNOWN, pdq), item(OTHER, "0" * 64), item(OTHER)], 5)
    assert matched.state is State.MATCHED
    assert matched.findings[0].label == "csam"
    assert matched.detail["match_type"] == "near"
    assert missed.state is State.NO_MATCH
    assert none.state is State.REFUSED  # no PDQ: nothing to send, and the media is not sent
    assert [r["path"] for r in arachnid.requests] == ["/v1/pdq/", "/v1/pdq/"]
    assert all(r["size"] < 200 for r in arachnid.requests)
    assert "video" not in client.accepts


@pytest.mark.parametrize(
    ("mode", "state"),
    [
        ("rate", State.RATE_LIMITED),
        ("auth", State.BAD_CREDENTIALS),
        ("error", State.UNAVAILABLE),
        ("malformed", State.MALFORMED),
    ],
)
def test_arachnid_failures_are_states(arachnid: Fake, mode: str, state: State) -> None:
    arachnid.mode = mode
    (answer,) = ArachnidShield(config(arachnid, "arachnid")).ask([item(KNOWN)], 5)
    assert answer.state is state
    assert answer.error


def test_arachnid_wrong_credentials_are_refused(arachnid: Fake) -> None:
    wrong = ServiceConfig(
        "svc", "arachnid", arachnid.url, credentials={"username": "platform", "password": "x"}
    )
    (answer,) = ArachnidShield(wrong).ask([item(KNOWN)], 5)
    assert answer.state is State.BAD_CREDENTIALS
    assert "Invalid username/password" in answer.error


# Google's Content Safety API --------------------------------------------------------------


@pytest.fixture
def csai() -> Iterator[Fake]:
    fake = Fake({"api_key": "AIza-test"})
    fake.known[__import__("hashlib").sha256(KNOWN).hexdigest()] = "HIGH"
    with serving(ContentSafetyHandler, fake):
        yield fake
    assert fake.violations == []


def test_content_safety_priorities_become_scores(csai: Fake) -> None:
    high, low = ContentSafety(config(csai, "google_csai")).ask([item(KNOWN), item(OTHER)], 5)
    assert high.state is State.CLASSIFIED
    assert [(f.kind, f.label, f.score) for f in high.findings] == [
        (FindingKind.CLASSIFIER, "review_priority", 0.8)
    ]
    assert high.detail == {"priority": "HIGH", "version": "fake-1"}
    assert low.findings[0].score == pytest.approx(0.2)


def test_content_safety_sends_at_most_32_images_a_request(csai: Fake) -> None:
    answers = ContentSafety(config(csai, "google_csai")).ask([item(OTHER)] * 40, 10)
    assert len(answers) == 40
    assert all(a.state is State.CLASSIFIED for a in answers)
    assert len(csai.requests) == 2


@pytest.mark.parametrize(
    ("mode", "state", "error"),
    [
        ("rate", State.RATE_LIMITED, "RESOURCE_EXHAUSTED"),
        ("auth", State.BAD_CREDENTIALS, "API key not valid"),
        ("error", State.UNAVAILABLE, "HTTP 503"),
        ("malformed", State.MALFORMED, "not JSON"),
    ],
)
def test_content_safety_failures_are_states(
    csai: Fake, mode: str, state: State, error: str
) -> None:
    csai.mode = mode
    answers = ContentSafety(config(csai, "google_csai")).ask([item(KNOWN), item(OTHER)], 5)
    assert [a.state for a in answers] == [state, state]
    assert error in answers[0].error


def test_content_safety_one_priority_short_is_malformed(csai: Fake) -> None:
    csai.mode, csai.malformed = "malformed", "shaped"
    answers = ContentSafety(config(csai, "google_csai")).ask([item(KNOWN), item(OTHER)], 5)
    assert {a.state for a in answers} == {State.MALFORMED}


# The guard --------------------------------------------------------------------------------


class _Bucket:
    """A bucket with `tokens` left (the shared one is tested with the store)."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens
        self.rate = 1.0
        self.paused: list[float] = []

    def take(self) -> bool:
        if self.tokens <= 0:
            return False
        self.tokens -= 1
        return True

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)


def test_the_breaker_opens_after_failures_then_lets_one_call_try(photodna: Fake) -> None:
    now = [0.0]
    breaker = Breaker(failures=3, pause=30, clock=lambda: now[0])
    guard = Guard(PhotoDna(config(photodna, "photodna")), _Bucket(100), breaker, timeout=5)  # type: ignore[arg-type]
    photodna.mode = "error"
    states = [guard.ask([item(KNOWN)], 5)[0].state for _ in range(5)]
    assert states == [State.UNAVAILABLE] * 3 + [State.CIRCUIT_OPEN] * 2
    assert len(photodna.requests) == 3
    now[0] = 31  # half-open: one call tries, and it works
    photodna.mode = "ok"
    assert guard.ask([item(KNOWN)], 5)[0].state is State.MATCHED
    assert guard.ask([item(OTHER)], 5)[0].state is State.NO_MATCH


def test_refused_credentials_stop_calls_until_they_change(arachnid: Fake) -> None:
    arachnid.mode = "auth"
    guard = Guard(ArachnidShield(config(arachnid, "arachnid")), _Bucket(100), Breaker(), timeout=5)  # type: ignore[arg-type]
    first, second = (guard.ask([item(KNOWN)], 5)[0].state for _ in range(2))
    assert (first, second) == (State.BAD_CREDENTIALS, State.CIRCUIT_OPEN)
    assert len(arachnid.requests) == 1


def test_an_empty_bucket_answers_rate_limited_without_calling(photodna: Fake) -> None:
    bucket = _Bucket(1)
    guard = Guard(PhotoDna(config(photodna, "photodna")), bucket, Breaker(), timeout=5)  # type: ignore[arg-type]
    assert guard.ask([item(KNOWN)], 5)[0].state is State.MATCHED
    assert guard.ask([item(KNOWN)], 5)[0].state is State.RATE_LIMITED
    assert len(photodna.requests) == 1


def test_a_services_retry_after_pauses_the_bucket(photodna: Fake) -> None:
    photodna.mode = "rate"
    bucket = _Bucket(5)
    guard = Guard(PhotoDna(config(photodna, "photodna")), bucket, Breaker(), timeout=5)  # type: ignore[arg-type]
    assert guard.ask([item(KNOWN)], 5)[0].state is State.RATE_LIMITED
    assert bucket.paused == [2.0]


def test_a_client_that_raises_is_a_state_not_an_error() -> None:
    class Broken:
        name, kind, accepts, batch_size = "broken", "x", frozenset({"image"}), 1

        def ask(self, items: list[Item], timeout: float) -> list[Any]:
            raise RuntimeError("bug")

    guard = Guard(Broken(), _Bucket(5), Breaker(), timeout=5)  # type: ignore[arg-type]
    assert guard.ask([item(KNOWN)], 5)[0].state is State.UNAVAILABLE


def test_photodna_by_url_sends_the_address_not_the_bytes(photodna: Fake) -> None:
    photodna.known_urls["https://cdn.example/p/1.jpg"] = "csam"
    client = PhotoDna(config(photodna, "photodna", send="url"))
    known = Item(KNOWN, "image", "image/jpeg", url="https://cdn.example/p/1.jpg")
    other = Item(OTHER, "image", "image/jpeg", url="https://cdn.example/p/2.jpg")
    matched, missed, nowhere = client.ask([known, other, item(OTHER)], 5)
    assert (matched.state, missed.state, nowhere.state) == (
        State.MATCHED, State.NO_MATCH, State.REFUSED,
    )  # fmt: skip
    assert [r["headers"]["Content-Type"] for r in photodna.requests] == ["application/json"] * 2
    assert all(r["size"] < 200 for r in photodna.requests)


def test_arachnid_by_url(arachnid: Fake) -> None:
    arachnid.known_urls["https://cdn.example/v.mp4"] = "csam"
    client = ArachnidShield(config(arachnid, "arachnid", send="url"))
    video = Item(b"...", "video", "video/mp4", url="https://cdn.example/v.mp4")
    (answer,) = client.ask([video], 5)
    assert answer.state is State.MATCHED
    assert answer.detail["match_type"] == "near"
    assert [r["path"] for r in arachnid.requests] == ["/v1/url/"]


def test_arachnid_near_match_details_as_one_object_or_a_list(arachnid: Fake) -> None:
    client = ArachnidShield(config(arachnid, "arachnid"))
    near = {"timestamp": 1.5, "sha1_base32": "A" * 32, "sha256_hex": "0" * 64,
            "classification": "csam"}  # fmt: skip
    as_object = client._classified("csam", "near", near, {})
    as_list = client._classified("csam", "near", [near, near], {})
    assert as_object.state is as_list.state is State.MATCHED
    assert as_object.detail["near_match_details"] == [near]
    assert len(as_list.detail["near_match_details"]) == 2
    assert client._classified("csam", "near", "none", {}).state is State.MALFORMED
