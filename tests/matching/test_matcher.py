"""Matching content against banks, on SQLite and PostgreSQL, following changes incrementally."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from bastion.banks import BankStore, MatchOptions, NewEntry
from bastion.hashing import ContentHasher, HashedContent
from bastion.matching import Matcher
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import Signal

KNOWN = range(1, 7)
UNRELATED = range(201, 211)


def jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def variants(seed: int) -> dict[str, bytes]:
    """Everyday re-uploads of one image: re-encoded, resized, brightened, blurred, as PNG."""
    image = Image.fromarray(sample_pixels(seed))
    png = io.BytesIO()
    image.save(png, "PNG")
    return {
        "jpeg q60": jpeg(image, 60),
        "half size": jpeg(image.resize((320, 240), Image.Resampling.BILINEAR)),
        "brighter": jpeg(ImageEnhance.Brightness(image).enhance(1.15)),
        "blurred": jpeg(image.filter(ImageFilter.GaussianBlur(1.5))),
        "png": png.getvalue(),
    }


@pytest.fixture
def hasher(settings: Settings) -> ContentHasher:
    return ContentHasher(settings.hashing_options())


@pytest.fixture
def known_bank(store: BankStore, hasher: ContentHasher) -> dict[int, int]:
    """A bank of the KNOWN sample images; returns seed -> entry id."""
    store.create_bank("known")
    contents = [hasher.hash_bytes(jpeg(Image.fromarray(sample_pixels(s)))) for s in KNOWN]
    ids = store.add_entries(
        "known",
        [
            NewEntry(signals=c.signals, metadata={"seed": s})
            for s, c in zip(KNOWN, contents, strict=True)
        ],
        source="media",
    )
    return dict(zip(KNOWN, ids, strict=True))


def test_altered_copies_match_and_unrelated_images_do_not(
    store: BankStore, settings: Settings, hasher: ContentHasher, known_bank: dict[int, int]
) -> None:
    matcher = Matcher(store, settings.matching_options())
    for seed in KNOWN:
        for label, data in variants(seed).items():
            matches = matcher.match_content(hasher.hash_bytes(data, name=label))
            pdq = [m for m in matches if m.signal_type == "pdq"]
            assert [m.entry_id for m in pdq] == [known_bank[seed]], (seed, label)
            assert pdq[0].distance <= 31
            assert pdq[0].bank == "known"
            assert pdq[0].metadata == {"seed": seed}
    for seed in UNRELATED:
        assert (
            matcher.match_content(hasher.hash_bytes(jpeg(Image.fromarray(sample_pixels(seed)))))
            == []
        )


def test_byte_identical_copy_matches_every_signal(
    store: BankStore, settings: Settings, hasher: ContentHasher, known_bank: dict[int, int]
) -> None:
    data = jpeg(Image.fromarray(sample_pixels(1)))
    matches = Matcher(store, settings.matching_options()).match_content(hasher.hash_bytes(data))
    assert sorted((m.signal_type, m.distance, m.entry_id) for m in matches) == [
        ("md5", 0, known_bank[1]),
        ("pdq", 0, known_bank[1]),
        ("sha256", 0, known_bank[1]),
    ]


def test_per_bank_threshold_and_enabled_flag(
    store: BankStore, settings: Settings, hasher: ContentHasher, known_bank: dict[int, int]
) -> None:
    matcher = Matcher(store, settings.matching_options())
    query = hasher.hash_bytes(variants(2)["half size"])
    distance = next(m.distance for m in matcher.match_content(query) if m.signal_type == "pdq")
    assert distance > 0

    store.update_bank("known", thresholds={"pdq": distance - 1})
    matcher.refresh()
    assert matcher.match_content(query) == []

    store.update_bank("known", thresholds={"pdq": distance})
    matcher.refresh()
    assert len(matcher.match_content(query)) == 1

    store.update_bank("known", enabled=False)
    matcher.refresh()
    assert matcher.match_content(query) == []


def test_global_threshold_and_quality_settings(
    store: BankStore, settings: Settings, hasher: ContentHasher, known_bank: dict[int, int]
) -> None:
    query = hasher.hash_bytes(variants(3)["blurred"])
    strict = Matcher(store, settings.with_overrides(pdq_threshold=0).matching_options())
    assert strict.match_content(query) == []
    assert len(Matcher(store, settings.matching_options()).match_content(query)) == 1
    # A washed-out copy: the same hash bits (PDQ ignores contrast) with a lower quality.
    faint_image = ImageEnhance.Contrast(Image.fromarray(sample_pixels(3))).enhance(0.04)
    faint = hasher.hash_bytes(jpeg(faint_image, 95)).signal("pdq")
    assert faint is not None
    assert faint.quality is not None
    assert faint.quality < 100
    at_quality = Matcher(
        store, settings.with_overrides(pdq_min_quality=faint.quality).matching_options()
    )
    assert len(at_quality.match_signals([faint])) == 1
    above = Matcher(
        store, settings.with_overrides(pdq_min_quality=faint.quality + 1).matching_options()
    )
    assert above.match_signals([faint]) == []


def test_low_quality_hashes_are_not_matched(
    store: BankStore, settings: Settings, hasher: ContentHasher
) -> None:
    flat = hasher.hash_bytes(jpeg(Image.new("RGB", (400, 300), (90, 90, 90))))
    store.create_bank("b")
    store.add_entries("b", [NewEntry(signals=flat.signals)], source="media")
    matches = Matcher(store, settings.matching_options()).match_content(flat)
    assert sorted(m.signal_type for m in matches) == ["md5", "sha256"]  # not pdq


def test_disabled_entries_and_disabled_until(
    store: BankStore, settings: Settings, hasher: ContentHasher, known_bank: dict[int, int]
) -> None:
    matcher = Matcher(store, settings.matching_options())
    query = hasher.hash_bytes(variants(4)["jpeg q60"])
    entry_id = known_bank[4]
    store.update_entry(entry_id, enabled=False)
    matcher.refresh()
    assert matcher.match_content(query) == []

    until = datetime.now(UTC) + timedelta(days=1)
    store.update_entry(entry_id, enabled=True, disabled_until=until)
    matcher.refresh()
    assert matcher.match_content(query) == []
    assert len(matcher.match_content(query, now=until + timedelta(seconds=1))) == 1

    store.update_entry(entry_id, disabled_until=None)
    matcher.refresh()
    assert len(matcher.match_content(query)) == 1


def test_refresh_follows_adds_and_deletes_without_reloading(
    store: BankStore, settings: Settings, hasher: ContentHasher, known_bank: dict[int, int]
) -> None:
    matcher = Matcher(store, settings.matching_options())
    assert len(matcher) == 3 * len(KNOWN)
    new_seed = 300
    query = hasher.hash_bytes(variants(new_seed)["half size"])
    assert matcher.match_content(query) == []

    store.create_bank("later")
    original = hasher.hash_bytes(jpeg(Image.fromarray(sample_pixels(new_seed))))
    (new_id,) = store.add_entries("later", [NewEntry(signals=original.signals)], source="media")
    assert matcher.refresh() == 2  # the bank, the entry
    assert [m.entry_id for m in matcher.match_content(query)] == [new_id]
    assert matcher.refresh() == 0

    store.delete_entry(known_bank[1])
    store.delete_bank("later")
    matcher.refresh()
    assert matcher.match_content(query) == []
    assert matcher.match_content(hasher.hash_bytes(variants(1)["png"])) == []
    assert len(matcher) == 3 * (len(KNOWN) - 1)
    # a matcher built from scratch agrees with the incrementally updated one
    assert len(Matcher(store, settings.matching_options())) == len(matcher)


def test_match_signals_directly(
    store: BankStore, settings: Settings, hasher: ContentHasher, known_bank: dict[int, int]
) -> None:
    content = hasher.hash_bytes(jpeg(Image.fromarray(sample_pixels(5))))
    pdq = content.signal("pdq")
    assert pdq is not None
    # A signal supplied by a caller, upper-case with whitespace, and no quality.
    matches = Matcher(store, settings.matching_options()).match_signals(
        [Signal("pdq", f" {pdq.value.upper()} ")]
    )
    assert [(m.entry_id, m.distance, m.quality) for m in matches] == [(known_bank[5], 0, None)]


def test_displayed_orientation_matches_upright_bank_entry(
    store: BankStore,
    settings: Settings,
    hasher: ContentHasher,
    known_bank: dict[int, int],
    tmp_path: Path,
) -> None:
    stored = Image.fromarray(sample_pixels(6)).transpose(Image.Transpose.ROTATE_270)
    exif = Image.Exif()
    exif[0x0112] = 8
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    content: HashedContent = hasher.hash_bytes(buffer.getvalue())
    matches = Matcher(store, settings.matching_options()).match_content(content)
    assert [m.entry_id for m in matches] == [known_bank[6]]
    off = settings.with_overrides(match_exif_orientation=False)
    (turned,) = Matcher(store, off.matching_options()).match_content(content)  # rotations
    assert (turned.entry_id, turned.query_how) == (known_bank[6], "rotate90")
    store.update_bank("known", matching=MatchOptions(rotations=False))
    assert Matcher(store, off.matching_options()).match_content(content) == []


def test_hits_are_confirmed_from_memory_until_a_change_is_applied(
    store: BankStore,
    settings: Settings,
    hasher: ContentHasher,
    known_bank: dict[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[list[int]] = []
    read_owners = store.signal_owners

    def counted(signal_ids: list[int]) -> object:
        reads.append(list(signal_ids))
        return read_owners(signal_ids)

    monkeypatch.setattr(store, "signal_owners", counted)
    matcher = Matcher(store, settings.matching_options())
    query = hasher.hash_bytes(variants(2)["png"])
    assert [m.metadata for m in matcher.match_content(query)] == [{"seed": 2}]
    assert len(reads) == 1
    assert len(matcher.match_content(query)) == 1
    assert len(reads) == 1  # the second hit on the same entry reads nothing

    store.update_entry(known_bank[2], metadata={"seed": 2, "note": "changed"})
    assert matcher.refresh() == 1
    assert {m.metadata["note"] for m in matcher.match_content(query)} == {"changed"}
    assert len(reads) == 2
    store.update_entry(known_bank[2], enabled=False)
    matcher.refresh()
    assert matcher.match_content(query) == []
