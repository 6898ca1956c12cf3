"""`bastion bench robustness`: what a configuration catches when copies are edited."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

app = typer.Typer(help="Benchmarks anyone can rerun.", no_args_is_help=True)


@app.command("robustness")
def robustness(
    ctx: typer.Context,
    photos: list[Path] | None = typer.Option(
        None,
        "--photos",
        metavar="DIR",
        help="A folder of benign photos (repeatable; default: the photos shipped with "
        "scikit-image, perception and matplotlib where installed, and generated fixtures).",
    ),
    fixtures: int = typer.Option(
        60, "--fixtures", min=0, max=10_000, help="Generated fixtures added to the defaults."
    ),
    transform: list[str] | None = typer.Option(
        None,
        "--transform",
        "-t",
        metavar="NAME",
        help="Only this transform (repeatable; default: all).",
    ),
    family: list[str] | None = typer.Option(
        None,
        "--family",
        "-f",
        metavar="NAME",
        help="Every member of this family: jpeg, resize, crop, pad, tilt, dihedral, filter, "
        "colour, overlay, screenshot, chain (repeatable; default: all).",
    ),
    out: Path = typer.Option(
        Path("robustness-report"),
        "--out",
        "-o",
        metavar="DIR",
        help="Folder for report.md and its charts.",
    ),
    perception: bool = typer.Option(
        True,
        "--perception/--no-perception",
        help="Also score perception's PDQ and pHash, when it is installed. Default: on.",
        show_default=False,
        rich_help_panel="Anchors",
    ),
    seed: int = typer.Option(7, "--seed", help="Seed for the split and the transforms."),
) -> None:
    """Edit benign photos (each edit a family of members: crops, pads, tilts, screenshots,
    JPEG, ...), hash them through the real pipeline, and report recall at 99.99% precision
    per transform, per family and per bank configuration, with µAP, distance histograms and
    expected false matches at 10M."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from bastion.robustness import bench, report

    cli: CliContext = ctx.obj
    chosen = bench.choose_transforms(transform, family)
    candidates, unreadable = bench.candidates(cli.settings, photos or [], fixtures)
    for problem in unreadable:
        cli.err.print(f"skipped {problem}", markup=False)
    with Progress(
        TextColumn("hashing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=cli.err,
        transient=True,
        disable=not cli.err.is_terminal,
    ) as progress:
        task = progress.add_task("hashing", total=None)
        result = bench.run(
            cli.settings,
            candidates,
            unreadable=unreadable,
            transforms=chosen,
            perception=perception,
            seed=seed,
            on_start=lambda total: progress.update(task, total=total),
            on_image=lambda: progress.advance(task),
        )
    path = report.write(result, out)
    table = Table("hasher", "configuration", "recall", "at thr", "µAP", "targets met")
    for s in result.scores:
        met = report.targets(s).values()
        table.add_row(
            s.hasher,
            s.configuration,
            f"{s.recall_operating:.1%}",
            str(s.operating_threshold),
            f"{s.micro_ap:.3f}",
            f"{sum(m for *_, m in met)} of {len(met)}",
        )
    cli.out.print(table)
    cli.out.print(
        f"{len(result.photos.references)} references, {len(result.photos.distractors)} "
        f"distractors, {len(chosen)} transforms, {result.seconds:.0f} s; report: {path}",
        markup=False,
    )
