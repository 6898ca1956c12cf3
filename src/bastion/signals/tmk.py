"""`tmk_pdqf`: Meta's TMK+PDQF whole-video descriptor, scored by similarity.

A value is the reference ``.tmk`` file (as Meta's ``tmk-hash-video`` writes it and NCMEC
shares it) in standard base64. Two videos match when the cosine of their average frame
features (level 1) and their time-aligned score (level 2) both pass their thresholds.
"""

from __future__ import annotations

import base64
import binascii
import functools

import numpy as np

from bastion.errors import InvalidSignalError
from bastion.signals.base import MatchKind, SignalType
from bastion.tmk import TmkBuilder, TmkFeatures

#: Longest base64 value accepted: the reference layout is about 350 KB in base64.
MAX_VALUE_LENGTH = 4 * 1024 * 1024


class TmkPdqfSignal(SignalType):
    name = "tmk_pdqf"
    description = (
        "TMK+PDQF video descriptor (Meta's reference .tmk file, base64); matches whole "
        "videos that were re-encoded, resized or lightly edited."
    )
    match_kind = MatchKind.SIMILARITY

    @classmethod
    def normalize(cls, value: str) -> str:
        return cls.encode(cls.decode(value))

    @classmethod
    def decode(cls, value: str) -> TmkFeatures:
        """The descriptor in a value; raises `InvalidSignalError` (or `InvalidTmkError`)."""
        if not isinstance(value, str):
            raise InvalidSignalError(f"tmk_pdqf: expected base64 text, got {type(value).__name__}")
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidSignalError(f"tmk_pdqf: longer than {MAX_VALUE_LENGTH:,} characters")
        try:
            data = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSignalError("tmk_pdqf: the value is not base64") from None
        return TmkFeatures.from_bytes(data)

    @classmethod
    def encode(cls, features: TmkFeatures) -> str:
        return base64.b64encode(features.to_bytes()).decode("ascii")

    @classmethod
    def examples(cls) -> list[str]:
        return list(_examples())


@functools.cache
def _examples() -> tuple[str, ...]:
    # Descriptors of two synthetic frame sequences (seeded noise, no media involved).
    found = []
    for seed in (1, 2):
        builder = TmkBuilder()
        for feature in np.random.default_rng(seed).normal(size=(30, 256)):
            builder.add_frame(feature)
        found.append(TmkPdqfSignal.encode(builder.finish()))
    return tuple(found)
