"""The keypoint index against its brute-force reference, and its geometric check on real
edits of a real photo."""

from __future__ import annotations

import io

import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from bastion.keypoints import (
    BruteForceKeypointIndex,
    KeypointIndex,
    Keypoints,
    Policy,
    agreement,
    extract,
)
from bastion.keypoints.index import MAX_CANDIDATES, MIN_VOTES, common_limit
from bastion.samples import sample_pixels
from bastion.signals import MatchingOptions, OrbSignal


def jpeg_pixels(image: Image.Image) -> np.ndarray:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    with Image.open(io.BytesIO(out.getvalue())) as back:
        return np.asarray(back.convert("RGB"))


def photo() -> Image.Image:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as image:
        return image.convert("RGB")


def random_keypoints(rng: np.random.Generator, count: int, values: int = 256) -> Keypoints:
    points = rng.uniform(0, 500, size=(count, 2)).astype(np.float32)
    descriptors = rng.integers(0, values, size=(count, 32), dtype=np.uint8)
    return Keypoints(512, 512, points, descriptors)


def both(entries: dict[int, Keypoints]) -> tuple[KeypointIndex, KeypointIndex]:
    fast, brute = KeypointIndex(), BruteForceKeypointIndex()
    for index in (fast, brute):
        index.add(list(entries), list(entries.values()))
    return fast, brute


def test_votes_equal_the_brute_force_reference_on_random_data() -> None:
    rng = np.random.default_rng(5)
    # Few distinct byte values: chunks collide often, some in many entries (skipped).
    entries = {i: random_keypoints(rng, int(rng.integers(0, 40)), values=3) for i in range(60)}
    fast, brute = both(entries)
    for _ in range(20):
        query = random_keypoints(rng, 30, values=3)
        assert fast.votes(query) == brute.votes(query)
        assert fast.candidates(query) == brute.candidates(query)
    fast.remove(range(0, 60, 2))
    brute.remove(range(0, 60, 2))
    query = random_keypoints(rng, 30, values=3)
    assert fast.votes(query) == brute.votes(query)


def test_votes_count_query_keypoints_not_repeats() -> None:
    rng = np.random.default_rng(6)
    same = random_keypoints(rng, 1)
    many = Keypoints(512, 512, np.zeros((50, 2), np.float32), np.repeat(same.descriptors, 50, 0))
    zeros = Keypoints(512, 512, np.zeros((50, 2), np.float32), np.zeros((50, 32), np.uint8))
    entries = {1: many, 2: zeros, **{i: random_keypoints(rng, 20) for i in range(3, 40)}}
    fast, brute = both(entries)
    for query in (many, same, zeros):
        assert fast.votes(query) == brute.votes(query)
    assert fast.votes(many)[1] == 50  # fifty query keypoints, each voting once
    assert fast.votes(same) == {1: 1}


def test_a_chunk_value_held_by_too_many_entries_does_not_vote() -> None:
    rng = np.random.default_rng(7)
    shared = random_keypoints(rng, MIN_VOTES)
    count = 40
    limit = common_limit(count)
    entries = {i: random_keypoints(rng, 10) for i in range(count)}
    for i in range(limit):  # exactly at the limit: still votes
        entries[i] = shared
    fast, brute = both(entries)
    assert set(fast.votes(shared)) == set(range(limit)) == set(brute.votes(shared))
    entries[limit] = shared  # one more: says nothing any more
    fast, brute = both(entries)
    assert fast.votes(shared) == brute.votes(shared) == {}


def test_only_the_best_voted_candidates_are_checked() -> None:
    rng = np.random.default_rng(8)
    query = random_keypoints(rng, 1000)
    entries, start = {}, 0
    for i in range(MAX_CANDIDATES + 5):  # entry i shares MIN_VOTES + i keypoints, its own
        taken = slice(start, start + MIN_VOTES + i)
        entries[i] = Keypoints(512, 512, query.points[taken], query.descriptors[taken])
        start = taken.stop
    entries[999] = Keypoints(512, 512, query.points[-2:], query.descriptors[-2:])
    fast, brute = both(entries)
    found = fast.candidates(query)
    assert found == brute.candidates(query)
    assert [i for i, _ in found] == list(range(MAX_CANDIDATES + 4, 4, -1))


@pytest.mark.parametrize(
    "edit",
    [
        lambda i: i.crop((0, round(i.height * 0.2), round(i.width * 0.8), i.height)),
        lambda i: i.rotate(15, Image.Resampling.BICUBIC, expand=True),
        lambda i: i.resize((i.width // 2, i.height // 2)),
    ],
    ids=["off-centre crop 20%", "rotated 15 degrees", "half size"],
)
def test_edited_copies_of_a_photo_pass_and_unrelated_images_do_not(edit) -> None:  # type: ignore[no-untyped-def]
    reference = photo()
    policy = Policy()
    copy = extract(jpeg_pixels(edit(reference)))
    assert policy.passes(agreement(copy, extract(jpeg_pixels(reference))))
    for seed in range(5):
        unrelated = extract(jpeg_pixels(Image.fromarray(sample_pixels(seed))))
        assert not policy.passes(agreement(copy, unrelated))


def test_the_index_finds_the_photo_among_others() -> None:
    index = OrbSignal.new_index(MatchingOptions())
    values = [OrbSignal.compute(sample_pixels(seed)).value for seed in range(10)]
    values.append(OrbSignal.compute(jpeg_pixels(photo())).value)
    index.add(list(range(len(values))), values)
    turned = photo().rotate(15, Image.Resampling.BICUBIC, expand=True)
    (hit,) = index.query(OrbSignal.compute(jpeg_pixels(turned)).value, 0)
    assert hit.id == 10
    strict = OrbSignal.new_index(MatchingOptions(keypoint_min_inliers=1000))
    strict.add(list(range(len(values))), values)
    assert strict.query(OrbSignal.compute(jpeg_pixels(turned)).value, 0) == []
