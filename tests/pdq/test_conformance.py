"""Conformance with Meta's reference hashes listed in ../shared/testdata/pdq/EXPECTED.tsv.

* ``java`` and ``pdqhash`` rows were computed from the same pixels we hash (Pillow's
  ``convert("RGB")``): hash and quality must be bit-identical.
* ``cpp`` rows come from the C++ CLI with its own JPEG decoder: Meta's rule allows
  10 bits for a different decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bastion.pdq import PdqDigest, hamming_distance
from tests.pdq.conftest import ExpectedRow

pytestmark = pytest.mark.conformance

CPP_DECODER_TOLERANCE = 10


def test_expected_row(
    shared_testdata: Path,
    expected_row: ExpectedRow | None,
    reference_digest: Callable[[str], PdqDigest],
) -> None:
    assert expected_row is not None, f"no EXPECTED.tsv rows under {shared_testdata}"
    digest = reference_digest(expected_row.file)
    distance = hamming_distance(digest.hash, expected_row.pdq_hex)
    if expected_row.source == "cpp":
        assert distance <= CPP_DECODER_TOLERANCE
        return
    assert expected_row.source in {"java", "pdqhash"}, expected_row.source
    assert digest.hash == expected_row.pdq_hex, f"{distance} bits off"
    if expected_row.quality is not None:
        assert digest.quality == expected_row.quality


def test_expected_rows_cover_every_source(expected_rows: list[ExpectedRow]) -> None:
    assert {"java", "cpp", "pdqhash"} <= {row.source for row in expected_rows}
    assert len({row.file for row in expected_rows}) >= 40
