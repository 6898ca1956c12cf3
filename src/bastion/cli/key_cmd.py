"""`bastion key ...`: create, list and revoke API keys for the HTTP service."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bastion.errors import ValidationError

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

app = typer.Typer(help="Manage API keys for the HTTP service.", no_args_is_help=True)

#: Every `bastion.auth.Scope` (a test keeps them in step), written out so that declaring the
#: options does not import the key store.
SCOPES = "hash, match, curate, metrics, partner, review, report, private or admin"


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="What the key is for, e.g. 'upload-pipeline'."),
    scope: list[str] = typer.Option(
        ..., "--scope", "-s", metavar="SCOPE", help=f"{SCOPES}; repeatable."
    ),
    rate_limit: int | None = typer.Option(
        None, "--rate-limit", help="Requests per minute (default: unlimited)."
    ),
    bank: list[str] | None = typer.Option(
        None,
        "--bank",
        "-b",
        metavar="BANK=PERMISSIONS",
        help="Limit the key to this bank, BANK=PERMISSIONS with permissions among read, "
        "write, export (e.g. confirmed=read,export); repeatable. Default: every bank.",
    ),
) -> None:
    """Create a key and print it once: it is stored only as a digest."""
    from bastion.audit import cli_actor
    from bastion.auth import Scope

    cli: CliContext = ctx.obj
    scopes = []
    for given in scope:
        try:
            scopes.append(Scope(given.strip().lower()))
        except ValueError:
            raise ValidationError(f"--scope: unknown scope {given!r}; choose {SCOPES}") from None
    grants: dict[str, list[str]] | None = None
    for pair in bank or []:
        name_part, sep, permissions = pair.partition("=")
        if not sep or not name_part:
            raise ValidationError(f"--bank expects BANK=read,write,export, got {pair!r}")
        grants = {**(grants or {}), name_part: [p.strip() for p in permissions.split(",")]}
    new = cli.bastion.keys.create(
        name, scopes, rate_limit=rate_limit, banks=grants, actor=cli_actor()
    )
    cli.err.print(f"created key {new.key.prefix} ({name}); store it now, it is not shown again:")
    cli.out.print(new.secret, markup=False)


@app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List keys (prefixes, names, scopes, state, created, last used to within a minute);
    secrets are never shown."""
    cli: CliContext = ctx.obj
    keys = cli.bastion.keys.list()
    if as_json:
        doc = [
            {
                "prefix": k.prefix,
                "name": k.name,
                "scopes": sorted(k.scopes),
                "rate_limit": k.rate_limit,
                "banks": None
                if k.bank_grants is None
                else {b: sorted(p) for b, p in k.bank_grants.items()},
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
            }
            for k in keys
        ]
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    table = Table(
        "prefix", "name", "scopes", "rate limit", "state", "created (UTC)", "last used (UTC)"
    )
    for k in keys:
        table.add_row(
            k.prefix,
            k.name,
            ", ".join(sorted(k.scopes)),
            f"{k.rate_limit}/min" if k.rate_limit else "-",
            "revoked" if k.revoked_at else "active",
            f"{k.created_at:%Y-%m-%d %H:%M}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never",
        )
    cli.out.print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The key's prefix (or its name, if unique)."),
) -> None:
    """Revoke a key: a running service answers 401 to it within api_key_cache_seconds
    (default 5 s), the time each of its workers remembers a key it has checked."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    revoked = cli.bastion.keys.revoke(key, actor=cli_actor())
    cli.out.print(f"revoked key {revoked.prefix} ({revoked.name})", markup=False)
