"""Matching indexes: exact, and a brute-force Hamming reference."""

from bastion.index.base import IndexHit, SignalIndex
from bastion.index.exact import ExactIndex
from bastion.index.hamming import BruteForceHammingIndex, hex_to_words

__all__ = ["BruteForceHammingIndex", "ExactIndex", "IndexHit", "SignalIndex", "hex_to_words"]
