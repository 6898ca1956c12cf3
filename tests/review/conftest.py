"""Fixtures of the review tests: a clock moved by hand, and a real S3 server on 127.0.0.1
(`tests.s3_server`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.s3_server import S3Server, s3_server

__all__ = ["Clock", "S3Server", "clock", "s3_server"]


class Clock:
    """A clock the test moves by hand, so retention needs no waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()
