"""Every setting and command is documented."""

from __future__ import annotations

from pathlib import Path

import typer.main

from bastion import settings_reference
from bastion.cli.app import app
from bastion.settings import SETTINGS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_configuration_reference_is_generated_from_the_settings_table() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert page == settings_reference.updated(page), (
        f"docs/configuration.md is stale: run {settings_reference.REGENERATE}"
    )
    for setting in SETTINGS:
        assert f"| `{setting.name}` | `{setting.env_var}` |" in page, setting.name


def test_the_reference_keeps_the_prose_around_the_table() -> None:
    page = f"intro\n\n{settings_reference.BEGIN}\nold table\n{settings_reference.END}\n\nafter\n"
    fresh = settings_reference.updated(page)
    assert fresh.startswith(f"intro\n\n{settings_reference.BEGIN}\n| setting |")
    assert fresh.endswith(f"|\n{settings_reference.END}\n\nafter\n")
    assert "old table" not in fresh
    assert settings_reference.updated(fresh) == fresh


def test_the_reference_command_checks_and_rewrites(tmp_path: Path) -> None:
    page = tmp_path / "configuration.md"
    page.write_text(f"# Configuration\n{settings_reference.BEGIN}\n{settings_reference.END}\n")
    assert settings_reference.main(["--check", str(page)]) == 1
    assert settings_reference.main([str(page)]) == 0
    assert settings_reference.main(["--check", str(page)]) == 0
    assert "| `pdq_threshold` | `BASTION_PDQ_THRESHOLD` | `31` |" in page.read_text()
    page.write_text("no markers\n")
    assert settings_reference.main([str(page)]) == 2


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    group = typer.main.get_group(app)

    def walk(command: object, prefix: str) -> list[str]:
        sub = getattr(command, "commands", None)
        if not sub:
            return [prefix]
        return [p for name, c in sub.items() for p in walk(c, f"{prefix} {name}")]

    commands = walk(group, "bastion")
    assert "bastion bank import" in commands
    for command in commands:
        assert f"## {command}" in text, command


def test_every_problem_type_is_in_the_error_table() -> None:
    """Each error a route can answer with has its `type` in docs/api.md's table."""
    import bastion.web.app  # noqa: F401 (imports every module whose errors reach a route)
    from bastion.errors import BastionError

    text = (DOCS / "api.md").read_text()
    table = text[text.index("## Errors") :]
    found: list[type[BastionError]] = []
    pending = [BastionError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    # The base class's code is never raised; "hma" errors answer HMA's {"message": ...}.
    codes = {cls.code for cls in found} - {"bastion-error", "hma"}
    assert "forbidden-address" in codes
    missing = sorted(c for c in codes if f"`/problems/{c}`" not in table)
    assert missing == []
