"""TMK+PDQF: Meta's whole-video descriptor, read, written and scored in numpy.

`TmkFeatures` is one video's descriptor in the reference `.tmk` layout (`features.py`);
`tmk_from_video` computes one from a video file (`compute.py`); `level1_score` and
`level2_score` compare two of them (`scores.py`).
"""

from bastion.tmk.compute import TmkBuilder, TmkHasher, tmk_from_video
from bastion.tmk.features import TmkFeatures
from bastion.tmk.scores import LEVEL1_THRESHOLD, LEVEL2_THRESHOLD, level1_score, level2_score

__all__ = [
    "LEVEL1_THRESHOLD",
    "LEVEL2_THRESHOLD",
    "TmkBuilder",
    "TmkFeatures",
    "TmkHasher",
    "level1_score",
    "level2_score",
    "tmk_from_video",
]
