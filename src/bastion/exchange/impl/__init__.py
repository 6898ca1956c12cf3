"""The adapters that fit each source to the exchange interface, by kind name.

Kinds are the built-in adapters below and those other packages add: a distribution
registers an `Exchange` subclass under the entry point group `bastion.exchanges`, named by
its kind (docs/plugins.md). `exchange_kinds()` discovers them once, and checks there that
every name is taken once and names an `Exchange` of that kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

import httpx

from bastion.errors import ConfigurationError, ValidationError
from bastion.exchange.access import SourceAccess
from bastion.exchange.api import Exchange, JsonObject
from bastion.exchange.impl.federation import BastionExchange
from bastion.exchange.impl.files import FileExchange
from bastion.exchange.impl.ncmec import NcmecExchange
from bastion.exchange.impl.stopncii import StopNciiExchange
from bastion.exchange.impl.threatexchange import ThreatExchangeExchange

#: The entry point group other packages register exchange kinds in.
ENTRY_POINT_GROUP = "bastion.exchanges"
#: The kinds bastion ships (their names are python-threatexchange's, where it has one).
BUILT_IN: tuple[type[Exchange], ...] = (
    FileExchange,
    NcmecExchange,
    StopNciiExchange,
    ThreatExchangeExchange,
    BastionExchange,
)


def kinds_from(plugins: Iterable[EntryPoint]) -> dict[str, type[Exchange]]:
    """The built-in kinds and those `plugins` register, by name. ConfigurationError when a
    name is taken twice, or an entry point does not load an `Exchange` of its name's kind."""
    kinds: dict[str, type[Exchange]] = {cls.kind: cls for cls in BUILT_IN}
    origin = dict.fromkeys(kinds, "bastion")
    for point in plugins:
        where = f"entry point {point.name!r} of {_distribution(point)} ({point.value})"
        try:
            cls = point.load()
        except Exception as e:
            raise ConfigurationError(f"exchange kind {where} cannot be loaded: {e}") from e
        if not (isinstance(cls, type) and issubclass(cls, Exchange)):
            raise ConfigurationError(f"exchange kind {where} is not an Exchange subclass")
        if cls.kind != point.name:
            raise ConfigurationError(
                f"exchange kind {where} names kind {cls.kind!r}: register it as {cls.kind!r}"
            )
        if cls.kind in kinds:
            raise ConfigurationError(
                f"exchange kind {cls.kind!r} is registered twice: by {origin[cls.kind]} "
                f"and by {where}; uninstall one of them"
            )
        kinds[cls.kind] = cls
        origin[cls.kind] = _distribution(point)
    return kinds


@cache
def exchange_kinds() -> Mapping[str, type[Exchange]]:
    """Every kind of exchange, built in or installed (group `bastion.exchanges`), by name;
    discovered on the first call, which the composition root makes at start-up so that a
    clash fails there."""
    return MappingProxyType(kinds_from(entry_points(group=ENTRY_POINT_GROUP)))


def exchange_class(kind: str) -> type[Exchange]:
    kinds = exchange_kinds()
    try:
        return kinds[kind]
    except KeyError:
        raise ValidationError(
            f"unknown exchange kind {kind!r} (known: {', '.join(sorted(kinds))})"
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


def _distribution(point: EntryPoint) -> str:
    dist = point.dist
    return f"package {dist.name}" if dist is not None else "an unnamed package"


__all__ = [
    "BUILT_IN",
    "ENTRY_POINT_GROUP",
    "exchange_class",
    "exchange_kinds",
    "kinds_from",
    "make_exchange",
]
