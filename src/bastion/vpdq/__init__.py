"""vPDQ: Meta's video hash, the PDQ hashes of a video's sampled frames with their times.

`vpdq_frames` hashes a video file (`hashing.py`); `compare_videos` compares two frame lists
as Meta's matcher does and finds the time segments where they agree (`comparison.py`).
"""

from bastion.vpdq.comparison import Segment, VideoComparison, compare_videos, summarise
from bastion.vpdq.features import VpdqFeature
from bastion.vpdq.hashing import VpdqFrame, VpdqHasher, VpdqHashes, vpdq_frames

__all__ = [
    "Segment",
    "VideoComparison",
    "VpdqFeature",
    "VpdqFrame",
    "VpdqHasher",
    "VpdqHashes",
    "compare_videos",
    "summarise",
    "vpdq_frames",
]
