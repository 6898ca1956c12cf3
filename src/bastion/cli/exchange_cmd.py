"""`bastion exchange ...`: sources of shared signals, their credentials, status and syncs."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.table import Table

from bastion.errors import ValidationError

if TYPE_CHECKING:
    from bastion.cli.context import CliContext
    from bastion.exchange.store import ExchangeStatus
    from bastion.exchange.sync import SyncResult

app = typer.Typer(
    help="Exchanges: fetch shared hash lists into banks (files, NCMEC, StopNCII, "
    "ThreatExchange, other bastion instances).",
    no_args_is_help=True,
)

#: The values of `bastion.exchange.api.Opinion` (a test keeps them equal), named here so that
#: declaring the arguments does not import the exchange package.
OpinionName = Literal["true_positive", "false_positive", "disputed"]

CREDENTIAL_HELP = "A credential, taken as written (never read as JSON); repeatable."
CREDENTIALS_STDIN_HELP = (
    "Read credentials as KEY=VALUE lines from standard input (keeps them out of the process "
    "list and shell history)."
)


def _pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """KEY=VALUE options; a value that reads as JSON (numbers, true, lists) is taken as such."""
    found: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"{option} expects KEY=VALUE, got {pair!r}")
        try:
            found[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            found[key.strip()] = value
    return found


def _credentials(kind: str, given: list[str] | None, from_stdin: bool) -> dict[str, str]:
    """The kind's credential fields: from --credential and, with --credentials-stdin, from
    standard input; any still missing are asked for without echo when there is a terminal
    to ask on. Values are taken as written (a password `true` stays the text `true`)."""
    from bastion.exchange.impl import exchange_class

    lines = sys.stdin.read().splitlines() if from_stdin else []
    found: dict[str, str] = {}
    for pair, option in [(p, "--credential") for p in given or []] + [
        (line, "--credentials-stdin") for line in lines if line.strip()
    ]:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            # What was given may be a secret: the message never quotes it.
            raise ValidationError(f"{option} expects KEY=VALUE, got a value without a key")
        found[key.strip()] = value
    missing = [f for f in exchange_class(kind).credential_fields if not found.get(f)]
    if missing and from_stdin:
        raise ValidationError(
            f"missing credential {', '.join(missing)}: add {missing[0]}=... to standard input "
            f"or pass --credential {missing[0]}=..."
        )
    if missing and not sys.stdin.isatty():
        raise ValidationError(
            f"no terminal to ask for credential {', '.join(missing)} on: pass --credential "
            f"{missing[0]}=..., or KEY=VALUE lines on standard input with --credentials-stdin"
        )
    for name in missing:
        found[name] = typer.prompt(name, hide_input=True)
    return found


def _status_json(status: ExchangeStatus) -> dict[str, Any]:
    doc = {k: v for k, v in vars(status).items() if k != "id"}
    for key, value in doc.items():
        if hasattr(value, "isoformat"):
            doc[key] = value.isoformat()
    return doc


@app.command("kinds")
def kinds(ctx: typer.Context) -> None:
    """The kinds of exchange bastion speaks, and the credentials each needs."""
    from bastion.exchange.impl import exchange_kinds

    cli: CliContext = ctx.obj
    table = Table("kind", "credentials", "what it is")
    for name, cls in sorted(exchange_kinds().items()):
        table.add_row(name, ", ".join(cls.credential_fields) or "-", cls.description)
    cli.out.print(table)


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for the exchange."),
    kind: str = typer.Option(
        ..., "--kind", "-k", metavar="KIND", help="See `bastion exchange kinds`."
    ),
    bank: str = typer.Option(
        ..., "--bank", "-b", metavar="BANK", help="The bank its signals go into."
    ),
    setting: list[str] | None = typer.Option(
        None,
        "--set",
        "-s",
        metavar="KEY=VALUE",
        help="Exchange setting, e.g. filename=list.csv; a value that reads as JSON (a number, "
        "true) is taken as such; repeatable.",
    ),
    credential: list[str] | None = typer.Option(
        None, "--credential", metavar="KEY=VALUE", help=CREDENTIAL_HELP
    ),
    credentials_stdin: bool = typer.Option(
        False, "--credentials-stdin", help=CREDENTIALS_STDIN_HELP
    ),
    interval: int = typer.Option(
        3600, "--interval", metavar="SECONDS", help="Seconds between scheduled syncs."
    ),
    disabled: bool = typer.Option(False, "--disabled", help="Add it without scheduling syncs."),
) -> None:
    """Add an exchange. Its credentials are stored encrypted (see the secret_key setting);
    the kind's credentials not given are asked for without echo on a terminal."""
    from bastion.audit import cli_actor
    from bastion.exchange.impl import exchange_class

    cli: CliContext = ctx.obj
    exchange_class(kind)  # an unknown kind fails before any prompt
    status = cli.exchanges.add(
        name,
        kind=kind,
        bank=bank,
        config=_pairs(setting, "--set"),
        credentials=_credentials(kind, credential, credentials_stdin) or None,
        interval_seconds=interval,
        enabled=not disabled,
        actor=cli_actor(),
    )
    cli.out.print(f"added exchange {status.name} ({status.kind}) into bank {status.bank}")


@app.command("list")
def list_exchanges(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Every exchange with its last sync, next sync and last error."""
    cli: CliContext = ctx.obj
    found = cli.exchanges.list()
    if as_json:
        cli.out.print(json.dumps([_status_json(s) for s in found], indent=2), markup=False)
        return
    table = Table(
        "name", "kind", "bank", "enabled", "fetched", "last success", "next", "last error"
    )
    for s in found:
        table.add_row(
            s.name,
            s.kind,
            s.bank,
            "yes" if s.enabled else "no",
            f"{s.fetched:,}",
            _when(s.last_success_at),
            "syncing" if s.syncing else _when(s.next_sync_at),
            s.last_error or "",
        )
    cli.out.print(table)


@app.command("status")
def status(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Exchange name."),
) -> None:
    """One exchange's configuration (without credentials), checkpoint and sync status."""
    cli: CliContext = ctx.obj
    cli.out.print(json.dumps(_status_json(cli.exchanges.get(name)), indent=2), markup=False)


@app.command("sync")
def sync(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="Exchange name (default: every enabled one)."),
) -> None:
    """Fetch now, from where the last sync stopped. Exit status 1 if a sync failed."""
    cli: CliContext = ctx.obj
    names = [name] if name else [s.name for s in cli.exchanges.list() if s.enabled]
    failed = False
    for exchange in names:
        result = _sync_one(cli, exchange)
        c = result.counts
        summary = (
            f"{exchange}: {c.added:,} added, {c.updated:,} updated, {c.deleted:,} deleted, "
            f"{c.unchanged:,} unchanged, {result.skipped:,} skipped"
        )
        if result.error is None and result.pages == 0:
            summary = f"{exchange}: up to date (nothing new at the source)"
        if result.error is not None:
            failed = True
            cli.err.print(f"{summary}; failed: {result.error}", markup=False)
        else:
            cli.out.print(summary, markup=False)
    raise typer.Exit(1 if failed else 0)


def _sync_one(cli: CliContext, name: str) -> SyncResult:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=cli.err,
        transient=True,
        disable=not cli.err.is_terminal,
    ) as progress:
        task = progress.add_task(f"{name}: fetching", total=None)

        def on_page(result: SyncResult) -> None:
            c = result.counts
            seen = c.added + c.updated + c.deleted + c.unchanged
            progress.update(task, description=f"{name}: {result.pages:,} pages, {seen:,} records")

        return cli.syncer.sync(name, on_page=on_page)


@app.command("set-credentials")
def set_credentials(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Exchange name."),
    credential: list[str] | None = typer.Option(
        None, "--credential", metavar="KEY=VALUE", help=CREDENTIAL_HELP
    ),
    credentials_stdin: bool = typer.Option(
        False, "--credentials-stdin", help=CREDENTIALS_STDIN_HELP
    ),
) -> None:
    """Replace an exchange's credentials (those not given are asked for without echo on a
    terminal)."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    kind = cli.exchanges.get(name).kind
    credentials = _credentials(kind, credential, credentials_stdin)
    cli.exchanges.update(name, credentials=credentials, actor=cli_actor())
    cli.out.print(f"credentials of {name} replaced")


@app.command("enable")
def enable(ctx: typer.Context, name: str = typer.Argument(..., help="Exchange name.")) -> None:
    """Schedule syncs of the exchange again."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.exchanges.update(name, enabled=True, actor=cli_actor())
    cli.out.print(f"enabled {name}")


@app.command("disable")
def disable(ctx: typer.Context, name: str = typer.Argument(..., help="Exchange name.")) -> None:
    """Stop scheduled syncs (its entries stay)."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.exchanges.update(name, enabled=False, actor=cli_actor())
    cli.out.print(f"disabled {name}")


@app.command("reset")
def reset(ctx: typer.Context, name: str = typer.Argument(..., help="Exchange name.")) -> None:
    """Forget the checkpoint: the next sync fetches everything again (without duplicates)."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.exchanges.reset(name, actor=cli_actor())
    cli.out.print(f"{name} will fetch everything at its next sync")


@app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="Exchange name.")) -> None:
    """Remove the exchange and its credentials; the entries it fetched stay in the bank."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.exchanges.remove(name, actor=cli_actor())
    cli.out.print(f"removed exchange {name}")


@app.command("feedback")
def feedback(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., help="The entry (fetched from an exchange)."),
    opinion: OpinionName = typer.Argument(
        ..., help="What review concluded: true_positive, false_positive or disputed."
    ),
    note: str = typer.Option("", "--note", help="A note for the source, where it takes one."),
    now: bool = typer.Option(False, "--now", help="Send it now instead of leaving it queued."),
) -> None:
    """Tell the entry's source what review concluded. It is queued and sent by the
    service's scheduler (or now, with --now), retried while the source is unreachable."""
    from bastion.exchange.api import Opinion

    cli: CliContext = ctx.obj
    given = cli.feedback.give(entry_id, Opinion(opinion), note=note, given_by="cli")
    if now:
        cli.feedback.deliver_due()
        given = next(f for f in cli.feedback.list(entry_id=entry_id) if f.id == given.id)
    line = f"feedback {given.id} on entry {entry_id} to {given.exchange}: {given.status}"
    cli.out.print(line + (f" ({given.last_error})" if given.last_error else ""), markup=False)


@app.command("feedback-list")
def feedback_list(
    ctx: typer.Context,
    entry_id: int | None = typer.Option(
        None, "--entry", metavar="ID", help="Only this entry's feedback."
    ),
) -> None:
    """Feedback given on fetched entries, newest first, with where it stands."""
    cli: CliContext = ctx.obj
    table = Table("id", "entry", "exchange", "opinion", "status", "attempts", "last error")
    for f in cli.feedback.list(entry_id=entry_id):
        table.add_row(
            str(f.id), str(f.entry_id), f.exchange, f.opinion, f.status, str(f.attempts),
            f.last_error or "",
        )  # fmt: skip
    cli.out.print(table)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"
