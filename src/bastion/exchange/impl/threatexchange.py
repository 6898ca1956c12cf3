"""Meta's ThreatExchange (Graph API threat updates of one privacy group) as an exchange.

Updates are fetched from the checkpoint's time (`start_time`, the latest `last_updated`
seen: the boundary update is fetched again, which changes nothing), following `paging.next`
to its end; an empty page is taken in stride. An update marked `should_delete`, or left with
no descriptor, is a tombstone. Indicator types map as python-threatexchange maps them:
`HASH_PDQ` to `pdq`, `HASH_VIDEO_MD5` (and `HASH_MD5` tagged `media_type_video`) to
`video_md5`, `HASH_MD5` to `md5`, `HASH_SHA256` to `sha256`, `URI` and `RAW_URI` to `url`,
`TEXT_STRING` to `text`; others are skipped. An entry is
named by the indicator's Graph id. Feedback reacts on the update's descriptors: `HELPFUL`
for a true positive, `NOT_HELPFUL` for a false positive, `DISAGREE_WITH_TAGS` when disputed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from bastion.errors import InvalidSignalError, ValidationError
from bastion.exchange.api import Exchange, ExchangeError, FetchPage, JsonObject, Opinion, Record
from bastion.exchange.clients.threatexchange import BASE_URL, ThreatExchangeClient, ThreatUpdate
from bastion.signals import Signal, normalize_signal

SIGNALS = {"HASH_PDQ": "pdq", "HASH_VIDEO_MD5": "video_md5", "HASH_MD5": "md5",
           "HASH_SHA256": "sha256", "URI": "url", "RAW_URI": "url",
           "TEXT_STRING": "text"}  # fmt: skip
REACTION = {Opinion.TRUE_POSITIVE: "HELPFUL", Opinion.FALSE_POSITIVE: "NOT_HELPFUL",
            Opinion.DISPUTED: "DISAGREE_WITH_TAGS"}  # fmt: skip


class ThreatExchangeExchange(Exchange):
    kind: ClassVar[str] = "fb_threatexchange"
    description: ClassVar[str] = "Meta ThreatExchange: threat updates of a privacy group"
    credential_fields: ClassVar[tuple[str, ...]] = ("access_token",)

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        known = {"privacy_group", "base_url", "limit", "timeout", "retries"}
        if unknown := set(config) - known:
            raise ValidationError(
                f"fb_threatexchange: unknown settings {', '.join(sorted(unknown))}"
            )
        group = config.get("privacy_group")
        if isinstance(group, bool) or not isinstance(group, int) or group <= 0:
            raise ValidationError("fb_threatexchange: privacy_group must be the group's id")
        base_url = config.get("base_url", BASE_URL)
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ValidationError("fb_threatexchange: base_url must be an http(s) URL")
        checked: JsonObject = {"privacy_group": group, "base_url": base_url}
        for key, default, low, high in (
            ("limit", 100, 1, 1000),
            ("timeout", 60, 1, 3600),
            ("retries", 4, 0, 10),
        ):
            value = config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(
                    f"fb_threatexchange: {key} must be a whole number {low}-{high:,}"
                )
            checked[key] = value
        return checked

    def _client(self) -> ThreatExchangeClient:
        return ThreatExchangeClient(
            self.credentials["access_token"],
            base_url=self.config["base_url"],
            transport=self.transport,
            timeout=self.config["timeout"],
            retries=self.config["retries"],
            name=self.name,
        )

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        since = (checkpoint or {}).get("update_time")
        highest = int(since) if since is not None else None
        client = self._client()
        group, limit = self.config["privacy_group"], self.config["limit"]
        try:
            page = client.updates(group, start_time=highest, limit=limit)
            while True:
                records, skipped = [], page.malformed
                for update in page.updates:
                    record = _record(update)
                    if record is None:
                        skipped += 1
                        continue
                    records.append(record)
                times = [u.last_updated for u in page.updates]
                if times:
                    highest = max(times + ([highest] if highest is not None else []))
                checkpoint_now = {"update_time": highest} if highest is not None else None
                yield FetchPage(records, checkpoint_now, skipped)
                if page.next is None:
                    return
                page = client.follow(group, page.next)
        finally:
            client.close()

    def send_feedback(self, record: Record, opinion: Opinion, note: str) -> None:
        """A reaction on every descriptor of the update (as fetched)."""
        found = record.metadata.get("threatexchange", {}).get("descriptors", [])
        ids = [str(d["id"]) for d in found if isinstance(d, dict) and d.get("id")]
        if not ids:
            raise ExchangeError(f"{self.name}: {record.upstream_id} has no descriptor to react on")
        client = self._client()
        try:
            for descriptor in ids:
                client.react(descriptor, REACTION[opinion])
        finally:
            client.close()


def _record(update: ThreatUpdate) -> Record | None:
    tags = {t for d in update.descriptors for t in d.tags}
    kind = update.type
    if kind == "HASH_MD5" and "media_type_video" in tags:
        kind = "HASH_VIDEO_MD5"
    type_name = SIGNALS.get(kind)
    if type_name is None:
        return None
    if update.should_delete:
        return Record(update.id, deleted=True)
    try:
        signal = Signal(*normalize_signal(type_name, update.indicator))
    except InvalidSignalError:
        return None
    metadata: JsonObject = {
        "threatexchange": {
            "type": update.type,
            "last_updated": update.last_updated,
            "descriptors": [
                {"id": d.id, "owner": d.owner, "status": d.status, "tags": d.tags}
                for d in update.descriptors
            ],
        }
    }
    return Record(update.id, (signal,), metadata)
