"""Signal types: one module per hash algorithm, all behind `SignalType`.

Each type's short `name` is its storage and exchange key. Besides the built-in types, any
installed distribution may add types through the entry point group ``bastion.signal_types``
(docs/plugins.md); `signal_types()` reads them once and checks every name unique.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

from bastion.errors import ConfigurationError, UnknownSignalTypeError
from bastion.signals.base import (
    KEY_LENGTH,
    Candidate,
    Content,
    Deferred,
    FileDigestSignalType,
    HexDigestSignalType,
    ImageHash,
    Judge,
    MatchKind,
    RgbPixels,
    Signal,
    SignalType,
    ValueReader,
    Verdict,
    VideoHasher,
)
from bastion.signals.md5 import Md5Signal
from bastion.signals.opaque import NetCleanSignal, PhotoDnaSignal, VidentifierSignal
from bastion.signals.options import HashingOptions, MatchingOptions
from bastion.signals.orb import OrbIndex, OrbSignal
from bastion.signals.pdq import PdqSignal
from bastion.signals.sha1 import Sha1Signal
from bastion.signals.sha256 import Sha256Signal
from bastion.signals.text import TextSignal
from bastion.signals.tmk import TmkIndex, TmkPdqfSignal
from bastion.signals.url import UrlSignal
from bastion.signals.video_md5 import VideoMd5Signal
from bastion.signals.vpdq import FrameIndex, VpdqSignal
from bastion.vpdq import VpdqFeature

__all__ = [
    "BUILT_IN_TYPES",
    "ENTRY_POINT_GROUP",
    "KEY_LENGTH",
    "SIGNAL_TYPES",
    "Candidate",
    "Content",
    "Deferred",
    "FileDigestSignalType",
    "FrameIndex",
    "HashingOptions",
    "HexDigestSignalType",
    "ImageHash",
    "Judge",
    "MatchKind",
    "MatchingOptions",
    "Md5Signal",
    "NetCleanSignal",
    "OrbIndex",
    "OrbSignal",
    "PdqSignal",
    "PhotoDnaSignal",
    "RgbPixels",
    "Sha1Signal",
    "Sha256Signal",
    "Signal",
    "SignalType",
    "TextSignal",
    "TmkIndex",
    "TmkPdqfSignal",
    "UrlSignal",
    "ValueReader",
    "Verdict",
    "VidentifierSignal",
    "VideoHasher",
    "VideoMd5Signal",
    "VpdqFeature",
    "VpdqSignal",
    "get_signal_type",
    "normalize_signal",
    "signal_types",
]


#: The entry point group through which distributions add signal types.
ENTRY_POINT_GROUP = "bastion.signal_types"
#: The types bastion itself provides, in the order hashing computes and lists them.
BUILT_IN_TYPES: tuple[type[SignalType], ...] = (
    PdqSignal,
    Md5Signal,
    Sha1Signal,
    VideoMd5Signal,
    Sha256Signal,
    VpdqSignal,
    TmkPdqfSignal,
    PhotoDnaSignal,
    NetCleanSignal,
    VidentifierSignal,
    UrlSignal,
    TextSignal,
    OrbSignal,
)
#: Names other tools use for bastion's types (python-threatexchange's `raw_text`).
ALIASES = {"raw_text": TextSignal.name}


@functools.cache
def signal_types() -> Mapping[str, type[SignalType]]:
    """Every registered signal type by name: the built-in ones, then those that installed
    distributions add through the entry point group ``bastion.signal_types`` (in order of
    distribution and entry point name). Read once per process; raises `ConfigurationError`
    naming both sides when two types share a name, or when an entry point is no
    `SignalType`."""
    return MappingProxyType(_registry(BUILT_IN_TYPES, entry_points(group=ENTRY_POINT_GROUP)))


def _registry(
    built_in: tuple[type[SignalType], ...], plugins: Iterable[EntryPoint]
) -> dict[str, type[SignalType]]:
    found: dict[str, tuple[type[SignalType], str]] = {}

    def add(signal_type: object, origin: str) -> None:
        if not (isinstance(signal_type, type) and issubclass(signal_type, SignalType)):
            raise ConfigurationError(f"{origin} is not a bastion SignalType subclass")
        name = signal_type.name
        if name in ALIASES:
            raise ConfigurationError(f"{origin}: the signal type name {name!r} is reserved")
        if name in found:
            raise ConfigurationError(
                f"two signal types are named {name!r}: {found[name][1]} and {origin}"
            )
        found[name] = (signal_type, origin)

    for signal_type in built_in:
        add(signal_type, f"bastion ({signal_type.__module__}.{signal_type.__qualname__})")
    for entry_point in sorted(plugins, key=_entry_point_order):
        origin = f"{_distribution(entry_point)} ({entry_point.name} = {entry_point.value})"
        try:
            loaded = entry_point.load()
        except Exception as e:  # a broken plugin must say which one it is
            raise ConfigurationError(f"{origin} could not be loaded: {e}") from e
        add(loaded, origin)
    return {name: signal_type for name, (signal_type, _) in found.items()}


def _distribution(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    return f"distribution {dist.name}" if dist is not None else "an unnamed distribution"


def _entry_point_order(entry_point: EntryPoint) -> tuple[str, str]:
    return (entry_point.dist.name if entry_point.dist else "", entry_point.name)


class _Registered(Mapping[str, type[SignalType]]):
    """`signal_types()` as a mapping that reads the entry points on first use."""

    def __getitem__(self, name: str) -> type[SignalType]:
        return signal_types()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(signal_types())

    def __len__(self) -> int:
        return len(signal_types())


#: Every registered type by name (the same as `signal_types()`).
SIGNAL_TYPES: Mapping[str, type[SignalType]] = _Registered()


def get_signal_type(name: str) -> type[SignalType]:
    """The signal type registered under `name`; raises `UnknownSignalTypeError` otherwise."""
    try:
        key = name.strip().lower()
        return signal_types()[ALIASES.get(key, key)]
    except (KeyError, AttributeError):
        known = ", ".join(sorted(signal_types()))
        raise UnknownSignalTypeError(f"unknown signal type {name!r} (known: {known})") from None


def normalize_signal(type_name: str, value: str) -> tuple[str, str]:
    """Validate a (type, value) pair from outside; returns the canonical pair."""
    signal_type = get_signal_type(type_name)
    return signal_type.name, signal_type.normalize(value)
