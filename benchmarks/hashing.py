"""Time PDQ hashing end to end (decode + hash) and check fast mode against reference mode.

    python benchmarks/hashing.py [--quick] [--repeats N]

Measured in one run, per image, median over repeats, file opened afresh each time:

* bastion reference mode: ``hash_image(Image.open(f))`` (bit-exact with Meta's reference);
* bastion fast mode: ``hash_image(Image.open(f), PdqMode.FAST)``;
* pdqhash + Pillow: ``pdqhash.compute(np.asarray(Image.open(f).convert("RGB")))``;
* imagehash pHash: ``imagehash.phash(Image.open(f))`` (a 64-bit hash, for scale).

Images: the shared PDQ test images (``$BASTION_SHARED_DIR/testdata/pdq``, default
``../shared`` beside the repository) and benign photo-like JPEGs generated here (12 MP and
2 MP, quality 90).  pdqhash and imagehash are optional (``pip install -e '.[bench]'``);
without them their columns say so and the rest is measured.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from bastion.pdq import PdqMode, hamming_distance, hash_image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import cpu_model, version

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("BASTION_SHARED_DIR", REPO.parent / "shared")) / "testdata" / "pdq"
SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
#: Shared images listed individually (the rest only in the totals).
SHOWCASE = (
    "reg-test-input/exif-rotn/exif-rotn-1.jpg",
    "reg-test-input/dih/bridge-1-original.jpg",
    "misc-images/modes/RGBA.png",
    "reg-test-input/pen-and-coaster.png",
    "reg-test-input/labelme-subset/q0122.jpg",
)
GENERATED = {"generated-12mp.jpg": (4032, 3024), "generated-2mp.jpg": (1920, 1080)}


def optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    """Benign photo-like content: a smooth random colour field, shapes, mild noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (9, 12, 3)).astype(np.uint8)
    image = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, x1 = sorted(int(v) for v in rng.integers(0, width, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, height, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour)
    pixels = np.asarray(image, dtype=np.float32)
    pixels += rng.normal(0.0, 4.0, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def median_ms(func: Callable[[], object], repeats: int) -> float:
    func()  # warm-up: caches, lazily built tables, the file in the page cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


@dataclass
class Row:
    name: str
    size: tuple[int, int]
    fmt: str
    times: dict[str, float | None] = field(default_factory=dict)
    reference_quality: int = 0
    fast_quality: int = 0
    fast_distance: int = 0
    pdqhash_distance: int | None = None

    @property
    def megapixels(self) -> float:
        return self.size[0] * self.size[1] / 1e6


METHODS = ("reference", "fast", "pdqhash", "phash")


def measure(path: Path, name: str, repeats: int, pdqhash: Any, imagehash: Any) -> Row:
    with Image.open(path) as image:
        row = Row(name, image.size, image.format or "?")
    with Image.open(path) as image:
        reference = hash_image(image)
    with Image.open(path) as image:
        fast = hash_image(image, PdqMode.FAST)
    row.reference_quality, row.fast_quality = reference.quality, fast.quality
    row.fast_distance = hamming_distance(reference.hash, fast.hash)

    def run_reference() -> object:
        with Image.open(path) as image:
            return hash_image(image)

    def run_fast() -> object:
        with Image.open(path) as image:
            return hash_image(image, PdqMode.FAST)

    row.times["reference"] = median_ms(run_reference, repeats)
    row.times["fast"] = median_ms(run_fast, repeats)
    row.times["pdqhash"] = row.times["phash"] = None
    if pdqhash is not None:

        def run_pdqhash() -> Any:
            with Image.open(path) as image:
                return pdqhash.compute(np.asarray(image.convert("RGB")))

        row.times["pdqhash"] = median_ms(run_pdqhash, repeats)
        bits, _quality = run_pdqhash()
        row.pdqhash_distance = hamming_distance(reference.hash, pdqhash_hex(bits))
    if imagehash is not None:

        def run_phash() -> object:
            with Image.open(path) as image:
                return imagehash.phash(image)

        row.times["phash"] = median_ms(run_phash, repeats)
    return row


def pdqhash_hex(bits: Any) -> str:
    """pdqhash returns bit 255 first; our hex prints bit 255 first too."""
    value = 0
    for bit in np.asarray(bits).ravel():
        value = (value << 1) | int(bit)
    return f"{value:064x}"


def fmt_ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def speedup_ratio(row: Row) -> float | None:
    pdq, fast = row.times.get("pdqhash"), row.times.get("fast")
    return None if pdq is None or not fast else pdq / fast


def speedup(row: Row) -> str:
    ratio = speedup_ratio(row)
    return "n/a" if ratio is None else f"{ratio:.1f}x"


def print_report(rows: list[Row], shown: list[Row], repeats: int, notes: list[str]) -> None:
    print("## PDQ hashing benchmark (decode + hash, median ms)\n")
    print(f"- CPU: {cpu_model()}; cores: {os.cpu_count()}")
    print(
        f"- Python {platform.python_version()} ({sys.implementation.name}); numpy {np.__version__}"
    )
    versions = ", ".join(f"{n} {version(n)}" for n in ("pillow", "pdqhash", "imagehash"))
    print(f"- {versions}")
    print(f"- repeats per measurement: {repeats} (after one warm-up)")
    for note in notes:
        print(f"- {note}")
    print()
    header = "| image | size | MP | bastion reference | bastion fast | pdqhash + Pillow "
    header += (
        "| imagehash pHash | fast speed-up vs pdqhash | fast vs ref (bits) | quality ref/fast |"
    )
    print(header)
    print("|" + "---|" * 10)
    for row in shown:
        cells = [
            row.name,
            f"{row.size[0]}x{row.size[1]} {row.fmt}",
            f"{row.megapixels:.1f}",
            *(fmt_ms(row.times.get(m)) for m in METHODS),
            speedup(row),
            str(row.fast_distance),
            f"{row.reference_quality}/{row.fast_quality}",
        ]
        print("| " + " | ".join(cells) + " |")
    shared = [r for r in rows if not r.name.startswith("generated")]
    if shared:
        totals = []
        for method in METHODS:
            values = [r.times.get(method) for r in shared]
            totals.append(None if any(v is None for v in values) else sum(v for v in values if v))
        total_row = Row(f"all {len(shared)} shared images (sum)", (0, 0), "")
        total_row.times = dict(zip(METHODS, totals, strict=True))
        print(
            f"| {total_row.name} | | {sum(r.megapixels for r in shared):.1f} | "
            + " | ".join(fmt_ms(v) for v in totals)
            + f" | {speedup(total_row)} | | |"
        )
    print()
    good = [r for r in rows if r.reference_quality >= 80]
    if good:
        distances = [r.fast_distance for r in good]
        print(
            f"Fast vs reference on {len(good)} images of quality >= 80: max "
            f"{max(distances)} bits, mean {statistics.mean(distances):.2f} bits (Meta's limit: 10)."
        )
        quality_gaps = [abs(r.reference_quality - r.fast_quality) for r in rows]
        print(
            f"Quality, fast vs reference: max difference {max(quality_gaps)}"
            f" over {len(rows)} images."
        )
    big = [r for r in rows if r.fmt == "JPEG" and r.megapixels >= 2 and r.times.get("pdqhash")]
    if big:
        ratios = [ratio for r in big if (ratio := speedup_ratio(r)) is not None]
        geo = float(np.exp(np.mean(np.log(ratios))))
        print(
            f"Fast mode vs pdqhash + Pillow on {len(big)} JPEGs of >= 2 MP: "
            f"{min(ratios):.1f}x to {max(ratios):.1f}x faster (geometric mean {geo:.1f}x)."
        )
    compared = [r for r in rows if r.pdqhash_distance is not None]
    if compared:
        exact = sum(r.pdqhash_distance == 0 for r in compared)
        print(f"Reference mode hash == pdqhash hash on {exact}/{len(compared)} images.")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats, showcase shared images only"
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per measurement")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)

    notes = []
    pdqhash, imagehash = optional("pdqhash"), optional("imagehash")
    if pdqhash is None:
        notes.append("pdqhash is NOT installed: its column is n/a (pip install pdqhash)")
    if imagehash is None:
        notes.append("imagehash is NOT installed: its column is n/a (pip install imagehash)")

    if SHARED.is_dir():
        shared = sorted(p for p in SHARED.rglob("*") if p.suffix.lower() in SUFFIXES)
        if args.quick:
            shared = [SHARED / name for name in SHOWCASE if (SHARED / name).is_file()]
    else:
        shared = []
        notes.append(f"shared images not found at {SHARED}: generated images only")

    rows: list[Row] = []
    shown: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bastion-bench-") as tmp:
        for index, (name, size) in enumerate(GENERATED.items()):
            path = Path(tmp) / name
            photo_like(*size, seed=index).save(path, format="JPEG", quality=90)
            row = measure(path, name, repeats, pdqhash, imagehash)
            rows.append(row)
            shown.append(row)
            print(f"measured {name}", file=sys.stderr)
        for path in shared:
            relative = path.relative_to(SHARED).as_posix()
            row = measure(path, relative, repeats, pdqhash, imagehash)
            rows.append(row)
            if relative in SHOWCASE:
                shown.append(row)
        print(f"measured {len(shared)} shared images", file=sys.stderr)
    print_report(rows, shown, repeats, notes)


if __name__ == "__main__":
    main()
