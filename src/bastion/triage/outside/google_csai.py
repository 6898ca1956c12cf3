"""Google's Content Safety API: ``images:classify``.

Up to 32 images per request, base64 in ``{"images": [...]}``, POSTed to
``{url}/v1beta1/images:classify?key=API_KEY``; the answer's ``reviewPriorities`` holds one of
``VERY_LOW``, ``LOW``, ``MEDIUM``, ``HIGH``, ``VERY_HIGH`` per image, in order. It ranks for
review and never decides: a priority is a classifier's finding (label ``review_priority``,
score 0.2 for VERY_LOW up to 1.0 for VERY_HIGH), which the triage policy weighs. Errors come
as Google's ``{"error": {"code", "message", "status"}}``: a refused key (401, 403, or 400 with
``API_KEY_INVALID``), 429 ``RESOURCE_EXHAUSTED``.

Configuration: `url` (``https://contentsafety.googleapis.com``), credentials
``{"api_key": ...}``.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar
from urllib.parse import quote

from bastion.triage.findings import Finding, FindingKind
from bastion.triage.outside import Answer, Item, State
from bastion.triage.outside.http import CallFailed, Reply, post

PRIORITIES = ("VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH")
MAX_BATCH = 32


class ContentSafety:
    kind = "google_csai"
    credential_fields = ("api_key",)
    default_url = "https://contentsafety.googleapis.com"
    option_values: ClassVar[dict[str, tuple[str, ...]]] = {}
    accepts = frozenset({"image"})
    batch_size = MAX_BATCH

    def __init__(self, config: Any) -> None:
        self.name: str = config.name
        key = quote(config.credentials.get("api_key", ""), safe="")
        self._endpoint = f"{config.url.rstrip('/')}/v1beta1/images:classify?key={key}"

    def ask(self, items: list[Item], timeout: float) -> list[Answer]:
        answers: list[Answer] = []
        for start in range(0, len(items), MAX_BATCH):
            answers += self._batch(items[start : start + MAX_BATCH], timeout)
        return answers

    def _batch(self, items: list[Item], timeout: float) -> list[Answer]:
        body = json.dumps({"images": [base64.b64encode(i.data).decode() for i in items]})
        try:
            reply = post(
                self._endpoint, body.encode(), {"Content-Type": "application/json"}, timeout
            )
            failed = self._failed(reply)
            if failed is not None:
                return [failed] * len(items)
            found = reply.json()
        except CallFailed as e:
            return [Answer(self.name, e.state, error=e.message)] * len(items)
        priorities = found.get("reviewPriorities") if isinstance(found, dict) else None
        if not isinstance(priorities, list) or len(priorities) != len(items):
            return [
                Answer(
                    self.name,
                    State.MALFORMED,
                    error="reviewPriorities is not one priority per image",
                )
            ] * len(items)
        version = found.get("modelVersion") or found.get("model_version")
        return [self._priority(p, version) for p in priorities]

    def _priority(self, priority: Any, version: Any) -> Answer:
        if priority not in PRIORITIES:
            return Answer(self.name, State.MALFORMED, error=f"unknown priority {priority!r}")
        detail = {"priority": priority, **({"version": str(version)} if version else {})}
        score = (PRIORITIES.index(priority) + 1) / len(PRIORITIES)
        finding = Finding(FindingKind.CLASSIFIER, self.name, "review_priority", score, detail)
        return Answer(self.name, State.CLASSIFIED, (finding,), detail)

    def _failed(self, reply: Reply) -> Answer | None:
        if reply.status == 200:
            return None
        status, message = _error(reply)
        said = f"HTTP {reply.status} {status}: {message}".strip()
        if reply.status in (401, 403) or "API_KEY_INVALID" in reply.body.decode("utf-8", "replace"):
            return Answer(self.name, State.BAD_CREDENTIALS, error=said)
        if reply.status == 429:
            wait = reply.retry_after()
            return Answer(
                self.name,
                State.RATE_LIMITED,
                detail={} if wait is None else {"retry_after": wait},
                error=said,
            )
        if reply.status >= 500:
            return Answer(self.name, State.UNAVAILABLE, error=said)
        return Answer(self.name, State.REFUSED, error=said)


def _error(reply: Reply) -> tuple[str, str]:
    try:
        found = reply.json()
    except CallFailed:
        return "", "no message"
    error = found.get("error") if isinstance(found, dict) else None
    if not isinstance(error, dict):
        return "", "no message"
    return str(error.get("status", "")), str(error.get("message", ""))[:300]
