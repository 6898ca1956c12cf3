"""`bastion bank ...`: create, inspect, fill, import, export and delete banks."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.table import Table

from bastion.cli.output import entry_json
from bastion.errors import ValidationError

if TYPE_CHECKING:
    from rich.progress import Progress

    from bastion.banks import Bank, MatchOptions, NewEntry
    from bastion.cli.context import CliContext

app = typer.Typer(help="Manage banks of known content.", no_args_is_help=True)

#: The values of `bastion.exchange.formats.HashListFormat` (a test keeps them equal), named
#: here so that declaring the options does not import the exchange package.
FormatName = Literal["csv", "local_file"]

THRESHOLD_HELP = "Per-signal-type match threshold override, e.g. pdq=16; repeatable."


def _thresholds(pairs: list[str] | None) -> dict[str, Any] | None:
    if not pairs:
        return None
    result: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not value.strip().lstrip("-").isdigit():
            raise ValidationError(f"--threshold expects TYPE=DISTANCE, got {pair!r}")
        result[name.strip()] = int(value)
    return result


def _options(
    base: MatchOptions | None,
    trim_borders: bool | None,
    rotations: bool | None,
    variants: bool | None,
    keypoints: bool | None = None,
) -> MatchOptions | None:
    """The match options the flags ask for, the others as in `base`; None when no flag is
    given and `base` is None (keep them as they are)."""
    given = {
        name: on
        for name, on in (
            ("trim_borders", trim_borders), ("rotations", rotations), ("variants", variants),
            ("keypoints", keypoints),
        )
        if on is not None
    }  # fmt: skip
    if not given and base is not None:
        return None
    from bastion.banks import MatchOptions

    return MatchOptions.of(given, base=base)


def _describe(options: MatchOptions) -> str:
    on = [name.replace("_", "-") for name, value in options.as_dict().items() if value]
    return ", ".join(on) or "off"


#: The help panel of the switches of how a bank matches: a table of their own, for the
#: option pairs (--x/--no-x) leave the other options' descriptions no room at 80 columns.
MATCHING = "Matching"
TRIM_HELP = "Also match the picture inside flat borders (padding, bars, a screenshot's page)."
ROTATIONS_HELP = "Also match uploads rotated a quarter/half turn or mirrored."
VARIANTS_HELP = (
    "Store hashes of 5%/10% crops and ±4° tilts with entries added from media (4 more hashes each)."
)
KEYPOINTS_HELP = (
    "Store the ORB keypoints of entries added from media and look uploads up by theirs: deep "
    "and off-centre crops, larger rotations, large logos (about 20 KB of memory per entry)."
)


def _bank_json(bank: Bank) -> dict[str, Any]:
    return {
        "name": bank.name,
        "description": bank.description,
        "enabled": bank.enabled,
        "thresholds": bank.thresholds,
        "matching": bank.matching.as_dict(),
        "entries": bank.entry_count,
        "created_at": bank.created_at.isoformat(),
        "updated_at": bank.updated_at.isoformat(),
    }


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Bank name: letters, digits, '_', '-', '.'."),
    description: str = typer.Option("", "--description", "-d", help="What the bank holds."),
    threshold: list[str] | None = typer.Option(
        None, "--threshold", "-t", metavar="TYPE=DISTANCE", help=THRESHOLD_HELP
    ),
    disabled: bool = typer.Option(False, "--disabled", help="Create the bank disabled."),
    trim_borders: bool | None = typer.Option(
        None,
        "--trim-borders/--no-trim-borders",
        help=TRIM_HELP + " Default: on.",
        rich_help_panel=MATCHING,
    ),
    rotations: bool | None = typer.Option(
        None,
        "--rotations/--no-rotations",
        help=ROTATIONS_HELP + " Default: on.",
        rich_help_panel=MATCHING,
    ),
    variants: bool | None = typer.Option(
        None,
        "--variants/--no-variants",
        help=VARIANTS_HELP + " Default: on.",
        rich_help_panel=MATCHING,
    ),
    keypoints: bool | None = typer.Option(
        None,
        "--keypoints/--no-keypoints",
        help=KEYPOINTS_HELP + " Default: off.",
        rich_help_panel=MATCHING,
    ),
) -> None:
    """Create an empty bank."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    bank = cli.store.create_bank(
        name,
        description=description,
        enabled=not disabled,
        thresholds=_thresholds(threshold),
        matching=_options(None, trim_borders, rotations, variants, keypoints),
        actor=cli_actor(),
    )
    cli.out.print(
        f"created bank {bank.name} (robust matching: {_describe(bank.matching)})", markup=False
    )


@app.command("update")
def update(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Bank name."),
    description: str | None = typer.Option(None, "--description", "-d", help="New description."),
    threshold: list[str] | None = typer.Option(
        None, "--threshold", "-t", metavar="TYPE=DISTANCE", help=THRESHOLD_HELP
    ),
    clear_thresholds: bool = typer.Option(
        False, "--clear-thresholds", help="Remove all threshold overrides."
    ),
    enabled: bool | None = typer.Option(
        None, "--enable/--disable", help="Match against the bank, or not.", rich_help_panel=MATCHING
    ),
    trim_borders: bool | None = typer.Option(
        None, "--trim-borders/--no-trim-borders", help=TRIM_HELP, rich_help_panel=MATCHING
    ),
    rotations: bool | None = typer.Option(
        None, "--rotations/--no-rotations", help=ROTATIONS_HELP, rich_help_panel=MATCHING
    ),
    variants: bool | None = typer.Option(
        None, "--variants/--no-variants", help=VARIANTS_HELP, rich_help_panel=MATCHING
    ),
    keypoints: bool | None = typer.Option(
        None, "--keypoints/--no-keypoints", help=KEYPOINTS_HELP, rich_help_panel=MATCHING
    ),
) -> None:
    """Change a bank's description, thresholds, match options or enabled state.

    Switching an option on applies to uploads at once; the hashes an option stores with
    entries (the picture inside borders, crops and tilts, keypoints) exist only for media
    added after.
    """
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    thresholds = {} if clear_thresholds else _thresholds(threshold)
    current = cli.store.get_bank(name)
    matching = _options(current.matching, trim_borders, rotations, variants, keypoints)
    bank = cli.store.update_bank(
        name,
        description=description,
        enabled=enabled,
        thresholds=thresholds,
        matching=matching,
        actor=cli_actor(),
    )
    cli.out.print(
        f"updated bank {bank.name} (robust matching: {_describe(bank.matching)})", markup=False
    )
    gained = matching is not None and (
        (matching.variants and not current.matching.variants)
        or (matching.trim_borders and not current.matching.trim_borders)
        or (matching.keypoints and not current.matching.keypoints)
    )
    if gained and current.entry_count:
        cli.out.print(
            f"note: the {current.entry_count:,} entries already in {name} keep the hashes they "
            "were added with; media added from now on also stores the hashes the new options "
            "need (add it again to give an existing entry them)",
            markup=False,
        )


@app.command("list")
def list_banks(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List banks with their entry counts."""
    cli: CliContext = ctx.obj
    banks = cli.store.list_banks()
    if as_json:
        cli.out.print(json.dumps([_bank_json(b) for b in banks], indent=2), markup=False)
        return
    if not banks:
        cli.out.print("no banks yet; create one with: bastion bank create NAME", markup=False)
        return
    table = Table("name", "entries", "enabled", "thresholds", "robust matching", "description")
    for b in banks:
        table.add_row(
            b.name,
            f"{b.entry_count:,}",
            "yes" if b.enabled else "no",
            ", ".join(f"{k}={v}" for k, v in sorted(b.thresholds.items())) or "default",
            _describe(b.matching),
            b.description,
        )
    cli.out.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Bank name."),
    entries: int = typer.Option(10, "--entries", "-n", help="How many entries to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a bank and its first entries."""
    cli: CliContext = ctx.obj
    bank = cli.store.get_bank(name)
    shown = []
    for i, entry in enumerate(cli.store.iter_entries(name)):
        if i >= entries:
            break
        shown.append(entry)
    if as_json:
        doc = _bank_json(bank)
        doc["first_entries"] = [entry_json(e) for e in shown]
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    for key, value in _bank_json(bank).items():
        cli.out.print(f"{key + ':':<13} {value}", markup=False)
    if shown:
        table = Table("id", "signals", "source", "added", "enabled")
        for e in shown:
            table.add_row(
                str(e.id),
                "\n".join(
                    [f"{s.type} {s.value}" for s in e.signals]
                    + (
                        [f"+ {len(e.derived)} derived ({', '.join(d.how for d in e.derived)})"]
                        if e.derived
                        else []
                    )
                ),
                e.provenance.source
                + (f" ({e.provenance.imported_from})" if e.provenance.imported_from else ""),
                e.provenance.added_at.strftime("%Y-%m-%d %H:%M"),
                "yes" if e.enabled else "no",
            )
        cli.out.print(table)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Bank name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a bank and every entry in it."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    bank = cli.store.get_bank(name)
    if not yes:
        if not sys.stdin.isatty():
            raise ValidationError("refusing to delete without confirmation: pass --yes")
        typer.confirm(f"Delete bank {name} and its {bank.entry_count:,} entries?", abort=True)
    count = cli.store.delete_bank(name, actor=cli_actor())
    cli.out.print(f"deleted bank {name} ({count:,} entries)", markup=False)


@app.command("add")
def add(
    ctx: typer.Context,
    bank: str = typer.Argument(..., help="Bank to add to."),
    files: list[Path] = typer.Argument(
        ..., metavar="FILE...", help="Media files to hash into the bank.", show_default=False
    ),
    note: str = typer.Option("", "--note", help="Note stored with each new entry."),
    added_by: str | None = typer.Option(
        None, "--added-by", metavar="WHO", help="Who is adding (provenance)."
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Add the files that hash, skip the ones that do not."
    ),
) -> None:
    """Hash media files and add each as an entry (images: PDQ, MD5, SHA-256; videos: video
    MD5, SHA-256, vPDQ, TMK+PDQF).

    All or nothing: if any file cannot be hashed, nothing is added (unless --skip-invalid).
    A file whose signals the bank already holds (the same bytes) is not added again.
    """
    cli: CliContext = ctx.obj
    options = cli.store.require_bank(bank).matching  # fail before hashing without the bank
    new: list[NewEntry] = []
    failed = 0
    with _progress(cli, bytes_mode=False) as progress:
        task = progress.add_task("hashing", total=len(files))
        for path, content in cli.hash_each(files, options=options, variants=options.variants):
            if content is None:
                failed += 1
            else:
                new.append(content.entry(options, metadata={"filename": path.name}, note=note))
            progress.advance(task)
    if failed and not skip_invalid:
        raise ValidationError(
            f"{failed} of {len(files)} files could not be hashed; nothing was added "
            "(pass --skip-invalid to add the others)"
        )
    with cli.store.bulk_writer(bank, source="media", added_by=added_by) as writer:
        for entry in new:
            writer.add(entry)
    added = len(writer.added_ids)
    cli.out.print(
        f"added {added} entr{'y' if added == 1 else 'ies'} to {bank}"
        + (f"; {writer.duplicates} already in the bank" if writer.duplicates else "")
        + (f"; skipped {failed} file(s) that could not be hashed" if failed else ""),
        markup=False,
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    bank: str = typer.Argument(..., help="Bank to import into."),
    file: Path = typer.Argument(..., help="Hash list: ThreatExchange CSV or local_file."),
    fmt: FormatName | None = typer.Option(
        None, "--format", "-f", help="File format (default: detected from the header)."
    ),
    signal_type: str | None = typer.Option(
        None,
        "--signal-type",
        "-s",
        metavar="TYPE",
        help="local_file: type of lines that hold only a hash.",
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid rows and skip bad ones."
    ),
    added_by: str | None = typer.Option(
        None, "--added-by", metavar="WHO", help="Who is importing (provenance)."
    ),
) -> None:
    """Import a hash list. All or nothing unless --skip-invalid; duplicates are skipped."""
    from bastion.exchange.formats import HashListFormat
    from bastion.exchange.transfer import ImportAborted, import_file

    cli: CliContext = ctx.obj
    cli.store.require_bank(bank)  # a missing bank is the first thing to report
    total = file.stat().st_size if file.is_file() else None
    try:
        with _progress(cli, bytes_mode=True) as progress:
            task = progress.add_task(f"importing {file.name}", total=total)
            result = import_file(
                cli.store,
                bank,
                file,
                fmt=HashListFormat(fmt) if fmt else None,
                default_type=signal_type,
                skip_invalid=skip_invalid,
                added_by=added_by,
                on_bytes=lambda n: progress.advance(task, n),
                skip_option="--skip-invalid",
            )
    except ImportAborted as e:
        for error in e.result.errors:
            cli.err.print(f"{file}: {error}", markup=False)
        if e.result.rejected > len(e.result.errors):
            cli.err.print(
                f"... and {e.result.rejected - len(e.result.errors):,} more", markup=False
            )
        raise
    for error in result.errors:
        cli.err.print(f"{file}: {error} (skipped)", markup=False)
    cli.out.print(
        f"{result.rows:,} rows: {result.accepted:,} accepted, {result.duplicates:,} duplicates "
        f"skipped, {result.rejected:,} rejected",
        markup=False,
    )


@app.command("export")
def export(
    ctx: typer.Context,
    bank: str = typer.Argument(..., help="Bank to export."),
    fmt: FormatName = typer.Option("csv", "--format", "-f", help="File format."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write to this file (atomically) instead of standard output.",
    ),
) -> None:
    """Export a bank as a ThreatExchange CSV or local_file hash list."""
    from bastion.audit import cli_actor
    from bastion.exchange.formats import HashListFormat
    from bastion.exchange.transfer import export_bank

    cli: CliContext = ctx.obj
    cli.store.require_bank(bank)
    if output is None:
        export_bank(cli.store, bank, sys.stdout, HashListFormat(fmt), actor=cli_actor())
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    except OSError as e:
        raise ValidationError(f"cannot write {output}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            rows = export_bank(cli.store, bank, f, HashListFormat(fmt), actor=cli_actor())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    cli.err.print(f"exported {rows:,} rows to {output}", markup=False)


def _progress(cli: CliContext, *, bytes_mode: bool) -> Progress:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    counter = DownloadColumn() if bytes_mode else MofNCompleteColumn()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        counter,
        TimeRemainingColumn(),
        console=cli.err,
        transient=True,
        disable=not cli.err.is_terminal,
    )
