"""Fixtures for the reporting tests: the CyberTipline schema from ../shared and its fake."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bastion.reporting.cybertipline import CyberTiplineClient, ReportSchema
from tests.conftest import SHARED_TESTDATA
from tests.reporting.fake_cybertipline import FakeCyberTipline

#: NCMEC's report schema: read in place from ../shared, never copied into the project.
CYBERTIPLINE_XSD = SHARED_TESTDATA.parent / "ncmec" / "cybertipline-report.xsd"


@pytest.fixture(scope="session")
def cybertipline_xsd() -> bytes:
    """The schema's bytes; tests that need it skip without ../shared, unless CI requires it
    (BASTION_REQUIRE_SHARED=1)."""
    if CYBERTIPLINE_XSD.is_file():
        return CYBERTIPLINE_XSD.read_bytes()
    if os.environ.get("BASTION_REQUIRE_SHARED") == "1":
        pytest.fail(f"BASTION_REQUIRE_SHARED=1 but {CYBERTIPLINE_XSD} does not exist")
    pytest.skip(f"NCMEC's schema not found at {CYBERTIPLINE_XSD} (only CI and developers have it)")


@pytest.fixture(scope="session")
def report_schema(cybertipline_xsd: bytes) -> ReportSchema:
    return ReportSchema.from_bytes(cybertipline_xsd)


@pytest.fixture
def fake_cybertipline(cybertipline_xsd: bytes) -> Iterator[FakeCyberTipline]:
    with FakeCyberTipline(cybertipline_xsd) as fake:
        yield fake


@pytest.fixture
def cybertipline_client(fake_cybertipline: FakeCyberTipline) -> Iterator[CyberTiplineClient]:
    """A client of the fake that never waits between retries."""
    with CyberTiplineClient(
        fake_cybertipline.url, "esp", "secret", timeout=5.0, sleep=lambda _: None
    ) as client:
        yield client
