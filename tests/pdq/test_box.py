"""The vectorised box filters against a literal port of the reference's running sum."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.pdq._box import box_along_columns, box_along_rows, window_plan
from tests.pdq import literal

CASES = [(1, 1), (5, 1), (5, 2), (6, 3), (16, 7), (16, 8), (17, 16), (17, 17), (128, 1), (129, 2)]
CASES += [(300, 3), (1000, 8), (1001, 7), (2000, 16)]


def _lines(n: int, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((count, n)) * 255).astype(np.float32)


@pytest.mark.parametrize(("length", "window"), CASES)
def test_rows_and_columns_match_literal(length: int, window: int) -> None:
    lines = _lines(length, 4, length * 31 + window)
    expected = np.array([literal.box_line(list(line), window) for line in lines], dtype=np.float32)
    assert np.array_equal(box_along_rows(lines, window), expected)
    assert np.array_equal(box_along_columns(np.ascontiguousarray(lines.T), window), expected.T)


def test_keep_selects_outputs_of_the_full_pass() -> None:
    lines = _lines(500, 7, 3)
    keep = np.array([0, 3, 250, 498, 499], dtype=np.intp)
    full = box_along_rows(lines, 4)
    assert np.array_equal(box_along_rows(lines, 4, keep=keep), full[:, keep])


def test_many_rows_are_processed_in_chunks() -> None:
    lines = _lines(300, 5000, 4)  # more rows than one chunk holds
    expected = np.array([literal.box_line(list(line), 3) for line in lines[-3:]], dtype=np.float32)
    assert np.array_equal(box_along_rows(lines, 3)[-3:], expected)


def test_phase_lengths_add_up() -> None:
    for length, window in CASES:
        p = window_plan(length, window)
        assert p.lead + p.growing + p.steady == length  # every input added once
        assert p.growing + p.steady + p.shrinking == length  # every output written once


def test_window_must_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        window_plan(3, 4)
    with pytest.raises(ValueError, match="does not fit"):
        window_plan(3, 0)
