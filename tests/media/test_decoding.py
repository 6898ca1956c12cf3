"""Decoding every supported format, and refusing bad input with one clear error."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bastion.errors import CorruptMediaError, MediaError, MediaTooLargeError, UnsupportedMediaError
from bastion.hashing import ContentHasher
from bastion.media.image import jpeg_scans
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import PdqSignal
from tests.hostile_media import jpeg_with_scans, png_header_only


@pytest.fixture
def hasher(tmp_path: Path) -> ContentHasher:
    return ContentHasher(Settings.load(env={}, data_dir=tmp_path).hashing_options())


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


def test_palette_images_hash_the_colours_they_show(hasher: ContentHasher) -> None:
    """A GIF or palette PNG hashes as the RGB picture it shows, as Meta's reference
    pdq-photo-hasher does; not as its palette indices read as grey (what python-threatexchange
    1.2.16, and so HMA 1.1.7, hashes: docs/media.md). The palette is ordered brightest
    first, so indices and colours disagree everywhere."""
    quantized = Image.fromarray(sample_pixels(3)).quantize(colors=64)
    palette = np.array(quantized.getpalette()[: 64 * 3]).reshape(64, 3)
    brightest_first = np.argsort(-(palette @ np.array([299, 587, 114])), kind="stable")
    remap = np.empty(64, np.uint8)
    remap[brightest_first] = np.arange(64, dtype=np.uint8)
    indices = remap[np.asarray(quantized)]
    paletted = Image.fromarray(indices, "P")
    paletted.putpalette(palette[brightest_first].astype(np.uint8).flatten().tolist())
    shown = hasher.hash_bytes(encode(paletted.convert("RGB"), "PNG")).signal("pdq")
    for fmt in ("PNG", "GIF"):
        data = encode(paletted, fmt)
        assert Image.open(io.BytesIO(data)).mode == "P"
        assert hasher.hash_bytes(data, name=f"x.{fmt.lower()}").signal("pdq") == shown
    indices_as_grey = hasher.hash_bytes(encode(Image.fromarray(indices, "L"), "PNG")).signal("pdq")
    assert shown is not None
    assert indices_as_grey is not None
    assert PdqSignal.distance(indices_as_grey.value, shown.value) > 128


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


def test_decompression_bomb_is_refused_before_decoding(hasher: ContentHasher) -> None:
    bomb = png_header_only(60_000, 60_000)  # 3.6 gigapixels in a few hundred bytes
    assert len(bomb) < 500
    with pytest.raises(
        MediaTooLargeError,
        match=r"bomb\.png: image dimensions are too large .*\(setting max_image_pixels\)",
    ):
        hasher.hash_bytes(bomb, name="bomb.png")


def test_the_pixel_limit_is_the_settings_not_pillows(tmp_path: Path) -> None:
    """Pillow's own guard warns past 89.5 million pixels; it used to refuse such images even
    where max_image_pixels allowed them. Now only the setting decides: this 95-million
    pixel header is let through to the decoder (which finds no pixels behind it)."""
    large = ContentHasher(
        Settings.load(env={}, data_dir=tmp_path, max_image_pixels=100_000_000).hashing_options()
    )
    with pytest.raises(CorruptMediaError, match="corrupt or truncated"):
        large.hash_bytes(png_header_only(10_000, 9_500), name="large.png")
    default = ContentHasher(Settings.load(env={}, data_dir=tmp_path).hashing_options())
    with pytest.raises(MediaTooLargeError, match=r"95,000,000 pixels exceeds the limit of 64,000"):
        default.hash_bytes(png_header_only(10_000, 9_500), name="large.png")


def test_a_jpeg_of_thousands_of_scans_is_refused_before_decoding(hasher: ContentHasher) -> None:
    """372 KB of empty progressive scans over 16 million pixels took 13 s to decode: each
    scan makes the decoder visit every block. The scans are counted first."""
    bomb = jpeg_with_scans(4000, 10_000)
    assert len(bomb) < 400_000
    assert jpeg_scans(bomb) == 10_000
    message = r"scans\.jpg: a JPEG of 10,000 scans .* \(setting max_image_pixels\)"
    with pytest.raises(MediaTooLargeError, match=message):
        hasher.hash_bytes(bomb, name="scans.jpg")
    # A smaller picture may have more scans: the bound is on the work, scans x pixels.
    assert hasher.hash_bytes(jpeg_with_scans(400, 1_000)).format == "JPEG"


def test_scans_are_counted_as_a_decoder_reads_them() -> None:
    image = Image.fromarray(sample_pixels(6))
    assert jpeg_scans(encode(image, "JPEG")) == 1
    assert jpeg_scans(encode(image.convert("L"), "JPEG", progressive=True)) == 6
    assert jpeg_scans(encode(image, "JPEG", progressive=True)) == 10
    # An EXIF thumbnail holds a whole JPEG, scans and all, in a marker segment: not counted.
    thumbnail = encode(image.resize((160, 120)), "JPEG", progressive=True)
    exif = Image.Exif()
    exif[0x0112] = 1
    with_thumbnail = encode(image, "JPEG", exif=exif.tobytes() + thumbnail)
    assert jpeg_scans(with_thumbnail) == 1
    assert jpeg_scans(encode(image, "JPEG")[:-200]) == 1  # truncated: counted up to the end


def test_scans_cannot_be_hidden_from_the_count() -> None:
    """libjpeg skips stray bytes between segments and reads 0xFF 0xFF 0x00 in coded data as
    a stuffed byte; a marker walk that stopped at the one or took the other for a marker
    would miss every scan after it, and libjpeg would decode them all."""
    hidden = jpeg_with_scans(400, 300, hidden=True)
    assert jpeg_scans(hidden) == 300
    with Image.open(io.BytesIO(hidden)) as image:
        image.load()  # libjpeg reads every scan
        assert (image.size, image.getpixel((5, 5))) == ((400, 400), 128)


def test_decoder_warnings_about_damaged_files_stay_out_of_the_log(hasher: ContentHasher) -> None:
    """A TIFF whose first directory lies past the end of the file: Pillow warns (with bytes
    of the file in the message) and gives up. The warning is not let out (the test suite
    turns warnings into errors, which was a 500) and the file is refused clearly."""
    data = b"II*\x00" + struct.pack("<I", 100) + bytes(8)
    with pytest.raises(UnsupportedMediaError, match=r"t\.tif: not a supported image"):
        hasher.hash_bytes(data, name="t.tif")


def test_pixel_limit_is_a_setting(tmp_path: Path) -> None:
    small = ContentHasher(
        Settings.load(env={}, data_dir=tmp_path, max_image_pixels=10_000).hashing_options()
    )
    data = encode(Image.fromarray(sample_pixels(1, 200, 100)), "PNG")
    with pytest.raises(
        MediaTooLargeError, match="200x100 = 20,000 pixels exceeds the limit of 10,000"
    ):
        small.hash_bytes(data)


def test_byte_limit_applies_before_reading(tmp_path: Path) -> None:
    hasher = ContentHasher(
        Settings.load(env={}, data_dir=tmp_path, max_media_bytes=1000).hashing_options()
    )
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
