"""The `bastion` command: hash media, keep banks, match content.

The command modules import what a command needs when it runs, so building the command tree
(for `--help`, `--version` or any command) loads no database, web or media library.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bastion import __version__
from bastion.cli import (
    action_cmd,
    audit_cmd,
    bank_cmd,
    bench_cmd,
    collab_cmd,
    conversation_cmd,
    demo_cmd,
    entry_cmd,
    exchange_cmd,
    hash_cmd,
    key_cmd,
    match_cmd,
    report_cmd,
    review_cmd,
    scan_cmd,
    serve_cmd,
    stream_cmd,
    transparency_cmd,
    triage_cmd,
    user_cmd,
)
from bastion.cli.params import RootGroup
from bastion.errors import BastionError

#: Exit codes, like grep: 0 success (or matched), 1 no match, 2 error.
EXIT_ERROR = 2

app = typer.Typer(
    name="bastion",
    help="Find known harmful media: hash images, keep hash banks, match content against them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    cls=RootGroup,
)
app.add_typer(bank_cmd.app, name="bank")
app.add_typer(entry_cmd.app, name="entry")
app.add_typer(key_cmd.app, name="key")
app.add_typer(user_cmd.app, name="user")
app.add_typer(action_cmd.app, name="action")
app.add_typer(stream_cmd.app, name="stream")
app.add_typer(exchange_cmd.app, name="exchange")
app.add_typer(collab_cmd.app, name="collab")
app.add_typer(conversation_cmd.app, name="conversation")
app.add_typer(review_cmd.app, name="review")
app.add_typer(report_cmd.app, name="report")
app.add_typer(triage_cmd.app, name="triage")
app.add_typer(scan_cmd.app, name="scans")
app.add_typer(bench_cmd.app, name="bench")
app.command("hash")(hash_cmd.hash_files)
app.command("match")(match_cmd.match_files)
app.command("lookup")(match_cmd.lookup)
app.command("scan")(scan_cmd.scan_source)
app.command("audit")(audit_cmd.audit)
app.command("transparency")(transparency_cmd.transparency)
app.command("demo")(demo_cmd.demo)
app.command("serve")(serve_cmd.serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bastion {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        metavar="DIR",
        help="Data directory (default: BASTION_DATA_DIR or the user data dir).",
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        metavar="URL",
        help="Database URL (default: SQLite in the data directory).",
    ),
    pdq_mode: str | None = typer.Option(
        None,
        "--pdq-mode",
        metavar="reference|fast",
        help="PDQ hashing mode: reference (bit-exact) or fast.",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    from bastion.cli.context import CliContext

    ctx.obj = CliContext(data_dir=data_dir, database_url=database_url, pdq_mode=pdq_mode)
    ctx.call_on_close(ctx.obj.close)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning bastion errors into one line and exit status 2.

    Typer handles usage errors itself (message and exit status 2).
    """
    try:
        app(args=argv, prog_name="bastion")
    except BastionError as e:
        typer.echo(f"error: {e.message}", err=True)
        sys.exit(EXIT_ERROR)
