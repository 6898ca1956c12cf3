"""Content to signals: read the bytes under limits, decode safely, compute every signal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bastion.media import decoding, exif_orientation, open_image, read_media
from bastion.pdq import PdqMode, hash_image
from bastion.settings import Settings
from bastion.signals import Md5Signal, PdqSignal, Sha256Signal, Signal


@dataclass(frozen=True)
class HashedContent:
    """The signals of one piece of content and what was learnt decoding it."""

    name: str
    size: int
    format: str
    width: int
    height: int
    #: EXIF orientation of the stored pixels (1 = none).
    orientation: int
    #: Signals of the content as stored: pdq, md5, sha256.
    signals: tuple[Signal, ...]
    #: PDQ of the image as displayed, when its EXIF orientation is not 1; else None.
    displayed_pdq: Signal | None

    def signal(self, type_name: str) -> Signal | None:
        return next((s for s in self.signals if s.type == type_name), None)


class ContentHasher:
    """Computes signals with the limits and PDQ mode from `Settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pdq_mode = PdqMode(settings.pdq_mode)

    def hash_file(self, path: Path) -> HashedContent:
        data = read_media(path, max_bytes=self.settings.max_media_bytes)
        return self.hash_bytes(data, name=str(path))

    def hash_bytes(self, data: bytes, name: str = "content") -> HashedContent:
        opened = open_image(data, max_pixels=self.settings.max_image_pixels, name=name)
        with decoding(name):
            digest = hash_image(opened.image, self.pdq_mode)
        orientation = exif_orientation(opened.image)
        pdq = Signal(PdqSignal.name, digest.hash, digest.quality)
        displayed = None
        if orientation != 1:
            displayed = Signal(PdqSignal.name, digest.oriented(orientation), digest.quality)
        return HashedContent(
            name=name,
            size=len(data),
            format=opened.format,
            width=opened.width,
            height=opened.height,
            orientation=orientation,
            signals=(pdq, Md5Signal.hash_bytes(data), Sha256Signal.hash_bytes(data)),
            displayed_pdq=displayed,
        )
