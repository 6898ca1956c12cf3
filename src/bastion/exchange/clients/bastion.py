"""A client for another bastion's federation feed (`/v1/exchange/{collab}/...`).

Every page's signature is checked against the publisher's public key before anything in it
is read; a page that does not verify, or is not the feed document bastion publishes, raises
`ExchangeError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from bastion.exchange.api import ExchangeError
from bastion.exchange.clients.http import HttpSession
from bastion.federation.signing import HEADER, verify

FEED_VERSION = 1


@dataclass(frozen=True)
class FeedPage:
    changes: list[dict[str, Any]]
    cursor: str
    more: bool
    mark: int | None
    sweep: int | None


class BastionClient:
    def __init__(
        self,
        base_url: str,
        collab: str,
        api_key: str,
        public_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        name: str = "bastion",
    ) -> None:
        self.name, self._collab, self._public = name, collab, public_key
        self._http = HttpSession(
            name,
            base_url.rstrip("/"),
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            retries=retries,
        )
        self._path = f"/v1/exchange/{quote(collab, safe='')}"

    def changes(self, cursor: str | None, limit: int) -> FeedPage:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        reply = self._http.request("GET", f"{self._path}/changes", params=params)
        if not verify(self._public, reply.body, reply.headers.get(HEADER)):
            raise ExchangeError(
                f"{self.name}: the page's signature does not verify with the configured "
                "public_key (not from that publisher, or changed on the way)"
            )
        try:
            doc = json.loads(reply.body)
        except ValueError:
            raise ExchangeError(f"{self.name}: the page is not JSON") from None
        return self._page(doc)

    def send_feedback(self, entry_id: str, opinion: str, note: str) -> None:
        self._http.request(
            "POST",
            f"{self._path}/feedback",
            body={"id": entry_id, "opinion": opinion, "note": note},
        )

    def close(self) -> None:
        self._http.close()

    def _page(self, doc: Any) -> FeedPage:
        ok = (
            isinstance(doc, dict)
            and doc.get("version") == FEED_VERSION
            and doc.get("collab") == self._collab
            and isinstance(doc.get("changes"), list)
            and isinstance(doc.get("cursor"), str)
            and isinstance(doc.get("more"), bool)
        )
        if not ok:
            raise ExchangeError(f"{self.name}: not a bastion feed page for {self._collab!r}")
        marks = [doc.get("mark"), doc.get("sweep")]
        if not all(m is None or (isinstance(m, int) and not isinstance(m, bool)) for m in marks):
            raise ExchangeError(f"{self.name}: a feed page with a malformed mark")
        return FeedPage(
            doc["changes"], doc["cursor"], doc["more"], doc.get("mark"), doc.get("sweep")
        )
