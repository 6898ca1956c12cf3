"""Typed options for computing and matching signals, built from settings at the composition
root (`Settings.hashing_options()`, `Settings.matching_options()`).

They live beside the signal types, not in `bastion.hashing` and `bastion.matching` (which
re-export them), because the types themselves read them: PDQ's threshold and quality floor,
vPDQ's frame shares, TMK's level thresholds. The defaults are those of the settings table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bastion.media.video import VideoLimits
from bastion.pdq import PdqMode


@dataclass(frozen=True, slots=True)
class HashingOptions:
    """How content is read and hashed."""

    #: PDQ bit-exact with Meta's reference, or the fast approximation.
    pdq_mode: PdqMode = PdqMode.REFERENCE
    #: Largest file read for hashing, in bytes.
    max_media_bytes: int = 100 * 1024 * 1024
    #: Largest image decoded, in pixels (guards against decompression bombs).
    max_image_pixels: int = 64_000_000
    #: The image hashes computed besides the file digests, by signal type name: PDQ, and
    #: those of plugins only where named (installing a plugin changes nothing by itself).
    image_hashes: tuple[str, ...] = ("pdq",)
    #: Longest video and largest frame decoded.
    video_limits: VideoLimits = field(default_factory=VideoLimits)
    #: The video hashes computed besides the file digests, by signal type name, in order.
    video_hashes: tuple[str, ...] = ("vpdq", "tmk_pdqf")
    #: vPDQ hashes one frame every this many seconds (0: every frame).
    vpdq_seconds_per_hash: float = 1.0


@dataclass(frozen=True, slots=True)
class MatchingOptions:
    """When a candidate counts as a match (a bank's own thresholds override the defaults)."""

    #: Largest PDQ distance counted as a match, unless a bank overrides it.
    pdq_threshold: int = 31
    #: PDQ hashes (and vPDQ frames) of lower quality are neither indexed nor looked up.
    pdq_min_quality: int = 50
    #: Also match an image's hash as displayed, when it carries an EXIF orientation.
    match_exif_orientation: bool = True
    #: Shares (0-100) of the query's and of the bank video's frames that must match (vPDQ).
    vpdq_query_match_percent: float = 80.0
    vpdq_bank_match_percent: float = 0.0
    #: TMK+PDQF: smallest level-1 score checked further, smallest level-2 score that matches.
    tmk_level1_threshold: float = 0.7
    tmk_level2_threshold: float = 0.7
    #: Keypoints (`orb`): fewest keypoint pairs one transform must explain for a match.
    keypoint_min_inliers: int = 14
