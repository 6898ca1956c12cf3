"""Benign synthetic test images: smooth random colour fields, shapes and mild noise."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw


def photo_like(width: int, height: int, seed: int, noise: float = 3.0) -> Image.Image:
    """A photo-like RGB image: a smooth random field with a few shapes and noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (int(rng.integers(3, 12)), int(rng.integers(3, 12)), 3))
    image = Image.fromarray(coarse.astype(np.uint8)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(2, 8))):
        x0, x1 = sorted(int(v) for v in rng.integers(-width // 4, width + width // 4, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(-height // 4, height + height // 4, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    if noise > 0:
        pixels = np.asarray(image, dtype=np.float32)
        pixels = pixels + rng.normal(0.0, noise, pixels.shape).astype(np.float32)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def gradient(width: int, height: int) -> npt.NDArray[np.uint8]:
    """A smooth diagonal colour gradient."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 127.5 + 127.5 * np.sin((x + y) / max(width, height) * 6.0)
    return np.stack([r, g, b], axis=-1).round().astype(np.uint8)


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
