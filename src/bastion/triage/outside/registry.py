"""The kinds of outside service bastion can ask, from the entry points of
``bastion.outside_services``: each names a class (or callable) that takes a `ServiceConfig`
and returns an `OutsideService`, and may say the credential fields it needs
(`credential_fields`) and its public address (`default_url`). bastion's own are ``photodna``,
``arachnid`` and ``google_csai``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

from bastion.errors import ConfigurationError, ValidationError

#: The entry point group through which distributions add outside services.
ENTRY_POINT_GROUP = "bastion.outside_services"


def service_kinds() -> Mapping[str, EntryPoint]:
    """Every kind installed, by name (not loaded)."""
    return MappingProxyType(_by_name(entry_points(group=ENTRY_POINT_GROUP)))


def service_class(kind: str) -> Any:
    """The class of `kind`, loaded; a clear error naming the kinds installed."""
    kinds = service_kinds()
    point = kinds.get(kind)
    if point is None:
        raise ValidationError(
            f"unknown outside service kind {kind!r} (one of {', '.join(sorted(kinds))})"
        )
    try:
        return point.load()
    except ImportError as e:
        raise ConfigurationError(f"outside service {kind!r} cannot load: {e}") from None


def _by_name(points: Iterable[EntryPoint]) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in points:
        other = found.get(point.name)
        if other is not None and other.value != point.value:
            raise ConfigurationError(
                f"two plugins offer the outside service {point.name!r}: {other.value} and "
                f"{point.value}"
            )
        found[point.name] = point
    return found
