"""What a model looks at: a video's frames every few seconds with their times, and an image
upload decoded at a model's scale; bounded, upright, RGB, with clear errors."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from bastion.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from bastion.media.frames import MAX_SIDE, sampled_frames, still_frame
from bastion.media.video import VideoLimits
from bastion.samples import sample_pixels
from tests.videos import encode_frames, synthetic_frames, synthetic_video


def test_frames_come_in_order_at_least_the_interval_apart() -> None:
    # A variable frame rate: frames at irregular times, a gap of 1.5 s in the middle.
    times = [0.0, 0.3, 0.35, 0.9, 1.1, 2.6, 2.7, 3.05, 3.5, 4.2, 4.25, 5.9]
    frames = synthetic_frames(2, seconds=len(times) / 10, fps=10)
    video = encode_frames(frames, fps=10, times=times)
    found = sampled_frames(video, every_seconds=1.0, max_frames=20)
    at = [round(t, 3) for t, _ in found]
    # The first frame, then the first frame at or past each previous time plus one second.
    assert at == [0.0, 1.1, 2.6, 4.2, 5.9]


@pytest.mark.parametrize("container_format", ["mp4", "mpegts", "matroska"])
def test_times_count_from_the_start_of_the_video(container_format: str) -> None:
    # A clip whose clock starts at 5 s (a cut from a longer recording or a broadcast).
    frames = synthetic_frames(3, seconds=3.0, fps=10)
    video = encode_frames(
        frames,
        fps=10,
        container_format=container_format,
        times=[5 + i / 10 for i in range(len(frames))],
    )
    found = sampled_frames(video, every_seconds=1.0, max_frames=10)
    assert [round(t, 2) for t, _ in found] == [0.0, 1.0, 2.0]


def test_max_frames_stops_at_the_first_marks() -> None:
    video = synthetic_video(4, seconds=6.0, fps=12)
    found = sampled_frames(video, every_seconds=1.0, max_frames=3)
    assert [round(t) for t, _ in found] == [0, 1, 2]


def test_frames_are_upright_rgb_and_scaled_down_to_the_largest_side() -> None:
    pixels = sample_pixels(5, 1280, 720)
    video = encode_frames([pixels] * 4, fps=2, rotation=90)  # a phone's portrait video
    found = sampled_frames(video, every_seconds=1.0, max_frames=5)
    assert [round(t, 1) for t, _ in found] == [0.0, 1.0]
    for _, picture in found:
        assert picture.mode == "RGB"
        assert picture.size == (360, MAX_SIDE)  # turned upright, then the long side 640
    small = sampled_frames(video, every_seconds=1.0, max_frames=1, max_side=100)
    assert small[0][1].size == (56, 100)


def test_the_interval_must_be_a_positive_number() -> None:
    video = synthetic_video(1, seconds=1.0, fps=4)
    for every, most in ((0.0, 3), (-1.0, 3), (math.nan, 3), (1.0, 0)):
        with pytest.raises(ValueError, match="every_seconds must be positive"):
            sampled_frames(video, every_seconds=every, max_frames=most)


def test_hostile_videos_are_refused_with_the_setting_to_raise() -> None:
    video = synthetic_video(6, seconds=4.0, fps=12)
    with pytest.raises(MediaTooLargeError, match="max_video_seconds"):
        sampled_frames(video, every_seconds=1, max_frames=3, limits=VideoLimits(max_seconds=1))
    with pytest.raises(MediaTooLargeError, match="max_video_frame_pixels"):
        sampled_frames(
            video, every_seconds=1, max_frames=3, limits=VideoLimits(max_frame_pixels=100 * 100)
        )


def test_what_is_not_a_whole_video_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedMediaError, match="empty file"):
        sampled_frames(b"", every_seconds=1, max_frames=3)
    with pytest.raises(UnsupportedMediaError):
        sampled_frames(b"not a video at all", every_seconds=1, max_frames=3)
    video = synthetic_video(7, seconds=2.0, fps=12)
    # An MP4 cut short: its index promises frames the file no longer holds.
    with pytest.raises((CorruptMediaError, UnsupportedMediaError)):
        sampled_frames(video[: len(video) // 3], every_seconds=1, max_frames=3)


def jpeg(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **params)
    return out.getvalue()


def test_an_upload_is_decoded_small_upright_and_rgb() -> None:
    photo = Image.fromarray(sample_pixels(8, 4000, 3000))  # 12 MP
    picture = still_frame(jpeg(photo), max_pixels=50_000_000)
    assert picture.mode == "RGB"
    assert picture.size == (MAX_SIDE, 480)
    # EXIF orientation 6: stored landscape, shown turned a quarter clockwise (portrait).
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = still_frame(jpeg(photo, exif=exif), max_pixels=50_000_000)
    assert turned.size == (480, MAX_SIDE)
    grey = still_frame(jpeg(photo.convert("L").resize((300, 200))), max_pixels=50_000_000)
    assert (grey.mode, grey.size) == ("RGB", (300, 200))  # never scaled up


def test_a_bad_upload_is_a_clear_error() -> None:
    data = jpeg(Image.fromarray(sample_pixels(9, 640, 480)))
    with pytest.raises(MediaTooLargeError):
        still_frame(data, max_pixels=640 * 479)
    with pytest.raises(CorruptMediaError, match="corrupt or truncated"):
        still_frame(data[: len(data) // 2], max_pixels=50_000_000)
    with pytest.raises(UnsupportedMediaError):
        still_frame(b"no picture here", max_pixels=50_000_000)
