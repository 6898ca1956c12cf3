"""The worker's housekeeping: evidence past its retention is purged (held evidence is not),
and expired console sessions go."""

from __future__ import annotations

from datetime import timedelta

from bastion.auth import Role
from bastion.pipeline import Bastion
from bastion.pipeline.housekeeping import Housekeeping
from bastion.review import EvidenceVault
from bastion.settings import Settings
from bastion.store.models import SessionRow


def test_housekeeping_purges_what_has_run_out_and_keeps_what_is_held(settings: Settings) -> None:
    bastion = Bastion(settings)
    try:
        vault: EvidenceVault = bastion.vault
        gone = vault.put(b"\xff\xd8 benign bytes one", "image/jpeg", actor="test")
        held = vault.put(b"\xff\xd8 benign bytes two", "image/jpeg", actor="test")
        kept = vault.put(b"\xff\xd8 benign bytes three", "image/jpeg", actor="test")
        for evidence in (gone, held):
            vault.decided(evidence.id)
        vault.hold(held.id, True, actor="test")
        user = bastion.users.create("ada", Role.REVIEWER, password="a long benign pw", actor="t")
        started = bastion.sessions.start(user.user.id)
        with bastion.db.session() as s:  # both clocks run out: an hour ago
            for row in s.query(SessionRow):
                row.expires_at = row.created_at - timedelta(hours=1)
        from bastion.store.models import EvidenceRow

        with bastion.db.session() as s:
            for row in s.query(EvidenceRow).filter(EvidenceRow.retain_until.is_not(None)):
                row.retain_until = row.created_at - timedelta(days=1)

        swept = Housekeeping(vault, bastion.sessions).run()

        assert (swept.evidence, swept.sessions) == (1, 1)
        assert vault.get(gone.id).purged_at is not None
        assert vault.open(held.id) == b"\xff\xd8 benign bytes two"
        assert vault.open(kept.id) == b"\xff\xd8 benign bytes three"  # undecided: kept
        assert bastion.sessions.find(started.token) is None
    finally:
        bastion.close()
