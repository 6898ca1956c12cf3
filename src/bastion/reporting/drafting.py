"""What a report's draft says, from the review jobs a person decided to report and the
content they are about.

- The incident: child sexual abuse material when any job is about media, else online
  enticement (a conversation's alert, a text-only report); its time is when the content was
  posted (else when it was detected); a description of how it was found and decided.
- The person reported: the content's user, with what the platform sent about them in the
  content's context (``context["user"]``: screen name, emails, IP captures...); for a
  conversation, its likely groomer.
- One file per piece of media the vault keeps, with the reviewer's classification, whether
  a person viewed it (revealed it) and the hashes of the file as the platform received it.
- A conversation's excerpts as the incident's text.

A draft is a proposal: a person reads and edits it before it is sent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bastion.reporting.model import Incident, IncidentType, ReportedPerson
from bastion.reporting.platform_info import PlatformInfoError, parse_ip_capture, parse_person
from bastion.reporting.store import NewFile
from bastion.review import Classification, Content, Job, JobKind

#: Hash types of the CyberTipline's `originalFileHash`, by bastion's signal type.
HASH_TYPES = {"md5": "MD5", "video_md5": "MD5", "pdq": "PDQ", "sha1": "SHA1"}
#: How many conversation excerpts a draft quotes.
MAX_EXCERPTS = 50


@dataclass(frozen=True)
class Draft:
    incident: Incident
    person: ReportedPerson | None
    files: tuple[NewFile, ...]
    #: Content without kept media: named in the description, not attached.
    missing_media: tuple[int, ...]


def draft(
    jobs: Sequence[Job],
    contents: Mapping[int, Content],
    *,
    viewed: Collection[str] = (),
    now: datetime,
) -> Draft:
    """The draft for `jobs` (decided to be reported), about `contents` by id; `viewed`:
    the evidence objects a person revealed."""
    if not jobs:
        raise ValueError("a draft reports at least one job")
    about = [
        contents[j.content_id]
        for j in jobs
        if j.content_id is not None and j.content_id in contents
    ]
    media = [c for c in _unique(about) if c.media_type is not None]
    files = []
    missing = []
    for content in media:
        if content.evidence_id is None:
            missing.append(content.id)
            continue
        chosen = _classification(jobs, content.id)
        files.append(_file(content, chosen, content.evidence_id in viewed))
    conversations = [j for j in jobs if j.kind is JobKind.CONVERSATION]
    kind = (
        IncidentType.CHILD_SEXUAL_ABUSE_MATERIAL
        if media or not conversations
        else IncidentType.ONLINE_ENTICEMENT
    )
    times = [c.posted_at for c in about if c.posted_at is not None]
    at = min(times) if times else min(j.created_at for j in jobs)
    incident = Incident(
        type=kind,
        at=at,
        description=_description(jobs, missing),
        text=_excerpts(conversations) or None,
        url=next((c.url for c in about if c.url), None),
        chat_name=conversations[0].conversation if conversations else None,
    )
    return Draft(incident, _person(jobs, about), tuple(files), tuple(missing))


def _unique(contents: list[Content]) -> list[Content]:
    seen: dict[int, Content] = {}
    for content in contents:
        seen.setdefault(content.id, content)
    return list(seen.values())


def _classification(jobs: Sequence[Job], content_id: int) -> Classification | None:
    for job in jobs:
        if job.content_id == content_id and job.classification is not None:
            return job.classification
    return None


def _file(content: Content, classification: Classification | None, viewed: bool) -> NewFile:
    assert content.evidence_id is not None
    hashes = {}
    if content.media_sha256:
        hashes["SHA256"] = content.media_sha256
    for signal in content.signals:
        name = HASH_TYPES.get(signal.type)
        if name is not None and name not in hashes:
            hashes[name] = signal.value
    context = content.context
    public = context.get("publicly_available")
    capture = None
    if isinstance(context.get("ip_capture"), dict):
        try:
            capture = parse_ip_capture(context["ip_capture"], "context.ip_capture")
        except PlatformInfoError:
            capture = None  # a person sees the context and adds it by hand
    return NewFile(
        evidence_id=content.evidence_id,
        file_name=_file_name(content),
        content_id=content.id,
        classification=classification,
        viewed_by_esp=viewed,
        publicly_available=public if isinstance(public, bool) else False,
        original_hashes=hashes,
        uploaded_at=content.posted_at,
        location=content.url,
        ip_capture=capture,
    )


def _file_name(content: Content) -> str:
    if content.name:
        return content.name[:255]
    extension = (content.media_type or "application/octet-stream").rpartition("/")[2]
    return f"content-{content.id}.{extension[:10]}"


def _person(jobs: Sequence[Job], about: Sequence[Content]) -> ReportedPerson | None:
    for content in about:
        if content.user_id is None:
            continue
        described: dict[str, Any] = {}
        if isinstance(content.context.get("user"), dict):
            try:
                person = parse_person(content.context["user"], "context.user")
                described = {k: v for k, v in vars(person).items() if v not in (None, ())}
            except PlatformInfoError:
                described = {}  # shown to the reviewer as context; added by hand
        described["user_id"] = content.user_id
        return ReportedPerson(**described)
    for job in jobs:
        groomer = job.evidence.get("likely_groomer") if job.kind is JobKind.CONVERSATION else None
        if isinstance(groomer, str) and groomer:
            return ReportedPerson(user_id=groomer)
    return None


def _excerpts(jobs: Sequence[Job]) -> str:
    lines: list[str] = []
    for job in jobs:
        for item in job.evidence.get("evidence", [])[:MAX_EXCERPTS]:
            if isinstance(item, dict) and isinstance(item.get("excerpt"), str):
                lines.append(
                    f"[message {item.get('message', '?')}] {item.get('sender', '?')}: "
                    f"{item['excerpt']}"
                )
    return "\n".join(lines)


def _description(jobs: Sequence[Job], missing: Sequence[int]) -> str:
    parts = []
    for job in jobs:
        if job.kind is JobKind.MATCH:
            how = f"matched a known hash in bank {job.bank!r}"
            if job.signal_type is not None and job.distance is not None:
                how += f" ({job.signal_type} distance {job.distance})"
        elif job.kind is JobKind.CONVERSATION:
            how = "was flagged by the conversation detector"
        elif job.kind is JobKind.USER_REPORT:
            how = "was reported by a user of the service"
        else:
            how = "was escalated for review"
        decided = "" if job.decided_at is None else f" on {job.decided_at:%Y-%m-%d}"
        item = job.content_id or job.id
        parts.append(f"Item {item} {how}; a trained reviewer confirmed it{decided}.")
    if missing:
        parts.append(f"{len(missing)} item(s) were matched by hash but their files were not kept.")
    return " ".join(parts)
