"""TMK+PDQF descriptors computed from videos (PyAV): Meta's reference, generated clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bastion.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from bastion.media.video import VideoLimits
from bastion.tmk import (
    LEVEL1_THRESHOLD,
    LEVEL2_THRESHOLD,
    TmkFeatures,
    level1_score,
    level2_score,
    tmk_from_video,
)
from tests.videos import audio_only_mp4, synthetic_video


def family(name: str) -> str:
    return name.split("-")[0]


# Conformance with Meta's reference ---------------------------------------------------------


@pytest.fixture(scope="module")
def computed(shared_testdata: Path) -> dict[str, TmkFeatures]:
    videos = sorted((shared_testdata / "video" / "sample-videos").glob("*.mp4"))
    return {
        v.stem: tmk_from_video(v.read_bytes()) for v in videos if v.stem != "test-padded-dimensions"
    }


def test_computed_descriptors_agree_with_the_reference_files(
    computed: dict[str, TmkFeatures], shared_testdata: Path
) -> None:
    """The same frames as Meta's tmk-hash-video (FFmpeg 5.1's -r 15), the same features:
    only float summation order is left (largest difference seen: 1.5e-4)."""
    assert len(computed) == 13
    for name, mine in computed.items():
        reference = TmkFeatures.from_bytes(
            (shared_testdata / "video" / "tmk-sample-hashes" / f"{name}.tmk").read_bytes()
        )
        assert mine.frame_count == reference.frame_count, name
        for part in ("pure_average", "cos", "sin"):
            difference = np.abs(getattr(mine, part) - getattr(reference, part)).max()
            assert difference <= 5e-4, (name, part, difference)


def test_computed_descriptors_reproduce_the_expected_scores(
    computed: dict[str, TmkFeatures], shared_testdata: Path
) -> None:
    checked = 0
    for line in (shared_testdata / "video" / "tmk-expected-scores.txt").read_text().splitlines():
        level1, level2, file_a, file_b = line.split()
        a, b = computed.get(file_a.removesuffix(".tmk")), computed.get(file_b.removesuffix(".tmk"))
        if a is None or b is None:  # the HD/FHD originals have reference hashes, no video
            continue
        # The issue asks for 0.02; the scores agree to 1e-4.
        assert level1_score(a, b) == pytest.approx(float(level1), abs=1e-4), (file_a, file_b)
        assert level2_score(a, b) == pytest.approx(float(level2), abs=1e-4), (file_a, file_b)
        matched = level1_score(a, b) >= LEVEL1_THRESHOLD and level2_score(a, b) >= LEVEL2_THRESHOLD
        assert matched == (family(file_a) == family(file_b)), (file_a, file_b)
        checked += 1
    assert checked >= 20


# Generated videos ---------------------------------------------------------------------------


def test_a_re_encoded_resized_copy_matches_and_another_video_does_not() -> None:
    original = tmk_from_video(synthetic_video(1))
    assert original.frame_count == pytest.approx(6 * 15, abs=2)
    copy = tmk_from_video(synthetic_video(1, fps=30, size=(160, 120), codec="libx264"))
    other = tmk_from_video(synthetic_video(2))
    assert level1_score(original, copy) >= 0.9
    assert level2_score(original, copy) >= 0.9
    assert (
        level1_score(original, other) < LEVEL1_THRESHOLD
        or level2_score(original, other) < LEVEL2_THRESHOLD
    )
    # A descriptor survives the reference file layout unchanged.
    assert TmkFeatures.from_bytes(original.to_bytes()).to_bytes() == original.to_bytes()


# Bad input ----------------------------------------------------------------------------------


def test_bad_files_get_clear_errors() -> None:
    with pytest.raises(UnsupportedMediaError, match="empty"):
        tmk_from_video(b"")
    with pytest.raises(UnsupportedMediaError, match="not a video file"):
        tmk_from_video(b"this is a text file, not a video" * 100)
    with pytest.raises(UnsupportedMediaError, match="no video stream"):
        tmk_from_video(audio_only_mp4())
    video = synthetic_video(3, seconds=2)
    with pytest.raises((UnsupportedMediaError, CorruptMediaError)):
        tmk_from_video(video[: len(video) // 3])


def test_limits_bound_the_work() -> None:
    video = synthetic_video(4, seconds=4)
    with pytest.raises(MediaTooLargeError, match="limit of 2 s"):
        tmk_from_video(video, limits=VideoLimits(max_seconds=2))
    with pytest.raises(MediaTooLargeError, match="320x240 exceed"):
        tmk_from_video(video, limits=VideoLimits(max_frame_pixels=320 * 240 - 1))
