"""Robust matching: a bank's match options let padded, rotated, cropped and tilted copies
match, each switchable, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bastion.banks import ALL_OFF, BankStore, MatchOptions
from bastion.exchange.formats import HashListFormat
from bastion.exchange.transfer import export_bank
from bastion.hashing import ContentHasher
from bastion.matching import Matcher
from bastion.pdq import hamming_distance
from bastion.samples import sample_pixels
from bastion.settings import Settings

SEEDS = range(31, 35)


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def original(seed: int) -> Image.Image:
    return Image.fromarray(sample_pixels(seed))


def padded(image: Image.Image) -> Image.Image:
    canvas = Image.new("RGB", (round(image.width * 1.3), round(image.height * 1.3)), "white")
    canvas.paste(image, ((canvas.width - image.width) // 2, (canvas.height - image.height) // 2))
    return canvas


def cropped(image: Image.Image) -> Image.Image:  # 12% of each side taken in all
    w, h = image.size
    return image.crop((round(w * 0.06), round(h * 0.06), round(w * 0.94), round(h * 0.94)))


def tilted(image: Image.Image) -> Image.Image:
    return image.rotate(4, Image.Resampling.BICUBIC, fillcolor=(0, 0, 0))


def tilted_on_a_larger_canvas(image: Image.Image) -> Image.Image:  # as phone apps tilt
    return image.rotate(-6, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))


EDITS = {
    "quarter turn": lambda i: i.transpose(Image.Transpose.ROTATE_90),
    "mirrored": lambda i: i.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "padded": padded,
    "padded and turned": lambda i: padded(i).transpose(Image.Transpose.ROTATE_270),
    "cropped": cropped,
    "tilted": tilted,
    "tilted on a larger canvas": tilted_on_a_larger_canvas,
}


@pytest.fixture
def hasher(settings: Settings) -> ContentHasher:
    return ContentHasher(settings.hashing_options())


def bank_of(store: BankStore, hasher: ContentHasher, name: str, options: MatchOptions) -> dict:
    bank = store.create_bank(name, matching=options)
    entries = [
        hasher.hash_bytes(jpeg(original(s)), variants=options.variants).entry(
            bank.matching, metadata={"seed": s}
        )
        for s in SEEDS
    ]
    return dict(zip(SEEDS, store.add_entries(name, entries, source="media"), strict=True))


def hows(matcher: Matcher, hasher: ContentHasher, data: bytes) -> dict[str, tuple]:
    found = matcher.match_content(hasher.hash_bytes(data))
    return {m.bank: (m.entry_id, m.query_how, m.bank_how) for m in found if m.signal_type == "pdq"}


def test_each_option_matches_the_edits_it_is_for_and_only_in_its_banks(
    store: BankStore, settings: Settings, hasher: ContentHasher
) -> None:
    bank_of(store, hasher, "plain", ALL_OFF)
    default = bank_of(store, hasher, "default", MatchOptions(variants=False))
    every = bank_of(store, hasher, "every", MatchOptions())
    matcher = Matcher(store, settings.matching_options())
    expected_how = {  # what was done to the upload's picture to match: the inverse edit
        "quarter turn": ("rotate270", None),
        "mirrored": ("flipy", None),
        "padded": ("trimmed", None),
        "padded and turned": ("trimmed+rotate90", None),
        "tilted": ("untilted", None),
        "tilted on a larger canvas": ("untilted", None),
    }
    for seed in SEEDS:
        for name, edit in EDITS.items():
            found = hows(matcher, hasher, jpeg(edit(original(seed))))
            assert "plain" not in found, (seed, name)  # a global hash alone misses them all
            if name in expected_how:
                assert found["default"] == (default[seed], *expected_how[name]), (seed, name)
                assert found["every"][0] == every[seed], (seed, name)
            else:  # crops need the hashes stored with the entry
                assert "default" not in found, (seed, name)
                assert found["every"][0] == every[seed], (seed, name)
                assert found["every"][2] in ("crop_5", "crop_10", "centre_70")
        unchanged = hows(matcher, hasher, jpeg(original(seed)))
        assert {b: v[1:] for b, v in unchanged.items()} == {
            "plain": (None, None), "default": (None, None), "every": (None, None)
        }  # fmt: skip


def test_a_tilted_upload_is_looked_up_by_the_picture_it_holds(hasher: ContentHasher) -> None:
    for seed in SEEDS:
        own = hasher.hash_bytes(jpeg(original(seed))).signals[0]
        upload = hasher.hash_bytes(jpeg(tilted_on_a_larger_canvas(original(seed))))
        assert hamming_distance(upload.signals[0].value, own.value) > 31
        untilted = {d.how: d.signal for d in upload.lookups if d.signal.type == "pdq"}
        assert hamming_distance(untilted["untilted"].value, own.value) <= 31, seed
        assert "untilted+centre_70" in untilted
        assert "trimmed" not in untilted  # the tilt explains the frame
        without = hasher.hash_bytes(
            jpeg(tilted_on_a_larger_canvas(original(seed))),
            options=MatchOptions(trim_borders=False),
        )
        assert not [d for d in without.lookups if d.how.startswith("untilted")]
    plain = hasher.hash_bytes(jpeg(original(SEEDS[0])))
    assert not [d for d in plain.lookups if d.how.startswith("untilted")]


def test_unrelated_images_match_nothing_with_every_option_on(
    store: BankStore, settings: Settings, hasher: ContentHasher
) -> None:
    bank_of(store, hasher, "every", MatchOptions())
    matcher = Matcher(store, settings.matching_options())
    for seed in range(300, 320):
        assert matcher.match_content(hasher.hash_bytes(jpeg(padded(original(seed))))) == []


def test_switching_an_option_off_stops_its_matches_at_the_next_refresh(
    store: BankStore, settings: Settings, hasher: ContentHasher
) -> None:
    ids = bank_of(store, hasher, "every", MatchOptions())
    matcher = Matcher(store, settings.matching_options())
    crop, turn = (
        jpeg(cropped(original(31))),
        jpeg(original(31).transpose(Image.Transpose.ROTATE_180)),
    )
    assert hows(matcher, hasher, crop)["every"][0] == ids[31]
    assert hows(matcher, hasher, turn)["every"] == (ids[31], "rotate180", None)
    store.update_bank("every", matching=MatchOptions(variants=False, rotations=False))
    matcher.refresh()
    assert hows(matcher, hasher, crop) == {}
    assert hows(matcher, hasher, turn) == {}
    store.update_bank("every", matching=MatchOptions())
    matcher.refresh()
    assert hows(matcher, hasher, crop)["every"][0] == ids[31]


def test_derived_hashes_are_kept_apart_from_the_content_and_never_exported(
    store: BankStore, hasher: ContentHasher, tmp_path
) -> None:
    ids = bank_of(store, hasher, "every", MatchOptions())
    entry = store.get_entry(ids[31])
    assert [s.type for s in entry.signals] == ["pdq", "md5", "sha256"]
    assert [d.how for d in entry.derived] == ["centre_70", "crop_5", "crop_10", "tilt_-4", "tilt_4"]
    assert all(d.signal.type == "pdq" and len(d.signal.value) == 64 for d in entry.derived)
    framed = hasher.hash_bytes(jpeg(padded(original(32))), variants=True)
    assert next(d.how for d in framed.variants) == "trimmed"
    (padded_id,) = store.add_entries(
        "every", [framed.entry(MatchOptions(variants=False), metadata={})], source="media"
    )
    assert [d.how for d in store.get_entry(padded_id).derived] == ["trimmed"]
    stream = io.StringIO()
    assert (
        export_bank(store, "every", stream, HashListFormat.TE_CSV, actor="test") == 15
    )  # 5 entries, 3 own signals each
    exported = stream.getvalue()
    for d in entry.derived:
        assert d.signal.value not in exported
    assert entry.signals[0].value in exported
