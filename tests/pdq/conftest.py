"""Fixtures for the PDQ tests: the shared reference images and their expected hashes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from bastion.pdq import PdqDigest, PdqMode, hash_image, hash_rgb
from tests.conftest import SHARED_TESTDATA

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class ExpectedRow:
    file: str
    pdq_hex: str
    source: str
    quality: int | None

    @property
    def id(self) -> str:
        return f"{self.source}:{self.file}"


def parse_expected(path: Path) -> list[ExpectedRow]:
    """Rows of EXPECTED.tsv (``#`` comments and the header line skipped)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "file\t")):
            continue
        fields = line.split("\t")
        note = fields[3] if len(fields) > 3 else ""
        quality = int(note.removeprefix("quality=")) if note.startswith("quality=") else None
        rows.append(ExpectedRow(fields[0], fields[1], fields[2], quality))
    return rows


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per EXPECTED.tsv row for tests taking ``expected_row``.

    Without the shared data there are no rows; a single ``None`` case then runs
    and the ``shared_testdata`` fixture skips it (or fails it in CI).
    """
    if "expected_row" in metafunc.fixturenames:
        path = SHARED_TESTDATA / "pdq" / "EXPECTED.tsv"
        rows: list[ExpectedRow | None] = list(parse_expected(path)) if path.is_file() else []
        if not rows:
            rows = [None]
        metafunc.parametrize("expected_row", rows, ids=[r.id if r else "missing" for r in rows])


def load_rgb(path: Path) -> npt.NDArray[np.uint8]:
    """Pixels exactly as the expected values were made: Pillow, convert("RGB"), no EXIF."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="session")
def pdq_dir(shared_testdata: Path) -> Path:
    folder = shared_testdata / "pdq"
    if not folder.is_dir():
        pytest.fail(f"{folder} is missing from the shared test data")
    return folder


@pytest.fixture(scope="session")
def expected_rows(pdq_dir: Path) -> list[ExpectedRow]:
    rows = parse_expected(pdq_dir / "EXPECTED.tsv")
    assert rows, "EXPECTED.tsv has no rows"
    return rows


@pytest.fixture(scope="session")
def shared_images(pdq_dir: Path) -> list[Path]:
    return sorted(p for p in pdq_dir.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


@pytest.fixture(scope="session")
def reference_digest(pdq_dir: Path) -> Callable[[str], PdqDigest]:
    """Reference-mode digest of a shared image (relative path), computed once."""
    cache: dict[str, PdqDigest] = {}

    def get(relative: str) -> PdqDigest:
        if relative not in cache:
            cache[relative] = hash_rgb(load_rgb(pdq_dir / relative))
        return cache[relative]

    return get


@pytest.fixture(scope="session")
def fast_digest(pdq_dir: Path) -> Callable[[str], PdqDigest]:
    """Fast-mode digest of a shared image (relative path), decoded by `hash_image`."""
    cache: dict[str, PdqDigest] = {}

    def get(relative: str) -> PdqDigest:
        if relative not in cache:
            with Image.open(pdq_dir / relative) as image:
                cache[relative] = hash_image(image, PdqMode.FAST)
        return cache[relative]

    return get
