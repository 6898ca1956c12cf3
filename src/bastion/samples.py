"""Benign sample images, generated deterministically: for the demo, tests and benchmarks.

Each image is a seeded composition of smooth colour fields, discs and stripes — nothing but
abstract shapes — so bastion can show hashing and matching without shipping any media.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image


def sample_pixels(seed: int, width: int = 640, height: int = 480) -> npt.NDArray[np.uint8]:
    """An abstract, photo-like RGB image (height x width x 3) determined by `seed`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y /= height
    x /= width
    image = np.zeros((height, width, 3), dtype=np.float32)
    for channel in range(3):  # smooth background: a few random low-frequency waves
        for _ in range(4):
            fx, fy = rng.uniform(0.5, 4.0, size=2)
            phase = rng.uniform(0, 2 * np.pi)
            image[..., channel] += np.sin(2 * np.pi * (fx * x + fy * y) + phase)
    image = (image - image.min()) / (np.ptp(image) + 1e-6) * 255
    for _ in range(int(rng.integers(4, 9))):  # discs of flat colour
        cx, cy = rng.uniform(0, 1, size=2)
        r = rng.uniform(0.05, 0.25)
        mask = (x - cx) ** 2 + ((y - cy) * height / width) ** 2 < r * r
        image[mask] = rng.uniform(0, 255, size=3)
    if rng.random() < 0.5:  # stripes
        period = rng.uniform(0.03, 0.12)
        stripes = (np.sin(2 * np.pi * x / period) > 0.6)[..., None]
        image = np.where(stripes, image * 0.5, image)
    image += rng.normal(0, 3, size=image.shape)  # mild sensor-like noise
    pixels: npt.NDArray[np.uint8] = np.clip(image, 0, 255).astype(np.uint8)
    return pixels


def write_samples(directory: Path, seeds: range, *, fmt: str = "JPEG") -> list[Path]:
    """Write one sample per seed into `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
    paths = []
    for seed in seeds:
        path = directory / f"sample-{seed:03d}.{ext}"
        Image.fromarray(sample_pixels(seed)).save(path, fmt, quality=92)
        paths.append(path)
    return paths
