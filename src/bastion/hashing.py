"""Content to signals: read the bytes under limits, decode safely, compute every signal.

Images get PDQ, MD5 and SHA-256, and derived PDQ hashes for robust matching
(`bastion.variants`): the ways the image is also looked up, and what an entry made from it
stores besides its hash. Videos (recognised by their container's first bytes) get
video MD5, SHA-256 and the video hashes named by `HashingOptions.video_hashes`: vPDQ, with PDQ
computed as `pdq_mode` says, and TMK+PDQF. A video whose frames are mostly inside black bars
gets a second vPDQ signal, of the frames without the bars, so that a copy with the bars
added or cut still matches. A video is decoded once: every video hash takes each frame of
the one decoding pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from bastion.banks.model import Derived, MatchOptions, NewEntry
from bastion.errors import MediaError, UnsupportedMediaError
from bastion.media import decoding, exif_orientation, open_image, read_media
from bastion.media.video import (
    VideoLimits,
    decoded_frames,
    looks_like_video,
    open_video,
    video_info,
)
from bastion.pdq import PdqMode, hash_image, hash_rgb
from bastion.signals import (
    HashingOptions,
    Md5Signal,
    PdqSignal,
    Sha256Signal,
    Signal,
    TmkPdqfSignal,
    VideoMd5Signal,
    VpdqSignal,
)
from bastion.tmk import TmkHasher
from bastion.variants import bank_variants, lookups
from bastion.vpdq import VpdqHasher


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
    #: Signals of the content as stored: pdq, md5, sha256 for an image; video_md5, sha256
    #: and the configured video hashes for a video.
    signals: tuple[Signal, ...]
    #: PDQ of the image as displayed, when its EXIF orientation is not 1; else None.
    displayed_pdq: Signal | None
    #: "image" or "video".
    kind: str = "image"
    #: A video's declared duration in seconds (None for images, or when not declared).
    seconds: float | None = None
    #: An image's other ways to be looked up: its rotations and mirror images, the
    #: picture inside its borders (see `bastion.variants`).
    lookups: tuple[Derived, ...] = ()
    #: What an entry made from the image may store besides its hash: the picture inside
    #: its borders, and crops and tilts when hashed with ``variants=True``.
    variants: tuple[Derived, ...] = ()

    def signal(self, type_name: str) -> Signal | None:
        return next((s for s in self.signals if s.type == type_name), None)

    def lookups_for(self, options: MatchOptions) -> list[Derived]:
        """The lookups a bank with `options` matches."""
        return [d for d in self.lookups if options.allows(d.how)]

    def entry(self, options: MatchOptions, *, metadata: dict[str, Any], note: str = "") -> NewEntry:
        """An entry of this content for a bank with `options`: its signals, and the derived
        signals those options keep (hash with ``variants=options.variants``)."""
        derived = tuple(d for d in self.variants if options.allows(d.how))
        return NewEntry(signals=self.signals, metadata=metadata, note=note, derived=derived)


#: Hash with every lookup robust matching may use (for a caller that does not know the banks).
EVERY_LOOKUP = MatchOptions(trim_borders=True, rotations=True, variants=True)


class ContentHasher:
    """Computes signals with the limits, PDQ mode and video hashes of `options`."""

    def __init__(self, options: HashingOptions | None = None) -> None:
        self.options = options or HashingOptions()
        self.pdq_mode = self.options.pdq_mode

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
            if self.pdq_mode is PdqMode.FAST:  # hashes a reduced decode (JPEG draft)
                digest = hash_image(opened.image, self.pdq_mode)
                pixels = np.asarray(opened.image.convert("RGB"))
            else:  # what hash_image does, keeping the pixels
                pixels = np.asarray(opened.image.convert("RGB"))
                digest = hash_rgb(pixels, self.pdq_mode)
        found = lookups(pixels, digest, self.pdq_mode, options)
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
            lookups=tuple(found),
            variants=tuple(bank_variants(pixels, found, self.pdq_mode, extra=variants)),
        )

    def _video_hasher(
        self,
        type_name: str,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        limits: VideoLimits,
    ) -> VpdqHasher | TmkHasher:
        if type_name == VpdqSignal.name:
            return VpdqHasher(
                stream,
                seconds_per_hash=self.options.vpdq_seconds_per_hash,
                mode=self.pdq_mode,
                limits=limits,
            )
        return TmkHasher(container, stream, limits=limits)

    def _hash_video(self, data: bytes, name: str) -> HashedContent:
        limits = self.options.video_limits
        signals = [VideoMd5Signal.hash_bytes(data), Sha256Signal.hash_bytes(data)]
        try:
            with open_video(data, limits) as (container, stream):
                info = video_info(container, stream, limits)  # too long: refused here
                types = self.options.video_hashes
                hashers = [self._video_hasher(t, container, stream, limits) for t in types]
                if hashers:  # one decoding pass feeds every video hash
                    for index, frame in enumerate(decoded_frames(container, stream, limits)):
                        for hasher in hashers:
                            hasher.add(index, frame)
            for hasher in hashers:
                if isinstance(hasher, VpdqHasher):
                    hashes = hasher.result()
                    for frames in (hashes.frames, hashes.trimmed):
                        if frames is not None:
                            value = VpdqSignal.serialize([f.feature for f in frames])
                            signals.append(Signal(VpdqSignal.name, value))
                else:
                    features = hasher.result()
                    signals.append(Signal(TmkPdqfSignal.name, TmkPdqfSignal.encode(features)))
        except MediaError as e:
            raise type(e)(f"{name}: {e}") from None
        return HashedContent(
            name=name,
            size=len(data),
            format=info.format,
            width=info.width,
            height=info.height,
            orientation=1,
            signals=tuple(signals),
            displayed_pdq=None,
            kind="video",
            seconds=info.seconds,
        )
