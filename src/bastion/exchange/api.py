"""The exchange interface: what every source of shared signals implements.

An `Exchange` is the adapter between one external API (or file, or partner instance) and a
bank. `fetch` reads from a checkpoint and yields `FetchPage`s in order: records added or
changed upstream (`Record`), and tombstones (`Record.deleted`), each keyed by the id the
source gives it, with the checkpoint that is true once the page is applied. The sync engine
(`bastion.exchange.sync`) applies a page and stores its checkpoint in one transaction, so a
crash loses nothing and repeats nothing. An exchange that can only hand over its whole list
(a file) says so with `full_list`: what a complete fetch did not mention is deleted.
`Record` and `Opinion` are values of the banks they fill (`bastion.banks.model`), which
this module re-exports.

`send_feedback` sends an opinion on a fetched record back upstream, where the source takes
feedback. Raw HTTP clients live in `bastion.exchange.clients`, apart from the adapters in
`bastion.exchange.impl`; both take an injectable `httpx` transport. What an exchange may
read, files and network addresses, is its `SourceAccess` (`bastion.exchange.access`):
checked as it is added (`check_sources`) and again whenever it reads.

The names of kinds (`ncmec`, `stop_ncii`, `fb_threatexchange`, `local_file`) are
python-threatexchange's, so collaboration settings read the same.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from bastion.banks.model import Opinion, Record
from bastion.errors import BastionError
from bastion.exchange.access import SourceAccess

JsonObject = dict[str, Any]


class ExchangeError(BastionError):
    """A source failed: unreachable, refused our credentials, or sent something malformed.
    The message names the source and never a credential."""

    code = "exchange-failed"


class ExchangeAuthError(ExchangeError):
    """The source refused the credentials (expired, revoked, wrong)."""

    code = "exchange-auth"


class FeedbackNotSupported(ExchangeError):
    code = "feedback-not-supported"


@dataclass(frozen=True)
class FetchPage:
    """Records in the source's order, and the checkpoint once they are applied."""

    records: list[Record]
    checkpoint: JsonObject | None
    #: Records the source sent that could not be used (unknown or malformed signals).
    skipped: int = 0
    #: For a source that re-sends its whole state now and then (a partner's snapshot):
    #: entries this page mentions are marked with this number...
    mark: int | None = None
    #: ...and after this page, entries of the exchange not marked with this number go.
    sweep: int | None = None


class Exchange(ABC):
    """An adapter for one kind of source. Construct with `from_config`."""

    kind: ClassVar[str]
    description: ClassVar[str]
    #: True when every fetch hands over the whole list: records a complete fetch did not
    #: mention are deleted.
    full_list: ClassVar[bool] = False
    #: The credential fields the kind needs, e.g. ("username", "password").
    credential_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        name: str,
        config: JsonObject,
        credentials: Mapping[str, str] | None = None,
        *,
        access: SourceAccess | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self.config = self.check_config(config)
        self.credentials = dict(credentials or {})
        missing = [f for f in self.credential_fields if not self.credentials.get(f)]
        if missing:
            raise ExchangeAuthError(f"{name}: missing credentials: {', '.join(missing)}")
        self.access = access or SourceAccess()
        self._transport = transport

    @property
    def transport(self) -> httpx.BaseTransport:
        """The transport for one client: the one injected (a test's), else a new one that
        checks every address the client reaches (`SourceAccess.transport`)."""
        if self._transport is not None:
            return self._transport
        return self.access.transport(self.name)

    @classmethod
    @abstractmethod
    def check_config(cls, config: JsonObject) -> JsonObject:
        """The config, checked and with defaults filled in; ValidationError if unusable."""

    @classmethod
    def check_sources(cls, config: JsonObject, access: SourceAccess) -> JsonObject:
        """`config` (as `check_config` returned it), its URLs (`url`, `base_url`) checked
        against `access` as the exchange is added; ValidationError if one may not be
        reached. Every request is checked again when it is sent."""
        for key in ("url", "base_url"):
            if isinstance(config.get(key), str):
                access.check_url(config[key], f"{cls.kind}: {key}")
        return config

    @abstractmethod
    def fetch(self, checkpoint: JsonObject | None) -> Iterator[FetchPage]:
        """Pages from `checkpoint` (None: from the beginning) until up to date."""

    def send_feedback(self, record: Record, opinion: Opinion, note: str) -> None:
        """Send `opinion` on a record (as it was fetched: id, signals, metadata) back to its
        source. FeedbackNotSupported when the source takes no such feedback."""
        raise FeedbackNotSupported(f"{self.name}: {self.kind} takes no feedback")


__all__ = [
    "Exchange",
    "ExchangeAuthError",
    "ExchangeError",
    "FeedbackNotSupported",
    "FetchPage",
    "JsonObject",
    "Opinion",
    "Record",
]
