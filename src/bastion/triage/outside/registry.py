"""The kinds of outside service bastion can ask, from the entry points of
``bastion.outside_services``: each names a callable that takes a `ServiceConfig` and returns
an `OutsideService`. bastion's own are ``photodna``, ``arachnid`` and ``google_csai``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bastion.errors import ConfigurationError

if TYPE_CHECKING:
    from bastion.triage.outside import OutsideService

#: The entry point group through which distributions add outside services.
ENTRY_POINT_GROUP = "bastion.outside_services"

Factory = Callable[[Any], "OutsideService"]


def service_kinds() -> Mapping[str, Factory]:
    """Every kind installed, by name: a factory of clients from a `ServiceConfig`."""
    return MappingProxyType(_kinds(entry_points(group=ENTRY_POINT_GROUP)))


def _kinds(points: Iterable[EntryPoint]) -> dict[str, Factory]:
    found: dict[str, EntryPoint] = {}
    for point in points:
        other = found.get(point.name)
        if other is not None and other.value != point.value:
            raise ConfigurationError(
                f"two plugins offer the outside service {point.name!r}: {other.value} and "
                f"{point.value}"
            )
        found[point.name] = point
    return {name: _lazy(point) for name, point in found.items()}


def _lazy(point: EntryPoint) -> Factory:
    def make(config: Any) -> OutsideService:
        factory: Factory = point.load()
        return factory(config)

    return make
