"""Detection robustness, and what robust matching costs.

    python benchmarks/robustness.py [--photos DIR ...] [--fixtures 60] [--out DIR]
                                    [--bank-size 1000000] [--queries 200]
                                    [--keypoint-bank 5000] [--baseline-src DIR] [--cost-only]

1. The robustness run of `bastion bench robustness` (the same code): benign photos edited
   by the families of transforms, hashed through bastion's pipeline under each bank
   configuration, beside perception's PDQ and pHash (the anchor, same photos, same run;
   ``pip install 'bastion[bench]'``, then ``pip install --no-deps perception``). Default
   photos: those shipped with scikit-image, perception and matplotlib, and generated
   fixtures; ``--photos`` adds folders (each image in them). The report goes to ``--out``
   (report.md and charts).
2. The cost of each bank configuration, on one core:
   - hashing an upload (640x480 and 12 MP JPEG) as the service does, with the lookups
     robust matching uses, beside PDQ alone (the anchor);
   - adding an image to a bank with `variants` (four more PDQ hashes) and without;
   - hashes stored per entry, and looking an upload up in a bank of ``--bank-size``
     entries at radius 31: one code (no options) against every lookup (rotations, centre,
     the trimmed picture and its rotations), in a bank holding each entry's own hash and,
     for `variants`, its five derived hashes;
   - the `keypoints` option: ms per upload and per entry added (finding the keypoints),
     bytes per entry in the store and in the matcher's memory, and ms per look-up (votes
     and geometric checks) in a bank of ``--keypoint-bank`` entries;
   - an upload hashed with every option on, keypoints too, beside the same upload hashed
     by an earlier bastion (``--baseline-src``: its ``src`` folder, e.g. from ``git
     archive``), in a subprocess on the same core: what the options cost over "today".
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bastion.banks import ALL_OFF, MatchOptions
from bastion.hashing import ContentHasher
from bastion.index import MultiIndexHammingIndex
from bastion.index.codes import hex_to_words
from bastion.keypoints import KeypointIndex, agreement
from bastion.pdq import hash_image
from bastion.robustness import bench, report
from bastion.robustness.photos import default_photos
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import OrbSignal
from bastion.signals.orb import policy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe


def timed(work, repeat: int) -> float:
    """Median seconds of `repeat` runs of `work`."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def jpeg(width: int, height: int, seed: int = 5) -> bytes:
    out = io.BytesIO()
    small = Image.fromarray(sample_pixels(seed, 640, 480))
    small.resize((width, height), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


def hashing_costs(settings: Settings) -> list[str]:
    hasher = ContentHasher(settings.hashing_options())
    lines = [
        "| image | PDQ alone (anchor) ms | upload as hashed (PDQ, MD5, SHA-256, lookups) ms | "
        "added to a bank without variants ms | with variants ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for width, height, repeat in ((640, 480, 15), (4000, 3000, 5)):
        data = jpeg(width, height)
        anchor = timed(lambda d=data: hash_image(Image.open(io.BytesIO(d))), repeat)
        upload = timed(lambda d=data: hasher.hash_bytes(d), repeat)
        variants = timed(lambda d=data: hasher.hash_bytes(d, variants=True), repeat)
        lines.append(
            f"| {width}x{height} JPEG | {anchor * 1e3:.0f} | {upload * 1e3:.0f} | "
            f"{upload * 1e3:.0f} | {variants * 1e3:.0f} |"
        )
    return lines


BASELINE_TIMER = """
import io, sys, time
import numpy as np
from bastion.hashing import ContentHasher
hasher = ContentHasher()
for path, repeat in zip(sys.argv[1::2], sys.argv[2::2]):
    data = open(path, "rb").read()
    times = []
    for _ in range(int(repeat)):
        started = time.perf_counter()
        hasher.hash_bytes(data)
        times.append(time.perf_counter() - started)
    print(float(np.median(times)))
"""


def every_option_costs(settings: Settings, baseline: Path | None) -> list[str]:
    """An upload hashed with every option on (keypoints too) beside the same upload hashed
    by the bastion source tree `baseline` (an earlier release: "today's" cost), in a
    subprocess on the same core."""
    hasher = ContentHasher(settings.hashing_options())
    every = MatchOptions(keypoints=True)
    sizes = ((640, 480, 15), (4000, 3000, 5))
    before: list[float | None] = [None] * len(sizes)
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for width, height, repeat in sizes:
            path = Path(folder) / f"{width}x{height}.jpg"
            path.write_bytes(jpeg(width, height))
            files += [str(path), str(repeat)]
        if baseline is not None:
            env = {**os.environ, "PYTHONPATH": str(baseline)}
            done = subprocess.run(
                [sys.executable, "-c", BASELINE_TIMER, *files],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            before = [float(line) for line in done.stdout.split()]
        lines = [
            "| image | before (baseline tree) ms | every option on, keypoints too ms | ratio |",
            "|---|---:|---:|---:|",
        ]
        for (width, height, repeat), old in zip(sizes, before, strict=True):
            data = Path(folder, f"{width}x{height}.jpg").read_bytes()
            now = timed(lambda d=data: hasher.hash_bytes(d, options=every), repeat)
            ratio = f"{now / old:.2f}" if old else "—"
            shown = f"{old * 1e3:.0f}" if old else "—"
            lines.append(f"| {width}x{height} JPEG | {shown} | {now * 1e3:.0f} | {ratio} |")
    return lines


def lookup_costs(settings: Settings, bank_size: int, queries: int) -> list[str]:
    """Query time at radius 31 for one code against every lookup, in banks of own hashes
    and of own plus derived hashes. The bank's codes are random (unrelated to the queries,
    as nearly every banked hash is to an upload); the queries are real uploads' lookups."""
    hasher = ContentHasher(settings.hashing_options())
    rng = np.random.default_rng(3)
    uploads = [hasher.hash_bytes(jpeg(640, 480, seed)) for seed in range(2000, 2000 + queries)]
    framed = sum(1 for u in uploads if any(d.how == "trimmed" for d in u.lookups))
    lines = [
        f"Bank of {bank_size:,} entries (random codes); {queries} uploads, each looked up "
        f"with its own hash and its lookups ({framed} of them had borders to trim).",
        "",
        "| bank configuration | hashes per entry | codes in the index | lookups per upload | "
        "ms per upload (median) | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, options, per_entry in (
        ("off", ALL_OFF, 1),
        ("trim_borders, rotations", MatchOptions(variants=False), 1),
        ("all (the default)", MatchOptions(), 6),
    ):
        size = bank_size * per_entry
        index = MultiIndexHammingIndex(bits=256)
        codes = rng.integers(0, 2**63, size=(size, 4), dtype=np.int64).astype(np.uint64)
        index.add_codes(np.arange(size, dtype=np.int64), codes)
        index.wait()
        per_upload, counts = [], []
        for upload in uploads:
            values = [upload.signal("pdq").value]  # type: ignore[union-attr]
            values += [d.signal.value for d in upload.lookups_for(options)]
            counts.append(len(values))
            words = hex_to_words(values, 256)
            started = time.perf_counter()
            for row in words:
                index.search(row, settings.pdq_threshold)
            per_upload.append(time.perf_counter() - started)
        lines.append(
            f"| {name} | {per_entry} | {size:,} | {np.mean(counts):.1f} | "
            f"{np.median(per_upload) * 1e3:.2f} | {np.percentile(per_upload, 99) * 1e3:.2f} |"
        )
        del index, codes
    return lines


def keypoint_costs(settings: Settings, bank_size: int, queries: int) -> list[str]:
    """What the keypoints option costs: hashing with and without it, the value's size, the
    index's memory per entry, and looking uploads up in a bank of `bank_size` generated
    images' keypoints (unrelated to the uploads, as nearly every entry is)."""
    hasher = ContentHasher(settings.hashing_options())
    with_keypoints = MatchOptions(keypoints=True)
    lines = [
        "| image | upload, default options ms | with keypoints ms | keypoints alone ms |",
        "|---|---:|---:|---:|",
    ]
    for width, height, repeat in ((640, 480, 15), (4000, 3000, 5)):
        data = jpeg(width, height)
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        plain = timed(lambda d=data: hasher.hash_bytes(d, options=MatchOptions()), repeat)
        both = timed(lambda d=data: hasher.hash_bytes(d, options=with_keypoints), repeat)
        alone = timed(lambda p=pixels: OrbSignal.compute(p), repeat)
        lines.append(
            f"| {width}x{height} JPEG | {plain * 1e3:.0f} | {both * 1e3:.0f} | {alone * 1e3:.0f} |"
        )
    values = [OrbSignal.compute(sample_pixels(seed, 640, 480)).value for seed in range(bank_size)]
    index = KeypointIndex()
    index.add(list(range(bank_size)), [OrbSignal.decode(v) for v in values])
    uploads = [
        OrbSignal.decode(OrbSignal.compute(sample_pixels(seed, 640, 480)).value)
        for seed in range(10_000_000, 10_000_000 + queries)
    ]
    index.votes(uploads[0])  # builds the postings
    checking = policy(settings.matching_options())
    per_upload, checked = [], []
    for upload in uploads:
        started = time.perf_counter()
        found = index.candidates(upload)
        for entry_id, _ in found:
            checking.passes(agreement(upload, index.keypoints(entry_id)))
        per_upload.append(time.perf_counter() - started)
        checked.append(len(found))
    lines += [
        "",
        f"Per entry: {np.mean([len(v) for v in values]):,.0f} characters stored (base64); "
        f"{index.__sizeof__() / bank_size:,.0f} bytes of arrays in the matcher's memory.",
        f"Looking up an upload in {bank_size:,} entries: {np.median(per_upload) * 1e3:.1f} ms "
        f"median, {np.percentile(per_upload, 99) * 1e3:.1f} ms p99, "
        f"{np.mean(checked):.1f} candidates checked on average.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, action="append", default=[])
    parser.add_argument("--fixtures", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path("robustness-report"))
    parser.add_argument("--bank-size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keypoint-bank", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="an earlier bastion's src folder, to time its upload hashing beside this one's",
    )
    parser.add_argument("--cost-only", action="store_true", help="skip the robustness run")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(describe("pillow", "numpy", "perception", "pdqhash", "scikit-image"))
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.load(env={}, data_dir=Path(data))
        photos, unreadable = default_photos(args.fixtures), []
        if args.photos:
            extra, unreadable = bench.candidates(settings, args.photos, 0)
            photos += extra
        if not args.cost_only:
            run = bench.run(settings, photos, unreadable=unreadable, seed=args.seed)
            path = report.write(run, args.out)
            print(f"robustness report: {path}")
            print(f"{len(run.photos.references)} refs, {len(run.photos.distractors)} distractors")
            summary = report.markdown(run).split("## Recall per transform")[0]
            print("\n".join(summary.splitlines()[12:]))
        print("\n## Cost: an upload with every option on, beside the baseline (one core)\n")
        print("\n".join(every_option_costs(settings, args.baseline_src)))
        print("\n## Cost: hashing (one core)\n")
        print("\n".join(hashing_costs(settings)))
        print("\n## Cost: looking up an upload\n")
        print("\n".join(lookup_costs(settings, args.bank_size, args.queries)))
        print("\n## Cost: the keypoints option\n")
        print("\n".join(keypoint_costs(settings, args.keypoint_bank, args.queries)))


if __name__ == "__main__":
    main()
