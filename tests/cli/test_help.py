"""`bastion ... --help` as a new user reads it: quick to start, values named as they are
typed, prose that fits 80 columns, and in step with docs/cli.md and the domain's names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
import typer.main
from rich.text import Text
from typer.core import TyperArgument

from bastion import __version__
from bastion.cli import bank_cmd, exchange_cmd, key_cmd
from bastion.cli.app import app, main
from bastion.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: What a command module must not import to build the command tree: each costs from tens
#: of milliseconds (httpx) to a second (numpy, SQLAlchemy and FastAPI together).
HEAVY = (
    "numpy", "sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "pydantic",
    "uvicorn", "httpx", "PIL", "av", "cryptography", "jinja2", "prometheus_client",
)  # fmt: skip

ROOT = typer.main.get_command(app)


def commands(command: Any = ROOT, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group below the root, with the words that name it."""
    found = []
    for name, sub in getattr(command, "commands", {}).items():
        found.append(((*path, name), sub))
        found.extend(commands(sub, (*path, name)))
    return found


COMMANDS = commands()
LEAVES = [(path, c) for path, c in COMMANDS if not getattr(c, "commands", None)]


def help_text(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main([*path, "--help"])
    assert exit_info.value.code in (0, None)
    return capsys.readouterr().out


def test_help_and_version_load_no_heavy_library(tmp_path: Path) -> None:
    """Each invocation runs in one fresh interpreter, in order; the report says after which
    one a heavy library was first loaded."""
    invocations = [["--version"], ["--help"]] + [[*path, "--help"] for path, _ in COMMANDS]
    report = tmp_path / "report.json"
    script = f"""
import json, sys
from bastion.cli.app import main
loaded = {{}}
for argv in {invocations!r}:
    try:
        main(argv)
    except SystemExit:
        pass
    loaded[" ".join(argv)] = sorted(m for m in {HEAVY!r} if m in sys.modules)
open({str(report)!r}, "w").write(json.dumps(loaded))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    loaded = json.loads(report.read_text())
    assert list(loaded) == [" ".join(argv) for argv in invocations]
    assert loaded == {argv: [] for argv in loaded}


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_help_fits_80_columns_and_names_values_as_typed(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = help_text(path, capsys, monkeypatch)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # rich cuts what does not fit in a table's column
    # Typer's own names for Python types, e.g. <str>, <bool>, <list[Path]>.
    assert not re.search(r"<[A-Za-z_]+(\[[^\]]*\])?>", text), text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert not re.search(r"[{}]", usage), usage


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_help_paragraphs_are_single_lines_for_the_terminal_to_wrap(
    path: tuple[str, ...],
) -> None:
    """A line break inside a paragraph would print as is: mid-sentence at 80 columns."""
    command = dict(COMMANDS)[path]
    for paragraph in (command.help or "").split("\n\n"):
        assert "\n" not in paragraph, paragraph


def test_help_holds_no_accidental_rich_markup() -> None:
    """Typer reads help as rich markup: `[default: on]` would vanish from the page."""
    texts = [c.help or "" for _, c in COMMANDS]
    texts += [p.help or "" for _, c in COMMANDS for p in c.params]
    for text in texts:
        assert Text.from_markup(text).plain == text


def test_docs_head_each_command_with_its_usage() -> None:
    headings = {line for line in (DOCS / "cli.md").read_text().splitlines() if line[:3] == "## "}
    ctx = typer.Context(ROOT)
    for path, command in LEAVES:
        arguments = [
            piece
            for param in command.params
            if isinstance(param, TyperArgument)
            for piece in param.get_usage_pieces(ctx)
        ]
        heading = " ".join(["## bastion", *path, *arguments])
        assert heading in headings, heading


def test_choices_written_out_in_the_cli_match_the_domain() -> None:
    from bastion.auth import Scope
    from bastion.exchange.api import Opinion
    from bastion.exchange.formats import HashListFormat
    from bastion.web.app import ROLES

    assert get_args(bank_cmd.FormatName) == tuple(f.value for f in HashListFormat)
    assert get_args(exchange_cmd.OpinionName) == tuple(o.value for o in Opinion)
    assert set(re.findall(r"\w+", key_cmd.SCOPES)) - {"or"} == {s.value for s in Scope}
    serve = dict(COMMANDS)[("serve",)]
    roles_help = next(p.help for p in serve.params if p.name == "roles")
    assert all(role in roles_help for role in ROLES)


def test_key_revoke_says_how_soon_a_running_service_refuses_the_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (cache,) = [s for s in SETTINGS if s.name == "api_key_cache_seconds"]
    text = " ".join(help_text(("key", "revoke"), capsys, monkeypatch).split())
    assert f"within api_key_cache_seconds (default {cache.default:g} s)" in text
    assert "at once" not in text
    docs = " ".join((DOCS / "cli.md").read_text().split())
    assert f"`api_key_cache_seconds` (default {cache.default:g})" in docs


def test_match_help_says_it_acts_unless_dry_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = " ".join(help_text(("match",), capsys, monkeypatch).split())
    assert "the matched banks' actions run" in text
    assert "--dry-run" in text
    assert "runs no actions" not in text


def test_the_console_script_answers_version_without_building_the_command_line() -> None:
    script = """
import sys
sys.argv = ["bastion", "--version"]
from bastion.cli.entry import main
main()
print(sorted(m for m in ("typer", "rich", "bastion.cli.app") if m in sys.modules))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.splitlines() == [f"bastion {__version__}", "[]"]
