"""Content to signals to index to matches."""

from bastion.matching.matcher import Match, Matcher, NotInMemory
from bastion.matching.snapshots import Generation, SnapshotShelf

__all__ = ["Generation", "Match", "Matcher", "NotInMemory", "SnapshotShelf"]
