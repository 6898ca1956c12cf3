"""The transparency report over HTTP, on SQLite and PostgreSQL: uploads matched through the
API and HMA's routes and conversations' messages are counted by their door; the report comes
as JSON, CSV or a self-contained HTML page to keys with the `review` scope only; the console
shows it to analysts, leads and admins, with downloads, and to nobody else."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from bastion.auth import ApiKeyStore, Scope
from bastion.pipeline import Bastion
from bastion.settings import Settings
from bastion.store import Database
from tests.web.conftest import running_server
from tests.web.console_helpers import jpeg, seed, signed_in

THIS_YEAR = datetime.now(UTC).year
PERIOD = {"from": f"{THIS_YEAR}-01-01", "to": f"{THIS_YEAR + 1}-01-01"}


@pytest.fixture
def bastion(settings: Settings) -> Iterator[Bastion]:
    made = Bastion(settings)
    seed(made)  # people of each role; bank `known` holding jpeg(1)
    yield made
    made.close()


@pytest.fixture
def url(settings: Settings, bastion: Bastion) -> Iterator[str]:
    with running_server(settings) as base:
        yield base


def client(url: str, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def test_checks_through_each_door_are_counted_and_the_report_comes_in_three_formats(
    url: str, make_key: Callable[..., str]
) -> None:
    with client(url, make_key(Scope.MATCH)) as matcher:
        for seed_ in (1, 1, 7):
            answer = matcher.post("/api/v1/match", files={"file": ("a.jpg", jpeg(seed_))})
            assert answer.status_code == 200
        pdq = answer.json()["content"]["signals"][0]["value"]
        assert matcher.get("/m/lookup", params={"signal_type": "pdq", "signal": pdq}).is_success
        talk = matcher.post(
            "/api/v1/conversations/chat-9/messages",
            json={"messages": [{"sender": "a", "text": "hi"}, {"sender": "b", "text": "hello"}]},
        )
        assert talk.status_code == 200
    with client(url, make_key(Scope.REVIEW)) as reader:
        answer = reader.get("/api/v1/transparency", params={**PERIOD, "suppress_below": 1})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        doc = answer.json()
        checked = doc["sections"]["content_checked"]
        assert checked["by_door"]["api"]["value"] == 3 + 2
        assert checked["by_door"]["hma"]["value"] == 1
        assert checked["by_kind"]["image"]["value"] == 4
        assert checked["by_kind"]["message"]["value"] == 2
        assert checked["matched"]["value"] == 2
        assert doc["sections"]["matches"]["by_bank"]["known"]["value"] == 6
        assert doc["period"] == PERIOD

        withheld = reader.get("/api/v1/transparency", params=PERIOD).json()
        assert withheld["sections"]["content_checked"]["total"] == {
            "value": None,
            "suppressed": True,
        }

        table = reader.get("/api/v1/transparency", params={**PERIOD, "format": "csv"})
        assert table.status_code == 200
        assert table.headers["content-type"] == "text/csv; charset=utf-8"
        assert table.headers["content-disposition"] == (
            f'attachment; filename="transparency-{PERIOD["from"]}-{PERIOD["to"]}.csv"'
        )
        rows = list(csv.reader(io.StringIO(table.text)))
        assert ["content_checked", "by_door/hma", "<10"] in rows

        page = reader.get(
            "/api/v1/transparency", params={**PERIOD, "format": "html", "suppress_below": 1}
        )
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert "<svg" in page.text


def test_only_keys_that_may_read_every_review_may_read_the_report(
    url: str, make_key: Callable[..., str], db: Database
) -> None:
    with client(url) as anonymous:
        refused = anonymous.get("/api/v1/transparency", params=PERIOD)
        assert refused.status_code == 401
        assert refused.json()["type"] == "/problems/unauthenticated"
    with client(url, make_key(Scope.MATCH, Scope.CURATE)) as other:
        refused = other.get("/api/v1/transparency", params=PERIOD)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "this API key lacks the 'review' scope"
    limited = ApiKeyStore(db).create("some banks", [Scope.REVIEW], banks={"known": ["read"]})
    with client(url, limited.secret) as some:
        assert some.get("/api/v1/transparency", params=PERIOD).status_code == 403
    with client(url, make_key(Scope.ADMIN)) as admin:
        assert admin.get("/api/v1/transparency", params=PERIOD).status_code == 200
        backwards = admin.get(
            "/api/v1/transparency", params={"from": "2027-01-01", "to": "2026-01-01"}
        )
        assert backwards.status_code == 400
        assert backwards.json()["detail"] == (
            "the period must end after it starts (from 2027-01-01 to 2026-01-01)"
        )
        assert admin.get("/api/v1/transparency", params={"from": "2026-01-01"}).status_code == 422
        odd = admin.get("/api/v1/transparency", params={**PERIOD, "format": "pdf"})
        assert odd.status_code == 422


def test_the_console_page_for_analysts_leads_and_admins(url: str, bastion: Bastion) -> None:
    bastion.check_content(jpeg(1))
    bastion.tally.flush()
    with signed_in(url, "cy") as analyst:  # an analyst
        page = analyst.get("/transparency", params={**PERIOD, "suppress_below": "1"})
        assert page.status_code == 200
        html = page.text
        assert 'href="/transparency" aria-current="page"' in html
        assert '<link rel="stylesheet" href="/static/transparency.css">' in html
        assert "<svg" in html
        assert '<th scope="row">known</th><td class="number">3</td>' in html
        link = f"/transparency/download?from={PERIOD['from']}&amp;to={PERIOD['to']}"
        assert f"{link}&amp;suppress_below=1&amp;format=csv" in html
        download = analyst.get(
            "/transparency/download", params={**PERIOD, "suppress_below": "1", "format": "csv"}
        )
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "matches,by_bank/known,3" in download.text
        assert analyst.get("/static/transparency.css").status_code == 200
        wrong = analyst.get("/transparency", params={"from": "2026-05-01", "to": "2026-04-01"})
        assert wrong.status_code == 400
        assert "the period must end after it starts" in wrong.text
        assert 'value="2026-05-01"' in wrong.text  # the form keeps what was asked
        default = analyst.get("/transparency")
        assert default.status_code == 200
        assert f'value="{PERIOD["from"]}"' in default.text
    with signed_in(url, "di") as lead:
        assert lead.get("/transparency").status_code == 200
    with signed_in(url, "bo") as reviewer:
        refused = reviewer.get("/transparency")
        assert refused.status_code == 403
        assert 'href="/transparency"' not in reviewer.get("/queues").text
        assert reviewer.get("/transparency/download", params=PERIOD).status_code == 403
    with httpx.Client(base_url=url) as anonymous:
        answer = anonymous.get("/transparency")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/?next=%2Ftransparency"
