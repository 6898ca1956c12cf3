"""Reports to build documents from: benign, made-up content only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bastion.reporting.model import (
    Incident,
    IncidentType,
    IpCapture,
    IpEvent,
    Report,
    ReportedPerson,
    Reporter,
    ReportFile,
    ReportStatus,
)
from bastion.review import Classification

WHEN = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
REPORTER = Reporter(
    first_name="Trust",
    last_name="Safety",
    email="reports@example.org",
    phone="+1 555 0100",
    platform="Example Photos",
    company_template="Example Photos keeps data for 90 days; legal process to legal@example.org.",
    terms_of_service="Users must not share abusive content.",
    legal_url="https://example.org/legal",
)


def a_file(file_id: int, **changes: Any) -> ReportFile:
    file = ReportFile(
        id=file_id,
        evidence_id=f"ev-{file_id:04d}",
        file_name=f"file-{file_id}.jpg",
        content_id=100 + file_id,
        classification=Classification.B2,
        viewed_by_esp=True,
        exif_viewed_by_esp=False,
        publicly_available=True,
        original_hashes={"MD5": "0" * 31 + str(file_id), "PDQ": "f" * 64},
        original_name=f"IMG_{file_id:04d}.JPG",
        uploaded_at=WHEN - timedelta(days=1),
        location=f"https://photos.example.org/p/{file_id}",
        ip_capture=IpCapture("203.0.113.7", IpEvent.UPLOAD, WHEN - timedelta(days=1), False, 443),
    )
    return replace(file, **changes)


def a_report(**changes: Any) -> Report:
    """A report of two files, with a reported person."""
    report = Report(
        id=7,
        sink="cybertipline",
        case_id=3,
        job_ids=(11, 12),
        status=ReportStatus.QUEUED,
        incident=Incident(
            type=IncidentType.CHILD_SEXUAL_ABUSE_MATERIAL,
            at=WHEN,
            description="Two images matched a hash list and were confirmed by a reviewer.",
            annotations=("csamSolicitation",),
        ),
        reporter=REPORTER,
        person=a_person(),
        files=(a_file(1), a_file(2)),
        remote_id=None,
        error=None,
        attempts=0,
        next_attempt_at=None,
        created_by="alice",
        approved_by="bob",
        created_at=WHEN,
        updated_at=WHEN,
        submitted_at=None,
        finished_at=None,
    )
    return replace(report, **changes)


def a_person(**changes: Any) -> ReportedPerson:
    person = ReportedPerson(
        user_id="u-42",
        screen_name="sample_user",
        display_names=("Sample User",),
        emails=("user@example.net", "other@example.com"),
        phones=("+44 20 7946 0000",),
        profile_urls=("https://photos.example.org/u/42",),
        ip_captures=(
            IpCapture("198.51.100.23", IpEvent.LOGIN, WHEN - timedelta(hours=2), True, 50123),
            IpCapture("2001:db8::1", IpEvent.REGISTRATION, datetime(2024, 1, 2, 3, 4, 5)),
        ),
        service="Example Photos Messenger",
        age=31,
        date_of_birth="1994-02-03",
        first_name="Sam",
        last_name="Sample",
    )
    return replace(person, **changes)


def an_enticement(**changes: Any) -> Report:
    """A text-only report: a conversation's excerpts, no file."""
    incident = Incident(
        type=IncidentType.ONLINE_ENTICEMENT,
        at=datetime(2025, 3, 1, 20, 15, tzinfo=timezone(timedelta(hours=-5))),
        description="An adult user asked a minor to move to a private app.",
        text="[20:14] sample_user: how old are you?\n[20:15] sample_user: let's talk elsewhere",
        url="https://chat.example.org/rooms/9",
        chat_name="General chat",
        escalate="The user asked to meet in person.",
        annotations=("minorToMinorInteraction", "sextortion"),
    )
    report = a_report(incident=incident, files=(), person=a_person(ip_captures=()))
    return replace(report, **changes)
