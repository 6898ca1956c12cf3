"""Matching indexes: exact, a brute-force Hamming reference, the fast multi-index, video
frames (vPDQ) and video descriptors (TMK)."""

from bastion.index.base import IndexHit, SignalIndex
from bastion.index.codes import hex_to_words, words_to_hex
from bastion.index.exact import ExactIndex
from bastion.index.frames import FrameIndex, FramePairs
from bastion.index.hamming import BruteForceHammingIndex
from bastion.index.multi import MultiIndexHammingIndex
from bastion.index.similarity import TmkIndex
from bastion.index.snapshot import HammingSnapshot

__all__ = [
    "BruteForceHammingIndex",
    "ExactIndex",
    "FrameIndex",
    "FramePairs",
    "HammingSnapshot",
    "IndexHit",
    "MultiIndexHammingIndex",
    "SignalIndex",
    "TmkIndex",
    "hex_to_words",
    "words_to_hex",
]
