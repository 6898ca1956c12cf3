"""What `bastion serve` does the first time: an admin key, printed once, and a demo bank."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bastion.auth import ApiKeyStore, Scope
from bastion.banks import BankStore, MatchOptions
from bastion.hashing import ContentHasher
from bastion.samples import write_samples
from bastion.settings import Settings
from bastion.store import Database

DEMO_BANK = "demo"
DEMO_SEEDS = range(1, 7)


def prepare(settings: Settings) -> str | None:
    """Create the database, an admin key if none exists, and the demo bank if there are no
    banks. Returns the new admin key's secret (to print once), or None."""
    db = Database.open(settings.database_url)
    try:
        secret = None
        keys = ApiKeyStore(db)
        if not keys.has_admin_key():
            secret = keys.create(
                "admin (created on first run)", [Scope.ADMIN], actor="first run"
            ).secret
        store = BankStore(db)
        if not store.list_banks():
            seed_demo_bank(store, settings)
        return secret
    finally:
        db.close()


def try_line(secret: str, url: str) -> str:
    """A first request to paste whole: the full key (cutting it made the line useless)."""
    return f"Try: curl -H 'Authorization: Bearer {secret}' {url}/api/v1/banks"


def seed_demo_bank(store: BankStore, settings: Settings) -> None:
    """A bank of the hashes of generated benign sample images (`bastion.samples`)."""
    hasher = ContentHasher(settings.hashing_options())
    with tempfile.TemporaryDirectory(prefix="bastion-demo-") as tmp:
        paths = write_samples(Path(tmp), DEMO_SEEDS)
        options = MatchOptions()
        entries = [
            hasher.hash_file(p, variants=options.variants).entry(
                options, metadata={"sample": p.name}
            )
            for p in paths
        ]
    store.create_bank(
        DEMO_BANK,
        description="Demo: hashes of generated benign sample images (bastion.samples seeds 1-6)",
        matching=options,
        actor="first run",
    )
    store.add_entries(DEMO_BANK, entries, source="media", added_by="first run")
