"""The pages in a real browser: Debian's Chromium, driven by Playwright, against the service
on 127.0.0.1. The landing page reads without a key; the docs ask for one, list the routes with
it, send it with the requests tried, and keep it in the tab only; no request leaves
127.0.0.1 and no page logs an error. Screenshots are saved in the test's tmp folder.

Skipped where /usr/bin/chromium is absent (`apt-get install chromium`), unless
BASTION_REQUIRE_BROWSER=1, which .ci/run sets after installing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bastion.auth import ApiKeyStore, Scope
from bastion.settings import Settings
from bastion.store import Database
from tests.web.browsing import Watched
from tests.web.browsing import browser as browser  # a fixture, used by name
from tests.web.conftest import running_server

#: Swagger UI's line for a route (the path's text has word breaks in it).
MATCH_ROUTE = '.opblock-summary-path[data-path="/api/v1/match"]'


@dataclass
class Site:
    url: str
    key: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("site") / "data"
    settings = Settings.load(env={}, data_dir=data)
    db = Database.open(settings.database_url)
    key = ApiKeyStore(db).create("docs reader", [Scope.MATCH]).secret
    db.close()
    with running_server(settings) as url:
        yield Site(url, key)


@pytest.fixture
def tab(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Watched.open(context)
    context.close()


def test_the_landing_page(site: Site, tab: Watched, tmp_path: Path) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("bastion")
    expect(page.get_by_role("heading", name="Get an API key")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(
        ["Home", "API docs", "API reference", "Status"]
    )
    page.screenshot(path=tmp_path / "landing.png", full_page=True)
    page.get_by_role("link", name="Status").first.click()
    expect(page.locator("body")).to_have_text("I-AM-ALIVE")
    assert tab.hosts() == {"127.0.0.1"}
    assert tab.errors == []


def test_swagger_ui_lists_the_routes_with_a_key_and_sends_it(
    site: Site, tab: Watched, tmp_path: Path
) -> None:
    page = tab.page
    page.goto(f"{site.url}/docs")
    page.get_by_label("API key").fill(site.key)
    page.get_by_role("button", name="Show the API").click()
    match_route = page.locator(MATCH_ROUTE).first
    expect(match_route).to_be_visible()
    assert page.locator(".opblock").count() > 30
    page.screenshot(path=tmp_path / "docs.png")

    # A request tried from the page carries the key (a key of scope `match`).
    status_route = page.locator("#operations-content-index_status_api_v1_index_status_get")
    status_route.locator(".opblock-summary").click()
    status_route.get_by_role("button", name="Try it out").click()
    status_route.get_by_role("button", name="Execute").click()
    expect(
        status_route.locator(".live-responses-table .response .response-col_status").first
    ).to_have_text("200")
    page.screenshot(path=tmp_path / "docs-tried.png")

    # The key is kept for this tab: the page shows the API again without asking.
    page.reload()
    expect(match_route).to_be_visible()
    expect(page.get_by_label("API key")).to_be_hidden()
    page.get_by_role("button", name="Forget the key").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage)") == []
    assert tab.hosts() == {"127.0.0.1"}
    assert tab.errors == []


def test_redoc_shows_the_reference_with_the_key_kept_in_the_tab(
    site: Site, tab: Watched, tmp_path: Path
) -> None:
    page = tab.page
    page.goto(f"{site.url}/redoc")
    page.get_by_label("API key").fill(site.key)
    page.get_by_role("button", name="Show the API").click()
    expect(page.get_by_role("heading", name="Match Content").first).to_be_visible()
    page.screenshot(path=tmp_path / "redoc.png")
    page.goto(f"{site.url}/docs")  # the same tab: no need to enter the key again
    expect(page.locator(MATCH_ROUTE).first).to_be_visible()
    assert tab.hosts() == {"127.0.0.1"}
    assert tab.errors == []


def test_a_wrong_key_is_refused_with_a_readable_message(
    site: Site, tab: Watched, tmp_path: Path
) -> None:
    page = tab.page
    page.goto(f"{site.url}/docs")
    page.get_by_label("API key").fill("bst_AAAAAAAAAAAA_" + "A" * 43)
    page.get_by_role("button", name="Show the API").click()
    expect(page.get_by_role("status")).to_have_text("The server refused the key: unknown API key.")
    page.screenshot(path=tmp_path / "docs-refused.png")
    assert page.evaluate("Object.keys(sessionStorage)") == []
    assert tab.hosts() == {"127.0.0.1"}
    # The browser itself reports the refused fetch; nothing else may be logged.
    assert [e for e in tab.errors if "status of 401" not in e] == []
