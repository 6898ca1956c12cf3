"""The signal-type interface: what every hash algorithm provides to banks, indexes and matching."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from bastion.errors import InvalidSignalError
from bastion.index import ExactIndex, IndexHit, MultiIndexHammingIndex, SignalIndex
from bastion.pdq import EXIF_ORIENTATION_TO_DIHEDRAL
from bastion.signals.options import HashingOptions, MatchingOptions

if TYPE_CHECKING:
    import av
    from PIL import Image

    from bastion.media.video import VideoLimits
    from bastion.vpdq import VideoComparison


class MatchKind(StrEnum):
    """How values of a signal type are compared, which decides the index that holds them."""

    EXACT = "exact"  # equal or not: distance is 0 or "no match"
    HAMMING = "hamming"  # fixed-width bit strings compared by Hamming distance
    FRAMES = "frames"  # a video's frame hashes, each matched by Hamming distance (vPDQ)
    SIMILARITY = "similarity"  # descriptors scored by similarity, 1.0 the same (TMK)


class Content(StrEnum):
    """What a signal type is computed from, by `bastion.hashing.ContentHasher`."""

    IMAGE_FILE = "image file"  # the bytes of an image file (`SignalType.hash_bytes`)
    VIDEO_FILE = "video file"  # the bytes of a video file (`SignalType.hash_bytes`)
    IMAGE = "image"  # an image's decoded pixels (`SignalType.hash_pixels`)
    VIDEO = "video"  # a video's decoded frames (`SignalType.video_hasher`)


#: Values longer than this are stored and shown under their `Signal.key`.
KEY_LENGTH = 512


@dataclass(frozen=True, slots=True)
class Signal:
    """One hash of one piece of content: its type's short name, normalised value and quality."""

    type: str
    value: str
    quality: int | None = None

    @property
    def key(self) -> str:
        """The value, or for a long one (a video's frame hashes, a TMK descriptor) a short
        stand-in, ``sha256:`` and the digest of the value: what duplicate checks compare and
        what match results show."""
        if len(self.value) <= KEY_LENGTH:
            return self.value
        return "sha256:" + hashlib.sha256(self.value.encode()).hexdigest()


RgbPixels = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class ImageHash:
    """An image type's hash of one image: its signal and, for a type that can tell without
    hashing again (PDQ), the hashes of the same image turned and mirrored."""

    signal: Signal
    #: Values by `bastion.pdq.DIHEDRAL_NAMES` name ("original", "rotate90", "flipx", ...);
    #: empty when the type derives none.
    dihedral: Mapping[str, str] = field(default_factory=dict)

    def oriented(self, orientation: int) -> Signal | None:
        """The signal of the image as displayed under EXIF `orientation` (2-8): None for 1,
        or when the type derives no turned hashes."""
        name = EXIF_ORIENTATION_TO_DIHEDRAL.get(orientation, "original")
        value = self.dihedral.get(name) if name != "original" else None
        return None if value is None else Signal(self.signal.type, value, self.signal.quality)


class VideoHasher(Protocol):
    """One video type's hash of one video, given each decoded frame in order."""

    def add(self, index: int, frame: av.VideoFrame) -> None: ...

    def signals(self) -> list[Signal]:
        """The video's signals of this type, once every frame is in."""
        ...


#: What a candidate amounts to under one bank's threshold: (distance, similarity score,
#: video comparison), or None where it does not match there.
Verdict = tuple[int, float | None, "VideoComparison | None"]
Judge = Callable[[int], Verdict | None]
#: An index hit, and for a type that judges candidates itself, its judge (None: the hit's
#: distance decides).
Candidate = tuple[IndexHit, Judge | None]
#: Reads whole stored values by signal id (for a judge that needs more than the index holds).
ValueReader = Callable[[list[int]], Mapping[int, str]]
#: Work that finds more candidates by reading values: done without the matcher's lock.
Deferred = Callable[[ValueReader], list[Candidate]]


class SignalType(ABC):
    """A hash algorithm. Subclasses are stateless; everything is a class attribute or method.

    `name` is stable forever: it is the key under which values are stored and exchanged.
    A type declares its value format (`normalize`), what content it is computed from
    (`content` and the hook that goes with it), its index (`new_index`), how a candidate is
    judged (`candidates`) and its threshold policy (`default_threshold`,
    `configured_threshold`, `matchable`). Built-in types and those of plugins (entry point
    group ``bastion.signal_types``) are alike: `bastion.signals.signal_types()`.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    match_kind: ClassVar[MatchKind]
    #: Largest distance counted as a match by default (0 for exact types).
    default_threshold: ClassVar[int] = 0
    #: Largest possible distance (the bit width for Hamming and frame types, 0 otherwise).
    max_distance: ClassVar[int] = 0
    #: What bastion computes this type from; empty for a type it only stores and looks up.
    content: ClassVar[frozenset[Content]] = frozenset()
    #: Values are long (a video's frames, a descriptor): read in small pages, and looked up
    #: in a worker thread rather than on an event loop.
    long_values: ClassVar[bool] = False

    # Computing -----------------------------------------------------------------------------

    @classmethod
    def hash_bytes(cls, data: bytes) -> Signal:
        """The signal of a file's bytes (types with `Content.IMAGE_FILE` or `VIDEO_FILE`)."""
        raise NotImplementedError(f"{cls.name} is not computed from file bytes")

    @classmethod
    def hash_pixels(cls, pixels: RgbPixels, options: HashingOptions) -> ImageHash:
        """The hash of an HxWx3 RGB image (types with `Content.IMAGE`)."""
        raise NotImplementedError(f"{cls.name} is not computed from images")

    @classmethod
    def hash_image(cls, image: Image.Image, options: HashingOptions) -> ImageHash | None:
        """The hash of an opened image before its pixels are decoded, for a type with a
        quicker way than `hash_pixels` (PDQ's fast mode decodes a reduced JPEG); None to
        be given the pixels."""
        return None

    @classmethod
    def video_hasher(
        cls,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        limits: VideoLimits,
        options: HashingOptions,
    ) -> VideoHasher:
        """A hasher of one video's frames (types with `Content.VIDEO`): every video type
        takes each frame of one decoding pass."""
        raise NotImplementedError(f"{cls.name} is not computed from video")

    @classmethod
    def from_frame(cls, frame: Mapping[str, ImageHash]) -> Signal | None:
        """A signal of one live-stream frame, from the image hashes of that frame (vPDQ: a
        one-frame video); None for a type that matches no single frame."""
        return None

    # Matching ------------------------------------------------------------------------------

    @classmethod
    def new_index(cls, options: MatchingOptions) -> SignalIndex:
        """An empty index of this type's values: exact types a hash map, Hamming types the
        multi-index; types of the other kinds bring their own."""
        if cls.match_kind is MatchKind.HAMMING:
            return MultiIndexHammingIndex(bits=cls.max_distance)
        if cls.match_kind is MatchKind.EXACT:
            return ExactIndex()
        raise NotImplementedError(f"{cls.name} must say which index holds its values")

    @classmethod
    def matchable(cls, quality: int | None, options: MatchingOptions) -> bool:
        """Whether a value of this `quality` is indexed and looked up."""
        return True

    @classmethod
    def candidates(
        cls, index: SignalIndex, value: str, threshold: int, options: MatchingOptions
    ) -> tuple[list[Candidate], list[Deferred]]:
        """The bank values `value` (as received) may match within `threshold`, each with its
        judge, and work that finds more by reading whole values. By default: the index's
        hits for each of the value's `lookup_keys`, judged by their distance."""
        normalized = cls.normalize(value)
        found: list[Candidate] = [
            (hit, None)
            for key in cls.lookup_keys(normalized)
            for hit in index.query(key, threshold)
        ]
        return found, []

    @classmethod
    def configured_threshold(cls, options: MatchingOptions) -> int:
        """The threshold used where a bank sets none: the configured one, for a type that
        has a setting, else `default_threshold` (see `bastion.matching.threshold_for`)."""
        return cls.default_threshold

    @classmethod
    @abstractmethod
    def normalize(cls, value: str) -> str:
        """Return the canonical form of `value`, or raise `InvalidSignalError`."""

    @classmethod
    def distance(cls, a: str, b: str) -> int | None:
        """Distance between two normalised values; None means "cannot match" for exact types."""
        return 0 if a == b else None

    @classmethod
    def lookup_keys(cls, value: str) -> list[str]:
        """For an exact type: the bank values a normalised query value matches (itself; a
        URL also its domains, a text its phrases)."""
        return [value]

    @classmethod
    @abstractmethod
    def examples(cls) -> list[str]:
        """Benign example values, for documentation, demos and an offline sample exchange."""


class HexDigestSignalType(SignalType):
    """Base for signal types whose values are fixed-length lowercase hex strings."""

    hex_length: ClassVar[int]

    @classmethod
    def normalize(cls, value: str) -> str:
        if not isinstance(value, str):
            raise InvalidSignalError(
                f"{cls.name}: expected a hex string, got {type(value).__name__}"
            )
        text = value.strip().lower()
        if len(text) != cls.hex_length or not _HEX.fullmatch(text):
            shown = text if len(text) <= 80 else text[:77] + "..."
            raise InvalidSignalError(
                f"{cls.name}: expected {cls.hex_length} hex characters, got {shown!r}"
            )
        return text


class FileDigestSignalType(HexDigestSignalType):
    """Base for cryptographic digests of a file's bytes, matched exactly."""

    match_kind = MatchKind.EXACT
    #: The `hashlib` algorithm name.
    algorithm: ClassVar[str]

    @classmethod
    def hash_bytes(cls, data: bytes) -> Signal:
        return Signal(cls.name, hashlib.new(cls.algorithm, data, usedforsecurity=False).hexdigest())

    @classmethod
    def examples(cls) -> list[str]:
        # Digests of the ASCII strings "bastion example 1" and "bastion example 2".
        return [cls.hash_bytes(f"bastion example {i}".encode()).value for i in (1, 2)]


_HEX = re.compile(r"[0-9a-f]+")
