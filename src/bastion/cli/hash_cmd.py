"""`bastion hash FILE...`: print the signals of media files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.output import content_json, dumps

if TYPE_CHECKING:
    from bastion.cli.context import CliContext
    from bastion.signals import Signal


def hash_files(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ..., metavar="FILE...", help="Image or video files to hash.", show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array, one object per file."),
    signal_type: str | None = typer.Option(
        None,
        "--signal-type",
        "-s",
        metavar="TYPE",
        help="Print only this signal type as 'TYPE VALUE' lines (ThreatExchange local_file).",
    ),
) -> None:
    """Hash media files: images get PDQ (with quality), MD5 and SHA-256; videos get video
    MD5, SHA-256, vPDQ and TMK+PDQF (long values are shown by their key; --json and -s print
    them whole).

    Exits 2 if any file could not be hashed; the others are still printed.
    """
    cli: CliContext = ctx.obj
    documents = []
    failed = 0
    for path, content in cli.hash_each(files):
        if content is None:
            failed += 1
            continue
        if as_json:
            documents.append(content_json(content))
        elif signal_type is not None:
            wanted = content.signal(signal_type.strip().lower())
            if wanted is None:
                cli.err.print(f"error: no {signal_type!r} signal for {path}", markup=False)
                failed += 1
                continue
            cli.out.print(f"{wanted.type} {wanted.value}", markup=False)
        else:
            length = f", {content.seconds:.1f} s" if content.seconds is not None else ""
            cli.out.print(
                f"{path}  ({content.format} {content.width}x{content.height}{length})",
                markup=False,
            )
            for s in content.signals:
                quality = f"  quality {s.quality}" if s.quality is not None else ""
                shown = s.value if s.key == s.value else f"{s.key}  ({_size_of(s)})"
                cli.out.print(f"  {s.type:<7} {shown}{quality}", markup=False)
            if content.displayed_pdq is not None:
                cli.out.print(
                    f"  {'':<7} {content.displayed_pdq.value}  as displayed "
                    f"(EXIF orientation {content.orientation})",
                    markup=False,
                )
    if as_json:
        cli.out.print(dumps(documents), markup=False)
    if failed:
        raise typer.Exit(2)


def _size_of(signal: Signal) -> str:
    from bastion.signals import VpdqSignal

    if signal.type == VpdqSignal.name:
        return f"{len(VpdqSignal.parse(signal.value))} frames; --json for all"
    return f"{len(signal.value):,} characters; --json for all"
