"""Signal types: one module per hash algorithm, all behind `SignalType`.

Each type's short `name` is its storage and exchange key; names are checked unique here.
"""

from __future__ import annotations

from bastion.errors import UnknownSignalTypeError
from bastion.signals.base import (
    KEY_LENGTH,
    FileDigestSignalType,
    HexDigestSignalType,
    MatchKind,
    Signal,
    SignalType,
)
from bastion.signals.md5 import Md5Signal
from bastion.signals.opaque import NetCleanSignal, PhotoDnaSignal, VidentifierSignal
from bastion.signals.options import HashingOptions, MatchingOptions
from bastion.signals.pdq import PdqSignal
from bastion.signals.sha1 import Sha1Signal
from bastion.signals.sha256 import Sha256Signal
from bastion.signals.text import TextSignal
from bastion.signals.tmk import TmkPdqfSignal
from bastion.signals.url import UrlSignal
from bastion.signals.video_md5 import VideoMd5Signal
from bastion.signals.vpdq import VpdqFeature, VpdqSignal

__all__ = [
    "KEY_LENGTH",
    "SIGNAL_TYPES",
    "FileDigestSignalType",
    "HashingOptions",
    "HexDigestSignalType",
    "MatchKind",
    "MatchingOptions",
    "Md5Signal",
    "NetCleanSignal",
    "PdqSignal",
    "PhotoDnaSignal",
    "Sha1Signal",
    "Sha256Signal",
    "Signal",
    "SignalType",
    "TextSignal",
    "TmkPdqfSignal",
    "UrlSignal",
    "VidentifierSignal",
    "VideoMd5Signal",
    "VpdqFeature",
    "VpdqSignal",
    "get_signal_type",
    "normalize_signal",
]


def _registry(*types: type[SignalType]) -> dict[str, type[SignalType]]:
    registry: dict[str, type[SignalType]] = {}
    for signal_type in types:
        if signal_type.name in registry:
            raise RuntimeError(f"two signal types are named {signal_type.name!r}")
        registry[signal_type.name] = signal_type
    return registry


SIGNAL_TYPES: dict[str, type[SignalType]] = _registry(
    PdqSignal,
    Md5Signal,
    Sha1Signal,
    Sha256Signal,
    VideoMd5Signal,
    VpdqSignal,
    TmkPdqfSignal,
    PhotoDnaSignal,
    NetCleanSignal,
    VidentifierSignal,
    UrlSignal,
    TextSignal,
)
#: Names other tools use for bastion's types (python-threatexchange's `raw_text`).
ALIASES = {"raw_text": TextSignal.name}


def get_signal_type(name: str) -> type[SignalType]:
    """The signal type registered under `name`; raises `UnknownSignalTypeError` otherwise."""
    try:
        key = name.strip().lower()
        return SIGNAL_TYPES[ALIASES.get(key, key)]
    except (KeyError, AttributeError):
        known = ", ".join(sorted(SIGNAL_TYPES))
        raise UnknownSignalTypeError(f"unknown signal type {name!r} (known: {known})") from None


def normalize_signal(type_name: str, value: str) -> tuple[str, str]:
    """Validate a (type, value) pair from outside; returns the canonical pair."""
    signal_type = get_signal_type(type_name)
    return signal_type.name, signal_type.normalize(value)
