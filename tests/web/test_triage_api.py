"""Triage through the real service: an upload to `/api/v1/match` is answered while the
outside service it is asked about hangs, then the service's match opens a job whose level
and reasons the review API shows; a classifier's high score on a submission raises its job.

The outside service is Arachnid Shield's stand-in on 127.0.0.1 (tests/triage/fakes.py)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from bastion.auth import Scope
from bastion.pipeline import Bastion
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.triage.outside.store import ServiceConfig
from tests.triage.fakes import ArachnidHandler, Fake, serving
from tests.web.conftest import running_server


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize((640, 480)).save(out, "JPEG", quality=90)
    return out.getvalue()


PHOTO = jpeg(21)


@pytest.fixture
def shield() -> Iterator[Fake]:
    fake = Fake({"username": "platform", "password": "s3cret"})
    fake.know(PHOTO, "csam")
    with serving(ArachnidHandler, fake):
        yield fake
    assert fake.violations == []


@pytest.fixture
def service(settings: Settings, shield: Fake) -> Iterator[str]:
    """The service, with the stand-in configured as an outside service."""
    allowed = settings.with_overrides(outside_allow_private=True)
    setup = Bastion(allowed)
    try:
        setup.services.add(
            ServiceConfig("shield", "arachnid", shield.url, rate_per_second=50, burst=50,
                          timeout_seconds=5, credentials=dict(shield.credentials))
        )  # fmt: skip
    finally:
        setup.close()
    with running_server(allowed) as url:
        yield url


def client(url: str, make_key: Callable[..., str]) -> httpx.Client:
    key = make_key(Scope.ADMIN)
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def wait_for(get: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = get()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("triage did not finish in time")


def test_the_answer_does_not_wait_for_a_hanging_service_whose_match_then_opens_a_job(
    service: str, shield: Fake, make_key: Callable[..., str]
) -> None:
    shield.mode, shield.hang_seconds = "hang", 3.0
    with client(service, make_key) as api:
        started = time.monotonic()
        answer = api.post("/api/v1/match", files={"file": ("p.jpg", PHOTO, "image/jpeg")})
        answered = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        assert answer.json()["matches"] == []
        assert answered < 2.0  # the service holds its answer for 3 s
        shield.mode = "ok"
        jobs = wait_for(lambda: api.get("/api/v1/review/jobs").json()["jobs"])
        [job] = jobs
        assert (job["kind"], job["queue"], job["level"]) == ("triage", "triage", "very_high")
        triage = job["triage"]
        assert triage["summary"].startswith("very_high: outside_match shield/csam")
        [reason] = [r for r in triage["reasons"] if r["set_level"]]
        assert reason["rule"] == "outside_match:*/csam -> very_high"
        assert reason["finding"]["detail"]["match_type"] == "exact"
        # A match like any other: an entry of the service's bank, found locally next time.
        again = api.post("/api/v1/match", files={"file": ("p.jpg", PHOTO, "image/jpeg")})
        assert {m["bank"] for m in again.json()["matches"]} == {"outside-shield"}
    assert len(shield.requests) >= 1


def test_a_hanging_service_never_answers_a_match_with_an_error(
    service: str, shield: Fake, make_key: Callable[..., str]
) -> None:
    shield.mode, shield.hang_seconds = "hang", 8.0  # past the 5 s timeout
    with client(service, make_key) as api:
        for seed in (31, 32, 33):
            started = time.monotonic()
            answer = api.post("/api/v1/match", files={"file": ("p.jpg", jpeg(seed), "image/jpeg")})
            assert answer.status_code == 200
            assert time.monotonic() - started < 2.0
        assert api.get("/api/v1/review/jobs").json()["jobs"] == []


def test_outside_services_through_the_api_never_show_their_credentials(
    settings: Settings, make_key: Callable[..., str]
) -> None:
    with running_server(settings) as url, client(url, make_key) as api:
        body = {"name": "csai", "kind": "google_csai", "credentials": {"api_key": "AIza-SECRET"},
                "rate_per_second": 2}  # fmt: skip
        created = api.post("/api/v1/triage/services", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["url"] == "https://contentsafety.googleapis.com"
        assert created.json()["credential_names"] == ["api_key"]
        listed = api.get("/api/v1/triage/services")
        assert "AIza-SECRET" not in listed.text
        assert [s["name"] for s in listed.json()] == ["csai"]
        again = api.post("/api/v1/triage/services", json=body)
        assert again.status_code == 409
        wrong = api.post("/api/v1/triage/services", json={**body, "name": "x", "kind": "nope"})
        assert wrong.status_code == 400
        assert "unknown outside service kind 'nope'" in wrong.text
        missing = api.post("/api/v1/triage/services", json={**body, "name": "y", "credentials": {}})
        assert missing.status_code == 400
        assert "needs the credential api_key" in missing.text
        off = api.patch("/api/v1/triage/services/csai", json={"enabled": False})
        assert off.json()["enabled"] is False
        rotated = api.patch(
            "/api/v1/triage/services/csai", json={"credentials": {"api_key": "AIza-NEW"}}
        )
        assert rotated.status_code == 200
        assert "AIza-NEW" not in rotated.text
        assert api.delete("/api/v1/triage/services/csai").status_code == 204
        assert api.get("/api/v1/triage/services").json() == []
        assert api.delete("/api/v1/triage/services/csai").status_code == 404


def test_rules_and_evaluation_for_reviewers_services_for_admins(
    settings: Settings, make_key: Callable[..., str]
) -> None:
    reviewer = make_key(Scope.REVIEW)
    with (
        running_server(settings) as url,
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {reviewer}"}, timeout=30
        ) as api,
    ):
        rules = api.get("/api/v1/triage/rules").json()
        assert rules[0] == {"rule": "bank_match -> very_high", "signal": "bank_match",
                            "source": None, "label": None, "op": None, "threshold": None,
                            "effect": "sets very_high"}  # fmt: skip
        evaluation = api.get("/api/v1/triage/evaluation").json()
        assert (evaluation["decided"], evaluation["signals"]) == (0, [])
        assert len(evaluation["rules"]) == len(rules)
        assert api.get("/api/v1/triage/services").status_code == 403
