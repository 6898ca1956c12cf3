"""The configuration reference: docs/configuration.md's table of settings, generated from
`bastion.settings.SETTINGS` so that it cannot drift from what bastion accepts.

    python -m bastion.settings_reference docs/configuration.md          # rewrite the table
    python -m bastion.settings_reference --check docs/configuration.md  # exit 1 when stale

Only the lines between the two marker comments are generated; the prose around them is
written by hand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bastion.errors import ValidationError
from bastion.settings import SETTINGS, Setting

BEGIN = "<!-- settings:begin -->"
END = "<!-- settings:end -->"
#: What the staleness test and `--check` tell a contributor to run.
REGENERATE = "python -m bastion.settings_reference docs/configuration.md"

#: How the reference names a setting's type.
_KINDS: dict[type, str] = {
    bool: "`true` or `false`",
    int: "integer",
    float: "number",
    str: "text",
    Path: "path",
}


def markdown(settings: Iterable[Setting] = SETTINGS) -> str:
    """The settings as a Markdown table, one row each, in the table's order."""
    rows = [
        "| setting | environment variable | default | values | meaning |",
        "|---|---|---|---|---|",
    ]
    for s in settings:
        cells = (f"`{s.name}`", f"`{s.env_var}`", _default(s), _values(s), _meaning(s))
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def updated(page: str, settings: Iterable[Setting] = SETTINGS) -> str:
    """`page` with the text between its markers replaced by the generated table."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValidationError(f"the page has no {BEGIN} ... {END} markers for the table")
    return page[: start + len(BEGIN)] + "\n" + markdown(settings) + page[end:]


def _default(s: Setting) -> str:
    if s.shown_default:
        return s.shown_default
    if s.type is bool:
        return f"`{str(s.default).lower()}`"
    return f"`{s.default}`" if s.default != "" else "empty"


def _values(s: Setting) -> str:
    quoted = [f"`{choice}`" for choice in s.choices]
    if quoted and s.listed:
        return "comma-separated, any of " + ", ".join(quoted)
    if quoted:
        return " or ".join([", ".join(quoted[:-1]), quoted[-1]] if quoted[:-1] else quoted)
    if s.listed:
        return "comma-separated list"
    parts = [_KINDS[s.type]]
    if s.range is not None:
        parts.append(s.range.spelled())
    return " ".join(parts) + (f", {s.unit}" if s.unit else "")


def _meaning(s: Setting) -> str:
    return s.help + (f" CLI: `{s.cli_option}`." if s.cli_option else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bastion.settings_reference",
        description="Regenerate the settings table in the configuration reference.",
    )
    parser.add_argument("page", type=Path, help="the page to update (docs/configuration.md)")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if the table is stale"
    )
    args = parser.parse_args(argv)
    page = args.page.read_text(encoding="utf-8")
    try:
        fresh = updated(page)
    except ValidationError as e:
        print(f"error: {args.page}: {e.message}", file=sys.stderr)
        return 2
    if args.check:
        if fresh != page:
            print(f"{args.page} is stale: run {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    if fresh != page:
        args.page.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
