"""`bastion scan SOURCE` and `bastion scans ...`: bulk scans and retroactive matching.

- `scan SOURCE`: check every item of a folder, a bucket (``s3://bucket/prefix``) or a manifest
  (.csv or .parquet) on a Dask cluster (local worker processes, or `--scheduler`), acting on
  matches as uploads are; the same command run again resumes the scan.
- `scans list`, `scans show NAME`: scans and what they found, the errors of failed items.
- `scans retro`: match the entries banks gained since the last run against the checked
  content kept (`checked_retention_days`), now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from bastion.cli.match_cmd import DRY_RUN_HELP, _acted

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

    from bastion.cli.context import CliContext
    from bastion.pipeline.scan import BatchResult, ScanOutcome
    from bastion.scanning import Listed

app = typer.Typer(
    help="Bulk scans: list them, see what they found; match kept content retroactively.",
    no_args_is_help=True,
)


def scan_source(
    ctx: typer.Context,
    source: str = typer.Argument(
        ...,
        metavar="SOURCE",
        help="A folder, a bucket URL (s3://bucket/prefix) or a manifest (.csv or .parquet "
        "with the columns content_id, path or url, and user_id).",
    ),
    name: str | None = typer.Option(
        None, "--name", help="The scan's name (default: made from SOURCE; the same name resumes)."
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=0,
        help="Local Dask worker processes (default: one per core; 0: check in this process).",
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        metavar="ADDRESS",
        help="An existing Dask cluster's scheduler (tcp://host:8786) instead of local workers.",
    ),
    batch: int = typer.Option(16, "--batch", min=1, max=10_000, help="Items per task."),
    retry_failed: bool = typer.Option(
        True, "--retry-failed/--skip-failed", help="Check again the items that failed before."
    ),
    endpoint_url: str | None = typer.Option(
        None,
        "--endpoint-url",
        metavar="URL",
        help="An S3-compatible endpoint for s3:// sources (credentials: AWS_* as for aws).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Check every item of SOURCE against the banks, exactly once, on a Dask cluster.

    Matches act as uploads' do (webhooks, review jobs). Each item is recorded with its
    signals or its error; an unreadable or oversized file is recorded and skipped. Run the
    same command again after a crash or Ctrl-C: what was done is skipped, what failed is
    tried again. Exit status: 0 if every item this run took was checked, 1 if some failed, 2 on
    an error."""
    from bastion.audit import cli_actor
    from bastion.pipeline.scan import Scanner, ScanPlan
    from bastion.scanning.store import default_name

    cli: CliContext = ctx.obj
    storage: dict[str, Any] = {}
    if endpoint_url:
        storage["endpoint_url"] = endpoint_url
    plan = ScanPlan(
        source=source,
        name=name or default_name(source),
        act=not dry_run,
        retry_failed=retry_failed,
        batch=batch,
        storage_options=storage,
    )
    scanner = Scanner(cli.bastion, workers=workers, scheduler=scheduler)
    with _progress(cli) as bar:
        watch = _Watch(cli, bar)
        try:
            outcome = scanner.run(plan, actor=cli_actor(), progress=watch)
        except KeyboardInterrupt:
            bar.stop()
            cli.err.print(
                f"interrupted: run the same command again to resume scan {plan.name!r}",
                markup=False,
            )
            raise typer.Exit(130) from None
    _summary(cli, outcome)
    _acted(cli, outcome.result.queued)
    if outcome.result.failed:
        raise typer.Exit(1)


@app.command("list")
def list_scans(ctx: typer.Context) -> None:
    """Every scan, newest first, with its counts."""
    cli: CliContext = ctx.obj
    store = cli.bastion.scans
    table = Table("name", "state", "items", "done", "failed", "pending", "matched", "started")
    for s in store.list():
        c = store.counts(s.id)
        table.add_row(
            s.name, s.state, f"{c.total:,}", f"{c.done:,}", f"{c.failed:,}", f"{c.pending:,}",
            f"{c.matched:,}", s.created_at.strftime("%Y-%m-%d %H:%M"),
        )  # fmt: skip
    cli.out.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The scan's name (scans list)."),
) -> None:
    """A scan's source, state and counts, and the errors of its failed items."""
    cli: CliContext = ctx.obj
    store = cli.bastion.scans
    s = store.get(name)
    c = store.counts(s.id)
    cli.out.print(f"scan {s.name}: {s.state}, source {s.source}", markup=False)
    cli.out.print(
        f"{c.total:,} items: {c.done:,} done ({c.matched:,} matched, {c.queued:,} actions "
        f"queued), {c.failed:,} failed, {c.pending:,} pending",
        markup=False,
    )
    failures = store.failures(s.id)
    if failures:
        table = Table("item", "attempts", "error")
        for f in failures:
            table.add_row(f.key, str(f.attempts), f.error)
        cli.out.print(table)


@app.command("retro")
def retro(ctx: typer.Context) -> None:
    """Match the entries banks gained since the last run against the content kept from
    earlier checks (setting checked_retention_days), and act on what now matches. The
    service's worker does this every 10 seconds."""
    from bastion.pipeline.retroactive import Retroactive

    cli: CliContext = ctx.obj
    if cli.settings.checked_retention_days <= 0:
        cli.err.print(
            "checked_retention_days is 0: no checked content is kept to match "
            "(set it, e.g. BASTION_CHECKED_RETENTION_DAYS=365)",
            markup=False,
        )
    found = Retroactive(cli.bastion).run()
    cli.out.print(
        f"{found.changes:,} bank changes, {found.new_signals:,} new signals; "
        f"{found.candidates:,} kept items near them, {found.matched:,} matched after the "
        f"fact ({found.queued:,} actions queued) in {found.seconds:.1f} s",
        markup=False,
    )
    _acted(cli, found.queued)


class _Watch:
    """The scan's progress, on a rich progress bar."""

    def __init__(self, cli: CliContext, bar: RichProgress) -> None:
        self.cli = cli
        self.bar = bar
        self.task = bar.add_task("listing", total=None, matched=0, failed=0)
        self.matched = self.failed = 0

    def listed(self, listed: Listed, todo: int) -> None:
        self.bar.console.print(
            f"listed {listed.total:,} items ({listed.new:,} new, {listed.changed:,} changed); "
            f"{todo:,} to check",
            markup=False,
        )
        self.bar.update(self.task, description="checking", total=todo, completed=0)

    def started(self, dashboard: str | None, workers: int) -> None:
        where = f"on {workers} Dask worker(s)" if workers else "in this process"
        self.bar.console.print(
            f"checking {where}" + (f"; dashboard: {dashboard}" if dashboard else ""),
            markup=False,
        )

    def advanced(self, result: BatchResult) -> None:
        self.matched += result.matched
        self.failed += result.failed
        self.bar.update(
            self.task,
            advance=result.done + result.failed + result.skipped,
            matched=self.matched,
            failed=self.failed,
        )


def _progress(cli: CliContext) -> RichProgress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.1f}/s")

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        Rate(),
        TextColumn("matched {task.fields[matched]:,}  errors {task.fields[failed]:,}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=cli.err,
        transient=False,
    )


def _summary(cli: CliContext, outcome: ScanOutcome) -> None:
    r, c = outcome.result, outcome.counts
    where = "on Dask" if outcome.ran_on == "dask" else "in this process"
    rate = (r.done + r.failed) / outcome.seconds if outcome.seconds > 0 else 0.0
    cli.out.print(
        f"scan {outcome.scan.name}: {outcome.scan.state}. This run: {r.done:,} checked, "
        f"{r.failed:,} failed, {r.matched:,} matched, {r.queued:,} actions queued "
        f"({rate:,.1f} items/s {where}). In all: {c.done:,} of {c.total:,} done, "
        f"{c.failed:,} failed" + (f" (bastion scans show {outcome.scan.name})" if c.failed else ""),
        markup=False,
    )
