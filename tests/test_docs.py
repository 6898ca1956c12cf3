"""Every setting and command is documented."""

from __future__ import annotations

import re
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


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*\*|\[([^]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_every_link_between_the_docs_leads_somewhere() -> None:
    """Relative links and images in the README and docs/ name files that exist, and a
    `#part` names a heading of that page."""
    root = DOCS.parent
    broken = []
    for page in [root / "README.md", *sorted(DOCS.glob("*.md"))]:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not checked here
            path, _, part = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif part and linked.suffix == ".md" and part not in _anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
