"""A client for Meta's ThreatExchange Graph API, as python-threatexchange's
`fb_threatexchange` exchange reads it.

`GET {base}/{privacy group}/threat_updates/?access_token=&fields=&limit=&start_time=`
answers `{"data": [...], "paging": {"next": URL}}`; each update has `id`, `indicator`,
`type`, `last_updated` (Unix seconds), `should_delete` and `descriptors.data` (each with
`id`, `owner.id`, `status`, `tags`). The `next` link is followed only to the same host as
the base URL, with the access token put back in by this client (Graph's links carry it;
a link elsewhere would hand the token to another host). Reactions are `POST
{base}/{descriptor id}/?reactions=...`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bastion.exchange.api import ExchangeError
from bastion.exchange.clients.http import HttpSession

BASE_URL = "https://graph.facebook.com/v21.0"
FIELDS = (
    "id,indicator,type,last_updated,should_delete,"
    "descriptors{id,reactions,my_reactions,owner{id},tags,status,added_on}"
)
REACTIONS = ("HELPFUL", "NOT_HELPFUL", "OUTDATED", "SAW_THIS_TOO", "WANT_MORE_INFO",
             "DISAGREE_WITH_TAGS")  # fmt: skip


@dataclass(frozen=True)
class Descriptor:
    id: str
    owner: str
    status: str
    tags: list[str]


@dataclass(frozen=True)
class ThreatUpdate:
    id: str
    indicator: str
    type: str
    last_updated: int
    should_delete: bool
    descriptors: list[Descriptor] = field(default_factory=list)


@dataclass(frozen=True)
class UpdatesPage:
    updates: list[ThreatUpdate]
    malformed: int
    #: The `paging.next` link as sent (checked only when it is followed).
    next: str | None


class ThreatExchangeClient:
    def __init__(
        self,
        token: str,
        *,
        base_url: str = BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        name: str = "fb_threatexchange",
    ) -> None:
        self.name, self._token = name, token
        self._base = urlsplit(base_url.rstrip("/"))
        self._http = HttpSession(
            name, base_url.rstrip("/"), transport=transport, timeout=timeout, retries=retries
        )

    def updates(self, privacy_group: int, *, start_time: int | None, limit: int) -> UpdatesPage:
        """The first page of updates since `start_time`."""
        params: dict[str, Any] = {"fields": FIELDS, "limit": limit}
        if start_time is not None:
            params["start_time"] = start_time
        return self._get(privacy_group, params)

    def follow(self, privacy_group: int, link: str) -> UpdatesPage:
        """The page a `paging.next` link names, if it is one of this group's pages."""
        return self._get(privacy_group, self._next(link, privacy_group))

    def _get(self, privacy_group: int, params: dict[str, Any]) -> UpdatesPage:
        params = {**params, "access_token": self._token}
        reply = self._http.request("GET", f"/{privacy_group}/threat_updates/", params=params)
        doc = reply.json()
        if not isinstance(doc, dict):
            raise ExchangeError(f"{self.name}: threat_updates: not a JSON object")
        updates: list[ThreatUpdate] = []
        malformed = 0
        for raw in doc.get("data") or []:
            update = _update(raw)
            if update is None:
                malformed += 1
            else:
                updates.append(update)
        paging = doc.get("paging")
        link = paging.get("next") if isinstance(paging, dict) else None
        return UpdatesPage(updates, malformed, str(link) if link else None)

    def react(self, descriptor_id: str, reaction: str) -> None:
        if reaction not in REACTIONS:
            raise ExchangeError(f"{self.name}: ThreatExchange has no reaction {reaction!r}")
        self._http.request(
            "POST",
            f"/{descriptor_id}/",
            params={"access_token": self._token, "reactions": reaction},
        )

    def close(self) -> None:
        self._http.close()

    def _next(self, next_link: str, privacy_group: int) -> dict[str, str]:
        link = urlsplit(next_link)
        expected = self._base.path.rstrip("/") + f"/{privacy_group}/threat_updates/"
        if (link.scheme, link.netloc) != (self._base.scheme, self._base.netloc) or (
            link.path.rstrip("/") != expected.rstrip("/")
        ):
            raise ExchangeError(f"{self.name}: a paging link to somewhere else was refused")
        return {k: v[-1] for k, v in parse_qs(link.query).items() if k != "access_token"}


def _update(raw: Any) -> ThreatUpdate | None:
    if not isinstance(raw, dict):
        return None
    try:
        updated = int(raw["last_updated"])
        update_id, indicator, kind = str(raw["id"]), str(raw["indicator"]), str(raw["type"])
    except (KeyError, TypeError, ValueError):
        return None
    descriptors: list[Descriptor] = []
    data = (
        raw.get("descriptors", {}).get("data", [])
        if isinstance(raw.get("descriptors"), dict)
        else []
    )
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("owner"), dict):
            continue
        tags = item.get("tags") or []
        if isinstance(tags, dict):
            tags = [t.get("text", "") for t in tags.get("data", []) if isinstance(t, dict)]
        descriptors.append(
            Descriptor(
                id=str(item.get("id", "")),
                owner=str(item["owner"].get("id", "")),
                status=str(item.get("status", "")),
                tags=[str(t) for t in tags if t],
            )
        )
    # A record without descriptors is a deletion (python-threatexchange's issue #834).
    deleted = bool(raw.get("should_delete")) or "descriptors" not in raw or not descriptors
    return ThreatUpdate(update_id, indicator, kind, updated, deleted, descriptors)
