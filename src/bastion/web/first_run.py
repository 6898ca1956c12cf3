"""What `bastion serve` does the first time: an admin key, printed once, and a demo bank."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bastion.auth import Scope
from bastion.banks import MatchOptions
from bastion.pipeline import Bastion
from bastion.samples import write_samples
from bastion.settings import Settings

DEMO_BANK = "demo"
DEMO_SEEDS = range(1, 7)


def prepare(settings: Settings) -> str | None:
    """Create the database, an admin key if none exists, and the demo bank if there are no
    banks. Returns the new admin key's secret (to print once), or None."""
    bastion = Bastion(settings)
    try:
        secret = None
        if not bastion.keys.has_admin_key():
            secret = bastion.keys.create(
                "admin (created on first run)", [Scope.ADMIN], actor="first run"
            ).secret
        if not bastion.store.list_banks():
            seed_demo_bank(bastion)
        return secret
    finally:
        bastion.close()


def try_line(secret: str, url: str) -> str:
    """A first request to paste whole: the full key (cutting it made the line useless)."""
    return f"Try: curl -H 'Authorization: Bearer {secret}' {url}/api/v1/banks"


def seed_demo_bank(bastion: Bastion) -> None:
    """A bank of the hashes of generated benign sample images (`bastion.samples`)."""
    options = MatchOptions()
    bastion.store.create_bank(
        DEMO_BANK,
        description="Demo: hashes of generated benign sample images (bastion.samples seeds 1-6)",
        matching=options,
        actor="first run",
    )
    with tempfile.TemporaryDirectory(prefix="bastion-demo-") as tmp:
        for path in write_samples(Path(tmp), DEMO_SEEDS):
            bastion.add_to_bank(
                DEMO_BANK,
                bastion.hash_file(path, options=options, variants=options.variants),
                metadata={"sample": path.name},
                added_by="first run",
            )
