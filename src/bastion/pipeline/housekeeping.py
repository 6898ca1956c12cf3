"""`Housekeeping`: what the service's worker does now and then, besides webhooks and syncs.

It purges the evidence vault's objects whose retention has run out (not those on legal hold
or reported, `EvidenceVault.purge_due`) and the console sessions that have expired. Several
worker processes may run it at once: each purge is a conditional update, so an object or a
session is purged once.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bastion.auth import SessionStore
from bastion.pipeline.periodic import every
from bastion.review import EvidenceVault

log = logging.getLogger("bastion.housekeeping")


@dataclass(frozen=True)
class Swept:
    evidence: int
    sessions: int


class Housekeeping:
    def __init__(self, vault: EvidenceVault, sessions: SessionStore) -> None:
        self._vault = vault
        self._sessions = sessions

    def run(self) -> Swept:
        swept = Swept(self._vault.purge_due(), self._sessions.purge_expired())
        if swept.evidence:
            log.info("purged %d evidence objects past their retention", swept.evidence)
        return swept

    def in_background(self, interval: float = 60.0) -> AbstractContextManager[threading.Thread]:
        return every(interval, self.run, name="housekeeping", log=log)
