"""The Canadian Centre for Child Protection's Arachnid Shield.

Media is POSTed as its bytes with its media type to ``{url}/v1/media/`` (HTTP Basic with the
account's user name and password); with the option ``send = "url"`` its public address goes to
``{url}/v1/url/`` (``{"url": ...}``) for the service to fetch; with ``send = "pdq"`` only its PDQ,
base64 in ``{"hashes": [...]}`` to ``{url}/v1/pdq/``, and the media never leaves the platform
(near matches only: PDQ cannot match exactly). The answer's ``classification`` is ``csam``,
``harmful-abusive-material`` or ``no-known-match`` (more may come: any other is kept as said);
``match_type`` is ``exact`` (by SHA-1) or ``near`` (visual), and ``near_match_details`` name the
known media and, for a video, the time in it. Errors come as ``{"detail": ...}``: 401 a
refused account, 429 (with Retry-After) a rate limit.

Configuration: `url` (``https://shield.projectarachnid.com``), credentials
``{"username": ..., "password": ...}``, option ``send`` (``media``, the default, ``url`` or
``pdq``).
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

from bastion.triage.findings import Finding, FindingKind
from bastion.triage.outside import Answer, Item, State
from bastion.triage.outside.http import CallFailed, Reply, post

NO_MATCH = "no-known-match"


class ArachnidShield:
    kind = "arachnid"
    credential_fields = ("username", "password")
    default_url = "https://shield.projectarachnid.com"
    option_values: ClassVar[dict[str, tuple[str, ...]]] = {"send": ("media", "url", "pdq")}
    batch_size = 1

    def __init__(self, config: Any) -> None:
        self.name: str = config.name
        self._base = config.url.rstrip("/")
        self._send = config.options.get("send", "media")
        self._by_pdq = self._send == "pdq"
        self.accepts = frozenset({"image"} if self._by_pdq else {"image", "video"})
        user = config.credentials.get("username", "")
        password = config.credentials.get("password", "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._auth = f"Basic {token}"

    def ask(self, items: list[Item], timeout: float) -> list[Answer]:
        return [self._one(item, timeout) for item in items]

    def _one(self, item: Item, timeout: float) -> Answer:
        try:
            if self._by_pdq:
                return self._by_hash(item, timeout)
            if self._send == "url":
                if item.url is None:
                    return Answer(self.name, State.REFUSED, error="no public URL to send")
                body = json.dumps({"url": item.url}).encode()
                reply = post(f"{self._base}/v1/url/", body,
                             {"Content-Type": "application/json", "Authorization": self._auth},
                             timeout)  # fmt: skip
                return self._failed(reply) or self._media(reply.json())
            reply = post(
                f"{self._base}/v1/media/",
                item.data,
                {"Content-Type": item.media_type, "Authorization": self._auth},
                timeout,
            )
            return self._failed(reply) or self._media(reply.json())
        except CallFailed as e:
            return Answer(self.name, e.state, error=e.message)

    def _by_hash(self, item: Item, timeout: float) -> Answer:
        if item.pdq is None:
            return Answer(self.name, State.REFUSED, error="the item has no PDQ to send")
        key = base64.b64encode(bytes.fromhex(item.pdq)).decode()
        body = f'{{"hashes": ["{key}"]}}'.encode()
        reply = post(
            f"{self._base}/v1/pdq/",
            body,
            {"Content-Type": "application/json", "Authorization": self._auth},
            timeout,
        )
        failed = self._failed(reply)
        if failed is not None:
            return failed
        found = reply.json()
        scanned = found.get("scanned_hashes") if isinstance(found, dict) else None
        if not isinstance(scanned, dict) or key not in scanned:
            return Answer(self.name, State.MALFORMED, error="scanned_hashes lacks the hash sent")
        one = scanned[key]
        if one is None:
            return Answer(self.name, State.NO_MATCH)
        if not isinstance(one, dict):
            return Answer(self.name, State.MALFORMED, error="a scanned hash is not an object")
        return self._classified(
            one.get("classification"), one.get("match_type"), one.get("near_match_details"), {}
        )

    def _media(self, found: Any) -> Answer:
        if not isinstance(found, dict):
            return Answer(self.name, State.MALFORMED, error="the answer is not an object")
        extra = {k: found.get(k) for k in ("sha1_base32", "sha256_hex", "size_bytes")}
        return self._classified(
            found.get("classification"), found.get("match_type"),
            found.get("near_match_details"), extra,
        )  # fmt: skip

    def _classified(
        self, classification: Any, match_type: Any, details: Any, extra: dict[str, Any]
    ) -> Answer:
        if not isinstance(classification, str) or not classification:
            return Answer(self.name, State.MALFORMED, error="classification is missing")
        if match_type not in (None, "exact", "near"):
            return Answer(self.name, State.MALFORMED, error=f"unknown match_type {match_type!r}")
        # The SDKs disagree whether a hash's details are one object or a list: take either.
        details = [] if details is None else [details] if isinstance(details, dict) else details
        if not isinstance(details, list) or not all(isinstance(d, dict) for d in details):
            return Answer(
                self.name, State.MALFORMED, error="near_match_details is not a list of objects"
            )
        detail = {
            **extra,
            "classification": classification,
            "match_type": match_type,
            "near_match_details": [_near(d) for d in details],
        }
        if classification == NO_MATCH:
            return Answer(self.name, State.NO_MATCH, detail=detail)
        finding = Finding(FindingKind.OUTSIDE_MATCH, self.name, classification, 1.0, detail)
        return Answer(self.name, State.MATCHED, (finding,), detail)

    def _failed(self, reply: Reply) -> Answer | None:
        if reply.status == 200:
            return None
        said = _detail(reply)
        if reply.status in (401, 403):
            return Answer(self.name, State.BAD_CREDENTIALS, error=f"HTTP {reply.status}: {said}")
        if reply.status == 429:
            wait = reply.retry_after()
            return Answer(
                self.name,
                State.RATE_LIMITED,
                detail={} if wait is None else {"retry_after": wait},
                error=f"HTTP 429: {said}",
            )
        if reply.status >= 500:
            return Answer(self.name, State.UNAVAILABLE, error=f"HTTP {reply.status}: {said}")
        return Answer(self.name, State.REFUSED, error=f"HTTP {reply.status}: {said}")


def _near(detail: dict[str, Any]) -> dict[str, Any]:
    keys = ("timestamp", "sha1_base32", "sha256_hex", "classification")
    return {k: detail.get(k) for k in keys}


def _detail(reply: Reply) -> str:
    try:
        found = reply.json()
    except CallFailed:
        return "no detail"
    return str(found.get("detail", "no detail"))[:300] if isinstance(found, dict) else "no detail"
