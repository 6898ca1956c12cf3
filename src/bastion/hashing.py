"""Content to signals: read the bytes under limits, decode safely, compute every signal.

What is computed is what the registered signal types (`bastion.signals.signal_types`, built
in and from plugins) say they are computed from (`SignalType.content`), in registry order.
Images get each image type's hash of their pixels (PDQ, as `pdq_mode` says) and each image
file type's digest of their bytes (MD5, SHA-256), and derived image hashes for robust
matching (`bastion.variants`): the ways the image is also looked up, and what an entry made
from it stores besides its hash. Videos (recognised by their container's first bytes) get
each video file type's digest (video MD5, SHA-256) and the video hashes named by
`HashingOptions.video_hashes` (vPDQ, TMK+PDQF). A video is decoded once: every video hash
takes each frame of the one decoding pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bastion.banks.model import Derived, MatchOptions, NewEntry
from bastion.errors import ConfigurationError, MediaError, UnsupportedMediaError
from bastion.media import decoding, exif_orientation, open_image, read_media
from bastion.media.video import decoded_frames, looks_like_video, open_video, video_info
from bastion.signals import (
    Content,
    HashingOptions,
    ImageHash,
    PdqSignal,
    Signal,
    SignalType,
    signal_types,
)
from bastion.variants import bank_variants, lookups

__all__ = ["EVERY_LOOKUP", "ContentHasher", "HashedContent", "HashingOptions"]


@dataclass(frozen=True)
class HashedContent:
    """The signals of one piece of content and what was learnt decoding it."""

    name: str
    size: int
    format: str
    width: int
    height: int
    #: EXIF orientation of the stored pixels (1 = none; always 1 for video).
    orientation: int
    #: Signals of the content as stored: pdq, md5, sha256 (and plugins' image types) for
    #: an image; video_md5, sha256 and the configured video hashes for a video.
    signals: tuple[Signal, ...]
    #: The image hashes of the image as displayed, when its EXIF orientation is not 1 (for
    #: the types that derive them: PDQ); else empty.
    displayed: tuple[Signal, ...] = ()
    #: "image" or "video".
    kind: str = "image"
    #: A video's declared duration in seconds (None for images, or when not declared).
    seconds: float | None = None
    #: An image's other ways to be looked up: its rotations and mirror images, the
    #: picture inside its borders (see `bastion.variants`).
    lookups: tuple[Derived, ...] = ()
    #: What an entry made from the image may store besides its hash: the picture inside
    #: its borders and its keypoints (when looked up for a bank with those options), and
    #: crops and tilts when hashed with ``variants=True``.
    variants: tuple[Derived, ...] = ()

    def signal(self, type_name: str) -> Signal | None:
        return next((s for s in self.signals if s.type == type_name), None)

    @property
    def displayed_pdq(self) -> Signal | None:
        """PDQ of the image as displayed (the API's and the CLI's ``displayed_pdq``)."""
        return next((s for s in self.displayed if s.type == PdqSignal.name), None)

    def lookups_for(self, options: MatchOptions) -> list[Derived]:
        """The lookups a bank with `options` matches."""
        return [d for d in self.lookups if options.allows(d.how)]

    def entry(self, options: MatchOptions, *, metadata: dict[str, Any], note: str = "") -> NewEntry:
        """An entry of this content for a bank with `options`: its signals, and the derived
        signals those options keep (hash with ``variants=options.variants``)."""
        derived = tuple(d for d in self.variants if options.allows(d.how))
        return NewEntry(signals=self.signals, metadata=metadata, note=note, derived=derived)


def computed_types(content: Content, names: Sequence[str]) -> list[type[SignalType]]:
    """The registered types computed from `content` that `names` asks for, in that order;
    raises `ConfigurationError` for a name that is no such type (a plugin not installed)."""
    known = {t.name: t for t in signal_types().values() if content in t.content}
    unknown = sorted(set(names) - known.keys())
    if unknown:
        raise ConfigurationError(
            f"no {content} signal type is named {', '.join(unknown)} "
            f"(installed: {', '.join(known) or 'none'})"
        )
    return [known[name] for name in names]


#: Hash with every lookup of PDQ that robust matching may use (for a caller that does not
#: know the banks); keypoints, off by default and dearer, only for a caller that asks.
EVERY_LOOKUP = MatchOptions(trim_borders=True, rotations=True, variants=True)


class ContentHasher:
    """Computes the signals of the registered types with the limits, PDQ mode and video
    hashes of `options`."""

    def __init__(self, options: HashingOptions | None = None) -> None:
        self.options = options or HashingOptions()
        #: The types computed from images and videos, in registry order (read once).
        self._image_types = computed_types(Content.IMAGE, self.options.image_hashes)
        self._video_types = computed_types(Content.VIDEO, self.options.video_hashes)
        types = signal_types().values()
        self._image_signals = [
            t for t in types if Content.IMAGE_FILE in t.content or t in self._image_types
        ]
        self._video_files = [t for t in types if Content.VIDEO_FILE in t.content]

    def hash_file(
        self, path: Path, *, options: MatchOptions = EVERY_LOOKUP, variants: bool = False
    ) -> HashedContent:
        data = read_media(path, max_bytes=self.options.max_media_bytes)
        return self.hash_bytes(data, name=str(path), options=options, variants=variants)

    def hash_bytes(
        self,
        data: bytes,
        name: str = "content",
        *,
        options: MatchOptions = EVERY_LOOKUP,
        variants: bool = False,
    ) -> HashedContent:
        """The signals of `data`, with an image's lookups for banks with `options` (the
        matcher's `Matcher.options` says which its banks use); with `variants`, its crops,
        tilts and centre too (what a bank with the `variants` option stores)."""
        try:
            return self._hash_image(data, name, options, variants)
        except UnsupportedMediaError:
            if not looks_like_video(data):
                raise UnsupportedMediaError(
                    f"{name}: not a supported image (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC) "
                    "or video (MP4/MOV, WebM/MKV, AVI, FLV, MPEG-TS, ASF, Ogg)"
                ) from None
        return self._hash_video(data, name)

    def _hash_image(
        self, data: bytes, name: str, options: MatchOptions, variants: bool
    ) -> HashedContent:
        opened = open_image(data, max_pixels=self.options.max_image_pixels, name=name)
        with decoding(name):
            # A type may hash the image before it is decoded (PDQ's fast mode: a reduced
            # JPEG decode, whose pixels every other hash then takes).
            early = {
                t.name: found
                for t in self._image_types
                if (found := t.hash_image(opened.image, self.options)) is not None
            }
            pixels = np.asarray(opened.image.convert("RGB"))
            hashes: list[ImageHash] = [
                early.get(t.name) or t.hash_pixels(pixels, self.options) for t in self._image_types
            ]
        derived = lookups(pixels, hashes, self._image_types, self.options, options)
        orientation = exif_orientation(opened.image)
        displayed = tuple(
            shown for h in hashes if orientation != 1 and (shown := h.oriented(orientation))
        )
        return HashedContent(
            name=name,
            size=len(data),
            format=opened.format,
            width=opened.width,
            height=opened.height,
            orientation=orientation,
            signals=self._image_signals_of(hashes, data),
            displayed=displayed,
            lookups=tuple(derived),
            variants=tuple(
                bank_variants(pixels, derived, self._image_types, self.options, extra=variants)
            ),
        )

    def _hash_video(self, data: bytes, name: str) -> HashedContent:
        limits = self.options.video_limits
        computed: list[Signal] = []
        try:
            with open_video(data, limits) as (container, stream):
                info = video_info(container, stream, limits)  # too long: refused here
                hashers = [
                    t.video_hasher(container, stream, limits, self.options)
                    for t in self._video_types
                ]
                if hashers:  # one decoding pass feeds every video hash
                    for index, frame in enumerate(decoded_frames(container, stream, limits)):
                        for hasher in hashers:
                            hasher.add(index, frame)
            for hasher in hashers:
                computed += hasher.signals()
        except MediaError as e:
            raise type(e)(f"{name}: {e}") from None
        return HashedContent(
            name=name,
            size=len(data),
            format=info.format,
            width=info.width,
            height=info.height,
            orientation=1,
            signals=(*(t.hash_bytes(data) for t in self._video_files), *computed),
            kind="video",
            seconds=info.seconds,
        )

    def _image_signals_of(self, hashes: list[ImageHash], data: bytes) -> tuple[Signal, ...]:
        """An image's signals in registry order: its image hashes and file digests."""
        by_type = {h.signal.type: h.signal for h in hashes}
        return tuple(
            by_type[t.name] if Content.IMAGE in t.content else t.hash_bytes(data)
            for t in self._image_signals
        )
