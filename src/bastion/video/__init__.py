"""Video: decoding with PyAV (FFmpeg bundled in its wheels, no system FFmpeg), within limits."""

from bastion.video.decode import VideoLimits, sample_frames

__all__ = ["VideoLimits", "sample_frames"]
