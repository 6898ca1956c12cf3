"""`bastion action ...`: what happens when a bank matches — webhooks and review items."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

app = typer.Typer(
    help="Actions run when a bank matches or a conversation alerts: webhooks, review queue.",
    no_args_is_help=True,
)


@app.command("add-webhook")
def add_webhook(
    ctx: typer.Context,
    bank: str = typer.Argument(..., help="Bank whose matches trigger the webhook."),
    url: str = typer.Argument(..., help="http(s) URL that receives a signed JSON POST per match."),
    secret: str | None = typer.Option(
        None, "--secret", help="HMAC-SHA256 signing secret (default: a random one, printed once)."
    ),
) -> None:
    """POST every match in BANK to URL, signed, retried with backoff, from a persisted outbox."""
    from bastion.actions import ActionStore

    cli: CliContext = ctx.obj
    rule = ActionStore(cli.db).add_webhook(bank, url, secret=secret)
    cli.err.print(f"added webhook rule {rule.id} for bank {bank}; signing secret (shown once):")
    cli.out.print(rule.secret or "", markup=False)


@app.command("add-review")
def add_review(
    ctx: typer.Context, bank: str = typer.Argument(..., help="Bank whose matches are queued.")
) -> None:
    """Put every match in BANK on the review queue."""
    from bastion.actions import ActionStore

    cli: CliContext = ctx.obj
    rule = ActionStore(cli.db).add_review(bank)
    cli.out.print(f"added review rule {rule.id} for bank {bank}", markup=False)


@app.command("add-conversation-webhook")
def add_conversation_webhook(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="http(s) URL that receives a signed JSON POST per alert."),
    secret: str | None = typer.Option(
        None, "--secret", help="HMAC-SHA256 signing secret (default: a random one, printed once)."
    ),
) -> None:
    """POST every conversation alert (grooming risk reaching `high`) to URL, signed."""
    from bastion.actions import ActionStore
    from bastion.actions.rules import RuleKind

    cli: CliContext = ctx.obj
    rule = ActionStore(cli.db).add_conversation_rule(RuleKind.WEBHOOK, url, secret)
    cli.err.print(f"added webhook rule {rule.id} for conversation alerts; secret (shown once):")
    cli.out.print(rule.secret or "", markup=False)


@app.command("add-conversation-review")
def add_conversation_review(ctx: typer.Context) -> None:
    """Put every conversation alert on the review queue."""
    from bastion.actions import ActionStore
    from bastion.actions.rules import RuleKind

    cli: CliContext = ctx.obj
    rule = ActionStore(cli.db).add_conversation_rule(RuleKind.REVIEW)
    cli.out.print(f"added review rule {rule.id} for conversation alerts", markup=False)


@app.command("list")
def list_rules(
    ctx: typer.Context,
    bank: str | None = typer.Option(None, "--bank", help="Only this bank's rules."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List action rules (secrets are never shown) and the outbox's state."""
    from bastion.actions import ActionStore, Outbox

    cli: CliContext = ctx.obj
    rules = ActionStore(cli.db).list(bank)
    counts = Outbox(cli.db).counts()
    if as_json:
        doc = {
            "rules": [
                {
                    "id": r.id,
                    "bank": r.bank,
                    "kind": str(r.kind),
                    "url": r.url,
                    "enabled": r.enabled,
                }
                for r in rules
            ],
            "outbox": counts,
        }
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    table = Table("id", "bank", "kind", "url", "enabled")
    for r in rules:
        table.add_row(
            str(r.id), r.bank or "(conversations)", str(r.kind), r.url or "-",
            "yes" if r.enabled else "no",
        )  # fmt: skip
    cli.out.print(table)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    cli.out.print(f"outbox: {summary}", markup=False)


@app.command("remove")
def remove(ctx: typer.Context, rule_id: int = typer.Argument(..., help="Rule id.")) -> None:
    """Remove a rule (its pending webhook deliveries are dropped)."""
    from bastion.actions import ActionStore

    cli: CliContext = ctx.obj
    ActionStore(cli.db).remove(rule_id)
    cli.out.print(f"removed rule {rule_id}", markup=False)
