"""Screenshots of the review console for docs/review.md, taken in Debian's Chromium.

Starts the service on 127.0.0.1 over a temporary data directory, seeds people, the demo
bank with a review rule, a few users' matches, a conversation alert and a user report with
media (benign generated images and synthetic text only), and saves a 1280x800 PNG of each
page into docs/images/review/. Not a test: run it again when the console changes.

    PYTHONPATH=src .venv/bin/python docs/screenshots.py [--out DIR]

Needs /usr/bin/chromium (`apt-get install chromium`) and Playwright (the dev extra).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from bastion.actions.rules import RuleKind
from bastion.auth.roles import Role
from bastion.conversations.synthetic import families, generate
from bastion.pipeline import Bastion
from bastion.review import ContentSubmission, JobKind
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.web.app import create_app
from bastion.web.first_run import DEMO_BANK, seed_demo_bank

OUT = Path(__file__).resolve().parent / "images" / "review"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
PASSWORD = "a long password for the screenshots"
#: Each picture is kept under this size (docs images live in the repository).
MAX_BYTES = 200_000


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).save(out, "JPEG", quality=92)
    return out.getvalue()


def seed(bastion: Bastion) -> dict[str, int]:
    """People, banks, queues and jobs; returns the ids of the jobs to show."""
    users = bastion.users
    users.create("lee", Role.LEAD, password=PASSWORD, actor="docs")
    users.create("sam", Role.CHILD_SAFETY_REVIEWER, password=PASSWORD, actor="docs")
    users.create("ray", Role.REVIEWER, password=PASSWORD, actor="docs")
    users.create("ana", Role.ANALYST, password=PASSWORD, actor="docs")
    seed_demo_bank(bastion)
    bastion.actions.add_review(DEMO_BANK, actor="docs")
    bastion.store.create_bank("confirmed", description="Confirmed by our reviewers", actor="docs")
    desk = bastion.review.desk
    desk.create_queue("reports", child_safety=False, description="User reports of other harms",
                      sla_minutes=2880)  # fmt: skip
    review = bastion.review
    posted = datetime.now(UTC) - timedelta(hours=3)

    def post(user: str, n: int, surface: str = "feed") -> ContentSubmission:
        return ContentSubmission(platform_id=f"post-{n}", user_id=user, surface=surface,
                                 url=f"https://forum.example/p/{n}", posted_at=posted)  # fmt: skip

    match = review.submit(post("u-1001", 501), jpeg(1)).jobs[0]
    review.submit(post("u-1001", 502, "messages"), jpeg(2))
    review.submit(post("u-2040", 611), jpeg(3))
    report = review.submit(
        post("u-1001", 503, "profile"),
        jpeg(101),  # no bank knows it: kept sealed for review
        reason=JobKind.USER_REPORT,
        report={"reason": "unwanted contact", "reporter_id": "u-77", "text": "see this"},
        priority=70,
    ).jobs[0]
    review.submit(post("u-3300", 720), jpeg(102), reason=JobKind.USER_REPORT,
                  report={"reason": "spam"}, queue="reports")  # fmt: skip
    bastion.actions.add_conversation_rule(RuleKind.REVIEW, actor="docs")
    chat = _conversation_alert(bastion)
    desk.comment(match.id, "user:lee", "This user also posted 502 and was reported: see the case.")
    return {"match": match.id, "report": report.id, "chat": chat, "case": match.case_id}


def _conversation_alert(bastion: Bastion) -> int:
    """Feed synthetic grooming-pattern chats (the project's training data, never explicit)
    until one raises an alert; the id of its job."""
    for family in families():
        for labelled in generate(family, 3):
            if not labelled.grooming:
                continue
            store = bastion.conversations
            for message in labelled.conversation.messages:
                if store.add("room-7", [message]).alerted:
                    (job,) = bastion.review.desk.jobs(kind=JobKind.CONVERSATION)
                    return job.id
    raise RuntimeError("no synthetic conversation raised an alert")


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="on"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def save(page: Page, out: Path, name: str) -> None:
    """A PNG of the page as shown, quantised to 256 colours where it would be too large."""
    page.wait_for_load_state("load")
    path = out / f"{name}.png"
    page.screenshot(path=path)
    if path.stat().st_size > MAX_BYTES:
        picture = Image.open(path).convert("RGB")
        picture.quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path} ({path.stat().st_size // 1000} kB)")


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{url}/queues")


def shoot(url: str, jobs: dict[str, int], out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(f"{url}/")
            save(page, out, "sign-in")
            sign_in(page, url, "sam")
            save(page, out, "queues")
            page.goto(f"{url}/queues/default")
            save(page, out, "queue")
            page.goto(f"{url}/jobs/{jobs['match']}")
            save(page, out, "job-match")
            page.goto(f"{url}/jobs/{jobs['chat']}")
            save(page, out, "job-conversation")
            page.goto(f"{url}/jobs/{jobs['report']}")
            save(page, out, "job-report")
            page.keyboard.press("?")
            save(page, out, "shortcuts")
            page.keyboard.press("Escape")
            page.keyboard.press("v")
            page.wait_for_url(f"{url}/jobs/{jobs['report']}/original/*")
            save(page, out, "reveal")
            page.goto(f"{url}/cases/{jobs['case']}")
            save(page, out, "case")
            page.goto(f"{url}/me")
            save(page, out, "me")
            context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            sign_in(page, url, "lee")
            page.goto(f"{url}/team")
            save(page, out, "team")
            context.close()
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bastion-screenshots-") as tmp:
        settings = Settings.load(env={}, data_dir=Path(tmp) / "data")
        bastion = Bastion(settings)
        try:
            jobs = seed(bastion)
        finally:
            bastion.close()
        with serving(settings) as url:
            shoot(url, jobs, out)


if __name__ == "__main__":
    main()
