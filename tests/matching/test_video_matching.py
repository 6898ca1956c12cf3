"""Matching videos against banks: vPDQ clips with their time segments, TMK, video MD5."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bastion.banks import BankStore, NewEntry
from bastion.errors import ValidationError
from bastion.hashing import ContentHasher, HashedContent
from bastion.matching import Matcher, NotInMemory
from bastion.pdq import PdqMode
from bastion.settings import Settings
from bastion.signals import Signal, TmkPdqfSignal, VpdqFeature, VpdqSignal
from bastion.tmk import tmk_from_video
from bastion.vpdq import vpdq_frames
from tests.videos import edit, synthetic_video


@pytest.fixture(scope="module")
def videos() -> dict[str, HashedContent]:
    """A known video, everyday copies of it, and an unrelated video, hashed once."""
    hasher = ContentHasher(Settings.load(env={}, data_dir="unused").hashing_options())
    known = synthetic_video(1, seconds=20, fps=10)
    made = {
        "known": known,
        "clip 4-8 s": edit(known, start=4, end=8),
        "half size": edit(known, scale=0.5),
        "padded": edit(known, pad=0.15),
        "logo": edit(known, logo=0.1),
        "unrelated": synthetic_video(2, seconds=20, fps=10),
    }
    return {name: hasher.hash_bytes(data, name=name) for name, data in made.items()}


@pytest.fixture
def bank(store: BankStore, videos: dict[str, HashedContent]) -> int:
    store.create_bank("videos")
    [entry_id] = store.add_entries(
        "videos", [NewEntry(signals=videos["known"].signals)], source="media"
    )
    return entry_id


def by_type(matches: list) -> dict[str, list]:
    found: dict[str, list] = {}
    for m in matches:
        found.setdefault(m.signal_type, []).append(m)
    return found


def test_a_video_is_hashed_with_every_video_signal(videos: dict[str, HashedContent]) -> None:
    known = videos["known"]
    assert known.kind == "video"
    assert (known.width, known.height) == (320, 240)
    assert known.seconds == pytest.approx(20, abs=0.2)
    assert [s.type for s in known.signals] == ["video_md5", "sha256", "vpdq", "tmk_pdqf"]
    frames = VpdqSignal.parse(known.signal("vpdq").value)
    assert [f.seconds for f in frames] == [float(i) for i in range(20)]
    # Black bars are trimmed into a second vPDQ signal.
    padded = [s for s in videos["padded"].signals if s.type == "vpdq"]
    assert len(padded) == 2


def test_one_decoding_pass_gives_what_each_hash_gives_alone() -> None:
    data = synthetic_video(3, seconds=6, fps=10)
    content = ContentHasher(Settings.load(env={}, data_dir="unused").hashing_options()).hash_bytes(
        data
    )
    alone = [f.feature for f in vpdq_frames(data, mode=PdqMode.REFERENCE)]  # the default
    assert content.signal("vpdq").value == VpdqSignal.serialize(alone)
    assert content.signal("tmk_pdqf").value == TmkPdqfSignal.encode(tmk_from_video(data))


def test_copies_of_a_known_video_match_it(
    store: BankStore, settings: Settings, videos: dict[str, HashedContent], bank: int
) -> None:
    matcher = Matcher(store, settings.matching_options())
    exact = by_type(matcher.match_content(videos["known"]))
    assert sorted(exact) == ["sha256", "tmk_pdqf", "video_md5", "vpdq"]
    assert exact["tmk_pdqf"][0].score == pytest.approx(1.0, abs=1e-4)

    for name in ("clip 4-8 s", "half size", "padded", "logo"):
        vpdq = by_type(matcher.match_content(videos[name])).get("vpdq")
        assert vpdq is not None, name
        assert [m.entry_id for m in vpdq] == [bank], name
        assert vpdq[0].video is not None
        assert vpdq[0].video.query_share >= 0.8, name
        # Long values are shown by their key.
        assert vpdq[0].bank_value.startswith("sha256:")

    assert matcher.match_content(videos["unrelated"]) == []


def test_a_clip_is_located_in_the_bank_video(
    store: BankStore, settings: Settings, videos: dict[str, HashedContent], bank: int
) -> None:
    [match] = by_type(
        Matcher(store, settings.matching_options()).match_content(videos["clip 4-8 s"])
    )["vpdq"]
    assert match.video is not None
    assert match.video.query_share == 1.0
    assert match.video.bank_share == pytest.approx(4 / 20, abs=0.05)
    [segment] = match.video.segments
    assert (segment.query_start, segment.query_end) == (0.0, 3.0)
    assert (segment.bank_start, segment.bank_end) == (4.0, 7.0)
    assert str(segment) == "seconds 0-3 match seconds 4-7"


def test_a_video_containing_a_known_clip_is_located_but_needs_the_share(
    store: BankStore, settings: Settings, videos: dict[str, HashedContent]
) -> None:
    """Bank the 4 s clip; the whole video holds it at 4-8 s: 20% of its frames match."""
    store.create_bank("clips")
    [clip_id] = store.add_entries(
        "clips", [NewEntry(signals=videos["clip 4-8 s"].signals)], source="media"
    )
    assert Matcher(store, settings.matching_options()).match_content(videos["known"]) == []

    lenient = Matcher(
        store, settings.with_overrides(vpdq_query_match_percent=15).matching_options()
    )
    [match] = by_type(lenient.match_content(videos["known"]))["vpdq"]
    assert match.entry_id == clip_id
    assert match.video is not None
    assert [str(s) for s in match.video.segments] == ["seconds 4-7 match seconds 0-3"]

    strict_bank = Matcher(
        store,
        settings.with_overrides(
            vpdq_query_match_percent=15, vpdq_bank_match_percent=100
        ).matching_options(),
    )
    assert strict_bank.match_content(videos["known"]) != []  # every clip frame is in the video
    assert (
        Matcher(
            store, settings.with_overrides(vpdq_query_match_percent=25).matching_options()
        ).match_content(videos["known"])
        == []
    )


def test_bank_frame_threshold_quality_and_changes(
    store: BankStore, settings: Settings, videos: dict[str, HashedContent], bank: int
) -> None:
    matcher = Matcher(store, settings.matching_options())
    query = replace(videos["half size"], signals=(videos["half size"].signal("vpdq"),))
    [match] = matcher.match_content(query)
    assert match.distance > 0

    store.update_bank("videos", thresholds={"vpdq": 0})
    matcher.refresh()
    assert matcher.match_content(query) == []
    store.update_bank("videos", thresholds={})
    matcher.refresh()
    assert len(matcher.match_content(query)) == 1

    # Frames below the quality floor take no part, on either side.
    frames = VpdqSignal.parse(query.signals[0].value)
    poor = VpdqSignal.serialize([replace(f, quality=49) for f in frames])
    assert matcher.match_signals([Signal("vpdq", poor)]) == []
    store.create_bank("poor")
    store.add_entries("poor", [NewEntry(signals=(Signal("vpdq", poor),))], source="import")
    matcher.refresh()
    assert [m.bank for m in matcher.match_content(query)] == ["videos"]

    store.delete_entry(bank)
    matcher.refresh()
    assert matcher.match_content(query) == []


def test_vpdq_values_from_python_threatexchange_are_banked_and_matched(
    store: BankStore, settings: Settings, videos: dict[str, HashedContent]
) -> None:
    """Their writer rounds times to 3 significant digits and puts spaces after commas."""
    frames = VpdqSignal.parse(videos["known"].signal("vpdq").value)
    theirs = "[" + ", ".join(f'"{f.hash},{f.quality},{f.seconds:.3}"' for f in frames) + "]"
    store.create_bank("shared")
    value = VpdqSignal.normalize(theirs)
    store.add_entries("shared", [NewEntry(signals=(Signal("vpdq", value),))], source="import")
    [entry] = store.list_entries("shared")
    assert VpdqSignal.parse(entry.signals[0].value)[12] == VpdqFeature(
        frames[12].hash, frames[12].quality, 12.0
    )
    matches = Matcher(store, settings.matching_options()).match_content(videos["clip 4-8 s"])
    assert [m.bank for m in matches] == ["shared"]


def test_tmk_matches_a_re_encode_and_not_an_unrelated_video(
    store: BankStore, settings: Settings, videos: dict[str, HashedContent], bank: int
) -> None:
    matcher = Matcher(store, settings.matching_options())
    only_tmk = {
        name: replace(c, signals=(c.signal("tmk_pdqf"),))
        for name, c in videos.items()
        if name in ("half size", "unrelated")
    }
    [match] = matcher.match_content(only_tmk["half size"])
    assert match.signal_type == "tmk_pdqf"
    assert match.score is not None
    assert match.score >= settings.tmk_level2_threshold
    assert matcher.match_content(only_tmk["unrelated"]) == []
    # Level 2 needs the bank's whole descriptor: never answered from memory alone.
    in_memory = matcher.match_signals_in_memory(only_tmk["half size"].signals)
    assert in_memory is NotInMemory.NEEDS_THREAD


def test_video_thresholds_are_checked(store: BankStore) -> None:
    store.create_bank("t")
    with pytest.raises(ValidationError, match="vpdq"):
        store.update_bank("t", thresholds={"vpdq": 300})
    with pytest.raises(ValidationError, match="tmk_pdqf"):
        store.update_bank("t", thresholds={"tmk_pdqf": 1})
