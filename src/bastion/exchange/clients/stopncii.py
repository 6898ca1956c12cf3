"""A client for StopNCII's hash API, as python-threatexchange speaks it.

`GET {base}/FetchHashes?startTimestamp=&pageSize=[&nextPageToken=]` answers JSON with
`hashRecords` (`signalType`, `hashValue`, `hashStatus`, `caseNumbers`, `lastModtimestamp`,
optional `CSPFeedbacks`), `hasMoreRecords`, `nextPageToken` and `nextSetTimestamp`.
`POST {base}/SubmitFeedback` takes `{"count": n, "hashFeedbacks": [{"hashValue",
"feedbackValue", "tags"}]}`. Every request carries the APIM subscription key
(`Ocp-Apim-Subscription-Key`) and the Azure Functions key of its endpoint (`x-functions-key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bastion.exchange.api import ExchangeError
from bastion.exchange.clients.http import HttpSession

BASE_URL = "https://api.stopncii.org/v1"
SIGNAL_TYPES = ("Unknown", "ImagePDQ", "VideoMD5", "VideoTMK", "Text", "URL")
STATUSES = ("Unknown", "Received", "Active", "Withdrawn", "Deleted")
FEEDBACK_VALUES = ("Unknown", "None", "QualityUnknown", "PendingReview", "Blocked",
                   "NotBlocked", "Withdrawn", "Deleted")  # fmt: skip


@dataclass(frozen=True)
class HashRecord:
    signal_type: str
    value: str
    status: str
    modified: int
    cases: dict[str, str]
    feedbacks: list[dict[str, Any]]


@dataclass(frozen=True)
class HashPage:
    records: list[HashRecord]
    #: Records that were not as documented (unknown enum values, missing fields): skipped.
    malformed: int
    more: bool
    token: str | None
    next_start: int


class StopNciiClient:
    def __init__(
        self,
        subscription_key: str,
        fetch_key: str,
        *,
        feedback_key: str | None = None,
        base_url: str = BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        name: str = "stop_ncii",
    ) -> None:
        self.name = name
        self._keys = {"FetchHashes": fetch_key, "SubmitFeedback": feedback_key}
        self._http = HttpSession(
            name,
            base_url.rstrip("/"),
            transport=transport,
            headers={"Ocp-Apim-Subscription-Key": subscription_key},
            timeout=timeout,
            retries=retries,
        )

    def fetch(self, start: int, token: str | None, page_size: int = 800) -> HashPage:
        params: dict[str, Any] = {"startTimestamp": start, "pageSize": page_size}
        if token:
            params["nextPageToken"] = token
        reply = self._http.request(
            "GET", "/FetchHashes", params=params, headers=self._function("FetchHashes")
        )
        doc = reply.json()
        if not isinstance(doc, dict) or not isinstance(doc.get("hasMoreRecords"), bool):
            raise ExchangeError(f"{self.name}: FetchHashes: not the documented answer")
        next_start = doc.get("nextSetTimestamp")
        if isinstance(next_start, bool) or not isinstance(next_start, int):
            raise ExchangeError(f"{self.name}: FetchHashes: no nextSetTimestamp")
        token = doc.get("nextPageToken")
        if token is not None and not isinstance(token, str):
            raise ExchangeError(f"{self.name}: FetchHashes: a malformed nextPageToken")
        records: list[HashRecord] = []
        malformed = 0
        for raw in doc.get("hashRecords") or []:
            record = _record(raw)
            if record is None:
                malformed += 1
            else:
                records.append(record)
        return HashPage(records, malformed, doc["hasMoreRecords"], token, next_start)

    def submit_feedback(self, value: str, feedback: str, tags: list[str]) -> None:
        if feedback not in FEEDBACK_VALUES:
            raise ExchangeError(f"{self.name}: StopNCII has no feedback value {feedback!r}")
        self._http.request(
            "POST",
            "/SubmitFeedback",
            body={"count": 1, "hashFeedbacks": [
                {"tags": tags, "feedbackValue": feedback, "hashValue": value}
            ]},
            headers=self._function("SubmitFeedback"),
        )  # fmt: skip

    def close(self) -> None:
        self._http.close()

    def _function(self, endpoint: str) -> dict[str, str]:
        key = self._keys.get(endpoint)
        if not key:
            raise ExchangeError(f"{self.name}: no function key for {endpoint} is configured")
        return {"x-functions-key": key}


def _record(raw: Any) -> HashRecord | None:
    if not isinstance(raw, dict):
        return None
    kind, value, status = raw.get("signalType"), raw.get("hashValue"), raw.get("hashStatus")
    modified, cases = raw.get("lastModtimestamp"), raw.get("caseNumbers", {})
    if kind not in SIGNAL_TYPES or status not in STATUSES or not isinstance(value, str):
        return None
    if isinstance(modified, bool) or not isinstance(modified, int) or not isinstance(cases, dict):
        return None
    feedbacks = raw.get("CSPFeedbacks") or []
    if not isinstance(feedbacks, list) or not all(
        isinstance(f, dict) and f.get("feedbackValue") in FEEDBACK_VALUES for f in feedbacks
    ):
        return None
    return HashRecord(kind, value, status, modified, {str(k): str(v) for k, v in cases.items()},
                      feedbacks)  # fmt: skip
