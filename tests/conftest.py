"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_TESTDATA = Path(os.environ.get("BASTION_SHARED_DIR", REPO_ROOT.parent / "shared")) / "testdata"


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    """The reference data in ../shared/testdata.

    A user's clone has no ../shared, so tests that need it skip with a reason; CI sets
    BASTION_REQUIRE_SHARED=1 (in .ci/run) and then a missing folder is an error.
    """
    if SHARED_TESTDATA.is_dir():
        return SHARED_TESTDATA
    if os.environ.get("BASTION_REQUIRE_SHARED") == "1":
        pytest.fail(f"BASTION_REQUIRE_SHARED=1 but {SHARED_TESTDATA} does not exist")
    pytest.skip(f"reference data not found at {SHARED_TESTDATA} (only CI and developers have ../shared)")
