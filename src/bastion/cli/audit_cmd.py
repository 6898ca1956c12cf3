"""`bastion audit`: who exported, synced or shared a list, or changed a key or credential."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext


def audit(
    ctx: typer.Context,
    action: str | None = typer.Option(
        None, "--action", help="Only this action, e.g. bank.export, exchange.sync, key.create."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The audit log, newest first: exports of lists, exchange syncs, partners' full reads,
    and changes to credentials, keys and sharing, with who did each."""
    from bastion.audit import AuditLog

    cli: CliContext = ctx.obj
    events = AuditLog(cli.db).list(action=action, limit=limit)
    if as_json:
        doc = [{**vars(e), "at": e.at.isoformat()} for e in events]
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    table = Table("id", "when", "actor", "action", "target", "detail")
    for e in events:
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if v is not None)
        table.add_row(
            str(e.id), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.target, detail
        )
    cli.out.print(table)
