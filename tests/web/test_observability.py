"""Metrics for a scraper with the `metrics` scope; request logs without secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
import pytest

from bastion.auth import Scope
from bastion.web.logs import JsonLines, fields_of


def test_metrics_need_the_metrics_scope_and_count_requests(
    api: httpx.Client, anonymous: httpx.Client, make_key: Callable[..., str]
) -> None:
    assert anonymous.get("/metrics").status_code == 401
    assert (
        anonymous.get("/metrics", headers={"X-API-Key": make_key(Scope.MATCH)}).status_code == 403
    )
    api.post("/api/v1/banks", json={"name": "b"})
    api.post("/api/v1/banks/b/entries", json={"signals": [{"type": "pdq", "value": "ab" * 32}]})
    api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": "ab" * 32})
    api.get("/api/v1/entries/999999")
    text = anonymous.get("/metrics", headers={"X-API-Key": make_key(Scope.METRICS)}).text
    assert (
        'bastion_http_requests_total{method="GET",route="/api/v1/lookup",status="200"} 1.0' in text
    )
    assert 'route="/api/v1/entries/{entry_id}",status="404"} 1.0' in text
    assert 'bastion_matches_total{signal_type="pdq"} 1.0' in text
    assert 'bastion_index_signals{signal_type="pdq"} 1.0' in text
    assert "bastion_http_request_duration_seconds_bucket" in text


def test_request_log_has_route_templates_not_queries_or_keys(
    api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bastion.requests"):
        api.get("/api/v1/lookup", params={"signal_type": "pdq", "signal": "cd" * 32})
        refused = api.get("/api/v1/hash", params={"url": "http://10.0.0.1/a.jpg?token=s3cret"})
    assert refused.status_code == 400  # a private address: refused before any connection
    assert "s3cret" not in refused.text
    records = [r for r in caplog.records if r.name == "bastion.requests"]
    expected = {"method": "GET", "route": "/api/v1/lookup", "status": 200}
    assert any(fields_of(r).items() >= expected.items() for r in records)
    lines = [JsonLines().format(r) for r in records]
    assert all(json.loads(line)["message"] == "request" for line in lines)
    joined = "\n".join(lines)
    assert "s3cret" not in joined
    assert "cd" * 32 not in joined
    assert "bst_" not in joined
