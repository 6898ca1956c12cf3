"""Opening images safely: format allow-list, pixel limits, and one error type per failure.

Decoding is lazy: `open_image` reads only the header, checks it, and hands back an image
that is not yet decoded, so hashers may ask the decoder for a reduced size (JPEG draft mode)
before the pixels are loaded. Wrap the decode in `decoding()` to turn decoder failures into
`CorruptMediaError`.

EXIF orientation is reported (`exif_orientation`), never applied here: hashes are of the
stored pixels, as in Meta's reference PDQ implementation and the hash lists exchanged
between platforms.
"""

from __future__ import annotations

import io
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
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=SUPPORTED_IMAGE_FORMATS)
        except UnidentifiedImageError:
            raise UnsupportedMediaError(
                f"{name}: not a supported image (supported: JPEG, PNG, WebP, GIF, BMP, TIFF, "
                "HEIC/HEIF)"
            ) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise MediaTooLargeError(f"{name}: image dimensions are too large to decode") from None
        width, height = image.size
        if width <= 0 or height <= 0:
            raise CorruptMediaError(f"{name}: image has no pixels ({width}x{height})")
        if width * height > max_pixels:
            raise MediaTooLargeError(
                f"{name}: {width}x{height} = {width * height:,} pixels exceeds the limit of "
                f"{max_pixels:,} (setting max_image_pixels)"
            )
        return OpenedImage(
            image=image,
            format="JPEG" if image.format == "MPO" else str(image.format),
            width=width,
            height=height,
        )


@contextmanager
def decoding(name: str) -> Iterator[None]:
    """Turn the decoder's own exceptions into `CorruptMediaError` (or a size error)."""
    try:
        yield
    except (UnsupportedMediaError, MediaTooLargeError, CorruptMediaError):
        raise
    except MemoryError:
        raise MediaTooLargeError(f"{name}: not enough memory to decode this image") from None
    except Image.DecompressionBombError:
        raise MediaTooLargeError(f"{name}: image dimensions are too large to decode") from None
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
