"""The video signal types' values: vPDQ frame lists, TMK descriptors, video MD5."""

from __future__ import annotations

import base64
import json

import pytest

from bastion.errors import InvalidSignalError, InvalidTmkError
from bastion.signals import (
    KEY_LENGTH,
    Signal,
    TmkPdqfSignal,
    VideoMd5Signal,
    VpdqFeature,
    VpdqSignal,
    get_signal_type,
    normalize_signal,
)
from bastion.signals.vpdq import MAX_FRAMES

HASH = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_vpdq_reads_python_threatexchange_values_and_writes_a_canonical_form() -> None:
    theirs = json.dumps([f"{HASH.upper()},100,0.0", f"{HASH},87,1.23e+02", f"{HASH},0,12.5"])
    canonical = VpdqSignal.normalize(theirs)
    assert json.loads(canonical) == [f"{HASH},100,0.000", f"{HASH},87,123.000", f"{HASH},0,12.500"]
    assert VpdqSignal.parse(canonical)[1] == VpdqFeature(HASH, 87, 123.0)
    assert VpdqSignal.normalize(canonical) == canonical


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "not JSON"),
        ('{"a": 1}', "JSON list"),
        ("[]", "no frames"),
        ("[1]", "frame 0: expected a string"),
        (f'["{HASH},100"]', "frame 0: expected 'hash,quality,seconds'"),
        (f'["{HASH[:-1]},100,0"]', "frame 0: pdq: expected 64 hex"),
        (f'["{HASH},101,0"]', "quality must be 0-100"),
        (f'["{HASH},50,-1"]', "seconds must be a time of 0 or more"),
        (f'["{HASH},50,nan"]', "seconds must be a time"),
        (f'["{HASH},fifty,0"]', "must be numbers"),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_malformed_vpdq_values_are_refused_clearly(value: str, message: str) -> None:
    with pytest.raises(InvalidSignalError, match=message):
        normalize_signal("vpdq", value)


def test_vpdq_refuses_more_frames_than_it_can_index() -> None:
    with pytest.raises(InvalidSignalError, match="more than"):
        VpdqSignal.parse(json.dumps([f"{HASH},100,0"] * (MAX_FRAMES + 1)))


def test_tmk_values_are_reference_files_in_base64() -> None:
    value = TmkPdqfSignal.examples()[0]
    features = TmkPdqfSignal.decode(value)
    assert features.frame_count == 30
    assert TmkPdqfSignal.encode(features) == value
    wrapped = "\n".join(value[i : i + 76] for i in range(0, len(value), 76))
    assert TmkPdqfSignal.normalize(wrapped) == value
    with pytest.raises(InvalidSignalError, match="not base64"):
        TmkPdqfSignal.normalize("not base64!")
    with pytest.raises(InvalidTmkError):
        TmkPdqfSignal.normalize(base64.b64encode(b"TMK1" + bytes(40)).decode())
    with pytest.raises(InvalidSignalError, match="longer than"):
        TmkPdqfSignal.normalize("A" * (5 * 1024 * 1024))


def test_long_values_are_keyed_by_their_digest() -> None:
    short = Signal("video_md5", VideoMd5Signal.examples()[0])
    assert short.key == short.value
    long = Signal("tmk_pdqf", TmkPdqfSignal.examples()[0])
    assert len(long.value) > KEY_LENGTH
    assert long.key.startswith("sha256:")
    assert len(long.key) == 71


def test_every_example_is_its_own_canonical_form() -> None:
    for name in ("video_md5", "vpdq", "tmk_pdqf"):
        signal_type = get_signal_type(name)
        for example in signal_type.examples():
            assert signal_type.normalize(example) == example
