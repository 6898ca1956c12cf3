"""`bastion demo`: hash benign sample images into a bank and match altered copies against it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext


def demo(
    ctx: typer.Context,
    keep: Path | None = typer.Option(
        None, "--keep", metavar="DIR", help="Keep the demo's images and database in this directory."
    ),
) -> None:
    """Run a self-contained demo on generated benign images (your data is not touched)."""
    cli: CliContext = ctx.obj
    if keep is not None:
        _run(cli, keep)
        return
    with tempfile.TemporaryDirectory(prefix="bastion-demo-") as tmp:
        _run(cli, Path(tmp))


def _run(cli: CliContext, root: Path) -> None:
    from PIL import Image, ImageEnhance

    from bastion.pipeline import Bastion
    from bastion.samples import write_samples
    from bastion.settings import Settings

    out = cli.out
    settings = Settings.load(data_dir=root / "data", pdq_mode=cli.pdq_mode)
    out.print(f"[bold]bastion demo[/bold]  (data in {root})")
    known = write_samples(root / "known", range(1, 7))
    unrelated = write_samples(root / "unrelated", range(101, 104))
    altered_dir = root / "altered"
    altered_dir.mkdir(exist_ok=True)
    altered = []
    for path, change in zip(known[:3], ("resized", "re-encoded", "brightened"), strict=True):
        image: Image.Image = Image.open(path)
        if change == "resized":
            image = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
        elif change == "brightened":
            image = ImageEnhance.Brightness(image).enhance(1.2)
        target = altered_dir / f"{path.stem}-{change}.{'png' if change == 're-encoded' else 'jpg'}"
        image.save(target, quality=70)
        altered.append(target)

    bastion = Bastion(settings)  # as every command and the service
    try:
        options = bastion.store.create_bank(
            "demo-known", description="Benign sample images standing in for known content"
        ).matching
        for p in known:
            content = bastion.hash_file(p, options=options, variants=options.variants)
            bastion.add_to_bank(
                "demo-known", content, metadata={"filename": p.name}, added_by="demo"
            )
        out.print(f"1. hashed {len(known)} sample images into bank [bold]demo-known[/bold]")

        table = Table("query", "what it is", "result", "distance")
        table.columns[0].no_wrap = True
        for path, what in [
            *((p, "altered copy") for p in altered),
            *((p, "unrelated image") for p in unrelated),
        ]:
            matches = bastion.check_content(bastion.hash_file(path, for_matching=True)).matches
            best = min(
                (m for m in matches if m.signal_type == "pdq"),
                key=lambda m: m.distance,
                default=None,
            )
            table.add_row(
                path.name,
                what,
                f"[green]match[/green] {best.metadata.get('filename')}" if best else "no match",
                str(best.distance) if best else "-",
            )
        out.print("2. matched altered copies and unrelated images against the bank:")
        out.print(table)
        out.print(
            "Try it on your own files:  bastion bank create my-bank  &&  "
            "bastion bank add my-bank IMAGE...  &&  bastion match IMAGE...",
            markup=False,
        )
    finally:
        bastion.close()
