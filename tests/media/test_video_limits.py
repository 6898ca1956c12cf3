"""Bounded work per video, whatever the file claims: every decoded frame is checked for its
size and time, frames and pixels are counted, and each refusal names its setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.errors import ConfigurationError, MediaTooLargeError, UnsupportedMediaError
from bastion.hashing import ContentHasher
from bastion.media.video import VideoLimits, probe_video
from bastion.settings import Settings
from bastion.signals import VpdqSignal
from bastion.tmk import tmk_from_video
from bastion.vpdq import vpdq_frames
from tests.hostile_media import (
    PLAYLIST,
    backwards_video,
    fast_video,
    gap_video,
    no_decoder_video,
    size_switching_video,
)
from tests.videos import encode_frames, synthetic_frames


def hasher(**settings: object) -> ContentHasher:
    return ContentHasher(Settings.load(env={}, data_dir="unused", **settings).hashing_options())


@pytest.fixture(scope="module")
def switching() -> bytes:
    """64x48 for 6 s, then 128x96: FFmpeg's probe sees only the first size."""
    return size_switching_video([((64, 48), 60), ((128, 96), 3)])


def test_every_frame_is_checked_for_its_size(switching: bytes) -> None:
    """Issue 16: the size was checked on the first frame only, so a stream that switched to
    larger frames mid-way had them decoded and hashed."""
    assert (probe_video(switching).width, probe_video(switching).height) == (64, 48)
    message = (
        r"frames of 128x96 exceed the limit of 6,144 pixels \(setting max_video_frame_pixels\)"
    )
    with pytest.raises(MediaTooLargeError, match=message):
        hasher(max_video_frame_pixels=64 * 48 * 2).hash_bytes(switching, name="switch.ts")
    limits = VideoLimits(max_frame_pixels=64 * 48 * 2)
    with pytest.raises(MediaTooLargeError, match=message):
        vpdq_frames(switching, limits=limits)
    with pytest.raises(MediaTooLargeError, match=message):
        tmk_from_video(switching, limits=limits)
    # Within the limit, a change of size is no error: both hashes follow it.
    content = hasher().hash_bytes(switching, name="switch.ts")
    assert [s.type for s in content.signals] == ["video_md5", "sha256", "vpdq", "tmk_pdqf"]


def test_a_switch_to_8k_frames_is_refused_by_the_decoder() -> None:
    """Far over the limit, the decoder itself refuses the frame before allocating it (frame
    threads would otherwise decode several at once); the error still names the setting."""
    data = size_switching_video([((64, 48), 60), ((7680, 4320), 1)])
    assert probe_video(data).width == 64
    with pytest.raises(MediaTooLargeError, match=r"7680x4320 exceed .*max_video_frame_pixels"):
        hasher().hash_bytes(data, name="8k.ts")


def test_frames_are_counted_whatever_their_timestamps() -> None:
    """20 frames in 0.002 s: within a 0.01 s limit by time, not by count (240 a second)."""
    data = fast_video(20, fps=10_000)
    limits = VideoLimits(max_seconds=0.01)
    message = r"holds over 3 frames, 240 a second for the limit of 0.01 s \(setting max_video_"
    with pytest.raises(MediaTooLargeError, match=message):
        vpdq_frames(data, limits=limits)
    with pytest.raises(MediaTooLargeError, match=r"\(setting max_video_seconds\)"):
        tmk_from_video(data, limits=limits)  # (refused by its own 15 fps first)
    assert len(vpdq_frames(data, seconds_per_hash=0)) == 20  # under the default limits


def test_decoded_pixels_are_counted() -> None:
    """Frames of the largest size count against 60 a second of the duration limit."""
    data = fast_video(20, fps=1000)
    limits = VideoLimits(max_seconds=0.05, max_frame_pixels=32 * 32)
    with pytest.raises(MediaTooLargeError, match=r"over 3,072 pixels.*max_video_frame_pixels"):
        vpdq_frames(data, limits=limits)


def test_timestamps_that_jump_back_cost_no_more_than_the_frames() -> None:
    data = backwards_video()  # 2 s, then the same 2 s of timestamps again
    content = hasher().hash_bytes(data, name="joined.ts")
    vpdq = content.signal("vpdq")
    assert vpdq is not None
    assert len(VpdqSignal.parse(vpdq.value)) == 4  # by frame number: 40 frames at 10 fps
    assert tmk_from_video(data).frame_count <= 2 * 2 * 15 + 2


def test_a_gap_within_the_limit_hashes_and_one_past_it_is_refused() -> None:
    assert hasher().hash_bytes(gap_video(7100), name="gap.mp4").kind == "video"
    with pytest.raises(MediaTooLargeError, match=r"lasts 7,301 s, .*\(setting max_video_seconds\)"):
        hasher().hash_bytes(gap_video(7300), name="gap.mp4")


def test_a_codec_without_a_decoder_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaError, match="codec is not one FFmpeg can decode"):
        hasher().hash_bytes(no_decoder_video(), name="odd.mp4")


def test_only_video_containers_are_opened(tmp_path: Path) -> None:
    """Playlists and concat lists name other files; FFmpeg is never let read them as video."""
    clip = tmp_path / "clip.ts"
    clip.write_bytes(
        encode_frames(synthetic_frames(3, seconds=1, fps=5), fps=5, container_format="mpegts")
    )
    for listing in (PLAYLIST, f"ffconcat version 1.0\nfile {clip}\n".encode()):
        with pytest.raises(UnsupportedMediaError, match="not a video file"):
            tmk_from_video(listing)


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_duration_limit_must_be_a_number_of_seconds(value: str) -> None:
    """A NaN limit compared false with every duration: it bounded nothing."""
    with pytest.raises(ConfigurationError, match="max_video_seconds"):
        Settings.load(env={"BASTION_MAX_VIDEO_SECONDS": value}, data_dir="unused")
