"""Run by test_crash.py in a child process: deliver the due webhooks once, then exit.

Usage: python deliver_once.py DATABASE_URL CLAIM_SECONDS
"""

from __future__ import annotations

import sys

from bastion.actions import WebhookDeliverer
from bastion.store import Database


def main(url: str, claim_seconds: float) -> None:
    db = Database.open(url)
    try:
        with WebhookDeliverer(db, timeout=30, claim_seconds=claim_seconds) as deliverer:
            deliverer.deliver_due()
    finally:
        db.close()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
