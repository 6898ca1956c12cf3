"""A console to test against: a real server, people of each role, and a queue of jobs made
by matching and reporting benign generated images."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from PIL import Image

from bastion.auth.roles import Role
from bastion.pipeline import Bastion
from bastion.review import ContentSubmission, JobKind
from bastion.samples import sample_pixels

PASSWORD = "correct horse battery staple"
PEOPLE = {
    "ada": Role.CHILD_SAFETY_REVIEWER,
    "bo": Role.REVIEWER,
    "cy": Role.ANALYST,
    "di": Role.LEAD,
}


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).save(out, "JPEG", quality=92)
    return out.getvalue()


def seed(bastion: Bastion) -> None:
    """People, a bank with a review rule and one known image, and two open queues' jobs."""
    for name, role in PEOPLE.items():
        bastion.users.create(name, role, password=PASSWORD, actor="test")
    bastion.store.create_bank("known", actor="test")
    bastion.actions.add_review("known", actor="test")
    bastion.add_to_bank("known", jpeg(1), added_by="test")
    bastion.review.desk.create_queue("reports", child_safety=False, description="User reports")


def submit_match(bastion: Bastion, user: str = "u1", seed_: int = 1) -> None:
    bastion.review.submit(ContentSubmission(platform_id=f"post-{user}", user_id=user), jpeg(seed_))


def submit_report(
    bastion: Bastion, user: str = "u1", seed_: int = 2, queue: str = "reports"
) -> None:
    bastion.review.submit(
        ContentSubmission(platform_id=f"report-{user}-{seed_}", user_id=user, surface="profile"),
        jpeg(seed_),
        reason=JobKind.USER_REPORT,
        report={"reason": "spam", "reporter": "r1"},
        queue=queue,
    )


@contextmanager
def signed_in(url: str, username: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/")
        nonce = client.cookies["bastion_login"]
        answer = client.post(
            "/login", data={"username": username, "password": password, "nonce": nonce}
        )
        assert answer.status_code == 303, answer.text
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
