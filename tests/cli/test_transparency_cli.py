"""`bastion transparency`: files matched from the command line are counted as checks through
its door, and the report comes out as JSON, CSV or an HTML page, on standard output or into a
file; a period that ends before it starts is one line and exit status 2."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from bastion.samples import write_samples
from tests.cli.conftest import CliRunner

THIS_YEAR = datetime.now(UTC).year
PERIOD = ("--from", f"{THIS_YEAR}-01-01", "--to", f"{THIS_YEAR + 1}-01-01")


def test_checks_from_the_command_line_are_in_the_report(cli: CliRunner, tmp_path: Path) -> None:
    images = write_samples(tmp_path / "images", range(1, 13))
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", images[0]).code == 0
    assert cli("match", *images).code == 0  # 12 checked, 1 matched
    assert cli("lookup", "text", "nothing to see here").code == 1

    run = cli("transparency", *PERIOD, "--suppress-below", "1")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    checked = doc["sections"]["content_checked"]
    assert checked["by_door"]["cli"] == {"value": 13, "suppressed": False}
    assert checked["by_kind"]["image"] == {"value": 12, "suppressed": False}
    assert checked["by_kind"]["text"] == {"value": 1, "suppressed": False}
    assert checked["matched"] == {"value": 1, "suppressed": False}
    assert doc["sections"]["matches"]["by_bank"]["known"]["value"] == 3  # pdq, md5, sha256
    assert doc["unavailable"] == []
    assert doc["sections"]["reports"]["filed"] == {"value": 0, "suppressed": False}

    default = json.loads(cli("transparency", *PERIOD).out)
    assert default["suppress_below"] == 10
    assert default["sections"]["content_checked"]["matched"] == {"value": None, "suppressed": True}

    table = cli("transparency", *PERIOD, "--format", "csv")
    rows = {(r["section"], r["name"]): r["value"] for r in csv.DictReader(io.StringIO(table.out))}
    assert rows[("content_checked", "by_door/cli")] == "13"
    assert rows[("content_checked", "matched")] == "<10"

    page = tmp_path / "out" / "report.html"
    page.parent.mkdir()
    written = cli("transparency", *PERIOD, "--format", "html", "--output", page)
    assert written.code == 0, written.err
    assert written.out == ""
    assert "wrote the report" in written.err
    html = page.read_text()
    assert html.startswith("<!doctype html>")
    assert "<svg" in html
    assert "<script" not in html


def test_a_period_that_ends_before_it_starts_is_one_line(cli: CliRunner) -> None:
    run = cli("transparency", "--from", "2027-01-01", "--to", "2026-01-01")
    assert run.code == 2
    assert run.err.strip() == (
        "error: the period must end after it starts (from 2027-01-01 to 2026-01-01)"
    )
    bad = cli("transparency", "--from", "January")
    assert bad.code == 2
    assert bad.err.strip() == "error: from: 'January' is not a date (YYYY-MM-DD)"
