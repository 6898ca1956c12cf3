"""How a report's values are kept in its rows: the incident, the reporter, the person
reported and the IP captures as JSON documents, a file as a `report_files` row. The reports
store (`bastion.reporting.store`) is their only user."""

from __future__ import annotations

import builtins
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from bastion.reporting.model import (
    FileState,
    Incident,
    IpCapture,
    IpEvent,
    ReportedPerson,
    ReportFile,
    incident_type,
)
from bastion.review import Classification
from bastion.store.models import ReportFileRow


def report_file(row: ReportFileRow) -> ReportFile:
    return ReportFile(
        id=row.id,
        evidence_id=row.evidence_id,
        file_name=row.file_name,
        content_id=row.content_id,
        classification=None if row.classification is None else Classification(row.classification),
        viewed_by_esp=row.viewed_by_esp,
        exif_viewed_by_esp=row.exif_viewed_by_esp,
        publicly_available=row.publicly_available,
        original_hashes=dict(row.original_hashes or {}),
        uploaded_at=row.uploaded_at,
        location=row.location,
        ip_capture=None if row.ip_capture is None else capture_from(row.ip_capture),
        state=FileState(row.state),
        remote_id=row.remote_id,
        remote_md5=row.remote_md5,
        original_name=row.original_name,
    )


def plain(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value)}


def incident_json(incident: Incident) -> dict[str, Any]:
    doc = plain(incident)
    doc["type"] = incident.type.value
    doc["at"] = incident.at.isoformat()
    doc["annotations"] = builtins.list(incident.annotations)
    return doc


def incident_from(doc: dict[str, Any]) -> Incident:
    return Incident(
        **{
            **doc,
            "type": incident_type(doc["type"]),
            "at": datetime.fromisoformat(doc["at"]),
            "annotations": tuple(doc.get("annotations") or ()),
        }
    )


def capture_json(capture: IpCapture) -> dict[str, Any]:
    return {
        "ip": capture.ip,
        "event": capture.event.value,
        "at": None if capture.at is None else capture.at.isoformat(),
        "possible_proxy": capture.possible_proxy,
        "port": capture.port,
    }


def capture_from(doc: dict[str, Any]) -> IpCapture:
    at = doc.get("at")
    return IpCapture(
        ip=doc["ip"],
        event=IpEvent(doc.get("event") or "Unknown"),
        at=None if at is None else datetime.fromisoformat(at),
        possible_proxy=doc.get("possible_proxy"),
        port=doc.get("port"),
    )


def person_json(person: ReportedPerson) -> dict[str, Any]:
    doc = plain(person)
    for name in ("display_names", "emails", "phones", "profile_urls"):
        doc[name] = builtins.list(doc[name])
    doc["ip_captures"] = [capture_json(c) for c in person.ip_captures]
    return doc


def person_from(doc: dict[str, Any]) -> ReportedPerson:
    values = dict(doc)
    for name in ("display_names", "emails", "phones", "profile_urls"):
        values[name] = tuple(values.get(name) or ())
    values["ip_captures"] = tuple(capture_from(c) for c in values.get("ip_captures") or ())
    return replace(ReportedPerson(), **values)
