"""The one threshold rule: how far a value of a signal type may be from a bank's and match."""

from __future__ import annotations

from bastion.banks import Bank
from bastion.signals import MatchingOptions, MatchKind, SignalType


def threshold_for(
    bank: Bank | None, signal_type: type[SignalType], options: MatchingOptions
) -> int:
    """The largest distance at which `bank` counts a `signal_type` value as matching: the
    bank's own threshold for the type, else the configured default (`options`), else the
    type's default. Exact and similarity types have 0 (a similarity type's candidates are
    judged by its scores, not by distance). Without a bank: the default."""
    if signal_type.match_kind in (MatchKind.EXACT, MatchKind.SIMILARITY):
        return 0
    default = signal_type.configured_threshold(options)
    if bank is None:
        return default
    return bank.thresholds.get(signal_type.name, default)
