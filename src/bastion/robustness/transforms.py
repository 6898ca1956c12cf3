"""The edits re-uploads go through, as families of named, seeded image transforms.

Users' tools make each edit in many ways: an editor rotates inside a larger canvas and fills
the corners black, white, with a blurred copy or a mirror image, a phone app straightens by
cropping and enlarging; crops sit in the centre, in a corner or at a side; padding is any
colour or a blurred copy of the picture; JPEG quality and the scaler vary. So each edit is a
*family* of members (`Transform.family`), and the report gives every member and each
family's lowest: a configuration is never tuned to one member.

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
import math
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


def _crop_at(share: float, where: str) -> Edit:
    """A crop of `share` anchored in the top-left corner or at the left side, half-way down."""

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        cw, ch = round(w * (1 - share)), round(h * (1 - share))
        top = 0 if where == "corner" else (h - ch) // 2
        return image.crop((0, top, cw, top + ch))

    return edit


def _pad_with(share: float, fill: tuple[int, int, int] | None, *, sides: str = "all") -> Edit:
    """Padding of `share` in a flat colour, or (`fill` None) over a blurred, enlarged copy of
    the picture, as reposts to square or portrait formats often have. `sides`: "all",
    "rows" (letterbox) or "columns" (pillarbox)."""

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        dx = 0 if sides == "rows" else round(w * share / 2)
        dy = 0 if sides == "columns" else round(h * share / 2)
        size = (w + 2 * dx, h + 2 * dy)
        if fill is None:
            canvas = image.resize(size, Image.Resampling.BILINEAR).filter(
                ImageFilter.GaussianBlur(radius=max(4.0, max(size) / 30))
            )
        else:
            canvas = Image.new("RGB", size, fill)
        canvas.paste(image, (dx, dy))
        return canvas

    return edit


def _tilt(degrees: float, *, grown: bool, fill: str) -> Edit:
    """A tilt as editors make it: on a canvas grown to hold the turned picture (`grown`) or
    on its own canvas, the corners filled "black", "white", with a "blurred" copy of the
    picture or "mirrored" (the picture reflected outwards)."""

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        if fill in ("black", "white"):
            colour = (0, 0, 0) if fill == "black" else (255, 255, 255)
            return image.rotate(degrees, Image.Resampling.BICUBIC, expand=grown, fillcolor=colour)
        w, h = image.size
        turned = image.rotate(degrees, Image.Resampling.BICUBIC, expand=grown)
        if fill == "mirrored":
            margin = max(w, h)
            pixels = np.pad(
                np.asarray(image), ((margin, margin), (margin, margin), (0, 0)), "reflect"
            )
            big = Image.fromarray(pixels).rotate(degrees, Image.Resampling.BICUBIC)
            left = (big.width - turned.width) // 2
            top = (big.height - turned.height) // 2
            return big.crop((left, top, left + turned.width, top + turned.height))
        mask = Image.new("L", image.size, 255).rotate(
            degrees, Image.Resampling.BICUBIC, expand=grown
        )
        background = image.resize(turned.size, Image.Resampling.BILINEAR).filter(
            ImageFilter.GaussianBlur(radius=max(4.0, max(turned.size) / 30))
        )
        background.paste(turned, (0, 0), mask)
        return background

    return edit


def _straighten(degrees: float) -> Edit:
    """What phone straighten tools do: turn, cut the largest upright rectangle of the
    picture's shape out of the turned picture, and enlarge it back to the original size."""

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        c, s = abs(math.cos(math.radians(degrees))), abs(math.sin(math.radians(degrees)))
        scale = min(w / (w * c + h * s), h / (w * s + h * c))
        cw, ch = w * scale, h * scale
        turned = image.rotate(degrees, Image.Resampling.BICUBIC)
        left, top = round((w - cw) / 2), round((h - ch) / 2)
        inside = turned.crop((left, top, left + round(cw), top + round(ch)))
        return inside.resize((w, h), Image.Resampling.BICUBIC)

    return edit


def _scaled(factor: float, scaler: Image.Resampling) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        size = (max(8, round(image.width * factor)), max(8, round(image.height * factor)))
        return image.resize(size, scaler)

    return edit


def _phone(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The picture in a phone screenshot: status bar, app bar, actions and a navigation bar."""
    w, h = image.size
    width = round(w * 1.05)
    bar = max(12, width // 14)
    canvas = Image.new("RGB", (width, h + 6 * bar), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, width, bar), fill=(20, 20, 20))
    draw.text((bar // 2, bar // 5), "9:41", font=_font(bar * 2 // 3), fill=(255, 255, 255))
    draw.rectangle((width - 2 * bar, bar // 3, width - bar // 2, bar * 2 // 3), outline=(255,) * 3)
    draw.text((bar // 2, bar + bar // 4), "photos", font=_font(bar * 2 // 3), fill=(0, 0, 0))
    top = 2 * bar + bar // 2
    canvas.paste(image, ((width - w) // 2, top))
    for k in range(3):
        x = bar // 2 + k * 2 * bar
        draw.ellipse((x, top + h + bar // 3, x + bar, top + h + bar // 3 + bar), outline=(0,) * 3)
    draw.rectangle((0, canvas.height - 2 * bar, width, canvas.height), fill=(245, 245, 245))
    for k in range(4):
        x = round((k + 0.5) * width / 4) - bar // 3
        y = canvas.height - bar - bar // 3
        draw.rectangle((x, y, x + 2 * bar // 3, y + 2 * bar // 3), fill=(90, 90, 90))
    return canvas


def _window(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The picture in a desktop window: title bar with its buttons, a margin, a scrollbar."""
    w, h = image.size
    title, margin, scroll = max(12, h // 14), max(8, w // 20), max(6, w // 60)
    canvas = Image.new("RGB", (w + 2 * margin + scroll, h + title + 2 * margin), (250,) * 3)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.width, title), fill=(222, 222, 222))
    for k, colour in enumerate(((237, 94, 86), (245, 190, 79), (98, 197, 84))):
        x = title // 3 + k * title
        draw.ellipse((x, title // 4, x + title // 2, title * 3 // 4), fill=colour)
    draw.text((canvas.width // 3, title // 5), "photo.jpg", font=_font(title // 2), fill=(0,) * 3)
    canvas.paste(image, (margin, title + margin))
    draw.rectangle(
        (canvas.width - scroll, title, canvas.width, canvas.height), fill=(200, 200, 200)
    )
    draw.rectangle(
        (canvas.width - scroll, title + h // 5, canvas.width, title + h // 2), fill=(140,) * 3
    )
    return canvas


def _chat(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The picture as a message in a chat: a bubble with rounded corners on a tinted
    background, a message above it and a time below."""
    w, h = image.size
    pad = max(6, w // 30)
    line = max(12, h // 12)
    canvas = Image.new("RGB", (round(w * 1.3), h + 4 * line + 4 * pad), (229, 221, 213))
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle((pad, pad, canvas.width // 2, pad + line + pad), 8, fill=(255,) * 3)
    draw.text((2 * pad, pad + pad // 2), "look at this", font=_font(line * 2 // 3), fill=(0,) * 3)
    left, top = canvas.width - w - 2 * pad, 2 * pad + line + 2 * pad
    draw.rounded_rectangle(
        (left - pad // 2, top - pad // 2, left + w + pad // 2, top + h + line + pad),
        pad, fill=(220, 248, 198),
    )  # fmt: skip
    rounded = Image.new("L", image.size, 0)
    ImageDraw.Draw(rounded).rounded_rectangle((0, 0, w - 1, h - 1), pad, fill=255)
    canvas.paste(image, (left, top), rounded)
    draw.text(
        (left + w - 4 * line, top + h + pad // 2), "12:04", font=_font(line // 2), fill=(90,) * 3
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


#: The scalers resizes are made with, by name.
SCALERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
}
#: Flat padding colours: white, black, mid grey, and a brand blue.
PAD_COLOURS = {
    "white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128), "blue": (29, 161, 242)
}  # fmt: skip
#: Tilts on a grown canvas and on the picture's own canvas, by angle: the fills made.
GROWN_FILLS = ("black", "white", "blurred", "mirrored")
SAME_FILLS = ("black", "white")


def _tilts(degrees: int) -> list[Transform]:
    """The tilt family at one angle: every fill on a grown canvas and on the same canvas
    (``rotate_D`` is the same canvas filled black), and straightened."""
    members = [
        Transform(
            f"tilt_{degrees}_grown_{fill}", "tilt", False, _tilt(degrees, grown=True, fill=fill)
        )
        for fill in GROWN_FILLS
    ]
    members += [
        Transform(
            f"rotate_{degrees}" if fill == "black" else f"tilt_{degrees}_same_{fill}",
            "tilt",
            False,
            _tilt(degrees, grown=False, fill=fill),
        )
        for fill in SAME_FILLS
    ]
    return [*members, Transform(f"straighten_{degrees}", "tilt", False, _straighten(degrees))]


#: Every transform, in report order, family by family.
TRANSFORMS: tuple[Transform, ...] = (
    *(_jpeg(q) for q in (95, 75, 50, 30, 10)),
    Transform("resize_0.25x", "resize", True, _scaled(0.25, Image.Resampling.BICUBIC)),
    Transform("resize_0.5x", "resize", True, _scaled(0.5, Image.Resampling.BICUBIC)),
    Transform("resize_2x", "resize", True, _scaled(2.0, Image.Resampling.BICUBIC)),
    *(
        Transform(f"resize_{f}x_{name}", "resize", True, _scaled(f, scaler))
        for f in (0.5, 0.75)
        for name, scaler in SCALERS.items()
        if name != "bicubic" or f != 0.5
    ),
    Transform("resize_0.25x_box", "resize", True, _scaled(0.25, Image.Resampling.BOX)),
    Transform("resize_2x_nearest", "resize", True, _scaled(2.0, Image.Resampling.NEAREST)),
    Transform("squash", "resize", False, _squash),
    *(
        member
        for s in (0.05, 0.10, 0.20, 0.30)
        for member in (
            Transform(f"crop_{round(s * 100)}", "crop", False, _crop(s, True)),
            Transform(f"crop_{round(s * 100)}_offcentre", "crop", False, _crop(s, False)),
            Transform(f"crop_{round(s * 100)}_corner", "crop", False, _crop_at(s, "corner")),
            Transform(f"crop_{round(s * 100)}_side", "crop", False, _crop_at(s, "side")),
        )
    ),
    Transform("pad_10", "pad", False, _pad_with(0.10, PAD_COLOURS["white"])),
    Transform("pad_20", "pad", False, _pad_with(0.20, PAD_COLOURS["white"])),
    *(
        Transform(f"pad_20_{name}", "pad", False, _pad_with(0.20, colour))
        for name, colour in PAD_COLOURS.items()
        if name != "white"
    ),
    Transform("pad_10_blurred", "pad", False, _pad_with(0.10, None)),
    Transform("pad_20_blurred", "pad", False, _pad_with(0.20, None)),
    Transform("pad_40_blurred_rows", "pad", False, _pad_with(0.40, None, sides="rows")),
    Transform("letterbox_10", "pad", False, _pad_with(0.10, (0, 0, 0), sides="rows")),
    Transform("letterbox_20", "pad", False, _pad_with(0.20, (0, 0, 0), sides="rows")),
    Transform("pillarbox_20", "pad", False, _pad_with(0.20, (0, 0, 0), sides="columns")),
    *_tilts(2),
    *_tilts(4),
    *_tilts(-4),
    *_tilts(10),
    Transform("rotate_25", "tilt", False, _tilt(25, grown=False, fill="black")),
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
    Transform("screenshot", "screenshot", False, _screenshot),
    Transform("screenshot_phone", "screenshot", False, _phone),
    Transform("screenshot_window", "screenshot", False, _window),
    Transform("screenshot_chat", "screenshot", False, _chat),
    Transform("crop_5+jpeg_50+text", "chain", False, _chain(_crop(0.05, False), _watermark), 50),
)

BY_NAME = {t.name: t for t in TRANSFORMS}
assert len(BY_NAME) == len(TRANSFORMS), "transform names must be unique"
#: The tilt members at an angle that lose none of the picture (every fill, grown or not).
TILT_MEMBERS: dict[int, tuple[str, ...]] = {
    degrees: tuple(
        t.name
        for t in TRANSFORMS
        if t.family == "tilt"
        and not t.name.startswith("straighten")
        and (t.name == f"rotate_{degrees}" or t.name.startswith(f"tilt_{degrees}_"))
    )
    for degrees in (2, 4, -4, 10)
}
#: The families, in report order, each with its members.
FAMILIES: dict[str, tuple[Transform, ...]] = {
    family: tuple(t for t in TRANSFORMS if t.family == family)
    for family in dict.fromkeys(t.family for t in TRANSFORMS)
}
