"""`Housekeeping`: what the service's worker does now and then, besides webhooks and syncs.

It purges the evidence vault's objects whose retention has run out (not those on legal hold
or reported, `EvidenceVault.purge_due`), the console sessions that have expired, and what
triage found about media once `triage_retention_days` have passed (a job keeps its own
copy), and the signals of checked content once `checked_retention_days` have (all of them
when that is 0). Several worker processes may run it at once: each purge is a conditional update, so
an object or a session is purged once.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bastion.auth import SessionStore
from bastion.matching.checked import CheckedStore
from bastion.pipeline.periodic import every
from bastion.pipeline.triage import Triage
from bastion.review import EvidenceVault

log = logging.getLogger("bastion.housekeeping")


@dataclass(frozen=True)
class Swept:
    evidence: int
    sessions: int
    #: Triage's runs and findings forgotten.
    triage: int = 0
    #: Checked content forgotten (its kept signals).
    checked: int = 0


class Housekeeping:
    def __init__(
        self,
        vault: EvidenceVault,
        sessions: SessionStore,
        triage: Triage | None = None,
        *,
        triage_retention: timedelta = timedelta(days=30),
        checked: CheckedStore | None = None,
        checked_retention: timedelta = timedelta(days=0),
    ) -> None:
        self._vault = vault
        self._sessions = sessions
        self._triage = triage
        self._triage_retention = triage_retention
        self._checked = checked
        self._checked_retention = checked_retention

    def run(self) -> Swept:
        forgotten = 0
        if self._triage is not None:
            forgotten = self._triage.purge_before(datetime.now(UTC) - self._triage_retention)
        checked = 0
        if self._checked is not None:  # when retention is off, everything kept goes
            checked = self._checked.purge_before(datetime.now(UTC) - self._checked_retention)
        swept = Swept(self._vault.purge_due(), self._sessions.purge_expired(), forgotten, checked)
        if swept.evidence:
            log.info("purged %d evidence objects past their retention", swept.evidence)
        return swept

    def in_background(self, interval: float = 60.0) -> AbstractContextManager[threading.Thread]:
        return every(interval, self.run, name="housekeeping", log=log)
