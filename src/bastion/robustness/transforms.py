"""The edits re-uploads go through, as a ladder of named, seeded image transforms.

Each `Transform` takes an RGB Pillow image and a random generator (for the transforms
that place something: an off-centre crop, a watermark) and returns the edited image; the
benchmark then encodes it as JPEG (quality 90, unless the transform is a JPEG one) and
hashes the bytes through the real pipeline. `mild` marks the transforms of perception's
table on which a global hash is expected to hold (blur, gamma, resize, heavy JPEG, noise and
watermarks: its "≥ 99%" group); `family` groups them in the report. Everything is drawn
with Pillow: no image comes from outside.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

Edit = Callable[[Image.Image, np.random.Generator], Image.Image]


@dataclass(frozen=True)
class Transform:
    name: str
    family: str
    mild: bool
    edit: Edit
    #: The JPEG quality the result is saved at (the JPEG transforms set their own).
    quality: int = 90

    def encode(self, image: Image.Image, rng: np.random.Generator) -> bytes:
        out = io.BytesIO()
        self.edit(image, rng).convert("RGB").save(out, "JPEG", quality=self.quality)
        return out.getvalue()


def _identity(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image


def _resize(factor: float) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        size = (max(8, round(image.width * factor)), max(8, round(image.height * factor)))
        return image.resize(size, Image.Resampling.BICUBIC)

    return edit


def _squash(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image.resize((round(image.width * 0.7), image.height), Image.Resampling.BICUBIC)


def _crop(share: float, centred: bool) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        cw, ch = round(w * (1 - share)), round(h * (1 - share))
        if centred:
            left, top = (w - cw) // 2, (h - ch) // 2
        else:
            left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        return image.crop((left, top, left + cw, top + ch))

    return edit


def _pad(share: float, *, letterbox: bool) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        dx = 0 if letterbox else round(w * share / 2)
        dy = round(h * share / 2)
        canvas = Image.new("RGB", (w + 2 * dx, h + 2 * dy), (0, 0, 0) if letterbox else (255,) * 3)
        canvas.paste(image, (dx, dy))
        return canvas

    return edit


def _rotate(degrees: float) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return image.rotate(degrees, Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0))

    return edit


def _transpose(method: Image.Transpose) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return image.transpose(method)

    return edit


def _blur(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius=max(1.0, image.width / 400)))


def _noise(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    pixels = np.asarray(image, np.float32)
    noisy = pixels + rng.normal(0, 12, size=pixels.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _gamma(value: float) -> Edit:
    table = [round(255 * (i / 255) ** value) for i in range(256)] * 3

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return image.point(table)

    return edit


def _enhance(kind: Callable[[Image.Image], ImageEnhance._Enhance], factor: float) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return kind(image).enhance(factor)

    return edit


def _hue(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    hsv = np.array(image.convert("HSV"))
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + 20) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def _greyscale(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return ImageOps.grayscale(image).convert("RGB")


def _sepia(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    grey = ImageOps.grayscale(image)
    return ImageOps.colorize(grey, (40, 26, 13), (255, 240, 192))


def _vignette(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = image.size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2)
    mask = np.clip(1.1 - 0.5 * r**2, 0.3, 1.0)[..., None]
    return Image.fromarray((np.asarray(image, np.float32) * mask).astype(np.uint8))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def _watermark(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out, "RGBA")
    size = max(10, image.height // 12)
    x, y = int(rng.integers(0, image.width // 3)), int(rng.integers(0, image.height // 2))
    draw.text((x, y), "sample watermark", font=_font(size), fill=(255, 255, 255, 150))
    return out


def _logo(share: float) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        out = image.copy()
        side = max(4, round(image.width * share))
        logo = Image.new("RGB", (side, side), (230, 40, 40))
        ImageDraw.Draw(logo).ellipse(
            (side // 5, side // 5, side * 4 // 5, side * 4 // 5), fill=(255, 255, 255)
        )
        out.paste(logo, (image.width - side - image.width // 40, image.height // 40))
        return out

    return edit


def _caption(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = image.size
    bar = max(12, h // 8)
    canvas = Image.new("RGB", (w, h + 2 * bar), (255, 255, 255))
    canvas.paste(image, (0, bar))
    draw = ImageDraw.Draw(canvas)
    draw.text((w // 20, bar // 4), "WHEN THE TEST PASSES", font=_font(bar // 2), fill=(0, 0, 0))
    draw.text(
        (w // 20, h + bar + bar // 4), "ON THE FIRST TRY", font=_font(bar // 2), fill=(0, 0, 0)
    )
    return canvas


def _screenshot(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The picture inside a larger canvas with a title bar and text, as in a screenshot."""
    w, h = image.size
    canvas = Image.new("RGB", (round(w * 1.4), round(h * 1.6)), (245, 245, 245))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.width, h // 10), fill=(60, 90, 150))
    draw.text((w // 30, h // 40), "a post", font=_font(h // 20), fill=(255, 255, 255))
    left, top = round(w * 0.2), round(h * 0.2)
    canvas.paste(image, (left, top))
    draw.text(
        (left, top + h + h // 30), "12 likes  3 comments", font=_font(h // 25), fill=(80, 80, 80)
    )
    return canvas


def _chain(*edits: Edit) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        for step in edits:
            image = step(image, rng)
        return image

    return edit


def _jpeg(quality: int) -> Transform:
    return Transform(f"jpeg_q{quality}", "jpeg", True, _identity, quality=quality)


#: The ladder, in report order.
TRANSFORMS: tuple[Transform, ...] = (
    *(_jpeg(q) for q in (95, 75, 50, 30, 10)),
    Transform("resize_0.25x", "resize", True, _resize(0.25)),
    Transform("resize_0.5x", "resize", True, _resize(0.5)),
    Transform("resize_2x", "resize", True, _resize(2.0)),
    Transform("squash", "resize", False, _squash),
    *(
        Transform(f"crop_{round(s * 100)}{'' if c else '_offcentre'}", "crop", False, _crop(s, c))
        for s in (0.05, 0.10, 0.20, 0.30)
        for c in (True, False)
    ),
    Transform("pad_10", "pad", False, _pad(0.10, letterbox=False)),
    Transform("pad_20", "pad", False, _pad(0.20, letterbox=False)),
    Transform("letterbox_10", "pad", False, _pad(0.10, letterbox=True)),
    Transform("letterbox_20", "pad", False, _pad(0.20, letterbox=True)),
    *(Transform(f"rotate_{d}", "rotate", False, _rotate(d)) for d in (2, 4, 10, 25)),
    Transform("rotate90", "dihedral", False, _transpose(Image.Transpose.ROTATE_90)),
    Transform("rotate180", "dihedral", False, _transpose(Image.Transpose.ROTATE_180)),
    Transform("rotate270", "dihedral", False, _transpose(Image.Transpose.ROTATE_270)),
    Transform("flip_horizontal", "dihedral", False, _transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    Transform("flip_vertical", "dihedral", False, _transpose(Image.Transpose.FLIP_TOP_BOTTOM)),
    Transform("transpose", "dihedral", False, _transpose(Image.Transpose.TRANSPOSE)),
    Transform("transverse", "dihedral", False, _transpose(Image.Transpose.TRANSVERSE)),
    Transform("blur", "filter", True, _blur),
    Transform("noise", "filter", True, _noise),
    Transform("gamma_0.6", "colour", True, _gamma(0.6)),
    Transform("gamma_1.6", "colour", True, _gamma(1.6)),
    Transform("brightness", "colour", False, _enhance(ImageEnhance.Brightness, 1.3)),
    Transform("contrast", "colour", False, _enhance(ImageEnhance.Contrast, 0.7)),
    Transform("saturation", "colour", False, _enhance(ImageEnhance.Color, 1.6)),
    Transform("hue", "colour", False, _hue),
    Transform("greyscale", "colour", False, _greyscale),
    Transform("sepia", "colour", False, _sepia),
    Transform("vignette", "colour", False, _vignette),
    Transform("text_watermark", "overlay", True, _watermark),
    Transform("logo_10", "overlay", True, _logo(0.10)),
    Transform("logo_25", "overlay", False, _logo(0.25)),
    Transform("caption_bars", "overlay", False, _caption),
    Transform("screenshot", "overlay", False, _screenshot),
    Transform("crop_5+jpeg_50+text", "chain", False, _chain(_crop(0.05, False), _watermark), 50),
)

BY_NAME = {t.name: t for t in TRANSFORMS}
assert len(BY_NAME) == len(TRANSFORMS), "transform names must be unique"
