"""Safe media input: reading files under byte limits and decoding images under pixel limits.

Video decoding lives in `bastion.media.video`, imported on its own because it loads PyAV.
"""

from bastion.media.fetch import (
    FetchedContent,
    FetchError,
    FetchPolicy,
    ForbiddenAddressError,
    InvalidUrlError,
    fetch,
)
from bastion.media.image import (
    SUPPORTED_IMAGE_FORMATS,
    OpenedImage,
    decoding,
    exif_orientation,
    open_image,
)
from bastion.media.source import read_media

__all__ = [
    "SUPPORTED_IMAGE_FORMATS",
    "FetchError",
    "FetchPolicy",
    "FetchedContent",
    "ForbiddenAddressError",
    "InvalidUrlError",
    "OpenedImage",
    "decoding",
    "exif_orientation",
    "fetch",
    "open_image",
    "read_media",
]
