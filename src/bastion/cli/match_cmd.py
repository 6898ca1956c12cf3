"""`bastion match FILE...`: check media against every enabled bank; `bastion lookup`: one
signal computed elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.output import content_json, describe_match, dumps, match_json

if TYPE_CHECKING:
    from bastion.cli.context import CliContext


def no_actions(command: str) -> str:
    """Said after matches: a bank's rules (webhooks, review) run when the service matches."""
    return (
        f"note: bastion {command} reports matches only; it runs no actions (webhooks, review items)"
    )


def match_files(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ..., metavar="FILE...", help="Media files to check.", show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON, one object per file."),
) -> None:
    """Match media files against the banks. It reports matches only; it runs no actions
    (webhooks, review items): those run when the service matches.

    Exit status: 0 if any file matched, 1 if none did, 2 if a file could not be read.
    """
    cli: CliContext = ctx.obj
    matcher = cli.matcher()
    any_match = False
    failed = 0
    documents = []
    for path, content in cli.hash_each(files, options=matcher.options()):
        if content is None:
            failed += 1
            continue
        matches = matcher.match_content(content)
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
    if any_match:
        cli.err.print(no_actions("match"), markup=False)
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
) -> None:
    """Match one signal computed elsewhere: a hash, a URL (also matched by its domains) or a
    text (its phrases matched against bank keywords). Like `match`, it runs no actions.

    Exit status: 0 if it matched, 1 if not, 2 if the value is not valid for its type.
    """
    from bastion.signals import Signal, normalize_signal

    cli: CliContext = ctx.obj
    text = sys.stdin.read() if value == "-" else value
    type_name, normalized = normalize_signal(signal_type, text)
    matches = cli.matcher().match_signals([Signal(type_name, normalized)])
    if as_json:
        cli.out.print(dumps([match_json(m) for m in matches]), markup=False)
    elif not matches:
        cli.out.print("no match", markup=False)
    else:
        cli.out.print(f"MATCH ({len(matches)})", markup=False)
        for m in matches:
            cli.out.print(f"  {describe_match(m)}", markup=False)
    if matches:
        cli.err.print(no_actions("lookup"), markup=False)
    raise typer.Exit(0 if matches else 1)
