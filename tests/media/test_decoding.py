"""Decoding every supported format, and refusing bad input with one clear error."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bastion.errors import CorruptMediaError, MediaError, MediaTooLargeError, UnsupportedMediaError
from bastion.hashing import ContentHasher
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import PdqSignal


@pytest.fixture
def hasher(tmp_path: Path) -> ContentHasher:
    return ContentHasher(Settings.load(env={}, data_dir=tmp_path))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "options", "lossless"),
    [
        ("JPEG", {"quality": 95}, False),
        ("PNG", {}, True),
        ("WEBP", {"lossless": True}, True),
        ("BMP", {}, True),
        ("TIFF", {"compression": "tiff_deflate"}, True),
        ("HEIF", {"quality": 90}, False),
    ],
)
def test_every_supported_format_hashes_like_the_png(
    hasher: ContentHasher, fmt: str, options: dict, lossless: bool
) -> None:
    image = Image.fromarray(sample_pixels(5))
    reference = hasher.hash_bytes(encode(image, "PNG")).signal("pdq")
    content = hasher.hash_bytes(encode(image, fmt, **options), name=f"x.{fmt.lower()}")
    pdq = content.signal("pdq")
    assert reference is not None
    assert pdq is not None
    assert content.format == fmt
    assert (content.width, content.height) == (640, 480)
    distance = PdqSignal.distance(pdq.value, reference.value)
    assert distance == 0 if lossless else distance <= 10
    assert pdq.quality is not None
    assert pdq.quality >= 80


def test_gif_uses_the_first_frame(hasher: ContentHasher) -> None:
    first, second = (Image.fromarray(sample_pixels(s)).convert("P") for s in (1, 2))
    animated = encode(first, "GIF", save_all=True, append_images=[second], duration=100)
    only_first = encode(first, "GIF")
    assert hasher.hash_bytes(animated).signal("pdq") == hasher.hash_bytes(only_first).signal("pdq")


def test_exif_orientation_is_reported_and_displayed_hash_derived(hasher: ContentHasher) -> None:
    upright = Image.fromarray(sample_pixels(9))
    # Stored rotated, tagged 6 ("rotate 90 clockwise to display"), as a phone would write it.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    content = hasher.hash_bytes(encode(stored, "JPEG", quality=95, exif=exif))
    plain = hasher.hash_bytes(encode(upright, "JPEG", quality=95))
    assert content.orientation == 6
    assert content.displayed_pdq is not None
    stored_pdq, upright_pdq = content.signal("pdq"), plain.signal("pdq")
    assert stored_pdq is not None
    assert upright_pdq is not None
    assert PdqSignal.distance(content.displayed_pdq.value, upright_pdq.value) <= 10
    assert PdqSignal.distance(stored_pdq.value, upright_pdq.value) > 60
    assert plain.displayed_pdq is None


def test_random_bytes_are_unsupported(hasher: ContentHasher) -> None:
    with pytest.raises(UnsupportedMediaError, match="not a supported image"):
        hasher.hash_bytes(b"this is plain text, not an image" * 10, name="notes.txt")


def test_truncated_jpeg_is_corrupt(hasher: ContentHasher) -> None:
    data = encode(Image.fromarray(sample_pixels(3)), "JPEG", quality=90)
    with pytest.raises(CorruptMediaError, match=r"truncated\.jpg: corrupt or truncated"):
        hasher.hash_bytes(data[: len(data) // 2], name="truncated.jpg")


def test_png_with_damaged_data_is_corrupt(hasher: ContentHasher) -> None:
    data = bytearray(encode(Image.fromarray(sample_pixels(3)), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start : start + 2] = b"\xff\xff"  # break the zlib stream's header
    with pytest.raises(CorruptMediaError):
        hasher.hash_bytes(bytes(data), name="damaged.png")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, followed by tiny compressed data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding(hasher: ContentHasher) -> None:
    bomb = png_header_only(60_000, 60_000)  # 3.6 gigapixels in a few hundred bytes
    assert len(bomb) < 500
    with pytest.raises(MediaTooLargeError, match=r"bomb\.png: image dimensions are too large"):
        hasher.hash_bytes(bomb, name="bomb.png")


def test_pixel_limit_is_a_setting(tmp_path: Path) -> None:
    small = ContentHasher(Settings.load(env={}, data_dir=tmp_path, max_image_pixels=10_000))
    data = encode(Image.fromarray(sample_pixels(1, 200, 100)), "PNG")
    with pytest.raises(
        MediaTooLargeError, match="200x100 = 20,000 pixels exceeds the limit of 10,000"
    ):
        small.hash_bytes(data)


def test_byte_limit_applies_before_reading(tmp_path: Path) -> None:
    hasher = ContentHasher(Settings.load(env={}, data_dir=tmp_path, max_media_bytes=1000))
    path = tmp_path / "big.png"
    path.write_bytes(encode(Image.fromarray(sample_pixels(1, 200, 100)), "PNG"))
    with pytest.raises(MediaTooLargeError, match="exceeds the limit of 1,000 bytes"):
        hasher.hash_file(path)


@pytest.mark.parametrize(
    ("make", "message"), [("missing", "no such file"), ("dir", "directory"), ("empty", "empty")]
)
def test_unreadable_paths(hasher: ContentHasher, tmp_path: Path, make: str, message: str) -> None:
    path = tmp_path / "thing"
    if make == "dir":
        path.mkdir()
    elif make == "empty":
        path.write_bytes(b"")
    with pytest.raises(MediaError, match=message):
        hasher.hash_file(path)


def test_tiny_and_flat_images_hash_with_low_quality(hasher: ContentHasher) -> None:
    flat = hasher.hash_bytes(encode(Image.new("RGB", (300, 200), (120, 130, 140)), "PNG"))
    pdq = flat.signal("pdq")
    assert pdq is not None
    assert pdq.quality is not None
    assert pdq.quality < 50
    tiny = hasher.hash_bytes(encode(Image.fromarray(np.zeros((1, 1, 3), np.uint8)), "PNG"))
    assert tiny.signal("pdq") is not None
