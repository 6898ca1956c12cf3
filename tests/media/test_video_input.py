"""Bad video input through the hashing pipeline: clear errors and bounded work."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.errors import CorruptMediaError, MediaError, MediaTooLargeError, UnsupportedMediaError
from bastion.hashing import ContentHasher
from bastion.pdq import hamming_distance
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import TmkPdqfSignal, VpdqSignal
from bastion.tmk import level1_score, level2_score
from bastion.vpdq import compare_videos
from tests.videos import audio_only_mp4, encode_frames, synthetic_frames, synthetic_video


@pytest.fixture(scope="module")
def hasher() -> ContentHasher:
    return ContentHasher(Settings.load(env={}, data_dir="unused").hashing_options())


@pytest.fixture(scope="module")
def video() -> bytes:
    return synthetic_video(31, seconds=4, fps=10)


def test_empty_audio_only_and_unknown_files(hasher: ContentHasher) -> None:
    with pytest.raises(UnsupportedMediaError, match=r"not a supported image .* or video"):
        hasher.hash_bytes(b"", name="empty.mp4")
    with pytest.raises(UnsupportedMediaError, match=r"audio\.mp4: the file has no video stream"):
        hasher.hash_bytes(audio_only_mp4(), name="audio.mp4")
    with pytest.raises(UnsupportedMediaError, match="or video"):
        hasher.hash_bytes(b"plain text, neither image nor video" * 10, name="notes.txt")


def test_truncated_and_corrupt_videos_fail_cleanly_or_hash(
    hasher: ContentHasher, video: bytes
) -> None:
    for cut in (40, len(video) // 3, len(video) - 100):
        with pytest.raises(MediaError):
            hasher.hash_bytes(video[:cut], name="cut.mp4")
    # Damage in the middle of the frame data: FFmpeg conceals what it can; either way the
    # result is a hash or a clear error, and the call returns.
    damaged = bytearray(video)
    rng = np.random.default_rng(5)
    for position in rng.integers(2000, len(video) - 2000, 50):
        damaged[position] ^= 0xFF
    try:
        content = hasher.hash_bytes(bytes(damaged), name="damaged.mp4")
    except (CorruptMediaError, UnsupportedMediaError):
        pass
    else:
        assert content.kind == "video"


def test_limits_on_length_and_frame_size(hasher: ContentHasher, video: bytes) -> None:
    short = ContentHasher(
        Settings.load(env={}, data_dir="unused", max_video_seconds=2).hashing_options()
    )
    with pytest.raises(MediaTooLargeError, match="lasts 4 s, past the limit of 2 s"):
        short.hash_bytes(video, name="long.mp4")
    small = ContentHasher(
        Settings.load(
            env={}, data_dir="unused", max_video_frame_pixels=320 * 240 - 1
        ).hashing_options()
    )
    with pytest.raises(MediaTooLargeError, match="320x240 exceed"):
        small.hash_bytes(video, name="big.mp4")


def test_a_video_that_lies_about_its_length_stops_at_the_limit() -> None:
    """A stream declaring no duration is cut off by frame times while decoding."""
    frames = [np.full((64, 64, 3), i % 250, np.uint8) for i in range(60)]
    data = encode_frames(frames, fps=10, container_format="mpegts")
    hasher = ContentHasher(
        Settings.load(env={}, data_dir="unused", max_video_seconds=3).hashing_options()
    )
    with pytest.raises(MediaTooLargeError, match="limit of 3 s"):
        hasher.hash_bytes(data, name="stream.ts")


def test_rotation_metadata_is_applied(hasher: ContentHasher) -> None:
    """A video stored sideways with a display rotation hashes like the upright video."""
    upright = [np.ascontiguousarray(f) for f in _frames()]
    sideways = [np.ascontiguousarray(np.rot90(f, -1)) for f in upright]
    plain = hasher.hash_bytes(encode_frames(upright, fps=5), name="upright.mp4")
    rotated = hasher.hash_bytes(encode_frames(sideways, fps=5, rotation=90), name="r.mp4")
    assert rotated.signal("vpdq") is not None
    assert plain.signal("vpdq") is not None
    a = VpdqSignal.parse(plain.signal("vpdq").value)
    b = VpdqSignal.parse(rotated.signal("vpdq").value)
    assert max(hamming_distance(x.hash, y.hash) for x, y in zip(a, b, strict=True)) <= 16


def test_a_variable_frame_rate_copy_matches_its_constant_rate_original(
    hasher: ContentHasher,
) -> None:
    """Four 2-s scenes at 30 fps, and the same film with only every third frame in its first
    half (10 fps, then 30 fps). TMK follows the frames' times, as ffmpeg -r does; vPDQ samples
    by frame count at the average rate, as Meta's does, and its frames still match."""
    scenes = [sample_pixels(330 + n, 160, 120) for n in range(4)]
    frames = [scenes[i // 60] for i in range(240)]
    kept = [i for i in range(240) if i >= 120 or i % 3 == 0]
    original = hasher.hash_bytes(encode_frames(frames, fps=30, codec="libx264"), name="cfr.mp4")
    variable = hasher.hash_bytes(
        encode_frames(
            [frames[i] for i in kept], fps=30, codec="libx264", times=[i / 30 for i in kept]
        ),
        name="vfr.mp4",
    )
    assert variable.seconds == pytest.approx(8, abs=0.1)
    a, b = (TmkPdqfSignal.decode(c.signal("tmk_pdqf").value) for c in (original, variable))
    assert a.frame_count == b.frame_count == 122  # 8 s at 15 fps, and 2 more as ffmpeg -r
    assert level1_score(a, b) >= 0.99
    assert level2_score(a, b) >= 0.95
    query, bank = (VpdqSignal.parse(c.signal("vpdq").value) for c in (variable, original))
    assert 8 <= len(query) <= 9  # 160 frames at their average of about 20 fps: every 19th or 20th
    assert compare_videos(query, bank).passes(100, 100)


def _frames() -> list[np.ndarray]:
    return synthetic_frames(32, seconds=3, fps=5, size=(240, 160))
