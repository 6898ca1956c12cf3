"""Opening images safely: format allow-list, pixel limits, and one error type per failure.

Decoding is lazy: `open_image` reads only the header, checks it, and hands back an image
that is not yet decoded, so hashers may ask the decoder for a reduced size (JPEG draft mode)
before the pixels are loaded. Wrap the decode in `decoding()` to turn decoder failures into
`CorruptMediaError`.

EXIF orientation is reported (`exif_orientation`), never applied here: hashes are of the
stored pixels, as in Meta's reference PDQ implementation and the hash lists exchanged
between platforms.

Decoding work is bounded by `max_pixels`, whatever the file claims: the size is checked from
the header (a decompression bomb is refused before any pixel is decoded), only the first
frame of an animated or multi-page file is ever decoded, and a progressive JPEG, whose
every scan is another pass over the whole picture, may have at most `SCAN_PASSES` scans of
an image of the largest size (more scans of a smaller one). Pillow's own bomb guard and its
warnings about damaged data are left out of it: the limit is the setting's, and the
warnings would put the file's text in the server's log.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pillow_heif
from PIL import Image, UnidentifiedImageError

from bastion.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError, first_line

pillow_heif.register_heif_opener()

#: Pillow format names bastion decodes. (Pillow's JPEG opener also reads MPO, the
#: multi-picture JPEG that phones write; it is reported as JPEG.)
SUPPORTED_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF")

_EXIF_ORIENTATION = 0x0112
#: Scans of an image of `max_pixels` a progressive JPEG may have; a smaller image may have
#: proportionally more. Encoders write about 10; each costs a pass over every block.
SCAN_PASSES = 100

#: Modules whose warnings about damaged data are ignored.
_DECODERS = r"(PIL|pillow_heif)\."
# What Pillow and its plugins raise on damaged input.
_DECODER_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError)


@dataclass(frozen=True)
class OpenedImage:
    """A checked, not yet decoded image and what its header says."""

    image: Image.Image
    format: str
    width: int
    height: int


def open_image(data: bytes, *, max_pixels: int, name: str = "image") -> OpenedImage:
    """Identify and check an image without decoding its pixels."""
    with decoding(name), warnings.catch_warnings():
        # The limit is ours (below), including above Pillow's own default.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=SUPPORTED_IMAGE_FORMATS)
        except UnidentifiedImageError:
            raise UnsupportedMediaError(
                f"{name}: not a supported image (supported: JPEG, PNG, WebP, GIF, BMP, TIFF, "
                "HEIC/HEIF)"
            ) from None
        width, height = image.size
        if width <= 0 or height <= 0:
            raise CorruptMediaError(f"{name}: image has no pixels ({width}x{height})")
        if width * height > max_pixels:
            raise MediaTooLargeError(
                f"{name}: {width}x{height} = {width * height:,} pixels exceeds the limit of "
                f"{max_pixels:,} (setting max_image_pixels)"
            )
        if image.format in ("JPEG", "MPO"):
            _check_scans(data, width * height, max_pixels, name)
        return OpenedImage(
            image=image,
            format="JPEG" if image.format == "MPO" else str(image.format),
            width=width,
            height=height,
        )


def _check_scans(data: bytes, pixels: int, max_pixels: int, name: str) -> None:
    """Refuse a JPEG whose scans would take more than `SCAN_PASSES` passes over an image of
    `max_pixels` (a few hundred bytes of empty scans can cost minutes of decoding)."""
    scans = jpeg_scans(data)
    if scans * pixels > SCAN_PASSES * max_pixels:
        raise MediaTooLargeError(
            f"{name}: a JPEG of {scans:,} scans over {pixels:,} pixels passes the limit of "
            f"{SCAN_PASSES} scans of {max_pixels:,} pixels (setting max_image_pixels)"
        )


def jpeg_scans(data: bytes) -> int:
    """The scans (SOS segments) of the first picture of a JPEG file, up to its end (EOI),
    found as libjpeg finds them, so that no trick hides one: a marker is one or more 0xFF
    and a code other than 0x00 (a stuffed byte) or 0xFF; whatever else lies between
    segments, and a scan's coded data, is skipped to the next one, and marker segments by
    their length."""
    position, scans = 0, 0
    while (found := _MARKER.search(data, position)) is not None:
        marker, position = data[found.end() - 1], found.end()
        if marker == 0xD9:  # EOI
            break
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:  # RSTn, SOI and TEM have no length
            continue
        if marker == 0xDA:
            scans += 1
        position += int.from_bytes(data[position : position + 2], "big")
    return scans


#: A marker: 0xFF, any number of 0xFF fill bytes, and a code.
_MARKER = re.compile(rb"\xff+[^\x00\xff]")


@contextmanager
def decoding(name: str) -> Iterator[None]:
    """Turn the decoder's own exceptions into `CorruptMediaError` (or a size error), and
    keep its warnings about damaged data out of the log."""
    try:
        with warnings.catch_warnings():
            # Only the decoders' own: catch_warnings is not thread-safe, and should two
            # requests interleave, what it leaves behind must be harmless.
            warnings.filterwarnings("ignore", category=UserWarning, module=_DECODERS)
            yield
    except (UnsupportedMediaError, MediaTooLargeError, CorruptMediaError):
        raise
    except MemoryError:
        raise MediaTooLargeError(f"{name}: not enough memory to decode this image") from None
    except Image.DecompressionBombError:
        raise MediaTooLargeError(
            f"{name}: image dimensions are too large to decode (setting max_image_pixels)"
        ) from None
    except _DECODER_ERRORS as e:
        raise CorruptMediaError(f"{name}: corrupt or truncated image ({first_line(e)})") from None


def exif_orientation(image: Image.Image) -> int:
    """The EXIF Orientation tag (1-8) of a *decoded* image; 1 when absent or invalid.

    Call it only after the pixels are loaded: for some formats (PNG) reading EXIF decodes
    the whole image, and a failure there must surface as a decoding error, not be mistaken
    for a damaged EXIF block.
    """
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except _DECODER_ERRORS:
        return 1  # a damaged EXIF block is no reason to refuse the image
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
