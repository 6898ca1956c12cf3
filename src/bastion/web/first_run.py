"""What `bastion serve` does the first time: an admin key and a console admin, each shown
once, and a demo bank."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bastion.auth import Role, Scope
from bastion.banks import MatchOptions
from bastion.errors import ConflictError
from bastion.pipeline import Bastion
from bastion.samples import write_samples
from bastion.settings import Settings

DEMO_BANK = "demo"
DEMO_SEEDS = range(1, 7)
#: The console's first user, made when there is none.
ADMIN_USER = "admin"


@dataclass(frozen=True)
class FirstRun:
    """The secrets a start made, to print once; None where there already was one."""

    #: The new admin API key's secret.
    api_key: str | None = field(default=None, repr=False)
    #: The generated password of the console user `admin` (changed at first sign-in).
    admin_password: str | None = field(default=None, repr=False)


def prepare(settings: Settings) -> FirstRun:
    """Create the database, an admin key if none exists, the console user `admin` (role
    admin, generated password) if there are no users, and the demo bank if there are no
    banks."""
    bastion = Bastion(settings)
    try:
        secret = None
        if not bastion.keys.has_admin_key():
            secret = bastion.keys.create(
                "admin (created on first run)", [Scope.ADMIN], actor="first run"
            ).secret
        password = None
        if not bastion.users.has_users():
            try:
                password = bastion.users.create(ADMIN_USER, Role.ADMIN, actor="first run").password
            except ConflictError:  # another process starting at once made it
                password = None
        if not bastion.store.list_banks():
            seed_demo_bank(bastion)
        return FirstRun(api_key=secret, admin_password=password)
    finally:
        bastion.close()


def try_line(secret: str, url: str) -> str:
    """A first request to paste whole: the full key (cutting it made the line useless)."""
    return f"Try: curl -H 'Authorization: Bearer {secret}' {url}/api/v1/banks"


def sign_in_line(url: str) -> str:
    """Where the person who started the service signs in to the console."""
    return f"Sign in at {url}/ as {ADMIN_USER} (you choose a new password at first sign-in)."


def seed_demo_bank(bastion: Bastion) -> None:
    """A bank of the hashes of generated benign sample images (`bastion.samples`), whose
    matches open review jobs (`bastion review demo` fills the queue with some)."""
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
    bastion.actions.add_review(DEMO_BANK, actor="first run")
