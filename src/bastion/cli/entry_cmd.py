"""`bastion entry ...`: one entry of a bank: show it, take it out of matching (for a while or
until enabled again), put it back, or delete it."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer

from bastion.cli.output import entry_json
from bastion.errors import ValidationError

if TYPE_CHECKING:
    from bastion.banks import BankEntry
    from bastion.cli.context import CliContext

app = typer.Typer(
    help="One entry of a bank: show, disable, enable or delete it (ids as `bank show` lists).",
    no_args_is_help=True,
)

ID_HELP = "The entry's id, as `bastion bank show` and `match` print it."
UNTIL_HELP = (
    "Only until this time: ISO 8601 (2026-07-01, 2026-07-01T12:00, 2026-07-01T12:00+02:00; "
    "UTC when it names no zone) or a span from now (30m, 12h, 7d, 2w)."
)

_SPAN = re.compile(r"(\d{1,9})\s*([mhdw])")
_SPAN_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _entry_id(value: int) -> int:
    from bastion.validation import checked_int

    return checked_int(value, "ID", low=1)


def until_time(text: str, now: datetime) -> datetime:
    """The time `--until` names: an ISO 8601 time (UTC unless it names a zone) or a span
    after `now`; it must be in the future."""
    span = _SPAN.fullmatch(text.strip())
    try:
        if span:
            when = now + timedelta(**{_SPAN_UNITS[span[2]]: int(span[1])})
        else:
            when = datetime.fromisoformat(text.strip())
            when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise ValidationError(
            f"--until: expected a time such as 2026-07-01T12:00 or a span such as 7d, got {text!r}"
        ) from None
    if when <= now:
        raise ValidationError(f"--until: {_when(when)} has passed; give a later time")
    return when


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def state(entry: BankEntry, now: datetime) -> str:
    """Whether the entry takes part in matching, in words."""
    if not entry.enabled:
        return "disabled"
    if entry.disabled_until is not None and entry.disabled_until > now:
        return f"disabled until {_when(entry.disabled_until)}"
    return "enabled"


@app.command("show")
def show(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., metavar="ID", help=ID_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show an entry: its signals, whether it matches, metadata, note and provenance."""
    cli: CliContext = ctx.obj
    entry = cli.store.get_entry(_entry_id(entry_id))
    if as_json:
        cli.out.print(json.dumps(entry_json(entry), indent=2, ensure_ascii=False), markup=False)
        return
    origin = entry.provenance
    lines = [
        ("entry", f"{entry.id} in bank {entry.bank}"),
        ("state", state(entry, datetime.now(UTC))),
        *(("signal", f"{s.type} {s.value}") for s in entry.signals),
        *(("derived", f"{d.signal.type} ({d.how})") for d in entry.derived),
        ("metadata", json.dumps(entry.metadata, ensure_ascii=False)),
        ("note", entry.note or "-"),
        ("source", origin.source + (f" ({origin.imported_from})" if origin.imported_from else "")),
        ("added", _when(origin.added_at) + (f" by {origin.added_by}" if origin.added_by else "")),
    ]
    for key, value in lines:
        cli.out.print(f"{key + ':':<10} {value}", markup=False)


@app.command("disable")
def disable(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., metavar="ID", help=ID_HELP),
    until: str | None = typer.Option(None, "--until", metavar="TIME", help=UNTIL_HELP),
) -> None:
    """Stop matching an entry until `bastion entry enable` (or, with --until, until a time);
    it stays in its bank, and exports and shares as before."""
    cli: CliContext = ctx.obj
    entry_id = _entry_id(entry_id)
    now = datetime.now(UTC)
    if until is None:
        entry = cli.store.update_entry(entry_id, enabled=False, disabled_until=None)
    else:
        entry = cli.store.update_entry(
            entry_id, enabled=True, disabled_until=until_time(until, now)
        )
    cli.out.print(f"entry {entry.id} in bank {entry.bank}: {state(entry, now)}", markup=False)


@app.command("enable")
def enable(
    ctx: typer.Context, entry_id: int = typer.Argument(..., metavar="ID", help=ID_HELP)
) -> None:
    """Match an entry again, whether disabled for good or until a time."""
    cli: CliContext = ctx.obj
    entry = cli.store.update_entry(_entry_id(entry_id), enabled=True, disabled_until=None)
    cli.out.print(f"entry {entry.id} in bank {entry.bank}: enabled", markup=False)


@app.command("delete")
def delete(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., metavar="ID", help=ID_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete an entry and its signals. An entry fetched from an exchange comes back when the
    exchange sends its record again (a file exchange's next sync, a reset); `disable` keeps
    it out of matching for good."""
    cli: CliContext = ctx.obj
    entry = cli.store.get_entry(_entry_id(entry_id))
    if not yes:
        if not sys.stdin.isatty():
            raise ValidationError("refusing to delete without confirmation: pass --yes")
        signals = ", ".join(s.type for s in entry.signals)
        typer.confirm(f"Delete entry {entry.id} ({signals}) from bank {entry.bank}?", abort=True)
    cli.store.delete_entry(entry.id)
    cli.out.print(f"deleted entry {entry.id} from bank {entry.bank}", markup=False)
