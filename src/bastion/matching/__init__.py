"""Content to signals to index to matches."""

from bastion.matching.matcher import Match, Matcher

__all__ = ["Match", "Matcher"]
