"""`bastion action ...`: what happens when a bank matches, a conversation alerts or a
reviewer decides: webhooks and review jobs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

app = typer.Typer(
    help="Actions run when a bank matches, a conversation alerts or a reviewer decides: "
    "webhooks, review queue.",
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
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    rule = cli.actions.add_webhook(bank, url, secret=secret, actor=cli_actor())
    cli.err.print(f"added webhook rule {rule.id} for bank {bank}; signing secret (shown once):")
    cli.out.print(rule.secret or "", markup=False)


@app.command("add-review")
def add_review(
    ctx: typer.Context, bank: str = typer.Argument(..., help="Bank whose matches are queued.")
) -> None:
    """Put every match in BANK on the review queue."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    rule = cli.actions.add_review(bank, actor=cli_actor())
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
    from bastion.actions.rules import RuleKind
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    rule = cli.actions.add_conversation_rule(RuleKind.WEBHOOK, url, secret, actor=cli_actor())
    cli.err.print(f"added webhook rule {rule.id} for conversation alerts; secret (shown once):")
    cli.out.print(rule.secret or "", markup=False)


@app.command("add-conversation-review")
def add_conversation_review(ctx: typer.Context) -> None:
    """Put every conversation alert on the review queue."""
    from bastion.actions.rules import RuleKind
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    rule = cli.actions.add_conversation_rule(RuleKind.REVIEW, actor=cli_actor())
    cli.out.print(f"added review rule {rule.id} for conversation alerts", markup=False)


@app.command("add-decision-webhook")
def add_decision_webhook(
    ctx: typer.Context,
    url: str = typer.Argument(
        ..., help="http(s) URL that receives a signed JSON POST per review decision."
    ),
    secret: str | None = typer.Option(
        None, "--secret", help="HMAC-SHA256 signing secret (default: a random one, printed once)."
    ),
) -> None:
    """POST every reviewer's decision (decision.confirmed, decision.false_positive, ...) to
    URL, signed, so the platform can act on the content and the account. Never media."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    rule = cli.actions.add_decision_webhook(url, secret, actor=cli_actor())
    cli.err.print(f"added webhook rule {rule.id} for review decisions; secret (shown once):")
    cli.out.print(rule.secret or "", markup=False)


@app.command("list")
def list_rules(
    ctx: typer.Context,
    bank: str | None = typer.Option(None, "--bank", help="Only this bank's rules."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List action rules (secrets are never shown) and the outbox's state."""
    from bastion.actions import Outbox

    cli: CliContext = ctx.obj
    rules = cli.actions.list(bank)
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
                    "created_at": r.created_at.isoformat(),
                    "previous_secret_until": _iso(r.previous_secret_until),
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
    """Remove a rule; its pending webhook deliveries are dropped (to change a webhook's
    secret and keep them, use rotate-secret)."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.actions.remove(rule_id, actor=cli_actor())
    cli.out.print(f"removed rule {rule_id}", markup=False)


@app.command("enable")
def enable(ctx: typer.Context, rule_id: int = typer.Argument(..., help="Rule id.")) -> None:
    """Switch a rule on: it acts on new matches, and its waiting deliveries are sent."""
    _switch(ctx.obj, rule_id, True)


@app.command("disable")
def disable(ctx: typer.Context, rule_id: int = typer.Argument(..., help="Rule id.")) -> None:
    """Switch a rule off: it queues nothing new; its pending deliveries wait, not dropped."""
    _switch(ctx.obj, rule_id, False)


def _switch(cli: CliContext, rule_id: int, enabled: bool) -> None:
    from bastion.audit import cli_actor

    cli.actions.set_enabled(rule_id, enabled, actor=cli_actor())
    cli.out.print(f"{'enabled' if enabled else 'disabled'} rule {rule_id}", markup=False)


@app.command("rotate-secret")
def rotate_secret(
    ctx: typer.Context,
    rule_id: int = typer.Argument(..., help="Webhook rule id."),
    secret: str | None = typer.Option(
        None, "--secret", help="The new signing secret (default: a random one, printed once)."
    ),
    grace_hours: float = typer.Option(
        0.0,
        "--grace-hours",
        metavar="HOURS",
        help="Keep signing with the old secret too for this long (at most 168): each "
        "delivery then carries both signatures, space-separated, so a receiver that accepts "
        "any of them can switch when it likes. Default 0: the new secret only, at once.",
    ),
) -> None:
    """Give a webhook rule a new signing secret, printed once. Pending deliveries are kept
    and signed with the new secret from now on."""
    from datetime import timedelta

    from bastion.audit import cli_actor
    from bastion.errors import ValidationError

    cli: CliContext = ctx.obj
    if not 0 <= grace_hours <= 168:
        raise ValidationError("--grace-hours must be between 0 and 168 (a week)")
    rule = cli.actions.rotate_secret(
        rule_id, secret, grace=timedelta(hours=grace_hours), actor=cli_actor()
    )
    until = rule.previous_secret_until
    also = f"; the old one also signs until {until.isoformat()}" if until else ""
    cli.err.print(f"new signing secret for rule {rule.id} (shown once){also}:", markup=False)
    cli.out.print(rule.secret or "", markup=False)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
