"""StopNCII as an exchange: hashes that people submitted of their own intimate images.

Records are fetched from the checkpoint's timestamp, page by page with StopNCII's
continuation token; the next sync starts from the last page's `nextSetTimestamp`. A paging
token is kept in the checkpoint while paging, and trusted for an hour. A record whose
`hashStatus` is `Withdrawn` or `Deleted` is a tombstone (python-threatexchange compares the
hash value there by mistake and never deletes). `ImagePDQ` gives `pdq`, `VideoMD5`
`video_md5`, `URL` `url` and `Text` `text`; `VideoTMK` records are skipped. Feedback: a
true positive is `Blocked`, a false positive `NotBlocked`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import ClassVar

from bastion.errors import InvalidSignalError, ValidationError
from bastion.exchange.api import (
    Exchange,
    ExchangeError,
    FeedbackNotSupported,
    FetchPage,
    JsonObject,
    Opinion,
    Record,
)
from bastion.exchange.clients.stopncii import BASE_URL, HashPage, HashRecord, StopNciiClient
from bastion.signals import Signal, normalize_signal

SIGNALS = {"ImagePDQ": "pdq", "VideoMD5": "video_md5", "URL": "url", "Text": "text"}
FEEDBACK = {Opinion.TRUE_POSITIVE: "Blocked", Opinion.FALSE_POSITIVE: "NotBlocked"}
TOKEN_TTL = 3600
#: pytx's default first timestamp.
FIRST = 10


class StopNciiExchange(Exchange):
    kind: ClassVar[str] = "stop_ncii"
    description: ClassVar[str] = "StopNCII hashes (PDQ images, MD5 videos), with feedback"
    credential_fields: ClassVar[tuple[str, ...]] = ("subscription_key", "fetch_key")

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        known = {"base_url", "page_size", "timeout", "retries"}
        if unknown := set(config) - known:
            raise ValidationError(f"stop_ncii: unknown settings {', '.join(sorted(unknown))}")
        base_url = config.get("base_url", BASE_URL)
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ValidationError("stop_ncii: base_url must be an http(s) URL")
        checked: JsonObject = {"base_url": base_url}
        for key, default, low, high in (
            ("page_size", 800, 1, 5000),
            ("timeout", 60, 1, 3600),
            ("retries", 4, 0, 10),
        ):
            value = config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(f"stop_ncii: {key} must be a whole number {low}-{high:,}")
            checked[key] = value
        return checked

    def _client(self) -> StopNciiClient:
        return StopNciiClient(
            self.credentials["subscription_key"],
            self.credentials["fetch_key"],
            feedback_key=self.credentials.get("feedback_key"),
            base_url=self.config["base_url"],
            transport=self.transport,
            timeout=self.config["timeout"],
            retries=self.config["retries"],
            name=self.name,
        )

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        state = checkpoint or {"start": FIRST}
        start = int(state.get("start", FIRST))
        fresh = time.time() - state.get("at", 0) < TOKEN_TTL
        token = state.get("token") if fresh else None
        client = self._client()
        try:
            while True:
                page = client.fetch(start, token, self.config["page_size"])
                records, skipped = self._records(page)
                if page.more:
                    if not page.token or page.token == token:
                        raise ExchangeError(f"{self.name}: more records, but no new page token")
                    token = page.token
                    after = {"start": start, "token": token, "at": int(time.time())}
                    yield FetchPage(records, after, skipped)
                    continue
                yield FetchPage(records, {"start": max(start, page.next_start)}, skipped)
                return
        finally:
            client.close()

    def _records(self, page: HashPage) -> tuple[list[Record], int]:
        records: list[Record] = []
        skipped = page.malformed
        for record in page.records:
            converted = _record(record)
            if converted is None:
                skipped += 1
            else:
                records.append(converted)
        return records, skipped

    def send_feedback(self, record: Record, opinion: Opinion, note: str) -> None:
        feedback = FEEDBACK.get(opinion)
        if feedback is None:
            raise FeedbackNotSupported(f"{self.name}: StopNCII takes Blocked or NotBlocked only")
        _, _, value = record.upstream_id.partition(":")
        if not value:
            raise ExchangeError(f"{self.name}: {record.upstream_id!r} is not a StopNCII record id")
        client = self._client()
        try:
            client.submit_feedback(value, feedback, [])
        finally:
            client.close()


def _record(record: HashRecord) -> Record | None:
    type_name = SIGNALS.get(record.signal_type)
    if type_name is None:
        return None
    upstream_id = f"{record.signal_type}:{record.value}"
    if record.status in ("Withdrawn", "Deleted"):
        return Record(upstream_id, deleted=True)
    try:
        signal = Signal(*normalize_signal(type_name, record.value))
    except InvalidSignalError:
        return None
    metadata: JsonObject = {
        "stopncii": {
            "status": record.status,
            "cases": record.cases,
            "feedbacks": record.feedbacks,
            "modified": record.modified,
        }
    }
    return Record(upstream_id, (signal,), metadata)
