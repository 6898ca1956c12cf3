"""One robustness run: choose the photos, hash every transform with every hasher, score."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bastion.errors import ValidationError
from bastion.hashing import ContentHasher
from bastion.robustness.evaluate import Hasher, score
from bastion.robustness.hashers import (
    DEFAULT_CONFIGURATION,
    bastion_pdq,
    perception_hashers,
    perception_problem,
)
from bastion.robustness.keypoints import score_keypoints
from bastion.robustness.photos import Photo, default_photos, folder_photos, split
from bastion.robustness.report import Run
from bastion.robustness.transforms import BY_NAME, FAMILIES, TRANSFORMS, Transform
from bastion.settings import Settings
from bastion.signals.orb import policy

#: Fewer references than this cannot say much about precision.
MIN_REFERENCES = 4


def choose_transforms(
    names: Sequence[str] | None, families: Sequence[str] | None = None
) -> list[Transform]:
    """The transforms named and every member of the families named, in report order; all
    of them when neither is given. Raises `ValidationError` for an unknown name."""
    if not names and not families:
        return list(TRANSFORMS)
    unknown = [n for n in names or () if n not in BY_NAME]
    if unknown:
        raise ValidationError(
            f"unknown transform(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}"
        )
    unknown = [f for f in families or () if f not in FAMILIES]
    if unknown:
        raise ValidationError(
            f"unknown transform family or families {', '.join(unknown)}; "
            f"known: {', '.join(FAMILIES)}"
        )
    wanted = set(names or ()) | {t.name for f in families or () for t in FAMILIES[f]}
    return [t for t in TRANSFORMS if t.name in wanted]


def candidates(
    settings: Settings, folders: Sequence[Path], fixtures: int
) -> tuple[list[Photo], list[str]]:
    """The photos of `folders` (each image in each, under the media limits of `settings`),
    or without any the default photos with `fixtures` generated ones; and the files that
    could not be read, each with why."""
    if not folders:
        return default_photos(fixtures), []
    found: list[Photo] = []
    unreadable: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            raise ValidationError(f"{folder}: not a folder of photos")
        prefix = f"{folder.name}:" if len(folders) > 1 else ""
        photos, bad = folder_photos(
            folder, max_bytes=settings.max_media_bytes, max_pixels=settings.max_image_pixels
        )
        found += [Photo(prefix + p.name, p.image) for p in photos]
        unreadable += [prefix + b for b in bad]
    return found, unreadable


def run(
    settings: Settings,
    photos: Sequence[Photo],
    *,
    unreadable: Sequence[str] = (),
    transforms: Sequence[Transform] = TRANSFORMS,
    perception: bool = True,
    keypoints: bool = True,
    seed: int = 7,
    on_start: Callable[[int], None] | None = None,
    on_image: Callable[[], None] | None = None,
) -> Run:
    """Score bastion's pipeline (and perception's hashers when installed and `perception`)
    on `photos`, after `split` (`unreadable` files are reported with the dropped ones);
    with `keypoints`, also bastion's default configuration with the keypoints option.
    `on_start(total)` gets the number of images to hash; `on_image` is called after each."""
    started = time.perf_counter()
    chosen = split(photos, seed=seed, min_quality=settings.pdq_min_quality, unreadable=unreadable)
    if len(chosen.references) < MIN_REFERENCES:
        raise ValidationError(
            f"only {len(chosen.references)} usable reference photos (need {MIN_REFERENCES}); "
            f"dropped: {'; '.join(chosen.dropped) or 'none'}"
        )
    hashers: list[Hasher] = [bastion_pdq(settings)]
    if perception:
        hashers += perception_hashers()
    per_hasher = len(chosen.references) + len(transforms) * (
        len(chosen.references) + len(chosen.distractors)
    )
    if on_start is not None:
        on_start(per_hasher * (len(hashers) + keypoints))
    scores = [
        s
        for hasher in hashers
        for s in score(hasher, chosen, transforms=transforms, seed=seed, on_image=on_image)
    ]
    if keypoints:
        default = next(s for s in scores if s.configuration == DEFAULT_CONFIGURATION)
        combined, _ = score_keypoints(
            ContentHasher(settings.hashing_options()),
            policy(settings.matching_options()),
            chosen,
            default,
            transforms=transforms,
            seed=seed,
            on_image=on_image,
        )
        scores.insert(scores.index(default) + 1, combined)
    versions = list(dict.fromkeys(h.version for h in hashers))
    problem = perception_problem() if perception else None
    if problem is not None:  # the anchor is missing: the report says so, and why
        versions.append(problem)
    return Run(chosen, scores, versions, time.perf_counter() - started, seed)
