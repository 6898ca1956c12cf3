"""`bastion transparency`: the transparency report of a period, as JSON, CSV or an HTML page."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from bastion.errors import ValidationError

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

OutputFormat = Literal["json", "csv", "html"]


def transparency(
    ctx: typer.Context,
    start: str | None = typer.Option(
        None, "--from", metavar="DATE", help="First UTC day, YYYY-MM-DD (default: 1 January)."
    ),
    end: str | None = typer.Option(
        None,
        "--to",
        metavar="DATE",
        help="The day after the last, YYYY-MM-DD (default: 1 January next year).",
    ),
    fmt: OutputFormat = typer.Option("json", "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write to this file (atomically) instead of standard output.",
    ),
    suppress_below: int = typer.Option(
        10, "--suppress-below", min=1, max=1000, help="Withhold counts from 1 to N-1."
    ),
) -> None:
    """The transparency report of [--from, --to): content checked, matches, review
    decisions, reports filed, hashes shared and received, conversation and stream alerts.
    Counts only; small ones withheld (docs/transparency.md)."""
    import json
    from datetime import UTC, datetime

    from bastion.reporting.transparency import Period

    cli: CliContext = ctx.obj
    year = datetime.now(UTC).year
    period = Period.parse(start or f"{year}-01-01", end or f"{year + 1}-01-01")
    report = cli.bastion.transparency(period, suppress_below=suppress_below)
    if fmt == "csv":
        text = report.to_csv()
    elif fmt == "html":
        from bastion.web.transparency_page import standalone_html

        text = standalone_html(report)
    else:
        text = json.dumps(report.to_json(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    except OSError as e:
        raise ValidationError(f"cannot write {output}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    cli.err.print(f"wrote the report of {period.start} to {period.end} to {output}", markup=False)
