"""`bastion report ...`: reports to NCMEC's CyberTipline from a terminal: the organisation's
profile and credentials, drafts, sending, approving, retracting, and preservation packages.

Every command calls the same use cases as the API and the console
(`bastion.pipeline.reporting.Reporting`); the audit log names ``cli:<user>``. Nothing here
shows media.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext
    from bastion.reporting.model import Report

app = typer.Typer(
    help="Reports to NCMEC's CyberTipline: profile, drafts, sending, approval, preservation.",
    no_args_is_help=True,
)

StatusName = Literal[
    "draft", "awaiting_approval", "queued", "submitted", "files_uploaded", "details_sent",
    "finished", "retracted", "failed",
]  # fmt: skip


def _actor(as_: str | None) -> str:
    from bastion.audit import cli_actor

    return f"user:{as_}" if as_ else cli_actor()


AS_HELP = "Who acts (a console username), for the audit log; default the operating-system user."


@app.command("list")
def list_reports(
    ctx: typer.Context,
    status: StatusName | None = typer.Option(None, "--status", help="Only reports in this state."),
    case: int | None = typer.Option(None, "--case", help="Only this case's reports."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000, help="How many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List reports, newest first."""
    from bastion.reporting.model import ReportStatus

    cli: CliContext = ctx.obj
    found = cli.bastion.reporting.store.list(
        status=None if status is None else ReportStatus(status), case_id=case, limit=limit
    )
    if as_json:
        cli.out.print(json.dumps([report_json(r) for r in found], indent=2), markup=False)
        return
    if not found:
        cli.out.print("no reports", markup=False)
        return
    table = Table("id", "status", "incident", "case", "files", "NCMEC id", "updated (UTC)", "error")
    for r in found:
        table.add_row(
            str(r.id), r.status.value, r.incident.type.short, str(r.case_id or ""),
            str(len(r.files)), r.remote_id or "", f"{r.updated_at:%Y-%m-%d %H:%M}",
            (r.error or "")[:60],
        )  # fmt: skip
    cli.out.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., metavar="REPORT", help="Report id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a report: what it says, its files, where it stands and its history."""
    cli: CliContext = ctx.obj
    reporting = cli.bastion.reporting
    report = reporting.store.get(report_id)
    events = reporting.store.events(report_id)
    if as_json:
        doc = report_json(report)
        doc["events"] = [
            {"at": e.at.isoformat(), "actor": e.actor, "step": e.step, "outcome": e.outcome,
             "detail": e.detail}
            for e in events
        ]  # fmt: skip
        cli.out.print(json.dumps(doc, indent=2, ensure_ascii=False), markup=False)
        return
    incident = report.incident
    lines = {
        "report": f"{report.id} to {report.sink}, {report.status.value}",
        "NCMEC id": report.remote_id or "-",
        "incident": f"{incident.type.value}, {incident.at:%Y-%m-%d %H:%M} UTC",
        "case": str(report.case_id or "-"),
        "jobs": ", ".join(str(j) for j in report.job_ids) or "-",
        "reporter": "-" if report.reporter is None else report.reporter.email,
        "reported": "-" if report.person is None else (report.person.user_id or "-"),
        "error": report.error or "-",
    }
    for label, value in lines.items():
        cli.out.print(f"{label + ':':<10}{value}", markup=False)
    if incident.description:
        cli.out.print(f"\n{incident.description}", markup=False)
    for f in report.files:
        cli.out.print(
            f"file {f.id}: {f.file_name} ({f.state.value}"
            f"{', ' + f.classification.value if f.classification else ''}"
            f"{', NCMEC file ' + f.remote_id if f.remote_id else ''})",
            markup=False,
        )
    for e in events:
        cli.out.print(f"{e.at:%Y-%m-%d %H:%M:%S} {e.step} {e.outcome} {e.actor}", markup=False)


@app.command("draft")
def open_draft(
    ctx: typer.Context,
    jobs: list[int] = typer.Argument(..., metavar="JOB...", help="Decided jobs to report."),
    as_: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Open a draft reporting decided jobs (a `reported` decision opens one by itself)."""
    cli: CliContext = ctx.obj
    report = cli.bastion.reporting.open_draft(jobs, _actor(as_))
    cli.out.print(f"report {report.id} is a {report.status.value} ({len(report.files)} file(s))")


@app.command("send")
def send(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., metavar="REPORT", help="Report id."),
    as_: str | None = typer.Option(None, "--as", help=AS_HELP),
    now: bool = typer.Option(
        False, "--now", help="Send it from here at once rather than leaving it to the worker."
    ),
) -> None:
    """Ask to send a report: it is checked, completed from the platform's webhook, and
    queued (or waits for approval when the profile asks for one)."""
    cli: CliContext = ctx.obj
    reporting = cli.bastion.reporting
    report = reporting.request(report_id, _actor(as_))
    if now and report.status.sending:
        report = reporting.send_now(report_id, _actor(as_))
    _said(cli, report)


@app.command("approve")
def approve(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., metavar="REPORT", help="Report id."),
    as_: str = typer.Option(..., "--as", help="The lead or admin who approves."),
) -> None:
    """Approve a report someone else asked to send."""
    from bastion.auth import PermissionDeniedError
    from bastion.auth.roles import Permission

    cli: CliContext = ctx.obj
    user = cli.bastion.users.get(as_)
    if user.disabled or not user.allows(Permission.APPROVE_REPORTS):
        raise PermissionDeniedError(f"{as_} may not approve reports (a lead or an admin may)")
    _said(cli, cli.bastion.reporting.approve(report_id, user.actor))


@app.command("retract")
def retract(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., metavar="REPORT", help="Report id."),
    as_: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Retract a report that is not finished yet."""
    cli: CliContext = ctx.obj
    _said(cli, cli.bastion.reporting.retract(report_id, _actor(as_)))


@app.command("work")
def work(ctx: typer.Context) -> None:
    """Send the queued reports that are due now, once (the worker does it every minute)."""
    cli: CliContext = ctx.obj
    advanced = cli.bastion.reporting.send_due("cli")
    cli.out.print(f"{advanced} report(s) advanced")


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Check that the CyberTipline answers and takes the stored credentials."""
    cli: CliContext = ctx.obj
    cli.out.print(cli.bastion.reporting.sink().check(), markup=False)


@app.command("profile")
def profile(
    ctx: typer.Context,
    setting: list[str] | None = typer.Option(
        None, "--set", metavar="NAME=VALUE", help="Change a profile setting (repeatable)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show or change the organisation's reporting profile: environment (test or
    production), destination (cybertipline or a plugin's), reporter_first_name,
    reporter_last_name, reporter_email, reporter_phone, platform, company_template,
    terms_of_service, legal_url, approval_required (true or false), report_bank,
    share_collaboration, info_webhook_url."""
    from dataclasses import asdict

    from bastion.audit import cli_actor
    from bastion.errors import ValidationError

    cli: CliContext = ctx.obj
    reporting = cli.bastion.reporting
    changes: dict[str, Any] = {}
    for pair in setting or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValidationError(f"--set expects NAME=VALUE, got {pair!r}")
        name = name.strip()
        if name == "approval_required":
            if value.lower() not in ("true", "false"):
                raise ValidationError("approval_required must be true or false")
            changes[name] = value.lower() == "true"
        else:
            changes[name] = value
    current = reporting.update_profile(cli_actor(), **changes) if changes else reporting.profile()
    doc = asdict(current)
    doc["credentials_set"] = reporting.profiles.has_credentials()
    if as_json:
        cli.out.print(json.dumps(doc, indent=2), markup=False)
        return
    for name, value in doc.items():
        cli.out.print(f"{name}: {value}", markup=False)


@app.command("credentials")
def credentials(
    ctx: typer.Context,
    username: str = typer.Option(..., "--username", help="The ESP's CyberTipline username."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Store the CyberTipline credentials NCMEC gave, encrypted (see secret_key). The
    password is asked for without echo, or read from standard input."""
    from bastion.audit import cli_actor
    from bastion.errors import ValidationError

    cli: CliContext = ctx.obj
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = typer.prompt("password", hide_input=True)
    else:
        raise ValidationError("no terminal to ask for the password on: use --password-stdin")
    cli.bastion.reporting.set_credentials(username, password, cli_actor())
    cli.out.print("CyberTipline credentials stored (encrypted)")


@app.command("info-secret")
def info_secret(ctx: typer.Context) -> None:
    """Make a new secret that signs requests to the additional-information webhook, and
    print it once (give it to the platform)."""
    from bastion.actions.webhook import new_secret
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    secret = new_secret()
    cli.bastion.reporting.set_info_secret(secret, cli_actor())
    cli.out.print(secret, markup=False)


@app.command("export")
def export(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., metavar="REPORT", help="Report id."),
    output: Path = typer.Option(..., "--output", "-o", help="The zip to write (a new file)."),
    without_media: bool = typer.Option(
        False, "--without-media", help="Leave the files out (their hashes stay)."
    ),
) -> None:
    """Write a finished report's preservation package for a lawful request: its files,
    the documents sent, hashes and chain of custody (audited)."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    package = cli.bastion.reporting.export(
        report_id, output, cli_actor(), include_media=not without_media
    )
    cli.out.print(
        f"wrote {package.path} ({package.files} file(s), {package.members} members)",
        markup=False,
    )


def _said(cli: CliContext, report: Report) -> None:
    status = report.status.value.replace("_", " ")
    tail = f": {report.error}" if report.error else ""
    cli.out.print(f"report {report.id} is {status}{tail}", markup=False)


def report_json(report: Report) -> dict[str, Any]:
    from dataclasses import asdict

    doc = asdict(report)
    doc["status"] = report.status.value
    doc["incident"]["type"] = report.incident.type.short
    plain: dict[str, Any] = json.loads(json.dumps(doc, default=_plain))
    return plain


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
