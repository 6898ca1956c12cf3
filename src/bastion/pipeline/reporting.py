"""`Reporting`: reports to hotlines, composed.

- **Drafts.** A reviewer's `reported` decision opens a draft for the job's case (or adds the
  job to the case's open draft): the incident, the person reported and the files, from the
  jobs and the content they are about (`bastion.reporting.drafting`), and the reporter from
  the organisation's profile. A person reads and edits it.
- **Sending.** Asking to send checks the draft as the destination would (nothing is sent
  while it fails), asks the platform's additional-information webhook when one is set, and
  then queues it, or waits for a second person's approval when the profile says so. The
  worker (`send_due`) takes queued reports through the destination's steps
  (`bastion.reporting.filing`): a report is finished once, with every file once, however
  often the process dies on the way.
- **After a report.** Once finished: the files are preserved in the evidence vault a year
  from then at least (`reported_retention_days`), with the documents sent; their hashes are
  added to the profile's report bank (shared with partners when that bank is in a
  collaboration the profile names); the audit log records it. Upstream feedback was given at
  the decision.
- **Preservation packages** for a lawful request (`export`), audited.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bastion.errors import NotFoundError, ValidationError
from bastion.pipeline.periodic import every
from bastion.reporting.cybertipline import CyberTiplineClient, CyberTiplineSink
from bastion.reporting.drafting import Draft, draft
from bastion.reporting.filing import Filing
from bastion.reporting.model import Report, ReportedPerson, ReportStatus
from bastion.reporting.platform_info import PlatformInfo, PlatformInfoClient
from bastion.reporting.preservation import CustodyEvent, Package, write_package
from bastion.reporting.profile import Credentials, ReportingProfile, ReportingProfiles
from bastion.reporting.sink import ReportSink, SinkAuthError, SinkContext, installed_sinks
from bastion.reporting.store import NewReport, ReportStore
from bastion.review import Content, Job
from bastion.signals import Signal
from bastion.store.models import utcnow

if TYPE_CHECKING:
    from bastion.audit import AuditLog
    from bastion.banks import BankStore
    from bastion.exchange.secrets import CredentialBox
    from bastion.federation.publisher import CollabStore
    from bastion.review import EvidenceVault, ReviewDesk
    from bastion.store import Database

log = logging.getLogger("bastion.reporting")
#: The review job's signal types whose values a report bank keeps.
_BANKED = ("pdq", "md5", "video_md5", "vpdq", "tmk_pdqf")


class Root(Protocol):
    """What reporting uses of the composition root (`Bastion` is one)."""

    @property
    def db(self) -> Database: ...
    @property
    def box(self) -> CredentialBox: ...
    @property
    def store(self) -> BankStore: ...
    @property
    def vault(self) -> EvidenceVault: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def collabs(self) -> CollabStore: ...
    @property
    def data_dir(self) -> Path: ...
    def add_to_bank(
        self,
        bank: str,
        content: Sequence[Signal],
        *,
        metadata: dict[str, Any] | None = ...,
        note: str = ...,
        added_by: str | None = ...,
    ) -> int: ...


class Reporting:
    def __init__(
        self,
        root: Root,
        desk: ReviewDesk,
        *,
        cybertipline_url: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._root = root
        self._desk = desk
        self._clock = clock
        #: Where reports go instead of the profile's environment (a stand-in, a proxy).
        self._cybertipline_url = cybertipline_url
        self._lock = threading.RLock()
        #: The destination in use, with what it was built from and its client.
        self._sink: tuple[tuple[str, str, str], ReportSink, CyberTiplineClient] | None = None
        self.store = ReportStore(root.db, clock=clock)
        self.profiles = ReportingProfiles(root.db, root.box)

    # The profile ------------------------------------------------------------------------

    def profile(self) -> ReportingProfile:
        return self.profiles.get()

    def update_profile(self, who: str, **changes: Any) -> ReportingProfile:
        """Change the profile; a report bank or collaboration named must exist."""
        if changes.get("report_bank"):
            self._root.store.require_bank(changes["report_bank"])
        if changes.get("share_collaboration"):
            self._root.collabs.get(changes["share_collaboration"])
        destination = changes.get("destination")
        if destination and destination != "cybertipline" and destination not in installed_sinks():
            raise NotFoundError(f"no report destination named {destination!r} is installed")
        updated = self.profiles.update(**changes)
        self._root.audit.record(who, "reporting.profile", "reporting", changed=sorted(changes))
        return updated

    def set_credentials(self, username: str, password: str, who: str) -> None:
        self.profiles.set_credentials(username, password)
        self._root.audit.record(who, "reporting.credentials", "reporting")

    def set_info_secret(self, secret: str, who: str) -> None:
        self.profiles.set_info_secret(secret)
        self._root.audit.record(who, "reporting.info_secret", "reporting")

    # Drafts ----------------------------------------------------------------------------

    def open_draft(self, job_ids: Sequence[int], who: str) -> Report:
        """A draft reporting the decided jobs `job_ids`. An open draft about the same case,
        or the same user, gains them instead: one report tells of one user."""
        jobs = [self._desk.get(i) for i in job_ids]
        if not jobs:
            raise ValidationError("a report needs at least one decided job")
        undecided = [j.id for j in jobs if j.decision is None]
        if undecided:
            raise ValidationError(f"job {undecided[0]} is not decided yet")
        proposal = self._proposal(jobs)
        case_id = jobs[0].case_id
        user_id = None if proposal.person is None else proposal.person.user_id
        existing = self._open_draft(case_id, user_id)
        if existing is not None:
            return self._extend(existing, jobs, who)
        profile = self.profiles.get()
        return self.store.create(
            NewReport(
                sink=profile.destination,
                case_id=case_id,
                job_ids=tuple(j.id for j in jobs),
                incident=proposal.incident,
                reporter=profile.reporter,
                person=proposal.person,
                files=proposal.files,
            ),
            who,
        )

    def _open_draft(self, case_id: int, user_id: str | None) -> Report | None:
        for status in (ReportStatus.DRAFT, ReportStatus.AWAITING_APPROVAL):
            for report in self.store.list(status=status, limit=1000):
                same_user = report.person is not None and report.person.user_id == user_id
                if report.case_id == case_id or (user_id is not None and same_user):
                    return report
        return None

    def _extend(self, report: Report, jobs: Sequence[Job], who: str) -> Report:
        known = set(report.job_ids)
        added = [j for j in jobs if j.id not in known]
        if not added:
            return report
        every = [self._desk.get(i) for i in report.job_ids] + added
        proposal = self._proposal(every)
        have = {f.evidence_id for f in report.files}
        for file in proposal.files:
            if file.evidence_id not in have:
                self.store.add_file(report.id, file, who)
        return self.store.update(
            report.id, who, job_ids=tuple(j.id for j in every), incident=proposal.incident
        )

    def _proposal(self, jobs: Sequence[Job]) -> Draft:
        contents: dict[int, Content] = {}
        for job in jobs:
            if job.content_id is not None and job.content_id not in contents:
                contents[job.content_id] = self._desk.content(job.content_id)
        return draft(jobs, contents, viewed=self._viewed(jobs, contents), now=self._clock())

    def _viewed(self, jobs: Sequence[Job], contents: dict[int, Content]) -> set[str]:
        """The evidence objects a person revealed: the audit log's reveals of the jobs'
        media."""
        revealed = {
            e.target
            for e in self._root.audit.about({f"job:{j.id}" for j in jobs})
            if e.action == "review.reveal"
        }
        return {
            contents[j.content_id].evidence_id or ""
            for j in jobs
            if f"job:{j.id}" in revealed and j.content_id in contents
        }

    # Sending ---------------------------------------------------------------------------

    def sink(self, name: str | None = None) -> ReportSink:
        """The destination `name` (the profile's when None): the CyberTipline, with the
        profile's environment and credentials, or one a plugin adds."""
        profile = self.profiles.get()
        name = name or profile.destination
        if name != "cybertipline":
            return self._plugin_sink(name)
        try:
            credentials = self.profiles.credentials()
        except NotFoundError as e:
            raise SinkAuthError(e.message) from None
        address = self._cybertipline_url or profile.environment
        key = (address, credentials.username, credentials.password)
        with self._lock:
            if self._sink is None or self._sink[0] != key:
                self.close()  # the credentials or the environment changed
                client = CyberTiplineClient(address, credentials.username, credentials.password)
                sink = CyberTiplineSink(client, schema_dir=self._root.data_dir / "cybertipline")
                self._sink = (key, sink, client)
            return self._sink[1]

    def _plugin_sink(self, name: str) -> ReportSink:
        factory = installed_sinks().get(name)
        if factory is None:
            raise NotFoundError(f"no report destination named {name!r} is installed")
        try:
            credentials: Credentials | None = self.profiles.credentials()
        except NotFoundError:
            credentials = None
        return factory(
            SinkContext(
                data_dir=self._root.data_dir / "destinations" / name,
                username=None if credentials is None else credentials.username,
                password=None if credentials is None else credentials.password,
            )
        )

    def close(self) -> None:
        """Close the destination's connections (a later use opens them again)."""
        if self._sink is not None:
            self._sink[2].close()
            self._sink = None

    def request(self, report_id: int, who: str) -> Report:
        """Ask to send a report: it is checked, completed from the platform, and queued (or
        waits for approval)."""
        report = self.store.get(report_id)
        profile = self.profiles.get()
        if report.sink == "cybertipline" and not self.profiles.has_credentials():
            raise ValidationError(
                "no CyberTipline credentials are set: an admin sets them (bastion report "
                "credentials, or the console's reporting profile) before reports are sent"
            )
        if report.reporter is None and profile.reporter is not None:
            report = self.store.update(report_id, who, reporter=profile.reporter)
        if profile.info_webhook_url:
            report = self.gather(report_id, who)
        self.sink(report.sink).validate(report)
        return self.store.request(report_id, who, approval_required=profile.approval_required)

    def gather(self, report_id: int, who: str) -> Report:
        """Ask the platform's additional-information webhook about the report's user and
        files, and merge what it says into the draft (what a person typed stays)."""
        report = self.store.get(report_id)
        profile = self.profiles.get()
        secret = self.profiles.info_secret()
        if not profile.info_webhook_url or secret is None:
            raise ValidationError("no additional-information webhook is set in the profile")
        contents = [
            self._desk.content(f.content_id) for f in report.files if f.content_id is not None
        ]
        client = PlatformInfoClient(profile.info_webhook_url, secret)
        try:
            info = client.ask(
                report_id=report.id,
                case_id=report.case_id,
                user_id=None if report.person is None else report.person.user_id,
                content=[
                    {"content_id": c.id, "platform_id": c.platform_id, "url": c.url}
                    for c in contents
                ],
            )
        finally:
            client.close()
        return self._merge(report, info, {c.id: c for c in contents}, who)

    def _merge(
        self, report: Report, info: PlatformInfo, contents: dict[int, Content], who: str
    ) -> Report:
        if info.person is not None:
            person = _merged_person(report.person, info.person)
            self.store.update(report.id, who, person=person)
        for file in report.files:
            content = contents.get(file.content_id) if file.content_id is not None else None
            said = None if content is None else info.files.get(content.platform_id or "")
            if said is None:
                continue
            changes: dict[str, Any] = {}
            if said.uploaded_at is not None:
                changes["uploaded_at"] = said.uploaded_at
            if said.location is not None:
                changes["location"] = said.location
            if said.publicly_available is not None:
                changes["publicly_available"] = said.publicly_available
            if said.ip_capture is not None:
                changes["ip_capture"] = said.ip_capture
            if changes:
                self.store.update_file(report.id, file.id, who, **changes)
        self._root.audit.record(who, "report.platform_info", f"report:{report.id}")
        return self.store.get(report.id)

    def approve(self, report_id: int, who: str) -> Report:
        return self.store.approve(report_id, who)

    @cached_property
    def filing(self) -> Filing:
        return Filing(
            self.store, _Sinks(self), self._root.vault, on_finished=self._finished,
            clock=self._clock,
        )  # fmt: skip

    def send_due(self, worker: str, limit: int = 20) -> int:
        """Take the queued reports due now as far as they go; how many were advanced."""
        return self.filing.run_due(worker, limit)

    def in_background(self, interval: float = 5.0) -> AbstractContextManager[threading.Thread]:
        """The worker's report sender: due reports every `interval` seconds, as this
        process (several workers share the queue: each report is leased)."""
        worker = f"worker:{socket.gethostname()}:{os.getpid()}"
        return every(interval, lambda: self.send_due(worker), name="report-sender", log=log)

    def send_now(self, report_id: int, worker: str) -> Report:
        return self.filing.advance(report_id, worker)

    def retract(self, report_id: int, who: str) -> Report:
        return self.filing.retract(report_id, who)

    # After a report --------------------------------------------------------------------

    def _finished(self, report: Report) -> None:
        root = self._root
        for file in report.files:
            root.vault.mark_reported(file.evidence_id)
        documents = self.sink(report.sink).document(report)
        kept = {}
        for name, data in sorted(documents.items()):
            evidence = root.vault.put(data, "application/xml", actor=f"report:{report.id}")
            root.vault.mark_reported(evidence.id)
            kept[name] = evidence.id
        self.store.update_extra(report.id, {"preserved_documents": kept})
        profile = self.profiles.get()
        banked = self._bank(report, profile)
        root.audit.record(
            "scheduler",
            "report.finished",
            f"report:{report.id}",
            remote_id=report.remote_id,
            files=len(report.files),
            banked=banked,
        )

    def _bank(self, report: Report, profile: ReportingProfile) -> int:
        """Add each reported file's hashes to the profile's report bank; how many."""
        if not profile.report_bank:
            return 0
        if profile.share_collaboration:
            collab = self._root.collabs.get(profile.share_collaboration)
            if profile.report_bank not in collab.banks:
                self._root.collabs.set_banks(
                    collab.name, [*collab.banks, profile.report_bank], actor="scheduler"
                )
        added = 0
        for file in report.files:
            if file.content_id is None:
                continue
            signals = [s for s in self._desk.content(file.content_id).signals if s.type in _BANKED]
            if not signals:
                continue
            self._root.add_to_bank(
                profile.report_bank,
                signals,
                metadata={"report": report.id, "remote_id": report.remote_id},
                added_by=f"report:{report.id}",
            )
            added += 1
        return added

    # Preservation ----------------------------------------------------------------------

    def export(
        self, report_id: int, path: Path, who: str, *, include_media: bool = True
    ) -> Package:
        """Write the preservation package of a report (see `bastion.reporting.preservation`)."""
        report = self.store.get(report_id)
        if report.status is not ReportStatus.FINISHED:
            raise ValidationError(
                f"report {report_id} is {report.status.value}: only a finished report is preserved"
            )
        root = self._root
        preserved = report.extra.get("preserved_documents", {})
        documents = {name: root.vault.open(eid) for name, eid in preserved.items()}
        targets = {f"report:{report.id}"} | {f.evidence_id for f in report.files}
        targets |= {f"job:{j}" for j in report.job_ids}  # decisions and reveals
        targets |= set(preserved.values())
        custody = [
            CustodyEvent(e.at, e.actor, f"report.{e.step}.{e.outcome}", f"report:{report.id}",
                         e.detail)
            for e in self.store.events(report.id)
        ] + [
            CustodyEvent(e.at, e.actor, e.action, e.target, e.detail)
            for e in root.audit.about(targets)
        ]  # fmt: skip
        custody.sort(key=lambda e: e.at)
        until = [root.vault.get(f.evidence_id).retain_until for f in report.files]
        package = write_package(
            path,
            report,
            documents=documents,
            custody=custody,
            open_evidence=root.vault.open,
            created_by=who,
            created_at=utcnow(),
            preserved_until=min((u for u in until if u is not None), default=None),
            include_media=include_media,
        )
        root.audit.record(
            who,
            "report.exported",
            f"report:{report.id}",
            media=include_media,
            files=package.files,
        )
        return package


class _Sinks:
    """The destinations by name, built when asked (credentials are read each time)."""

    def __init__(self, reporting: Reporting) -> None:
        self._reporting = reporting

    def __getitem__(self, name: str) -> ReportSink:
        return self._reporting.sink(name)


def _merged_person(typed: ReportedPerson | None, said: ReportedPerson) -> ReportedPerson:
    """The platform's answer, under what the draft already says."""
    if typed is None:
        return said
    changes = {
        name: value
        for name, value in vars(said).items()
        if value not in (None, ()) and getattr(typed, name) in (None, ())
    }
    return replace(typed, **changes)
