"""What a reviewer sees before revealing media: small, upright, blurred, greyscale JPEGs
without metadata, and strips of a video's frames; made from generated benign media only."""

from __future__ import annotations

import io
import math
from functools import partial

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from bastion.errors import (
    CorruptMediaError,
    MediaTooLargeError,
    UnsupportedMediaError,
    ValidationError,
)
from bastion.media.video import VideoLimits
from bastion.review.rendition import (
    EvenSample,
    RenditionOptions,
    frame_strip,
    safe_image,
)
from bastion.samples import sample_pixels
from tests.hostile_media import encoded, png_header_only
from tests.videos import audio_only_mp4, decode_frames, encode_frames, synthetic_video

Pixels = npt.NDArray[np.uint8]


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    image.load()
    return image


def checkerboard(width: int, height: int, square: int = 8) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    board = (((x // square) + (y // square)) % 2 * 255).astype(np.uint8)
    return Image.fromarray(np.stack([board, 255 - board, board], axis=-1))


def sharpness(image: Image.Image) -> float:
    """Variance of the Laplacian of the picture's luminance: high for fine detail."""
    grey = np.asarray(image.convert("L"), dtype=np.float64)
    laplacian = (
        grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    )
    return float(laplacian.var())


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's segments, up to its first scan."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [], 2
    while True:
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")


def photo(seed: int = 1, size: tuple[int, int] = (640, 480)) -> Image.Image:
    return Image.fromarray(sample_pixels(seed, *size))


# Images -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_an_image_becomes_a_small_greyscale_jpeg(fmt: str) -> None:
    out = opened(safe_image(encoded(photo(), fmt), blur=0, greyscale=True))
    assert out.mode == "L"
    assert out.size == (480, 360)


def test_colour_is_kept_when_asked() -> None:
    out = opened(safe_image(encoded(photo(), "PNG"), blur=0, greyscale=False))
    assert out.mode == "RGB"
    pixels = np.asarray(out, dtype=np.int16)
    assert np.abs(pixels[..., 0] - pixels[..., 1]).mean() > 10  # not grey


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [((640, 480), 200, (200, 150)), ((300, 900), 240, (80, 240)), ((100, 60), 480, (100, 60))],
)
def test_the_longer_side_is_bounded(
    size: tuple[int, int], max_side: int, expected: tuple[int, int]
) -> None:
    out = opened(
        safe_image(encoded(photo(2, size), "JPEG"), blur=20, greyscale=True, max_side=max_side)
    )
    assert out.size == expected  # never enlarged


def test_blur_removes_fine_detail() -> None:
    data = encoded(checkerboard(960, 720), "PNG")
    sharp = sharpness(opened(safe_image(data, blur=0, greyscale=True)))
    light = sharpness(opened(safe_image(data, blur=20, greyscale=True)))
    heavy = sharpness(opened(safe_image(data, blur=100, greyscale=True)))
    assert sharp > 1000
    assert light < sharp / 50
    assert heavy < light


def test_exif_orientation_is_applied() -> None:
    """Stored 300 x 200 with its left half bright; EXIF orientation 6 shows the stored left
    side at the top, as a 200 x 300 portrait."""
    pixels = np.zeros((200, 300, 3), dtype=np.uint8)
    pixels[:, :150] = 230
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encoded(Image.fromarray(pixels), "JPEG", exif=exif.tobytes())
    out = np.asarray(opened(safe_image(data, blur=0, greyscale=True)), dtype=np.float64)
    assert out.shape == (300, 200)
    assert out[:140].mean() > 200
    assert out[160:].mean() < 30


def test_metadata_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Generated Camera Co"  # Make
    exif[0x0110] = "Model 1"  # Model
    exif[0x0131] = "bastion tests"  # Software
    source = photo(3)
    data = encoded(
        source, "JPEG", exif=exif.tobytes(), comment=b"a comment", icc_profile=b"x" * 200
    )
    assert Image.open(io.BytesIO(data)).getexif()  # the input has EXIF
    out = safe_image(data, blur=0, greyscale=False)
    assert set(jpeg_markers(out)) <= {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA}  # no APPn, COM
    image = opened(out)
    assert not image.getexif()
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    assert b"Generated Camera" not in out
    assert b"a comment" not in out


def test_transparent_parts_show_no_hidden_colour() -> None:
    """A transparent pixel still holds a colour; the rendition shows the background."""
    pixels = np.zeros((100, 100, 4), dtype=np.uint8)
    pixels[..., 0] = 255  # red...
    pixels[..., 3] = 0  # ...fully transparent
    out = np.asarray(
        opened(safe_image(encoded(Image.fromarray(pixels), "PNG"), blur=0, greyscale=False))
    )
    assert np.abs(out.astype(int) - 128).max() < 8


def test_only_the_first_frame_of_an_animation() -> None:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("white", "black", "black")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    out = np.asarray(opened(safe_image(data, blur=0, greyscale=True)))
    assert out.min() > 240


def test_a_decompression_bomb_is_refused() -> None:
    with pytest.raises(MediaTooLargeError, match="max_image_pixels"):
        safe_image(png_header_only(100_000, 100_000), blur=50, greyscale=True)


def test_the_pixel_limit_is_the_callers() -> None:
    data = encoded(photo(), "PNG")
    with pytest.raises(MediaTooLargeError):
        safe_image(data, blur=50, greyscale=True, max_pixels=640 * 480 - 1)
    assert safe_image(data, blur=50, greyscale=True, max_pixels=640 * 480)


def test_what_is_not_an_image_is_refused() -> None:
    with pytest.raises(UnsupportedMediaError):
        safe_image(b"neutral text, not an image", blur=0, greyscale=True)
    with pytest.raises(UnsupportedMediaError):
        safe_image(synthetic_video(1, seconds=1), blur=0, greyscale=True)
    truncated = encoded(photo(), "PNG")[:3000]
    with pytest.raises(CorruptMediaError):
        safe_image(truncated, blur=0, greyscale=True)


@pytest.mark.parametrize("blur", [-1, 101, 2.5, True, "50"])
def test_blur_is_a_whole_number_from_0_to_100(blur: object) -> None:
    with pytest.raises(ValidationError, match="blur"):
        safe_image(encoded(photo(), "PNG"), blur=blur, greyscale=True)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_side", [0, 15, 4097])
def test_max_side_is_bounded(max_side: int) -> None:
    with pytest.raises(ValidationError, match="max_side"):
        safe_image(encoded(photo(), "PNG"), blur=0, greyscale=True, max_side=max_side)


def test_options_blur_only_when_asked() -> None:
    picture = checkerboard(200, 100)
    assert RenditionOptions(0, False).apply(picture) is picture
    assert RenditionOptions(0, True).apply(picture).mode == "L"
    assert sharpness(RenditionOptions(60, False).apply(picture)) < sharpness(picture) / 50


# Videos -----------------------------------------------------------------------------------


def tiles_of(strip: Image.Image, count: int) -> list[Pixels]:
    width = strip.width // count
    pixels = np.asarray(strip.convert("RGB"), dtype=np.float64)
    return [pixels[:, i * width : (i + 1) * width] for i in range(count)]


def closest_frame(tile: Pixels, frames: list[Image.Image]) -> int:
    height, width = tile.shape[:2]
    distances = [
        np.abs(
            np.asarray(f.resize((width, height), Image.Resampling.BOX), dtype=np.float64) - tile
        ).mean()
        for f in frames
    ]
    return int(np.argmin(distances))


def test_a_strip_shows_frames_spread_through_the_video_in_order() -> None:
    video = synthetic_video(5, seconds=6, fps=12)  # 72 frames of 320 x 240
    strip = opened(frame_strip(video, frames=6, blur=0, greyscale=False, tile_height=120))
    assert strip.mode == "RGB"
    assert strip.size == (6 * 160, 120)
    decoded = [Image.fromarray(f) for f in decode_frames(video)[0]]
    shown = [closest_frame(tile, decoded) for tile in tiles_of(strip, 6)]
    assert shown == sorted(shown)
    assert len(set(shown)) == 6
    assert shown[0] < 72 / 6
    assert shown[-1] >= 72 * 5 / 6
    gaps = np.diff(shown)
    assert gaps.min() >= 72 / 6 / 2


def test_a_greyscale_blurred_strip() -> None:
    video = synthetic_video(6, seconds=3, fps=10)
    sharp = opened(frame_strip(video, frames=4, blur=0, greyscale=True))
    blurred = opened(frame_strip(video, frames=4, blur=80, greyscale=True))
    for strip in (sharp, blurred):
        assert strip.mode == "L"
        assert strip.size == (4 * 213, 160)  # 320 x 240 at 160 tall
    assert sharpness(blurred) < sharpness(sharp) / 10


def test_a_video_of_fewer_frames_shows_them_all() -> None:
    frames = [np.full((64, 64, 3), value, dtype=np.uint8) for value in (20, 120, 220)]
    strip = opened(
        frame_strip(encode_frames(frames, fps=10), frames=6, blur=0, greyscale=True, tile_height=64)
    )
    assert strip.size == (3 * 64, 64)
    means = [tile.mean() for tile in tiles_of(strip, 3)]
    assert means == sorted(means)
    assert means[0] < 60
    assert means[-1] > 180


def test_a_rotated_video_is_shown_upright() -> None:
    """Frames stored 320 x 240 with a display rotation of 90 degrees are 240 x 320 upright."""
    frames = [np.zeros((240, 320, 3), dtype=np.uint8) for _ in range(10)]
    for f in frames:
        f[:, :160] = 230  # the stored left half bright
    video = encode_frames(frames, fps=10, rotation=90)
    strip = opened(frame_strip(video, frames=2, blur=0, greyscale=True, tile_height=160))
    assert strip.size == (2 * 120, 160)
    tile = np.asarray(strip, dtype=np.float64)[:, :120]
    # 90 degrees counter-clockwise takes the stored left side to the bottom.
    assert tile[90:].mean() > 200
    assert tile[:70].mean() < 30


def test_a_very_wide_video_is_shrunk_to_fit() -> None:
    frames = [np.full((16, 640, 3), 200, dtype=np.uint8) for _ in range(4)]
    strip = opened(
        frame_strip(encode_frames(frames, fps=4), frames=2, blur=0, greyscale=True, tile_height=100)
    )
    assert strip.size == (2 * 400, 100)  # each tile 4 times as wide as the strip is tall


def test_what_is_not_a_video_is_refused() -> None:
    with pytest.raises(UnsupportedMediaError):
        frame_strip(encoded(photo(), "JPEG"), blur=0, greyscale=True)
    with pytest.raises(UnsupportedMediaError, match="no video stream"):
        frame_strip(audio_only_mp4(), blur=0, greyscale=True)


def test_the_video_limits_hold() -> None:
    video = synthetic_video(7, seconds=2, fps=10)
    with pytest.raises(MediaTooLargeError, match="max_video_frame_pixels"):
        frame_strip(
            video, blur=0, greyscale=True, limits=VideoLimits(max_frame_pixels=320 * 240 - 1)
        )
    with pytest.raises(MediaTooLargeError, match="max_video_seconds"):
        frame_strip(video, blur=0, greyscale=True, limits=VideoLimits(max_seconds=1.0))


@pytest.mark.parametrize(("frames", "tile_height"), [(0, 160), (17, 160), (6, 15), (6, 721)])
def test_strip_sizes_are_bounded(frames: int, tile_height: int) -> None:
    with pytest.raises(ValidationError):
        frame_strip(
            synthetic_video(8, seconds=1),
            frames=frames,
            blur=0,
            greyscale=True,
            tile_height=tile_height,
        )


# Sampling ---------------------------------------------------------------------------------


def sampled(length: int, wanted: int) -> tuple[list[int], int]:
    """The indexes an `EvenSample` chooses from `length` items, and how many it made."""
    sample: EvenSample[int] = EvenSample(wanted)
    made: list[int] = []

    def make(index: int) -> int:
        made.append(index)
        return index

    for index in range(length):
        sample.offer(partial(make, index))
    return sample.chosen(), len(made)


@pytest.mark.parametrize("wanted", [1, 2, 5, 6, 16])
def test_an_even_sample_spreads_through_any_length(wanted: int) -> None:
    for length in range(1, 600):
        chosen, made = sampled(length, wanted)
        assert chosen == sorted(set(chosen))
        assert len(chosen) == min(length, wanted)
        assert made <= 2 * wanted + wanted * math.log2(max(1, length / wanted))  # few made
        if length >= wanted:
            part = length / wanted
            for i, index in enumerate(chosen):
                assert abs(index - (i + 0.5) * part) <= part, (length, chosen)


def test_an_even_sample_of_a_long_stream_makes_few_items() -> None:
    chosen, made = sampled(100_000, 6)
    assert len(chosen) == 6
    assert made < 120
