"""`bastion collab ...`: publish banks to partner instances (bastion-to-bastion federation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

app = typer.Typer(
    help="Collaborations: banks this instance publishes to partners, as a signed feed.",
    no_args_is_help=True,
)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Collaboration name (partners use it in URLs)."),
    bank: list[str] = typer.Option(
        ..., "--bank", "-b", metavar="BANK", help="A bank to publish; repeatable."
    ),
    description: str = typer.Option("", "--description", "-d", help="What it is."),
    include_fetched: bool = typer.Option(
        False,
        "--include-fetched",
        help="Also pass on entries fetched from other exchanges (off: a received list is "
        "not re-shared by accident).",
    ),
) -> None:
    """Publish banks under a collaboration; add partners with `bastion collab add-partner`."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    made = cli.bastion.collabs.create(
        name, bank, description=description, include_fetched=include_fetched, actor=cli_actor()
    )
    cli.out.print(f"created collaboration {made.name}: {', '.join(made.banks)}", markup=False)


@app.command("list")
def list_collabs(ctx: typer.Context) -> None:
    """Collaborations with their banks and partners."""
    cli: CliContext = ctx.obj
    table = Table("name", "banks", "partners", "fetched entries", "generation")
    for c in cli.bastion.collabs.list():
        table.add_row(
            c.name,
            ", ".join(c.banks),
            ", ".join(c.partners) or "-",
            "passed on" if c.include_fetched else "kept back",
            str(c.generation),
        )
    cli.out.print(table)


@app.command("set-banks")
def set_banks(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Collaboration name."),
    bank: list[str] = typer.Option(
        ..., "--bank", "-b", metavar="BANK", help="A bank to publish; repeatable."
    ),
) -> None:
    """Publish exactly these banks; partners read the collaboration again from the start
    (and drop what is no longer shared)."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    changed = cli.bastion.collabs.set_banks(name, bank, actor=cli_actor())
    cli.out.print(f"{changed.name} now publishes {', '.join(changed.banks)}", markup=False)


@app.command("add-partner")
def add_partner(
    ctx: typer.Context,
    collab: str = typer.Argument(..., help="Collaboration name."),
    partner: str = typer.Argument(..., help="The partner's name."),
) -> None:
    """Add a partner and print its API key (once) and what it needs to subscribe."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    made = cli.bastion.collabs.add_partner(collab, partner, actor=cli_actor())
    key = cli.settings.signing_key()
    cli.err.print(f"partner {partner} added to {collab}; its API key (shown once):")
    cli.out.print(made.secret, markup=False)
    cli.err.print(
        "The partner subscribes with:\n"
        f"  bastion exchange add {collab} --kind bastion --bank BANK "
        f"--set url=https://THIS-SERVICE --set collab={collab} --set public_key={key.public} "
        "--credential api_key=THE-KEY-ABOVE",
        markup=False,
    )


@app.command("remove-partner")
def remove_partner(
    ctx: typer.Context,
    collab: str = typer.Argument(..., help="Collaboration name."),
    partner: str = typer.Argument(..., help="The partner's name."),
) -> None:
    """Remove a partner and revoke its key: a running service refuses the key within
    api_key_cache_seconds (default 5 s)."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.bastion.collabs.remove_partner(collab, partner, actor=cli_actor())
    cli.out.print(f"removed partner {partner} from {collab}; its key is revoked", markup=False)


@app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="Collaboration name.")) -> None:
    """Stop publishing the collaboration; its partners' keys are revoked."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.bastion.collabs.remove(name, actor=cli_actor())
    cli.out.print(f"removed collaboration {name}", markup=False)


@app.command("key")
def key(ctx: typer.Context) -> None:
    """The public key partners configure (`public_key`) to check what this instance signs."""
    cli: CliContext = ctx.obj
    signing = cli.settings.signing_key()
    cli.out.print(signing.public, markup=False)
    cli.err.print(f"key id {signing.id}", markup=False)


@app.command("feedback")
def feedback(
    ctx: typer.Context, name: str = typer.Argument(..., help="Collaboration name.")
) -> None:
    """Partners' feedback on what this instance published, newest first."""
    cli: CliContext = ctx.obj
    table = Table("id", "partner", "entry", "opinion", "note", "received")
    for f in cli.bastion.collabs.feedback(name):
        table.add_row(
            str(f.id), f.partner, str(f.entry_id), f.opinion, f.note,
            f.received_at.strftime("%Y-%m-%d %H:%M:%S"),
        )  # fmt: skip
    cli.out.print(table)
