"""`bastion match FILE...`: check media against every enabled bank; `bastion lookup`: one
signal computed elsewhere. Both act as the API does: the matched banks' actions (webhooks,
review items) are queued, and the webhooks due are delivered before the command exits;
`--dry-run` only reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.output import content_json, describe_match, dumps, match_json

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

DRY_RUN_HELP = "Only report matches: run no actions (webhooks, review items)."


def _acted(cli: CliContext, queued: int) -> None:
    """After acting: deliver the webhooks due now, as the service's worker would (a command
    line may have no service beside it), and say what was done."""
    if not queued:
        return
    delivered = cli.bastion.deliver_due(limit=queued)
    cli.err.print(
        f"queued {queued} action(s) of the matched banks (webhooks, review items); "
        f"delivered {delivered} webhook(s)",
        markup=False,
    )


def match_files(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ..., metavar="FILE...", help="Media files to check.", show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON, one object per file."),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Match media files against every enabled bank, as the API does: each file is looked
    up by its rotations and the picture inside its borders where a bank asks for it, and the
    matched banks' actions run (their webhooks are delivered before the command exits; a
    failed delivery waits in the outbox for its retry). --dry-run only reports.

    Exit status: 0 if any file matched, 1 if none did, 2 if a file could not be read.
    """
    cli: CliContext = ctx.obj
    any_match = False
    failed = queued = 0
    documents = []
    for path, content in cli.hash_each(files, for_matching=True):
        if content is None:
            failed += 1
            continue
        checked = cli.bastion.check_content(content, act=not dry_run)
        matches, queued = checked.matches, queued + checked.queued
        any_match = any_match or bool(matches)
        if as_json:
            documents.append({**content_json(content), "matches": [match_json(m) for m in matches]})
            continue
        if not matches:
            cli.out.print(f"{path}: no match", markup=False)
            continue
        cli.out.print(f"{path}: MATCH ({len(matches)})", markup=False)
        for m in matches:
            cli.out.print(f"  {describe_match(m)}", markup=False)
    if as_json:
        cli.out.print(dumps(documents), markup=False)
    _acted(cli, queued)
    if failed:
        raise typer.Exit(2)
    raise typer.Exit(0 if any_match else 1)


def lookup(
    ctx: typer.Context,
    signal_type: str = typer.Argument(
        ..., metavar="TYPE", help="Signal type: pdq, md5, url, text, ..."
    ),
    value: str = typer.Argument(..., help="The hash, URL or text ('-' reads it from stdin)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Match one signal computed elsewhere: a hash, a URL (also matched by its domains) or a
    text (its phrases matched against bank keywords). Like `match`, it runs the matched
    banks' actions unless --dry-run.

    Exit status: 0 if it matched, 1 if not, 2 if the value is not valid for its type.
    """
    from bastion.pipeline import signals_info
    from bastion.signals import Signal, normalize_signal

    cli: CliContext = ctx.obj
    text = sys.stdin.read() if value == "-" else value
    signal = Signal(*normalize_signal(signal_type, text))
    matches = cli.bastion.look_up([signal], act=False)
    queued = 0 if dry_run else cli.bastion.act(matches, signals_info([signal]))
    if as_json:
        cli.out.print(dumps([match_json(m) for m in matches]), markup=False)
    elif not matches:
        cli.out.print("no match", markup=False)
    else:
        cli.out.print(f"MATCH ({len(matches)})", markup=False)
        for m in matches:
            cli.out.print(f"  {describe_match(m)}", markup=False)
    _acted(cli, queued)
    raise typer.Exit(0 if matches else 1)
