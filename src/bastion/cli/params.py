"""Typer's parameters as bastion shows and reads them: named as a user types them, and
cheap to have.

Typer's help shows each value's Python type (`<str>`, `<list[Path]>`, and `<bool>` beside a
flag that takes no value), braces around required arguments in the usage line (`{bank}`),
and, with rich markup, keeps every line break of a docstring, so a paragraph wrapped at 100
columns in the source breaks mid-sentence in an 80-column terminal. And before it passes an
absent option's None on to a command, typer builds a pydantic validator for its type (0.1 s
of imports), even for `bastion bank --help`.

`RootGroup`, the root command's class, mends the built command tree once: an argument shows
its metavar alone (`BANK`, `FILE...`, `[NAME]` when optional), an option its metavar
(declared, else `TEXT`, `N`, `NUMBER`, `PATH` or its choices `a|b`), a flag none; help
paragraphs become single lines that the terminal's width wraps (a paragraph whose first line
holds only ``\\b`` keeps its line breaks); and a parameter given no value is passed on as
typer would pass it, without the validator.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:
    from typer import _click  # the click that typer vendors: its methods' context type

#: The metavar of an option whose value is of this type, when it declares none.
_TYPE_METAVARS: dict[Any, str] = {str: "TEXT", int: "N", float: "NUMBER", Path: "PATH"}


class RootGroup(TyperGroup):
    """The root command: on construction it mends every command below it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        mend(self)


class Argument(TyperArgument):
    """An argument named by its metavar alone, in the usage line and the arguments table."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None

    def get_usage_pieces(self, ctx: _click.Context) -> list[str]:
        return [self.display_name_raw if self.required else f"[{self.display_name_raw}]"]

    def process_value(self, ctx: _click.Context, value: Any) -> Any:
        if value is None and not self.required:
            return _absent(self, ctx)
        return super().process_value(ctx, value)


class Option(TyperOption):
    """An option whose absence costs nothing."""

    def process_value(self, ctx: _click.Context, value: Any) -> Any:
        if value is None and not self.required:
            return _absent(self, ctx)
        return super().process_value(ctx, value)


def _absent(param: Argument | Option, ctx: _click.Context) -> Any:
    """What typer passes on for a parameter given no value: None, or () for one that takes
    several, through the parameter's callback."""
    value = () if param.multiple or param.nargs == -1 else None
    return param.callback(ctx, param, value) if param.callback is not None else value


def mend(command: TyperCommand | TyperGroup) -> None:
    """Mend `command`'s help and parameters, then those of its subcommands."""
    command.help = unwrapped(command.help)
    for param in command.params:
        # Typer builds its own parameter objects; these classes change how they show and
        # when their validator is built, nothing they hold.
        if isinstance(param, TyperArgument):
            param.__class__ = Argument
            if param.metavar is None:
                param.metavar = param.name.upper() if param.name else "VALUE"
                if param.nargs != 1:
                    param.metavar += "..."
        elif isinstance(param, TyperOption):
            param.__class__ = Option
            if param.metavar is None:
                param.metavar = "" if param.is_flag else _option_metavar(param)
    # Made on first use otherwise; made now (and kept by the command) to mend it too.
    help_option = command.get_help_option(typer.Context(command))
    if help_option is not None:
        help_option.__class__ = Option
        help_option.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        mend(sub)


def unwrapped(text: str | None) -> str | None:
    """`text` with each paragraph on one line (bar the ``\\b`` ones), for rich to wrap."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p.removeprefix("\b\n") if p.startswith("\b\n") else " ".join(p.split("\n"))
        for p in paragraphs
    )


def _option_metavar(option: TyperOption) -> str:
    described = option.type_descriptor
    if described.choices is not None:
        return "|".join(str(c) for c in described.choices)
    value_type = described.annotation
    if described.is_list:
        (value_type,) = get_args(value_type)
    return _TYPE_METAVARS.get(value_type, "VALUE")
