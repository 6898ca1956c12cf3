"""`bastion triage ...`: the triage policy, classifiers and outside services from a terminal.

- `rules`: the policy in force, as a table (`triage_rules`).
- `check FILE...`: check files as an upload is checked, then triage them now, in this process
  (classifiers, outside services, near misses): what each found, the level, the job it opened.
- `evaluate`: how often each signal, at each threshold, and each rule led to a confirmed
  decision on this platform's own jobs, to tune the policy.
- `classifiers`: the classifiers installed, and those the settings run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext
    from bastion.pipeline.triage import Triaged
    from bastion.triage.evaluate import Evaluation, Tally

app = typer.Typer(
    help="Triage: the priority policy, classifiers and outside services; tune the policy.",
    no_args_is_help=True,
)


@app.command("rules")
def rules(ctx: typer.Context) -> None:
    """The triage policy in force: each rule and what it does (setting triage_rules)."""
    cli: CliContext = ctx.obj
    policy = cli.bastion.policy
    table = Table("#", "signal", "source", "label", "when", "effect")
    for n, rule in enumerate(policy.rules, 1):
        when = "-" if rule.op is None else f"score {rule.op} {rule.threshold:g}"
        table.add_row(
            str(n), rule.kind.value, rule.source or "any", rule.label or "any", when, rule.effect
        )
    cli.out.print(table)


@app.command("check")
def check(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., metavar="FILE...", help="Images or videos."),
    user: str | None = typer.Option(None, "--user", help="The platform's id of the poster."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON, one object per file."),
) -> None:
    """Check files against the banks and act on their matches, as an upload is checked, then
    triage each now (classifiers, outside services, near misses) and show what was found, the
    level the policy gives it and the job it opened or raised.

    Exit status: 0 if every file was read, 2 if one could not be."""
    from bastion.errors import BastionError
    from bastion.media import read_media
    from bastion.pipeline.triage import TriageItem

    cli: CliContext = ctx.obj
    bastion = cli.bastion
    failed = 0
    documents = []
    for path in files:
        try:
            data = read_media(path, max_bytes=bastion.settings.max_media_bytes)
            hashed = bastion.hash_content(data, str(path), for_matching=True)
            checked = bastion.check_content(hashed)  # no media: triage runs below, not after
            context = {"content_id": path.name, "user_id": user}
            done = bastion.triage.run(TriageItem(data, hashed, context=context))
        except BastionError as e:
            cli.err.print(f"error: {e.message}", markup=False)
            failed += 1
            continue
        if as_json:
            documents.append({"file": str(path), "matches": len(checked.matches), **_json(done)})
            continue
        _show(cli, path, len(checked.matches), done)
    if as_json:
        cli.out.print(json.dumps(documents, indent=2), markup=False)
    if failed:
        raise typer.Exit(2)


def _show(cli: CliContext, path: Path, matches: int, done: Triaged) -> None:
    out = cli.out
    opened = f", opened job {done.opened}" if done.opened else ""
    raised = (
        f", assessed jobs {', '.join(map(str, done.reassessed))} again" if done.reassessed else ""
    )
    out.print(f"{path}: {done.assessment.summary()}{opened}{raised}", markup=False)
    if matches:
        out.print(f"  bank matches: {matches}", markup=False)
    for run in done.runs:
        error = f": {run.error}" if run.error else ""
        out.print(f"  {run.source_kind} {run.source}: {run.state}{error}", markup=False)
    for finding in done.findings:
        where = "/".join(p for p in (finding.source, finding.label) if p)
        out.print(f"  found {finding.kind.value} {where} {finding.score:g}", markup=False)


def _json(done: Triaged) -> dict[str, Any]:
    return {
        "media_sha256": done.media_sha256,
        "assessment": done.assessment.to_json(),
        "findings": [f.to_json() for f in done.findings],
        "runs": [
            {
                "source": r.source,
                "kind": r.source_kind,
                "state": r.state,
                "error": r.error,
                "seconds": round(r.seconds, 3),
            }
            for r in done.runs
        ],
        "opened_job": done.opened,
        "reassessed_jobs": list(done.reassessed),
        "outside_matches": [{"bank": m.bank, "entry_id": m.entry_id} for m in done.outside_matches],
    }


@app.command("evaluate")
def evaluate_cmd(
    ctx: typer.Context,
    start: str | None = typer.Option(
        None, "--from", metavar="DATE", help="Jobs decided on or after this UTC day (YYYY-MM-DD)."
    ),
    end: str | None = typer.Option(
        None, "--to", metavar="DATE", help="Jobs decided before this UTC day (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """How often each signal (per source, label and threshold) and each rule of the policy
    led to a confirmed decision (confirmed or reported, against false positives) on this
    platform's own decided jobs: precision with a 95% interval, to tune triage_rules.
    Escalations are not final and are counted apart."""
    from bastion.review.assessment import decided_findings
    from bastion.triage.evaluate import evaluate

    cli: CliContext = ctx.obj
    bastion = cli.bastion
    since, until = _day(start, "--from"), _day(end, "--to")
    with bastion.db.session() as s:
        found = evaluate(decided_findings(s, since=since, until=until), bastion.policy)
    if as_json:
        cli.out.print(json.dumps(_evaluation_json(found), indent=2), markup=False)
        return
    out = cli.out
    out.print(
        f"{found.decided} decided jobs, {found.confirmed} confirmed or reported; "
        f"{found.escalated} escalations not counted; {found.unassessed} carried no signal "
        "(opened before triage)",
        markup=False,
    )
    if not found.decided:
        out.print(
            "no decided job yet: decide some (bastion review decide) and run this again",
            markup=False,
        )
        return
    signals = Table(
        "signal", "source/label", "threshold", "jobs", "confirmed", "precision", "95% interval"
    )
    for row in found.signals:
        where = "/".join(p for p in (row.source, row.label) if p) or "-"
        when = "any" if row.op is None else f"{row.op} {row.threshold:g}"
        signals.add_row(row.kind.value, where, when, *_tally(row.tally))
    out.print(signals)
    rules = Table("rule", "jobs", "confirmed", "precision", "95% interval")
    for rule in found.rules:
        rules.add_row(rule.rule, *_tally(rule.tally))
    out.print(rules)
    out.print(
        "A few dozen decisions give a wide interval: read the interval, not the precision.",
        markup=False,
    )


def _tally(tally: Tally) -> list[str]:
    precision = "-" if tally.precision is None else f"{tally.precision:.0%}"
    interval = tally.interval()
    spread = "-" if interval is None else f"{interval[0]:.0%}-{interval[1]:.0%}"
    return [str(tally.jobs), str(tally.confirmed), precision, spread]


def _evaluation_json(found: Evaluation) -> dict[str, Any]:
    def tally(t: Tally) -> dict[str, Any]:
        return {
            "jobs": t.jobs,
            "confirmed": t.confirmed,
            "precision": t.precision,
            "interval": t.interval(),
        }

    return {
        "decided": found.decided,
        "confirmed": found.confirmed,
        "escalated": found.escalated,
        "unassessed": found.unassessed,
        "signals": [
            {
                "kind": r.kind.value,
                "source": r.source,
                "label": r.label,
                "op": r.op,
                "threshold": r.threshold,
                **tally(r.tally),
            }
            for r in found.signals
        ],
        "rules": [{"rule": r.rule, **tally(r.tally)} for r in found.rules],
    }


def _day(value: str | None, option: str) -> Any:
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r}: write a day as YYYY-MM-DD", param_hint=option
        ) from None


@app.command("classifiers")
def classifiers(ctx: typer.Context) -> None:
    """The classifiers installed (plugins included) and those the setting classifiers runs."""
    from bastion.triage.classifiers import installed_classifiers

    cli: CliContext = ctx.obj
    wanted = {n.strip() for n in cli.bastion.settings.classifiers.split(",") if n.strip()}
    installed = installed_classifiers()
    table = Table("classifier", "from", "runs")
    for name, point in sorted(installed.items()):
        table.add_row(name, point.value, "yes" if name in wanted else "no")
    for name in sorted(wanted - set(installed)):
        table.add_row(name, "not installed", "cannot")
    cli.out.print(table)
    if "opennsfw" not in installed:
        cli.out.print(
            "The built-in classifier needs: pip install 'bastion[classifiers]'", markup=False
        )


@app.command("services")
def services(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """The outside services configured: kind, address, limits, whether enabled, and the
    names of their credentials (never the values)."""
    cli: CliContext = ctx.obj
    found = cli.bastion.services.all()
    if as_json:
        docs = [{**vars(s), "credential_names": list(s.credential_names)} for s in found]
        cli.out.print(json.dumps(docs, indent=2), markup=False)
        return
    if not found:
        cli.out.print("no outside service (add one: bastion triage service-add)", markup=False)
        return
    table = Table("name", "kind", "url", "rate", "timeout", "enabled", "credentials")
    for s in found:
        table.add_row(
            s.name,
            s.kind,
            s.url,
            f"{s.rate_per_second:g}/s (burst {s.burst})",
            f"{s.timeout_seconds:g} s",
            "yes" if s.enabled else "no",
            ", ".join(s.credential_names),
        )
    cli.out.print(table)


@app.command("service-add")
def service_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for it (lower case, digits, '_', '-')."),
    kind: str = typer.Option(..., "--kind", help="photodna, arachnid, google_csai or a plugin's."),
    url: str | None = typer.Option(None, "--url", help="Its address (default: the kind's own)."),
    credential: list[str] | None = typer.Option(
        None, "--credential", metavar="KEY=VALUE", help="A credential; repeatable."
    ),
    credentials_stdin: bool = typer.Option(
        False,
        "--credentials-stdin",
        help="Read credentials as KEY=VALUE lines from standard input (keeps them out of the "
        "process list and shell history).",
    ),
    rate: float = typer.Option(1.0, "--rate", help="Requests a second, for every worker together."),
    burst: int = typer.Option(5, "--burst", help="Requests allowed at once after a quiet spell."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds to wait for an answer."),
    option: list[str] | None = typer.Option(
        None, "--option", metavar="KEY=VALUE", help="A kind's option (send=pdq); repeatable."
    ),
) -> None:
    """Configure an outside service that triage asks about checked content. Its credentials
    are stored encrypted (see the secret_key setting) and never shown again; missing ones
    are asked for without echo."""
    import sys

    from bastion.audit import cli_actor
    from bastion.errors import ValidationError
    from bastion.triage.outside.registry import service_class
    from bastion.triage.outside.store import ServiceConfig

    cli: CliContext = ctx.obj
    cls = service_class(kind)
    found: dict[str, str] = {}
    lines = sys.stdin.read().splitlines() if credentials_stdin else []
    for pair in [*(credential or []), *(line for line in lines if line.strip())]:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError("credentials are KEY=VALUE (the value was not shown)")
        found[key.strip()] = value
    for field in getattr(cls, "credential_fields", ()):
        if not found.get(field):
            if credentials_stdin or not sys.stdin.isatty():
                raise ValidationError(f"missing credential {field}: pass --credential {field}=...")
            found[field] = typer.prompt(field, hide_input=True)
    options: dict[str, str] = {}
    for pair in option or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValidationError(f"--option expects KEY=VALUE, got {pair!r}")
        options[key.strip()] = value.strip()
    address = url or getattr(cls, "default_url", None)
    if not address:
        raise ValidationError(f"{kind} has no address of its own: pass --url")
    info = cli.bastion.services.add(
        ServiceConfig(name, kind, address, rate, burst, timeout, True, options, found),
        actor=cli_actor(),
    )
    cli.out.print(
        f"added outside service {info.name} ({info.kind}, {info.url}); triage asks it about "
        "checked content from now on",
        markup=False,
    )


@app.command("service-enable")
def service_enable(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    off: bool = typer.Option(False, "--off", help="Disable it instead."),
) -> None:
    """Enable (or with --off, disable) an outside service."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    info = cli.bastion.services.set_enabled(name, not off, actor=cli_actor())
    cli.out.print(f"{info.name}: {'enabled' if info.enabled else 'disabled'}", markup=False)


@app.command("service-remove")
def service_remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove an outside service and its credentials. Matches it made stay in its bank."""
    from bastion.audit import cli_actor

    cli: CliContext = ctx.obj
    cli.bastion.services.remove(name, actor=cli_actor())
    cli.out.print(f"removed outside service {name}", markup=False)
