"""The transparency report in a real browser (Debian's Chromium, driven by Playwright), on
SQLite and PostgreSQL: an analyst follows the console's link, chooses a period by keyboard,
and sees the charts and their tables; the console page and the standalone page pass axe-core's
checks (WCAG 2.2 A and AA, and its best practices); nothing leaves 127.0.0.1 and no error is
logged (the page's styles come from the server, within its content security policy).

Skipped where /usr/bin/chromium is absent, unless BASTION_REQUIRE_BROWSER=1 (.ci/run).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from bastion.pipeline import Bastion
from bastion.reporting.transparency import Period
from bastion.settings import Settings
from bastion.web.transparency_page import standalone_html
from tests.web.browsing import Watched
from tests.web.browsing import browser as browser  # a fixture, used by name
from tests.web.conftest import running_server
from tests.web.console_helpers import jpeg, seed
from tests.web.test_console_browser import axe_violations, sign_in

YEAR = datetime.now(UTC).year


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    made = Bastion(settings)
    seed(made)
    for n in range(12):
        made.check_content(jpeg(1 if n < 11 else 9))
    made.tally.flush()
    yield made
    made.close()


@pytest.fixture
def url(settings: Settings, bastion: Bastion) -> Iterator[str]:
    with running_server(settings) as base:
        yield base


def test_an_analyst_reads_the_report_and_it_passes_axe(
    url: str, bastion: Bastion, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = Watched.open(context)
        page = tab.page
        sign_in(page, url, "cy")
        page.get_by_role("link", name="Transparency").click()
        page.wait_for_url(f"{url}/transparency")
        page.get_by_label("From").fill(f"{YEAR}-01-01")
        page.get_by_label("Up to, not including").fill(f"{YEAR + 1}-01-01")
        page.get_by_label("Withhold counts below").fill("1")
        page.get_by_label("Withhold counts below").press("Enter")
        page.wait_for_url(
            f"{url}/transparency?from={YEAR}-01-01&to={YEAR + 1}-01-01&suppress_below=1"
        )
        expect(page.get_by_role("heading", level=1)).to_have_text("Transparency report")
        banks = page.get_by_role("table", name="Matches by bank")
        expect(banks.locator("tbody tr").first).to_have_text("known33")
        expect(page.locator("svg.bars").first).to_be_visible()
        assert axe_violations(page) == []
        assert tab.errors == []
        assert tab.hosts() == {"127.0.0.1"}

        report = bastion.transparency(Period.year(YEAR), suppress_below=1)
        alone = context.new_page()
        alone.set_content(standalone_html(report))
        expect(alone.get_by_role("table", name="Matches by bank")).to_be_visible()
        assert axe_violations(alone) == []
    finally:
        context.close()
