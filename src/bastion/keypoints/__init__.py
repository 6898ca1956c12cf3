"""Local features of images (ORB keypoints): what matches a copy that a global hash cannot
hold, deeply or off-centre cropped, turned by 10 degrees or more, under a large logo.

`features` finds and serialises an image's keypoints, `geometry` checks that two images'
keypoints agree on one transform, `index` finds the bank images worth checking.
"""

from bastion.keypoints.features import Keypoints, extract
from bastion.keypoints.geometry import Agreement, Policy, agreement
from bastion.keypoints.index import BruteForceKeypointIndex, KeypointIndex

__all__ = [
    "Agreement",
    "BruteForceKeypointIndex",
    "KeypointIndex",
    "Keypoints",
    "Policy",
    "agreement",
    "extract",
]
