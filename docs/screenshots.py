"""Screenshots of the review console for docs/review.md (not a test).

    .venv/bin/python docs/screenshots.py [OUT_DIR]

Starts bastion on a temporary data directory, fills it as `make serve` and `bastion review
demo` would (a demo bank whose matches open jobs, posts of three made-up users, user reports
with their media kept sealed, a conversation alert), signs in with people of two roles in
Debian's Chromium (/usr/bin/chromium, driven by Playwright) and saves a PNG of each page into
OUT_DIR (default docs/images/review). Every image is generated and benign.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from bastion.actions import RuleKind
from bastion.auth import Role
from bastion.conversations.model import Message
from bastion.pipeline import Bastion
from bastion.settings import Settings
from bastion.web.first_run import prepare

CHROMIUM = "/usr/bin/chromium"
#: The command line installed beside this Python.
BASTION = str(Path(sys.executable).parent / "bastion")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
PASSWORD = "a benign demo passphrase"
#: A conversation whose pattern alerts (as in the conversation tests): non-explicit text.
CHAT = [
    ("max", "gg that last round was wild"),
    ("kid", "lol yeah"),
    ("max", "how old are you btw"),
    ("kid", "12"),
    ("max", "you're so mature for your age"),
    ("kid", "thanks"),
    ("max", "are you home alone right now"),
    ("kid", "yes"),
    ("max", "add me on snap and dont tell your mom"),
    ("kid", "ok"),
    ("max", "wipe everything we said today ok"),  # found by the meaning layer
    ("kid", "k"),
    ("max", "send me a pic"),
]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bastion-shots-") as tmp:
        data = Path(tmp) / "data"
        settings = Settings.load(env={}, data_dir=data)
        prepare(settings)
        fill(settings, data)
        port = 8799
        server = subprocess.Popen(
            [BASTION, "--data-dir", str(data), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(url)
            shoot(url, out)
        finally:
            server.terminate()
            server.wait(timeout=30)


def fill(settings: Settings, data: Path) -> None:
    bastion = Bastion(settings)
    try:
        bastion.users.create("lee", Role.LEAD, password=PASSWORD, actor="screenshots")
        bastion.users.create("ada", Role.CHILD_SAFETY_REVIEWER, password=PASSWORD, actor="s")
        bastion.actions.add_conversation_rule(RuleKind.REVIEW, actor="screenshots")
        bastion.conversations.add("room-7", [Message(sender, text) for sender, text in CHAT])
    finally:
        bastion.close()
    subprocess.run(
        [BASTION, "--data-dir", str(data), "review", "demo"],
        check=True,
        capture_output=True,
    )


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/status", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def shoot(url: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{url}/")
        save(page, out / "sign-in.png")
        sign_in(page, "ada")
        page.goto(f"{url}/queues")
        save(page, out / "queues.png")
        page.goto(f"{url}/queues/default")
        save(page, out / "queue.png")
        page.goto(f"{url}/queues/default?kind=match")
        page.locator("tbody a").first.click()
        page.wait_for_url("**/jobs/*")
        save(page, out / "job-match.png")
        page.goto(f"{url}/queues/user-reports")
        page.locator('form[action="/queues/user-reports/next"] button').first.click()
        page.wait_for_url("**/jobs/*")
        save(page, out / "job-report.png")
        page.keyboard.press("v")
        page.wait_for_selector("img.revealed")
        save(page, out / "reveal.png")
        page.goto(f"{url}/queues/default?kind=conversation")
        page.locator("tbody a").first.click()
        page.wait_for_url("**/jobs/*")
        save(page, out / "job-conversation.png")
        page.locator('a[href^="/cases/"]').first.click()
        save(page, out / "case.png")
        # A match reported: its case's draft, then the reports list.
        page.goto(f"{url}/queues/default?kind=match")
        page.locator("tbody a").first.click()
        page.wait_for_url("**/jobs/*")
        page.locator('button[name="decision"][value="reported"]').click()
        page.wait_for_url("**/reports/*")
        save(page, out / "report.png")
        page.goto(f"{url}/reports")
        save(page, out / "reports.png")
        page.goto(f"{url}/me")
        save(page, out / "my-wellbeing.png")
        page.keyboard.press("?")
        save(page, out / "shortcuts.png")
        lead = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        lead.goto(f"{url}/")
        sign_in(lead, "lee")
        lead.goto(f"{url}/team")
        save(lead, out / "team.png")
        browser.close()


def sign_in(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/queues")


def save(page: Page, path: Path) -> None:
    """A PNG of the page as shown, made small enough for the docs (palette colours)."""
    shot = Image.open(io.BytesIO(page.screenshot(full_page=False)))
    shot.convert("RGB").quantize(colors=128).save(path, optimize=True)
    print(f"saved {path.name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "images" / "review")
