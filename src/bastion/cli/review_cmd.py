"""`bastion review ...`: the review desk from a terminal: list and show jobs, decide them,
count and create queues.

A decision from here is the same use case the API and the console call
(`bastion.pipeline.review.Review.decide`): it excepts false positives, queues the decision
webhooks, adds to a bank when asked, and tells a fetched entry's source. It is recorded as
``cli:<user>`` unless ``--as`` names the reviewer. Like the API, it never shows media.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.table import Table

if TYPE_CHECKING:
    from bastion.cli.context import CliContext
    from bastion.review import Content, Job, QueueCount

app = typer.Typer(
    help="The review desk: list, show and decide jobs; count and create queues.",
    no_args_is_help=True,
)

#: Every `bastion.review.Decision`, `Classification` and `JobKind` (a test keeps them in
#: step), written out so that declaring the options does not import the desk.
DecisionName = Literal["confirmed", "false_positive", "escalated", "reported"]
ClassificationName = Literal["A1", "A2", "B1", "B2"]
KindName = Literal["match", "conversation", "user_report", "escalation", "triage"]
StatusName = Literal["open", "decided", "all"]
#: The queue `bastion review demo` reports to.
DEMO_REPORTS = "user-reports"


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    queue: str | None = typer.Option(None, "--queue", "-q", help="Only this queue's jobs."),
    status: StatusName = typer.Option("open", "--status", help="Which jobs."),
    kind: KindName | None = typer.Option(None, "--kind", help="Only jobs of this kind."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000, help="How many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List jobs: open ones in work order (most urgent, then oldest), decided ones newest
    first."""
    from bastion.review import JobKind, JobStatus

    cli: CliContext = ctx.obj
    desk = cli.bastion.review.desk
    if queue is not None:
        desk.queue(queue)  # an unknown queue is an error, not an empty list
    jobs = desk.jobs(
        queue=queue,
        status=None if status == "all" else JobStatus(status),
        kind=None if kind is None else JobKind(kind),
        limit=limit,
    )
    if as_json:
        cli.out.print(json.dumps([job_json(j) for j in jobs], indent=2), markup=False)
        return
    if not jobs:
        cli.out.print(f"no {'' if status == 'all' else status + ' '}jobs", markup=False)
        return
    table = Table("id", "queue", "kind", "level", "case", "about", "due (UTC)", "held by")
    if status != "open":
        table.add_column("decision")
    for j in jobs:
        row = [
            str(j.id), j.queue, j.kind.value, j.level.label, str(j.case_id), _about(j),
            _when(j.due_at), j.claimed_by or "",
        ]  # fmt: skip
        if status != "open":
            row.append(_decision(j))
        table.add_row(*row)
    cli.out.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    job_id: int = typer.Argument(..., metavar="JOB", help="Job id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a job: its evidence and comments, its case's other jobs, and its content's
    context (never media)."""
    from bastion.review import dossier

    cli: CliContext = ctx.obj
    found = dossier(cli.bastion.review.desk, job_id)
    job = found.job
    if as_json:
        doc = {
            **job_json(job),
            "comments": [
                {"id": c.id, "author": c.author, "body": c.body, "at": c.at.isoformat()}
                for c in found.comments
            ],
            "case": {
                "id": found.case.id,
                "subject": found.case.subject,
                "status": found.case.status,
                "other_jobs": [
                    {"id": j.id, "kind": j.kind.value, "status": j.status.value, "queue": j.queue}
                    for j in found.case.jobs
                ],
            },
            "content": None if found.content is None else content_json(found.content),
        }
        cli.out.print(json.dumps(doc, indent=2, ensure_ascii=False), markup=False)
        return
    lines = {
        "job": f"{job.id} ({job.kind.value}) in queue {job.queue}, priority {job.priority}",
        "level": job.level.label if job.triage is None else job.triage.summary(),
        "status": _decision(job) if job.decision else job.status.value,
        "case": f"{found.case.id} ({found.case.subject}, {found.case.status})",
        "due": _when(job.due_at),
        "held by": f"{job.claimed_by} until {_when(job.claimed_until)}" if job.claimed_by else "-",
        "about": _about(job) or "-",
    }
    if job.note:
        lines["note"] = job.note
    content = found.content
    if content is not None:
        lines["content"] = _describe(content)
        if content.url:
            lines["url"] = content.url
    for key, value in lines.items():
        cli.out.print(f"{key + ':':<9} {value}", markup=False)
    if content is not None and content.context:
        cli.out.print("context:", markup=False)
        cli.out.print(json.dumps(content.context, indent=2, ensure_ascii=False), markup=False)
    cli.out.print("evidence:", markup=False)
    cli.out.print(json.dumps(job.evidence, indent=2, ensure_ascii=False), markup=False)
    for c in found.comments:
        cli.out.print(f"comment by {c.author} at {_when(c.at)}: {c.body}", markup=False)
    if found.case.jobs:
        cli.out.print(f"other jobs of case {found.case.id}:", markup=False)
        table = Table("id", "kind", "queue", "status")
        for j in found.case.jobs:
            table.add_row(str(j.id), j.kind.value, j.queue, _decision(j))
        cli.out.print(table)


@app.command("decide")
def decide(
    ctx: typer.Context,
    job_id: int = typer.Argument(..., metavar="JOB", help="Job id."),
    decision: DecisionName = typer.Argument(
        ..., help="confirmed, false_positive, escalated or reported."
    ),
    classification: ClassificationName | None = typer.Option(
        None, "--classification", help="For a confirmed or reported job."
    ),
    note: str = typer.Option("", "--note", help="Why; kept with the decision."),
    add_to_bank: str | None = typer.Option(
        None, "--add-to-bank", metavar="BANK", help="Add the content's signals to this bank."
    ),
    bulk: bool = typer.Option(
        False, "--bulk", help="Decide the open jobs over byte-identical media alike."
    ),
    reviewer: str | None = typer.Option(
        None, "--as", metavar="NAME", help="Who decides (default: cli:<your user name>)."
    ),
) -> None:
    """Decide a job, and do what the decision does: a false positive stops the same match
    alerting again, decision webhooks are queued, a confirmation may add the content to a
    bank, and an opinion goes to the source of an entry fetched from an exchange."""
    from bastion.audit import cli_actor
    from bastion.review import Classification, Decision

    cli: CliContext = ctx.obj
    decided = cli.bastion.review.decide(
        job_id,
        reviewer or cli_actor(),
        Decision(decision),
        classification=None if classification is None else Classification(classification),
        note=note,
        add_to_bank=add_to_bank,
        bulk=bulk,
    )
    ids = ", ".join(str(j.id) for j in decided.jobs)
    first = decided.jobs[0]
    said = [
        f"job{'s' if len(decided.jobs) > 1 else ''} {ids}: {first.decision} by {first.decided_by}"
    ]
    if decided.entry_id is not None:
        said.append(f"added as entry {decided.entry_id} to bank {add_to_bank}")
    said.append(f"{decided.webhooks} decision webhook(s) queued")
    if decided.feedback:
        said.append(f"{decided.feedback} opinion(s) queued for the source")
    cli.out.print("; ".join(said), markup=False)


@app.command("queues")
def queues(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List queues with their open, overdue and claimed jobs."""
    cli: CliContext = ctx.obj
    counts = cli.bastion.review.desk.counts()
    if as_json:
        cli.out.print(json.dumps([_count_json(c) for c in counts], indent=2), markup=False)
        return
    table = Table("queue", "open", "overdue", "claimed", "SLA (min)", "child safety", "reviewers")
    for c in counts:
        q = c.queue
        table.add_row(
            q.name, str(c.open), str(c.overdue), str(c.claimed), str(q.sla_minutes),
            "yes" if q.child_safety else "no",
            "anyone" if q.reviewers is None else ", ".join(q.reviewers),
        )  # fmt: skip
    cli.out.print(table)


@app.command("queue-create")
def queue_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Letters, digits, '-', '_', '.'."),
    description: str = typer.Option("", "--description", help="What goes in it."),
    child_safety: bool = typer.Option(
        True,
        "--child-safety/--not-child-safety",
        help="Whether its media is child-safety material, which only the child-safety "
        "reviewer role may reveal (default: it is).",
    ),
    sla_minutes: int = typer.Option(
        24 * 60, "--sla-minutes", min=1, help="How soon each job is due."
    ),
    reviewer: list[str] | None = typer.Option(
        None,
        "--reviewer",
        metavar="NAME",
        help="Only these work it: a console user by name, an API key as key:NAME; "
        "repeatable. Default: anyone whose role decides.",
    ),
) -> None:
    """Create a review queue."""
    cli: CliContext = ctx.obj
    queue = cli.bastion.review.desk.create_queue(
        name,
        description=description,
        child_safety=child_safety,
        sla_minutes=sla_minutes,
        reviewers=reviewer or None,
    )
    cli.out.print(f"created queue {queue.name}", markup=False)


def job_json(job: Job) -> dict[str, Any]:
    """A job as the API's `JobModel` shows it."""
    return {
        "id": job.id,
        "case_id": job.case_id,
        "queue": job.queue,
        "kind": job.kind.value,
        "priority": job.priority,
        "level": job.level.label,
        "triage": None
        if job.triage is None
        else {**job.triage.to_json(), "findings": [f.to_json() for f in job.findings]},
        "status": job.status.value,
        "content_id": job.content_id,
        "bank": job.bank,
        "entry_id": job.entry_id,
        "signal_type": job.signal_type,
        "distance": job.distance,
        "conversation": job.conversation,
        "media_sha256": job.media_sha256,
        "evidence": job.evidence,
        "created_at": job.created_at.isoformat(),
        "due_at": job.due_at.isoformat(),
        "claimed_by": job.claimed_by,
        "claimed_until": _iso(job.claimed_until),
        "decision": None if job.decision is None else job.decision.value,
        "classification": None if job.classification is None else job.classification.value,
        "decided_by": job.decided_by,
        "decided_at": _iso(job.decided_at),
        "note": job.note,
    }


def content_json(content: Content) -> dict[str, Any]:
    """Content as the API's `ContentModel` shows it."""
    return {
        "id": content.id,
        "content_id": content.platform_id,
        "user_id": content.user_id,
        "surface": content.surface,
        "url": content.url,
        "posted_at": _iso(content.posted_at),
        "media_type": content.media_type,
        "signals": [{"type": s.type, "value": s.value} for s in content.signals],
        "media_sha256": content.media_sha256,
        "media_kept": content.evidence_id is not None,
        "context": content.context,
        "created_at": content.created_at.isoformat(),
    }


def _count_json(count: QueueCount) -> dict[str, Any]:
    q = count.queue
    return {
        "name": q.name,
        "description": q.description,
        "child_safety": q.child_safety,
        "sla_minutes": q.sla_minutes,
        "reviewers": None if q.reviewers is None else list(q.reviewers),
        "open": count.open,
        "overdue": count.overdue,
        "claimed": count.claimed,
    }


def _describe(content: Content) -> str:
    said = [f"{content.id} ({content.platform_id or 'no platform id'})"]
    if content.user_id is not None:
        said.append(f"user {content.user_id}")
    if content.surface is not None:
        said.append(f"on {content.surface}")
    if content.posted_at is not None:
        said.append(f"posted {_when(content.posted_at)}")
    said.append(content.media_type or "no media")
    return ", ".join(said)


def _about(job: Job) -> str:
    if job.bank is not None:
        return f"bank {job.bank} entry {job.entry_id} ({job.signal_type} {job.distance})"
    if job.conversation is not None:
        return f"conversation {job.conversation}"
    if job.content_id is not None:
        return f"content {job.content_id}"
    return ""


def _decision(job: Job) -> str:
    if job.decision is None:
        return job.status.value
    classified = f" {job.classification.value}" if job.classification else ""
    return f"{job.decision.value}{classified} by {job.decided_by}"


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else "-"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@app.command("hold")
def hold(
    ctx: typer.Context,
    job_id: int = typer.Argument(..., metavar="JOB", help="A job whose media is kept."),
    release: bool = typer.Option(False, "--release", help="Lift the hold instead."),
) -> None:
    """Put the media a job keeps in the evidence vault on legal hold (never purged, whatever
    its retention says), or lift the hold. Audited."""
    from bastion.audit import cli_actor
    from bastion.errors import ValidationError

    cli: CliContext = ctx.obj
    review = cli.bastion.review
    job = review.desk.get(job_id)
    content = None if job.content_id is None else review.desk.content(job.content_id)
    if content is None or content.evidence_id is None:
        raise ValidationError(f"job {job_id} keeps no media (none was sent with its content)")
    evidence = cli.bastion.vault.hold(content.evidence_id, not release, actor=cli_actor())
    state = "on legal hold" if evidence.legal_hold else "no longer on legal hold"
    cli.out.print(f"the media of job {job_id} is {state}", markup=False)


@app.command("demo")
def demo(
    ctx: typer.Context,
    posts: int = typer.Option(6, "--posts", min=1, max=200, help="Matching posts to submit."),
) -> None:
    """Fill the review queue with demo jobs, as a platform would: altered copies of the demo
    bank's generated images posted by three made-up users (each match opens a job, through
    the demo bank's review rule), and two user reports of unrelated generated images (their
    media kept sealed in the evidence vault, so previews and reveals can be tried: they go to
    a `user-reports` queue that is not a child-safety queue, whose media an admin, a lead or
    a reviewer may reveal)."""
    from PIL import Image

    from bastion.audit import cli_actor
    from bastion.review import ContentSubmission, JobKind
    from bastion.samples import sample_pixels

    cli: CliContext = ctx.obj
    review = cli.bastion.review
    if DEMO_REPORTS not in {q.name for q in review.desk.queues()}:
        review.desk.create_queue(
            DEMO_REPORTS, description="User reports (bastion review demo)", child_safety=False
        )
    opened = matched = 0
    for n in range(posts):
        picture = Image.fromarray(sample_pixels(n % 6 + 1)).resize((512, 384))
        submitted = review.submit(
            ContentSubmission(
                platform_id=f"demo-post-{n + 1}", user_id=f"demo-user-{n % 3 + 1}", surface="feed"
            ),
            _jpeg(picture, quality=80 - n % 4 * 10),
            actor=cli_actor(),
        )
        opened += len(submitted.jobs)
        matched += bool(submitted.matches)
    for n, seed in enumerate((41, 42)):
        submitted = review.submit(
            ContentSubmission(
                platform_id=f"demo-report-{n + 1}", user_id=f"demo-user-{n + 1}", surface="profile"
            ),
            _jpeg(Image.fromarray(sample_pixels(seed)), quality=90),
            reason=JobKind.USER_REPORT,
            report={"reason": "reported by a user (demo)", "reporter": "demo-reporter"},
            queue=DEMO_REPORTS,
            actor=cli_actor(),
        )
        opened += len(submitted.jobs)
    cli.err.print(
        f"{matched} of {posts} posts matched a bank; opened {opened} review jobs "
        f"(the console lists them in the default and {DEMO_REPORTS} queues)",
        markup=False,
    )
    if not matched:
        cli.err.print(
            "no post matched: the demo bank is made by the first start of `bastion serve` "
            "(on this data directory)",
            markup=False,
        )
    elif opened < matched + 2:
        cli.err.print(
            "matches opened no job: add a review rule (bastion action add-review demo)",
            markup=False,
        )


def _jpeg(picture: Any, *, quality: int) -> bytes:
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()
