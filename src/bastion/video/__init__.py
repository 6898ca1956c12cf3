"""Video: decoding with PyAV (FFmpeg bundled in its wheels, no system FFmpeg), within limits."""

from bastion.video.decode import VideoLimits, sample_frames
from bastion.video.vpdq import VpdqFrame, vpdq_frames

__all__ = ["VideoLimits", "VpdqFrame", "sample_frames", "vpdq_frames"]
