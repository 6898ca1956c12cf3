"""Finding a tilted picture inside its frame (`bastion.media.tilt`): recall, false firing
and cost.

    python benchmarks/tilt.py [--fixtures 20] [--angles 2 4 8 12]

On the default robustness photos (scikit-image's, perception's and matplotlib's sample
photographs and generated fixtures; near-duplicates and flat ones dropped), as JPEG 85:

1. Recall: each photo turned by ±each angle, on a grown canvas (``expand``) and inside its
   own, the corners filled black, white, blue, with a blurred copy or with the mirror
   image; how often the tilt is found (within 0.5°) and how often the straightened
   picture's PDQ is within 31 bits of the photo's (for the same canvas, of its centre to
   the photo's centre, as ``untilted+centre_70`` meets ``centre_70``).
2. False firing: how often a tilt is found on the untilted photos, and on every other
   transform of the robustness ladder (crops, pads, screenshots, ...): each firing adds two
   lookups (``untilted`` and its centre), spending the false-match budget.
3. Cost: the median time of `find_tilt` on a 640x480 and a 4000x3000 upload.
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image, ImageFilter

from bastion.media.tilt import Geometry, find_tilt, straightened
from bastion.pdq import hamming_distance, hash_rgb
from bastion.robustness.photos import default_photos, split
from bastion.robustness.transforms import TRANSFORMS
from bastion.samples import sample_pixels

FILLS = ("black", "white", "blue", "blurred", "mirrored")


def tilted(image: Image.Image, degrees: float, expand: bool, fill: str) -> Image.Image:
    colours = {"black": (0, 0, 0), "white": (255, 255, 255), "blue": (40, 90, 200)}
    if fill in colours:
        return image.rotate(
            degrees, Image.Resampling.BICUBIC, expand=expand, fillcolor=colours[fill]
        )
    if fill == "blurred":
        turned = image.convert("RGBA").rotate(degrees, Image.Resampling.BICUBIC, expand=expand)
        behind = image.resize(turned.size).filter(ImageFilter.GaussianBlur(12)).convert("RGBA")
        behind.alpha_composite(turned)
        return behind.convert("RGB")
    pixels = np.asarray(image)  # mirrored: the picture reflected across its edges
    side = max(pixels.shape[:2])
    big = Image.fromarray(np.pad(pixels, ((side, side), (side, side), (0, 0)), mode="symmetric"))
    size = image.rotate(degrees, expand=True).size if expand else image.size
    left, top = round((big.width - size[0]) / 2), round((big.height - size[1]) / 2)
    turned = big.rotate(degrees, Image.Resampling.BICUBIC)
    return turned.crop((left, top, left + size[0], top + size[1]))


def jpeg(image: Image.Image) -> np.ndarray:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85)
    return np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))


def centre(pixels: np.ndarray) -> np.ndarray:
    h, w = pixels.shape[:2]
    dy, dx = round(h * 0.15), round(w * 0.15)
    return np.ascontiguousarray(pixels[dy : h - dy, dx : w - dx])


def recall(photos: list[Image.Image], angles: list[float]) -> None:
    print("| fill | canvas | angle | found | PDQ within 31 |")
    print("|---|---|---|---|---|")
    for fill in FILLS:
        for expand in (True, False):
            for size in angles:
                found = close = total = 0
                for image in photos:
                    original = np.asarray(image)
                    for degrees in (-size, size):
                        total += 1
                        pixels = jpeg(tilted(image, degrees, expand, fill))
                        tilt = find_tilt(pixels)
                        geometry = Geometry.ENLARGED if expand else Geometry.SAME
                        if tilt is None or tilt.geometry is not geometry:
                            continue
                        if abs(tilt.degrees - degrees) > 0.5:
                            continue
                        found += 1
                        upright = straightened(pixels, tilt)
                        a, b = (
                            (upright, original) if expand else (centre(upright), centre(original))
                        )
                        close += hamming_distance(hash_rgb(a).hash, hash_rgb(b).hash) <= 31
                canvas = "grown" if expand else "same"
                print(f"| {fill} | {canvas} | ±{size}° | {found}/{total} | {close}/{total} |")


def false_firing(photos: list[Image.Image]) -> None:
    rng = np.random.default_rng(7)
    untilted = sum(find_tilt(jpeg(image)) is not None for image in photos)
    print(f"\nuntilted photos: fired on {untilted}/{len(photos)}")
    fired: dict[str, int] = {}
    upright = [t for t in TRANSFORMS if t.family != "tilt" or t.name.startswith("straighten")]
    for transform in upright:
        for image in photos:
            data = transform.encode(image, rng)
            pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            if find_tilt(pixels) is not None:
                fired[transform.name] = fired.get(transform.name, 0) + 1
    checked = len(upright) * len(photos)
    print(f"other transforms: fired on {sum(fired.values())}/{checked}: {fired or 'none'}")


def cost() -> None:
    for width, height in ((640, 480), (4000, 3000)):
        pixels = sample_pixels(3, width, height)
        times = []
        for _ in range(15):
            start = time.perf_counter()
            find_tilt(pixels)
            times.append(time.perf_counter() - start)
        print(f"find_tilt {width}x{height}: {1000 * float(np.median(times)):.1f} ms (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=int, default=20)
    parser.add_argument("--angles", type=float, nargs="+", default=[2, 4, 8, 12])
    args = parser.parse_args()
    kept = split(default_photos(args.fixtures), min_quality=50)
    photos = [p.image for p in kept.references + kept.distractors]
    print(f"{len(photos)} photos\n")
    cost()
    false_firing(photos)
    print()
    recall(photos, args.angles)


if __name__ == "__main__":
    main()
