"""`bastion key ...`: create, list and revoke API keys for the HTTP service."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from bastion.audit import cli_actor
from bastion.auth import ApiKeyStore, Scope
from bastion.cli.context import CliContext
from bastion.errors import ValidationError

app = typer.Typer(help="Manage API keys for the HTTP service.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="What the key is for, e.g. 'upload-pipeline'."),
    scope: list[Scope] = typer.Option(
        ..., "--scope", "-s", help="hash, match, curate or admin; repeatable."
    ),
    rate_limit: int | None = typer.Option(
        None, "--rate-limit", help="Requests per minute (default: unlimited)."
    ),
    bank: list[str] | None = typer.Option(
        None,
        "--bank",
        "-b",
        help="Limit the key to this bank, BANK=PERMISSIONS with permissions among read, "
        "write, export (e.g. confirmed=read,export); repeatable. Default: every bank.",
    ),
) -> None:
    """Create a key and print it once: it is stored only as a digest."""
    cli: CliContext = ctx.obj
    grants: dict[str, list[str]] | None = None
    for pair in bank or []:
        name_part, sep, permissions = pair.partition("=")
        if not sep or not name_part:
            raise ValidationError(f"--bank expects BANK=read,write,export, got {pair!r}")
        grants = {**(grants or {}), name_part: [p.strip() for p in permissions.split(",")]}
    new = ApiKeyStore(cli.db).create(
        name, list(scope), rate_limit=rate_limit, banks=grants, actor=cli_actor()
    )
    cli.err.print(f"created key {new.key.prefix} ({name}); store it now, it is not shown again:")
    cli.out.print(new.secret, markup=False)


@app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List keys (prefixes, names, scopes, state); secrets are never shown."""
    cli: CliContext = ctx.obj
    keys = ApiKeyStore(cli.db).list()
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
            }
            for k in keys
        ]
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    table = Table("prefix", "name", "scopes", "rate limit", "state")
    for k in keys:
        table.add_row(
            k.prefix,
            k.name,
            ", ".join(sorted(k.scopes)),
            f"{k.rate_limit}/min" if k.rate_limit else "-",
            "revoked" if k.revoked_at else "active",
        )
    cli.out.print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The key's prefix (or its name, if unique)."),
) -> None:
    """Revoke a key at once; requests with it get 401."""
    cli: CliContext = ctx.obj
    revoked = ApiKeyStore(cli.db).revoke(key, actor=cli_actor())
    cli.out.print(f"revoked key {revoked.prefix} ({revoked.name})", markup=False)
