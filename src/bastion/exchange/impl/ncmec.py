"""NCMEC's hash sharing as an exchange: entries fetched by time window, resumable mid-window.

A sync walks time windows from the checkpoint to a little before now (`lag_seconds`, so an
entry stamped just before the query but committed after it is not missed), and within each
window follows NCMEC's paging to its end: no part of a window is ever skipped. Every page's
checkpoint names the window and the next page, so a sync that stops mid-window resumes at
that page (a paging link older than 12 hours is not trusted; the window is read again,
which repeats nothing since entries are keyed by member and id). Windows adapt: one whose
first page announces more than 100,000 entries is retried four times narrower before
anything is applied, and one with fewer than 1,000 doubles the next (up to a year), so a
first sync over years of history takes hundreds of requests, not tens of thousands.

Images give `md5`, `sha1`, `pdq` and `photodna` signals, videos `video_md5` and `sha1`;
NetClean and Videntifier values are kept as opaque signals. Fingerprints bastion does not
know are named in the metadata. Tombstones (`deletedImage`, `deletedVideo`) delete the
entry. Feedback agrees or disagrees per fingerprint.
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
from bastion.exchange.clients.ncmec import ENVIRONMENTS, EntriesPage, NcmecClient, NcmecEntry
from bastion.signals import Signal, normalize_signal

#: NCMEC fingerprint elements, by entry kind, to bastion signal types.
SIGNALS = {
    "image": {"md5": "md5", "sha1": "sha1", "pdq": "pdq", "pdna": "photodna",
              "netclean": "netclean"},
    "video": {"md5": "video_md5", "sha1": "sha1", "videntifier": "videntifier"},
}  # fmt: skip
#: bastion signal types to the fingerprint names NCMEC's feedback paths use.
FEEDBACK_TYPES = {
    "md5": "MD5", "video_md5": "MD5", "sha1": "SHA1", "pdq": "PDQ", "photodna": "PDNA",
    "netclean": "NETCLEAN", "videntifier": "VIDENTIFIER",
}  # fmt: skip
DAY = 86_400
MIN_WINDOW, MAX_WINDOW = 60, 365 * DAY
#: A window announcing more entries than this is narrowed before it is read.
BIG_WINDOW = 100_000
SMALL_WINDOW = 1_000
#: How long a paging link is trusted after it was saved.
PAGING_TTL = 12 * 3600


class NcmecExchange(Exchange):
    kind: ClassVar[str] = "ncmec"
    description: ClassVar[str] = "NCMEC Hash Sharing API v2 (images and videos, with feedback)"
    credential_fields: ClassVar[tuple[str, ...]] = ("username", "password")

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        known = {"environment", "base_url", "only_esp_ids", "start", "lag_seconds",
                 "false_positive_reason", "timeout", "retries"}  # fmt: skip
        if unknown := set(config) - known:
            raise ValidationError(f"ncmec: unknown settings {', '.join(sorted(unknown))}")
        environment = config.get("environment", "Industry")
        if environment not in ENVIRONMENTS:
            raise ValidationError(f"ncmec: environment must be one of {', '.join(ENVIRONMENTS)}")
        base_url = config.get("base_url") or ENVIRONMENTS[environment]
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ValidationError("ncmec: base_url must be an http(s) URL")
        only = config.get("only_esp_ids", [])
        if not isinstance(only, list) or not all(isinstance(i, int) for i in only):
            raise ValidationError("ncmec: only_esp_ids must be a list of member ids")
        numbers = {"start": 0, "lag_seconds": 300, "timeout": 60, "retries": 4}
        checked: JsonObject = {
            "environment": environment,
            "base_url": base_url,
            "only_esp_ids": only,
            "false_positive_reason": config.get("false_positive_reason"),
        }
        for key, default in numbers.items():
            value = config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"ncmec: {key} must be a whole number, 0 or more")
            checked[key] = value
        return checked

    def _client(self) -> NcmecClient:
        return NcmecClient(
            self.config["base_url"],
            self.credentials["username"],
            self.credentials["password"],
            transport=self.transport,
            timeout=self.config["timeout"],
            retries=self.config["retries"],
            name=self.name,
        )

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        state = dict(checkpoint or {"from": self.config["start"], "window": DAY})
        end = int(time.time()) - self.config["lag_seconds"]
        client = self._client()
        try:
            start, window = int(state["from"]), int(state.get("window", DAY))
            resume = state.get("next") if time.time() - state.get("at", 0) < PAGING_TTL else None
            while start < end:
                stop = int(state["to"]) if resume else min(end, start + window)
                if resume:
                    page = client.next_page(str(resume))
                    resume = None
                else:
                    page = client.entries(start, stop)
                    if (page.total or 0) > BIG_WINDOW and stop - start > MIN_WINDOW:
                        window = max(MIN_WINDOW, (stop - start) // 4)
                        continue  # nothing applied: read a narrower window instead
                seen = 0
                while True:
                    seen += len(page.entries)
                    records, skipped = self._records(page)
                    if page.next is None:
                        break
                    yield FetchPage(
                        records,
                        {"from": start, "to": stop, "next": page.next, "at": int(time.time()),
                         "window": window},
                        skipped,
                    )  # fmt: skip
                    page = client.next_page(page.next)
                if seen < SMALL_WINDOW:
                    window = min(MAX_WINDOW, max(window, stop - start) * 2)
                yield FetchPage(records, {"from": stop, "window": window}, skipped)
                start = stop
                state = {"from": start, "window": window}
        finally:
            client.close()

    def _records(self, page: EntriesPage) -> tuple[list[Record], int]:
        only = set(self.config["only_esp_ids"])
        records: list[Record] = []
        skipped = 0
        for entry in page.entries:
            if only and entry.member_id not in only:
                skipped += 1
                continue
            record = _record(entry)
            if not record.deleted and not record.signals:
                skipped += 1
            records.append(record)
        return records, skipped

    def send_feedback(self, record: Record, opinion: Opinion, note: str) -> None:
        """A vote on each of the record's fingerprints that NCMEC takes feedback on."""
        member, _, entry_id = record.upstream_id.partition("-")
        if not member.isdigit() or not entry_id:
            raise ExchangeError(f"{self.name}: {record.upstream_id!r} is not an NCMEC entry id")
        signals = record.signals
        if opinion is Opinion.DISPUTED:
            raise FeedbackNotSupported(f"{self.name}: NCMEC takes agreement or disagreement only")
        fingerprints = sorted({FEEDBACK_TYPES[s.type] for s in signals if s.type in FEEDBACK_TYPES})
        if not fingerprints:
            kinds = ", ".join(sorted({s.type for s in signals})) or "no signals"
            raise FeedbackNotSupported(f"{self.name}: NCMEC takes no feedback on {kinds}")
        client = self._client()
        try:
            for fingerprint in fingerprints:
                reason = None
                if opinion is Opinion.FALSE_POSITIVE:
                    reason = self.config["false_positive_reason"] or self._only_reason(
                        client, fingerprint
                    )
                client.send_feedback(
                    int(member),
                    entry_id,
                    fingerprint,
                    agree=opinion is Opinion.TRUE_POSITIVE,
                    reason=reason,
                )
        finally:
            client.close()

    def _only_reason(self, client: NcmecClient, fingerprint: str) -> str:
        reasons = client.feedback_reasons(fingerprint)
        if len(reasons) != 1:
            named = ", ".join(f"{guid} ({name})" for guid, name in reasons.items()) or "none"
            raise ExchangeError(
                f"{self.name}: set false_positive_reason to one of NCMEC's reasons: {named}"
            )
        return next(iter(reasons))


def _record(entry: NcmecEntry) -> Record:
    if entry.deleted:
        return Record(entry.key, deleted=True)
    signals: list[Signal] = []
    unknown: list[str] = []
    for tag, value in sorted(entry.fingerprints.items()):
        type_name = SIGNALS[entry.kind].get(tag)
        if type_name is None:
            unknown.append(tag)
            continue
        try:
            signals.append(Signal(*normalize_signal(type_name, value)))
        except InvalidSignalError:
            unknown.append(tag)  # a malformed value is kept out, and named
    metadata: JsonObject = {
        "ncmec": {
            "member_id": entry.member_id,
            "member": entry.member,
            "kind": entry.kind,
            "classification": entry.classification,
            "timestamp": entry.timestamp,
        }
    }
    if unknown:
        metadata["ncmec"]["other_fingerprints"] = unknown
    return Record(entry.key, tuple(signals), metadata)
