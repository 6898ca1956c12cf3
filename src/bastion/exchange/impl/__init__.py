"""The adapters that fit each source to the exchange interface, by kind name."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from bastion.errors import ValidationError
from bastion.exchange.access import SourceAccess
from bastion.exchange.api import Exchange, JsonObject
from bastion.exchange.impl.federation import BastionExchange
from bastion.exchange.impl.files import FileExchange
from bastion.exchange.impl.ncmec import NcmecExchange
from bastion.exchange.impl.stopncii import StopNciiExchange
from bastion.exchange.impl.threatexchange import ThreatExchangeExchange

#: Every kind of exchange, by its stable name (python-threatexchange's, where it has one).
KINDS: dict[str, type[Exchange]] = {
    cls.kind: cls
    for cls in (
        FileExchange,
        NcmecExchange,
        StopNciiExchange,
        ThreatExchangeExchange,
        BastionExchange,
    )
}


def exchange_class(kind: str) -> type[Exchange]:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValidationError(
            f"unknown exchange kind {kind!r} (known: {', '.join(sorted(KINDS))})"
        ) from None


def make_exchange(
    kind: str,
    name: str,
    config: JsonObject,
    credentials: Mapping[str, str] | None = None,
    *,
    access: SourceAccess | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Exchange:
    return exchange_class(kind)(name, config, credentials, access=access, transport=transport)


__all__ = ["KINDS", "exchange_class", "make_exchange"]
