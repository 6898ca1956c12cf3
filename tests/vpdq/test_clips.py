"""Clip conformance on the reference sample videos: everyday copies of a sample match it
through the whole pipeline (hashing, bank, matcher), and the two families of samples never
match each other."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.hashing import ContentHasher, HashedContent
from bastion.matching import Matcher
from bastion.settings import Settings
from bastion.signals import Signal, TmkPdqfSignal, VpdqFeature, VpdqSignal
from bastion.tmk import TmkFeatures
from bastion.vpdq import compare_videos
from tests.videos import edit

SAMPLE = "chair-orig-22-sd-bar"  # 22 s, SD, inside black bars
COPIES = {
    "a 20% clip (seconds 8-12.4)": {"start": 8.0, "end": 12.4},
    "a re-encode (H.264)": {},
    "a resize to half size": {"scale": 0.5},
    "black padding (15% each side)": {"pad": 0.15},
    "a logo overlay (10% wide)": {"logo": 0.1},
}


@pytest.fixture(scope="module")
def hashed(shared_testdata: Path) -> dict[str, HashedContent]:
    hasher = ContentHasher(
        Settings.load(env={}, data_dir="unused", video_signals="vpdq").hashing_options()
    )
    original = (shared_testdata / "video" / "sample-videos" / f"{SAMPLE}.mp4").read_bytes()
    found = {SAMPLE: hasher.hash_bytes(original, name=SAMPLE)}
    for name, changes in COPIES.items():
        found[name] = hasher.hash_bytes(edit(original, **changes), name=name)
    return found


@pytest.mark.parametrize("copy", list(COPIES))
def test_everyday_copies_of_a_sample_match_it(
    copy: str, hashed: dict[str, HashedContent], store: BankStore, settings: Settings
) -> None:
    store.create_bank("samples")
    [entry] = store.add_entries(
        "samples", [NewEntry(signals=hashed[SAMPLE].signals)], source="media"
    )
    matches = Matcher(store, settings.matching_options()).match_content(hashed[copy])
    vpdq = [m for m in matches if m.signal_type == "vpdq"]
    assert [m.entry_id for m in vpdq] == [entry]
    assert vpdq[0].video is not None
    assert vpdq[0].video.query_share >= 0.8


def test_a_clip_is_found_where_it_was_cut(
    hashed: dict[str, HashedContent], store: BankStore, settings: Settings
) -> None:
    store.create_bank("samples")
    store.add_entries("samples", [NewEntry(signals=hashed[SAMPLE].signals)], source="media")
    matches = Matcher(store, settings.matching_options()).match_content(
        hashed["a 20% clip (seconds 8-12.4)"]
    )
    [vpdq] = [m for m in matches if m.signal_type == "vpdq"]
    assert vpdq.video is not None
    assert vpdq.video.bank_share == pytest.approx(0.2, abs=0.05)
    [segment] = vpdq.video.segments
    assert segment.query_start == 0.0
    assert segment.bank_start == pytest.approx(8.0, abs=1.0)
    assert segment.bank_end - segment.bank_start == pytest.approx(
        segment.query_end - segment.query_start, abs=1.0
    )


def family(name: str) -> str:
    return name.split("-")[0]


def reference_vpdq(shared_testdata: Path) -> dict[str, str]:
    found = {}
    for path in sorted((shared_testdata / "video" / "vpdq-sample-hashes").glob("*.txt")):
        if path.stem.endswith("128x128") or family(path.stem) not in ("chair", "pattern"):
            continue
        frames = []
        for line in path.read_text().split():
            _, quality, digest, seconds = line.split(",")
            frames.append(VpdqFeature(digest, int(quality), float(seconds)))
        found[path.stem] = VpdqSignal.serialize(frames)
    return found


def reference_tmk(shared_testdata: Path) -> dict[str, str]:
    return {
        path.stem: TmkPdqfSignal.encode(TmkFeatures.from_bytes(path.read_bytes()))
        for path in sorted((shared_testdata / "video" / "tmk-sample-hashes").glob("*.tmk"))
        if family(path.stem) in ("chair", "pattern")
    }


def test_the_pattern_and_chair_families_never_match_each_other(
    shared_testdata: Path, store: BankStore, settings: Settings
) -> None:
    """Every reference vPDQ and TMK hash is banked; each one queried matches only its family."""
    vpdq, tmk = reference_vpdq(shared_testdata), reference_tmk(shared_testdata)
    assert len(vpdq) == 14
    assert len(tmk) == 14
    store.create_bank("reference")
    names = sorted(vpdq)
    ids = store.add_entries(
        "reference",
        [
            NewEntry(
                signals=(Signal("vpdq", vpdq[n]), Signal("tmk_pdqf", tmk[n])),
                metadata={"name": n},
            )
            for n in names
        ],
        source="import",
    )
    name_of = dict(zip(ids, names, strict=True))
    matcher = Matcher(store, settings.matching_options())
    within = 0
    for name in names:
        for signal in (Signal("vpdq", vpdq[name]), Signal("tmk_pdqf", tmk[name])):
            matched = {name_of[m.entry_id] for m in matcher.match_signals([signal])}
            assert name in matched, (name, signal.type)
            assert {family(m) for m in matched} == {family(name)}, (name, signal.type)
            within += len(matched) - 1
    assert within > 50  # the families do match within themselves


def test_reference_vpdq_pairs_across_families_share_no_frames(shared_testdata: Path) -> None:
    vpdq = {n: VpdqSignal.parse(v) for n, v in reference_vpdq(shared_testdata).items()}
    for a, b in itertools.combinations(sorted(vpdq), 2):
        if family(a) != family(b):
            assert compare_videos(vpdq[a], vpdq[b]).segments == (), (a, b)
