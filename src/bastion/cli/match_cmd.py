"""`bastion match FILE...`: check media against every enabled bank."""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.cli.context import CliContext
from bastion.cli.output import content_json, describe_match, dumps, match_json


def match_files(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Media files to check.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print JSON, one object per file."),
) -> None:
    """Match media files against the banks.

    Exit status: 0 if any file matched, 1 if none did, 2 if a file could not be read.
    """
    cli: CliContext = ctx.obj
    matcher = cli.matcher()
    any_match = False
    failed = 0
    documents = []
    for path, content in cli.hash_each(files):
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
    if failed:
        raise typer.Exit(2)
    raise typer.Exit(0 if any_match else 1)
