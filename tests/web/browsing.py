"""Pages in a real browser: Debian's Chromium at /usr/bin/chromium, driven by Playwright (which
never downloads a browser of its own here), and a tab that keeps every request it made and
every error it logged.

Import the fixtures by name (`from tests.web.browsing import browser as browser`). Without
Chromium the tests that use them are skipped, unless BASTION_REQUIRE_BROWSER=1 (.ci/run sets
it after installing Chromium), which makes a missing browser a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and quiet: no update checks, sync or other calls home that would leave the
#: machine (and be counted as requests to elsewhere).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("BASTION_REQUIRE_BROWSER") == "1":
            pytest.fail(f"BASTION_REQUIRE_BROWSER=1 but {CHROMIUM} does not exist")
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    # Swagger UI takes seconds to lay out 60 routes on a small shared machine: a guard, not a
    # measure.
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A tab, with every request it made and every error it logged."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context: BrowserContext) -> Watched:
        watched = cls(context.new_page())
        watched.page.on("request", lambda request: watched.requests.append(request.url))
        watched.page.on("console", watched.note)
        watched.page.on("pageerror", lambda error: watched.errors.append(str(error)))
        return watched

    def note(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def hosts(self) -> set[str | None]:
        """The hosts requests went to (a blob: URL names the page that made it; a data: URL
        goes nowhere)."""
        return {
            urlsplit(url.removeprefix("blob:")).hostname
            for url in self.requests
            if not url.startswith("data:")
        }
