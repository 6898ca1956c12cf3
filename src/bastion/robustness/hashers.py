"""The hashers a robustness run scores.

- `bastion_pdq`: bastion's pipeline as uploads and bank additions go through it
  (`ContentHasher`: decoding under the limits, PDQ as `pdq_mode` says, the quality floor
  `pdq_min_quality`, and the derived hashes of `bastion.variants`). Its configurations
  are bank match options (`MatchOptions`): each option alone, the defaults and all of
  them.
- `perception_pdq` and `perception_phash`: Thorn's perception package, as its published
  benchmark configured them (``PDQHash()`` and ``PHash(hash_size=16)``), when it is
  installed: the anchor our figures sit beside.
"""

from __future__ import annotations

import io
from importlib import metadata

from PIL import Image

from bastion.banks.model import ALL_OFF, MatchOptions
from bastion.hashing import ContentHasher
from bastion.robustness.evaluate import Code, Configuration, Hasher
from bastion.settings import Settings
from bastion.signals import PdqSignal, Signal

#: The name of the configuration new banks get.
DEFAULT_CONFIGURATION = "all (the default)"
#: The bank configurations scored for bastion, by name.
CONFIGURATIONS: dict[str, MatchOptions] = {
    "off": ALL_OFF,
    "trim_borders": MatchOptions(trim_borders=True, rotations=False, variants=False),
    "rotations": MatchOptions(trim_borders=False, rotations=True, variants=False),
    "variants": MatchOptions(trim_borders=False, rotations=False, variants=True),
    "trim_borders+rotations": MatchOptions(variants=False),
    DEFAULT_CONFIGURATION: MatchOptions(),
}


def bastion_pdq(settings: Settings) -> Hasher:
    hasher = ContentHasher(settings.hashing_options())

    def usable(signal: Signal) -> bool:  # what the matcher indexes and looks up
        return signal.quality is None or signal.quality >= settings.pdq_min_quality

    def bank_codes(data: bytes) -> list[Code]:
        content = hasher.hash_bytes(data, name="reference", variants=True)
        own = [Code(s.value) for s in content.signals if s.type == PdqSignal.name and usable(s)]
        return own + [Code(d.signal.value, d.how) for d in content.variants if usable(d.signal)]

    def query_codes(data: bytes) -> list[Code]:
        content = hasher.hash_bytes(data, name="query")
        own = [Code(s.value) for s in content.signals if s.type == PdqSignal.name and usable(s)]
        return own + [Code(d.signal.value, d.how) for d in content.lookups if usable(d.signal)]

    return Hasher(
        "bastion PDQ",
        PdqSignal.max_distance,
        settings.pdq_threshold,
        bank_codes,
        query_codes,
        tuple(Configuration(name, options.allows) for name, options in CONFIGURATIONS.items()),
        f"bastion {_version('bastion')} (pdq_mode {settings.pdq_mode})",
    )


def perception_problem() -> str | None:
    """Why perception's hashers cannot be scored here (None when they can): not installed,
    or installed without something it imports."""
    try:
        from perception import hashers  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError as e:
        return f"perception not scored: {e}"
    return None


def perception_hashers() -> list[Hasher]:
    """perception's PDQ and pHash as its benchmark set them up; [] when it cannot be
    imported (`perception_problem` says why)."""
    try:
        from perception import hashers  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return []
    version = f"perception {_version('perception')}"
    found = [
        _perception("perception pHash", hashers.PHash(hash_size=16), 256, version),  # type: ignore[no-untyped-call, unused-ignore]
    ]
    try:
        import pdqhash  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        return found
    pdq = _perception("perception PDQ", hashers.PDQHash(), 256, version)
    return [pdq, *found]


def _perception(name: str, hasher: object, bits: int, version: str) -> Hasher:
    def codes(data: bytes) -> list[Code]:
        with Image.open(io.BytesIO(data)) as image:
            value = hasher.compute(image.convert("RGB"), hash_format="hex")  # type: ignore[attr-defined]
        return [Code(str(value))]

    # perception's table picks each hasher's threshold for 99.99% precision; its own
    # default is not a match threshold, so PDQ's recommended 31 stands in for both.
    return Hasher(name, bits, 31, codes, codes, version=version)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
