"""Run by test_crash.py in a child process: deliver the due webhooks once, then exit.

Usage: python deliver_once.py DATABASE_URL DATA_DIR CLAIM_SECONDS (DATA_DIR holds the
secret.key that opens the webhook secrets)
"""

from __future__ import annotations

import sys
from pathlib import Path

from bastion.actions import WebhookDeliverer
from bastion.exchange.secrets import CredentialBox
from bastion.store import Database


def main(url: str, data_dir: Path, claim_seconds: float) -> None:
    db = Database.open(url)
    box = CredentialBox.for_settings("", data_dir)
    try:
        with WebhookDeliverer(db, box, timeout=30, claim_seconds=claim_seconds) as deliverer:
            deliverer.deliver_due()
    finally:
        db.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]))
