"""Content to signals to index to matches."""

from bastion.matching.matcher import Match, Matcher, NotInMemory
from bastion.matching.snapshots import Generation, SnapshotShelf
from bastion.matching.thresholds import threshold_for
from bastion.signals import MatchingOptions

__all__ = [
    "Generation",
    "Match",
    "Matcher",
    "MatchingOptions",
    "NotInMemory",
    "SnapshotShelf",
    "threshold_for",
]
