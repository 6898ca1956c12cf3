"""Matching indexes: exact, a brute-force Hamming reference and the fast multi-index. A
signal type with values of another kind brings its own index (vPDQ's frames, TMK's
descriptors: `bastion.signals`)."""

from bastion.index.base import IndexHit, SignalIndex
from bastion.index.codes import hex_to_words, words_to_hex
from bastion.index.exact import ExactIndex
from bastion.index.hamming import BruteForceHammingIndex
from bastion.index.multi import MultiIndexHammingIndex
from bastion.index.snapshot import HammingSnapshot

__all__ = [
    "BruteForceHammingIndex",
    "ExactIndex",
    "HammingSnapshot",
    "IndexHit",
    "MultiIndexHammingIndex",
    "SignalIndex",
    "hex_to_words",
    "words_to_hex",
]
