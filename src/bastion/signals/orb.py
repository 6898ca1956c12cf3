"""`orb`: an image's ORB keypoints, matched by a geometric check (`bastion.keypoints`).

A value is the serialised keypoints (`Keypoints.to_bytes`, versioned) in standard base64,
about 9.6 KB for 200 keypoints. Bastion derives it from media only, as a signal of
entries in banks with the `keypoints` match option and of uploads when such a bank exists
(`Derived` ``how="keypoints"``): it is never the content's hash, exported or shared.

Bank values are held in an `OrbIndex`, which finds the entries worth checking by votes in
memory; the geometric check of those (milliseconds each) runs outside the matcher's lock,
as the deferred work of `OrbSignal.candidates`. A match's score is its inlier count.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Iterable, Sequence

from bastion.errors import InvalidSignalError
from bastion.index import IndexHit, SignalIndex
from bastion.keypoints import KeypointIndex, Keypoints, Policy, agreement, extract
from bastion.keypoints.features import MAX_KEYPOINTS
from bastion.keypoints.geometry import Agreement
from bastion.samples import sample_pixels
from bastion.signals.base import (
    Candidate,
    Deferred,
    MatchKind,
    RgbPixels,
    Signal,
    SignalType,
    ValueReader,
    Verdict,
)
from bastion.signals.options import MatchingOptions

#: Longest base64 value accepted: the most keypoints a value may hold, with its header.
MAX_VALUE_LENGTH = 4 * (8 + 36 * MAX_KEYPOINTS) // 3 + 4


class OrbSignal(SignalType):
    name = "orb"
    description = (
        "ORB keypoints of an image (positions and 256-bit descriptors, base64), derived by "
        "bastion for banks with the keypoints option; matches copies cropped deeply or "
        "off-centre, turned, or under a large logo, confirmed by a geometric check."
    )
    match_kind = MatchKind.SIMILARITY
    long_values = True

    @classmethod
    def compute(cls, pixels: RgbPixels) -> Signal:
        """The keypoints signal of an HxWx3 RGB image (none found: a value with none)."""
        return Signal(cls.name, cls.encode(extract(pixels)))

    @classmethod
    def new_index(cls, options: MatchingOptions) -> OrbIndex:
        return OrbIndex(policy(options))

    @classmethod
    def candidates(
        cls, index: SignalIndex, value: str, threshold: int, options: MatchingOptions
    ) -> tuple[list[Candidate], list[Deferred]]:
        """The best-voted bank images (in memory), and the work that checks their geometry
        (outside the matcher's lock; it reads nothing from the store)."""
        assert isinstance(index, OrbIndex)
        query = cls.decode(value)
        voted = index.voted(query)
        if not voted:
            return [], []
        return [], [functools.partial(_checked, query, voted, policy(options))]

    @classmethod
    def normalize(cls, value: str) -> str:
        return cls.encode(cls.decode(value))

    @classmethod
    def decode(cls, value: str) -> Keypoints:
        """The keypoints in a value; raises `InvalidSignalError`."""
        if not isinstance(value, str):
            raise InvalidSignalError(f"orb: expected base64 text, got {type(value).__name__}")
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidSignalError(f"orb: longer than {MAX_VALUE_LENGTH:,} characters")
        try:
            data = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSignalError("orb: the value is not base64") from None
        return Keypoints.from_bytes(data)

    @classmethod
    def encode(cls, keypoints: Keypoints) -> str:
        return base64.b64encode(keypoints.to_bytes()).decode("ascii")

    @classmethod
    def examples(cls) -> list[str]:
        return list(_examples())


def policy(options: MatchingOptions) -> Policy:
    """When a geometric agreement is a match, as configured."""
    return Policy(min_inliers=options.keypoint_min_inliers)


@functools.cache
def _examples() -> tuple[str, ...]:
    # Keypoints of two of bastion's generated sample images (no media involved).
    return tuple(OrbSignal.compute(sample_pixels(seed, 320, 240)).value for seed in (1, 2))


def _checked(
    query: Keypoints,
    voted: list[tuple[int, Keypoints]],
    checking: Policy,
    read: ValueReader,
) -> list[Candidate]:
    found: list[Candidate] = []
    for signal_id, keypoints in voted:
        checked = agreement(query, keypoints)
        if checking.passes(checked):
            found.append((IndexHit(0, signal_id), functools.partial(_scored, checked)))
    return found


def _scored(checked: Agreement, limit: int) -> Verdict:
    """The verdict of a confirmed candidate, the same under every bank's threshold."""
    return 0, float(checked.inliers), None


class OrbIndex(SignalIndex):
    """Bank images' keypoints (`bastion.keypoints.KeypointIndex`) behind the index
    interface; `query` checks the voted candidates under `policy` itself."""

    def __init__(self, policy: Policy, index: KeypointIndex | None = None) -> None:
        self.policy = policy
        self._index = index if index is not None else KeypointIndex()

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        self._index.add(ids, [OrbSignal.decode(v) for v in values])

    def remove(self, ids: Iterable[int]) -> None:
        self._index.remove(ids)

    def voted(self, query: Keypoints) -> list[tuple[int, Keypoints]]:
        """The candidates worth a geometric check, with their keypoints."""
        return [(i, self._index.keypoints(i)) for i, _ in self._index.candidates(query)]

    def query(self, value: str, threshold: int) -> list[IndexHit]:
        """The entries whose keypoints agree with the value's (distance 0; `threshold` is
        not used: the policy decides)."""
        query = OrbSignal.decode(value)
        confirmed = [
            (checked.inliers, i)
            for i, keypoints in self.voted(query)
            if self.policy.passes(checked := agreement(query, keypoints))
        ]
        return [IndexHit(0, i) for _, i in sorted(confirmed, key=lambda p: (-p[0], p[1]))]

    def __len__(self) -> int:
        return len(self._index)
