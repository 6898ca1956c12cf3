"""`bastion report ...` against a fresh data directory and the fake CyberTipline: the
profile and credentials, a draft from reported decisions, sending it, its history, the
preservation package, and the errors a person meets."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.pipeline import Bastion
from bastion.settings import Settings
from tests.cli.conftest import CliRunner
from tests.reporting.conftest import cybertipline_xsd as cybertipline_xsd  # a fixture
from tests.reporting.conftest import fake_cybertipline as fake_cybertipline  # a fixture
from tests.reporting.fake_cybertipline import FakeCyberTipline
from tests.reporting.flow import report_matches, service


@pytest.fixture
def bastion(
    settings: Settings, fake_cybertipline: FakeCyberTipline, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bastion]:
    monkeypatch.setenv("BASTION_CYBERTIPLINE_URL", fake_cybertipline.url)
    built = service(settings, fake_cybertipline)
    yield built
    built.close()


def test_profile_and_credentials(
    cli: CliRunner, bastion: Bastion, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = json.loads(cli("report", "profile", "--json").out)
    assert (shown["reporter_email"], shown["credentials_set"]) == ("reports@example.org", True)
    changed = cli("report", "profile", "--set", "approval_required=true", "--set", "platform=Forum")
    assert changed.code == 0, changed.err
    assert "approval_required: True" in changed.out
    bad = cli("report", "profile", "--set", "environment=staging")
    assert (bad.code, bad.err.strip()) == (2, "error: environment must be one of test, production")
    unknown_bank = cli("report", "profile", "--set", "report_bank=nope")
    assert unknown_bank.code == 2
    assert "nope" in unknown_bank.err
    monkeypatch.setattr("sys.stdin", io.StringIO("a-new-secret-password\n"))
    stored = cli("report", "credentials", "--username", "esp2", "--password-stdin")
    assert stored.code == 0, stored.err
    assert "a-new-secret-password" not in stored.out + stored.err
    assert bastion.reporting.profiles.credentials().username == "esp2"
    actions = [e.action for e in bastion.audit.list(action="reporting.credentials")]
    assert len(actions) == 2  # the service's set-up, and this


def test_check_says_whether_the_cybertipline_takes_the_credentials(
    cli: CliRunner, bastion: Bastion
) -> None:
    ok = cli("report", "check")
    assert ok.code == 0, ok.err
    assert "esp" in ok.out  # NCMEC's status line names the user
    bastion.reporting.set_credentials("esp", "wrong-password", "test")
    refused = cli("report", "check")
    assert refused.code == 2
    assert "2000" in refused.err
    assert "wrong-password" not in refused.err


def test_a_report_from_draft_to_package(
    cli: CliRunner, bastion: Bastion, fake_cybertipline: FakeCyberTipline, tmp_path: Path
) -> None:
    reported = report_matches(bastion, (1, 2))
    report_id = reported.report.id
    listed = cli("report", "list")
    assert listed.code == 0, listed.err
    assert "draft" in listed.out
    shown = cli("report", "show", str(report_id))
    assert "photo-0.jpg (pending, B2)" in shown.out
    refused = cli("report", "export", str(report_id), "-o", tmp_path / "early.zip")
    assert (refused.code, "only a finished report" in refused.err) == (2, True)
    sent = cli("report", "send", str(report_id), "--now")
    assert sent.code == 0, sent.err
    assert sent.out.strip() == f"report {report_id} is finished"
    detail = json.loads(cli("report", "show", str(report_id), "--json").out)
    assert detail["status"] == "finished"
    assert detail["incident"]["type"] == "csam"
    assert [e["step"] for e in detail["events"]][-1] == "after"
    assert detail["remote_id"] in fake_cybertipline.reports
    out = tmp_path / "package.zip"
    exported = cli("report", "export", str(report_id), "-o", out, "--without-media")
    assert exported.code == 0, exported.err
    with zipfile.ZipFile(out) as z:
        assert not [n for n in z.namelist() if n.startswith("files/")]
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["media_included"] is False
    assert len(manifest["files"]) == 2
    again = cli("report", "retract", str(report_id))
    assert again.code == 2
    assert "finished" in again.err


def test_approval_from_the_command_line_names_a_lead(cli: CliRunner, bastion: Bastion) -> None:
    bastion.reporting.update_profile("test", approval_required=True)
    bastion.users.create("lee", "lead", actor="test")
    bastion.users.create("bo", "reviewer", actor="test")
    report_id = report_matches(bastion, (1,)).report.id
    waiting = cli("report", "send", str(report_id), "--as", "ada")
    assert waiting.out.strip() == f"report {report_id} is awaiting approval"
    by_reviewer = cli("report", "approve", str(report_id), "--as", "bo")
    assert by_reviewer.code != 0
    assert "may not approve" in by_reviewer.err
    approved = cli("report", "approve", str(report_id), "--as", "lee")
    assert approved.out.strip() == f"report {report_id} is queued"
    worked = cli("report", "work")
    assert worked.out.strip() == "1 report(s) advanced"
    assert bastion.reporting.store.get(report_id).status.value == "finished"
