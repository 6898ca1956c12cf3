"""The pages over HTTP: public shells that hold no data, their assets served from installed
packages (nothing from elsewhere), security headers, and the OpenAPI document behind a key.
(tests/web/test_pages_browser.py looks at them in a real browser.)"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from bastion import __version__
from bastion.auth import Scope

PAGES = ("/", "/docs", "/redoc")


class Page(HTMLParser):
    """What a test needs of an HTML page: its links, scripts and styles, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def urls(self) -> list[str]:
        return [
            value
            for _, attrs in self.tags
            for name, value in attrs.items()
            if name in ("href", "src", "action") and value is not None
        ]

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def page(client: httpx.Client, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return Page(response.text)


def test_the_landing_page_says_what_bastion_is_and_how_to_get_a_key(
    anonymous: httpx.Client,
) -> None:
    landing = page(anonymous, "/")
    text = " ".join(" ".join(landing.text).split())
    assert "child sexual exploitation" in text
    assert "bastion key create upload-pipeline --scope match" in text
    assert "Sign in to the review console" in text  # the console runs here (role ui)
    assert {"/login"} <= set(landing.urls())
    assert f"bastion {__version__}" in text
    assert {"/docs", "/redoc", "/status"} <= set(landing.urls())
    assert not landing.all("script")  # readable without JavaScript
    assert [attrs.get("lang") for attrs in landing.all("html")] == ["en"]
    assert len(landing.all("h1")) == 1
    assert len(landing.all("main")) == 1
    assert landing.all("nav")[0].get("aria-label") == "Main"


@pytest.mark.parametrize("path", PAGES)
def test_pages_and_their_assets_come_from_this_server_with_security_headers(
    anonymous: httpx.Client, path: str
) -> None:
    shown = page(anonymous, path)
    urls = shown.urls()
    assert urls
    for url in urls:  # nothing from elsewhere
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
    assets = [u for u in urls if u.startswith("/static/")]
    assert assets
    for url in [path, *assets]:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        headers = response.headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(("path", "viewer"), [("/docs", "swagger"), ("/redoc", "redoc")])
def test_the_docs_pages_ask_for_a_key_and_load_their_viewer_from_the_package(
    anonymous: httpx.Client, path: str, viewer: str
) -> None:
    shown = page(anonymous, path)
    assert shown.all("body")[0].get("data-viewer") == viewer
    scripts = [attrs.get("src") for attrs in shown.all("script")]
    bundle = "/static/swagger/swagger-ui-bundle.js"
    if viewer == "redoc":
        bundle = "/static/redoc/redoc.standalone.js"
    assert scripts == [bundle, "/static/docs.js"]
    assert anonymous.get(bundle).headers["content-type"].startswith("text/javascript")
    [key_input] = [i for i in shown.all("input") if i.get("id") == "api-key"]
    assert key_input.get("type") == "password"
    assert [label.get("for") for label in shown.all("label")] == ["api-key"]
    assert shown.all("noscript")  # says what to do without JavaScript


def test_the_openapi_document_needs_a_key_of_any_scope(
    anonymous: httpx.Client, make_key: Callable[..., str]
) -> None:
    refused = anonymous.get("/openapi.json")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    spec = anonymous.get("/openapi.json", headers={"X-API-Key": make_key(Scope.METRICS)})
    assert spec.status_code == 200
    assert "/api/v1/match" in spec.json()["paths"]
    # The pages are not routes of the API.
    assert not {"/", "/docs", "/redoc"} & set(spec.json()["paths"])


def test_the_docs_script_keeps_the_key_in_this_tab_only(anonymous: httpx.Client) -> None:
    script = anonymous.get("/static/docs.js").text
    assert "sessionStorage" in script
    assert "localStorage" not in script
    assert "document.cookie" not in script
    assert "validatorUrl: null" in script  # Swagger UI would send the document elsewhere
