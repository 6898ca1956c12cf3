"""Another bastion instance as an exchange: a collaboration it publishes to us.

The partner's feed (`bastion.federation.publisher`) starts with a snapshot of everything it
shares, then sends changes. Snapshot pages carry a mark, and the snapshot's last page a
sweep: entries this exchange holds that the snapshot did not mention are deleted, so a bank
the publisher stopped sharing, or entries deleted while we were away, leave. The checkpoint
is the feed's cursor. Every page's Ed25519 signature is checked against the publisher's
public key (setting `public_key`). Signals that are malformed are dropped (an entry left with
none is deleted, not kept wrong); a change that is malformed itself is skipped, and the rest
of its page applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from bastion.errors import InvalidSignalError, ValidationError
from bastion.exchange.api import Exchange, ExchangeError, FetchPage, JsonObject, Opinion, Record
from bastion.exchange.clients.bastion import BastionClient
from bastion.federation.signing import check_public_key
from bastion.signals import Signal, normalize_signal


class BastionExchange(Exchange):
    kind: ClassVar[str] = "bastion"
    description: ClassVar[str] = (
        "A collaboration another bastion instance publishes to you (signed feed, feedback)"
    )
    credential_fields: ClassVar[tuple[str, ...]] = ("api_key",)

    @classmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        known = {"url", "collab", "public_key", "limit", "timeout", "retries"}
        if unknown := set(config) - known:
            raise ValidationError(f"bastion: unknown settings {', '.join(sorted(unknown))}")
        url = config.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValidationError("bastion: 'url' must be the publisher's http(s) base URL")
        collab = config.get("collab")
        if not isinstance(collab, str) or not collab:
            raise ValidationError("bastion: 'collab' must name the publisher's collaboration")
        checked: JsonObject = {
            "url": url.rstrip("/"),
            "collab": collab,
            "public_key": check_public_key(config.get("public_key")),
        }
        for key, default, low, high in (
            ("limit", 5000, 1, 10_000),
            ("timeout", 60, 1, 3600),
            ("retries", 4, 0, 10),
        ):
            value = config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(f"bastion: {key} must be a whole number {low}-{high:,}")
            checked[key] = value
        return checked

    def _client(self) -> BastionClient:
        return BastionClient(
            self.config["url"],
            self.config["collab"],
            self.credentials["api_key"],
            self.config["public_key"],
            transport=self.transport,
            timeout=self.config["timeout"],
            retries=self.config["retries"],
            name=self.name,
        )

    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        cursor = (checkpoint or {}).get("cursor")
        client = self._client()
        try:
            while True:
                page = client.changes(cursor, self.config["limit"])
                records, skipped = self._records(page.changes)
                yield FetchPage(
                    records, {"cursor": page.cursor}, skipped, mark=page.mark, sweep=page.sweep
                )
                if not page.more:
                    return
                if page.cursor == cursor and not page.changes:
                    raise ExchangeError(f"{self.name}: the feed does not move on from its cursor")
                cursor = page.cursor
        finally:
            client.close()

    def _records(self, changes: list[Any]) -> tuple[list[Record], int]:
        records: list[Record] = []
        skipped = 0
        for change in changes:
            upstream_id = _entry_id(change)
            op = change.get("op") if upstream_id is not None else None
            if upstream_id is None or op not in ("delete", "upsert"):
                skipped += 1  # not a change this instance understands
                continue
            if op == "delete":
                records.append(Record(upstream_id, deleted=True))
                continue
            signals = _signals(change.get("signals"))
            if not signals:
                skipped += 1
            given = change.get("metadata")
            metadata: JsonObject = dict(given) if isinstance(given, dict) else {}
            metadata["federation"] = {
                "bank": change.get("bank"),
                "updated_at": change.get("updated_at"),
            }
            records.append(Record(upstream_id, signals, metadata))
        return records, skipped

    def send_feedback(self, record: Record, opinion: Opinion, note: str) -> None:
        client = self._client()
        try:
            client.send_feedback(record.upstream_id, opinion.value, note)
        finally:
            client.close()


def _entry_id(change: Any) -> str | None:
    """The publisher's entry id of a change (decimal digits), or None."""
    if not isinstance(change, dict):
        return None
    found = change.get("id")
    if isinstance(found, bool) or not isinstance(found, int | str):
        return None
    text = str(found)
    return text if text.isascii() and text.isdecimal() and len(text) <= 20 else None


def _signals(raw: Any) -> tuple[Signal, ...]:
    if not isinstance(raw, list):
        return ()
    found: list[Signal] = []
    for item in raw:
        if not isinstance(item, list) or len(item) != 3:
            continue
        type_name, value, quality = item
        if not isinstance(type_name, str) or not isinstance(value, str):
            continue
        try:
            canonical = Signal(*normalize_signal(type_name, value))
        except InvalidSignalError:
            continue  # unknown type or malformed value: dropped, the rest kept
        ok_quality = (
            isinstance(quality, int) and not isinstance(quality, bool) and 0 <= quality <= 100
        )
        found.append(Signal(canonical.type, canonical.value, quality if ok_quality else None))
    return tuple(found)
