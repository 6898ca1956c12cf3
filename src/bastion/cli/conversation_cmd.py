"""`bastion conversation ...`: assess chats for grooming, train the learned layer, measure a
model on labelled chats, and write the synthetic conversations it is trained on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bastion.errors import ValidationError

if TYPE_CHECKING:
    from rich.progress import Progress

    from bastion.cli.context import CliContext
    from bastion.conversations.evaluation import Evaluation

app = typer.Typer(help="Spot grooming in conversations, with evidence.", no_args_is_help=True)


def _read(path: Path, limit: int) -> bytes:
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    if path.stat().st_size > limit:
        raise ValidationError(f"{path}: {path.stat().st_size:,} bytes (limit {limit:,})")
    return path.read_bytes()


@app.command("assess")
def assess(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ...,
        show_default=False,
        help="JSON Lines: one {sender, text, timestamp?} per line; optionally lines "
        "{participant, age?, role?} declaring who is who.",
    ),
    model: Path | None = typer.Option(
        None, "--model", help="A model from `train` (default: the conversation_model setting)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Assess one conversation: risk score and level, per sender, the indicators with their
    exact excerpts, and the message at which a warning would first have fired.

    Messages are counted from 1 here ("message 6 of 40" is the sixth line holding a
    message); --json gives their 0-based indexes.

    Exit status: 0 when the level is high, 1 otherwise, 2 on an error (like `match`).
    """
    from bastion.conversations.assess import assess as assess_conversation
    from bastion.conversations.model import MAX_FILE_BYTES, from_jsonl
    from bastion.conversations.scoring import Model

    cli: CliContext = ctx.obj
    conversation = from_jsonl(_read(file, MAX_FILE_BYTES), file.name)
    scorer = Model.load(model) if model else cli.settings.conversation_scorer()
    result = assess_conversation(conversation, scorer)
    if as_json:
        cli.out.print(json.dumps(result.to_json(), indent=2, ensure_ascii=False), markup=False)
    else:
        # People count messages from 1; the JSON (and the API) keep 0-based indexes.
        warning = (
            f"no warning fires in its {result.messages} messages"
            if result.first_warning is None
            else f"a warning fires after message {result.first_warning + 1} of {result.messages}"
        )
        cli.out.print(
            f"{file}: {result.level.upper()} risk {result.score:.2f} ({warning})", markup=False
        )
        table = Table("message", "sender", "indicator", "stage", "excerpt", "found by")
        for e in result.evidence:
            how = "phrase" if e.source == "phrase" else f"meaning: reads like “{e.reads_like}”"
            table.add_row(str(e.message + 1), e.sender, e.indicator, e.stage, e.excerpt, how)
        if result.evidence:
            cli.out.print(table)
        for s in result.senders:
            cli.out.print(
                f"  {s.sender}: {s.score:.2f} ({', '.join(s.stages) or 'no indicators'})",
                markup=False,
            )
    raise typer.Exit(0 if result.level == "high" else 1)


@app.command("train")
def train(
    ctx: typer.Context,
    data: list[Path] | None = typer.Argument(
        None,
        help='JSON Lines files of labelled conversations: {"grooming": true|false, '
        '"groomer": "u1"?, "messages": [...], "participants": [...]?} per line.',
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the model (JSON)."),
    synthetic: bool = typer.Option(
        False, "--synthetic", help="Also (or only) use bastion's synthetic training families."
    ),
    seed: int = typer.Option(7, "--seed", help="Seed for the split and the fit."),
    meaning: bool = typer.Option(
        True,
        "--meaning/--no-meaning",
        help="Count the meaning layer's cues (a model is read with the layer it was trained with).",
    ),
    everyday: bool = typer.Option(
        False,
        "--everyday",
        help="Also fit on real everyday chats as benign (the chitchat-dataset package's "
        "even-numbered conversations), so that a long friendly chat is not read as risk.",
    ),
    calibrate_on: list[Path] | None = typer.Option(
        None,
        "--calibrate-on",
        metavar="FILE",
        help="Labelled conversations like those the model will read (repeatable): they set "
        "the probabilities and the alert threshold, and count more in the fit.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the evaluation as JSON."),
) -> None:
    """Fit and calibrate the learned layer on a platform's own labelled conversations (and
    with --synthetic, bastion's); use it with --model or the `conversation_model` setting.

    The figures printed are from conversations the model that read them was not fitted on:
    with --calibrate-on, each calibration conversation read by a model fitted without its
    fold; otherwise the fifth held out of a trial fit on the rest."""
    from bastion.conversations.model import MAX_FILE_BYTES
    from bastion.conversations.training import (
        EVERYDAY_CHATS,
        everyday_chats,
        read_labelled,
        synthetic_examples,
    )
    from bastion.conversations.training import train as fit_model

    cli: CliContext = ctx.obj
    if not data and not synthetic:
        raise ValidationError("give labelled conversations, or --synthetic")
    examples = synthetic_examples(training=True, seed=seed) if synthetic else []
    sources = ["bastion's synthetic training families"] if synthetic else []
    if everyday:
        examples += everyday_chats(training=True, limit=EVERYDAY_CHATS)
        sources.append(f"{EVERYDAY_CHATS:,} everyday chats")
    for path in data or []:
        examples += read_labelled(_read(path, MAX_FILE_BYTES * 8), path.name)
        sources.append(path.name)
    calibration = [
        e
        for path in calibrate_on or []
        for e in read_labelled(_read(path, MAX_FILE_BYTES * 8), path.name)
    ]
    if calibrate_on:
        sources.append("calibrated on " + ", ".join(str(p) for p in calibrate_on))
    from bastion.conversations.evaluation import summarise

    with _progress(cli) as progress:
        task = progress.add_task("reading conversations", total=len(examples) + len(calibration))
        model, checked = fit_model(
            examples,
            description=" and ".join(sources),
            seed=seed,
            meaning=meaning,
            calibration=calibration,
            progress=lambda n: progress.advance(task, n),
        )
    model.save(out)
    grooming = sum(e.grooming for e in examples)
    cli.err.print(
        f"trained on {len(examples):,} conversations ({grooming:,} grooming) from "
        f"{' and '.join(sources)}; alert threshold {model.alert_threshold:.2f}; wrote {out}",
        markup=False,
    )
    if checked:
        where = (
            "on the calibration conversations, each read by a model fitted without it"
            if calibration
            else "on the fifth held out of training"
        )
        _report(cli, summarise(checked), where, as_json)
    else:
        cli.err.print("too few conversations of each kind to hold some out for figures")


@app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ...,
        show_default=False,
        help='JSON Lines of labelled conversations (as `train` reads them; "language" and '
        '"tags" group the figures).',
    ),
    model: Path | None = typer.Option(
        None, "--model", help="A model from `train` (default: the conversation_model setting)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Measure a model on labelled conversations: precision, recall, F0.5 and PR-AUC of its
    alerts, how often the risky sender is ranked first, and false alerts on benign chats;
    overall, per language and per tag."""
    from bastion.conversations.evaluation import evaluate as measure
    from bastion.conversations.model import MAX_FILE_BYTES
    from bastion.conversations.scoring import Model
    from bastion.conversations.training import read_labelled

    cli: CliContext = ctx.obj
    examples = [e for f in files for e in read_labelled(_read(f, MAX_FILE_BYTES * 8), f.name)]
    scorer = Model.load(model) if model else cli.settings.conversation_scorer()
    with _progress(cli) as progress:
        task = progress.add_task("assessing", total=len(examples))
        result = measure(scorer, examples, lambda n: progress.advance(task, n))
    _report(cli, result, f"on {len(examples):,} labelled conversations", as_json)


def _report(cli: CliContext, result: Evaluation, where: str, as_json: bool) -> None:
    if as_json:
        cli.out.print(json.dumps(result.to_json(), indent=2), markup=False)
        return
    table = Table(
        "", "chats", "grooming", "precision", "recall", "F0.5", "PR-AUC", "false alerts",
        "risky first", title=f"Figures {where}", caption="false alerts: of the benign chats; "
        "risky first: the risky sender ranked first",
    )  # fmt: skip
    rows = [("all", result.overall)]
    rows += [(k, v) for k, v in sorted(result.by_language.items())]
    rows += [(f"#{k}", v) for k, v in sorted(result.by_tag.items())]
    for name, f in rows:
        table.add_row(
            name, f"{f.conversations:,}", f"{f.grooming:,}", f"{f.precision:.3f}",
            f"{f.recall:.3f}", f"{f.f05:.3f}", f"{f.average_precision:.3f}",
            f"{f.false_alert_rate:.1%}", f"{f.first_rate:.1%}" if f.known_senders else "-",
        )  # fmt: skip
    cli.out.print(table)


def _progress(cli: CliContext) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=cli.err,
        transient=True,
        disable=not cli.err.is_terminal,
    )


@app.command("generate")
def generate_cmd(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="JSON Lines file to write."),
    family: list[str] | None = typer.Option(
        None, "--family", metavar="LANG/SETTING", help="Only this family (repeatable)."
    ),
    count: int = typer.Option(30, "--count", min=3, max=100_000, help="Conversations per family."),
    seed: int = typer.Option(7, "--seed", help="Seed for the conversations' choices."),
) -> None:
    """Write synthetic labelled conversations (the format `train` reads): grooming-pattern
    chats, benign ones and hard negatives, never explicit."""
    from bastion.conversations.synthetic import families, generate

    cli: CliContext = ctx.obj
    chosen = family or families()
    unknown = sorted(set(chosen) - set(families()))
    if unknown:
        raise ValidationError(
            f"unknown famil(ies) {', '.join(unknown)}; known: {', '.join(families())}"
        )
    written = 0
    with out.open("w", encoding="utf-8") as stream:
        for name in chosen:
            for c in generate(name, count, seed=seed):
                doc = {
                    "grooming": c.grooming,
                    "groomer": c.groomer,
                    "family": c.family,
                    "kind": c.kind,
                    "language": c.family.split("/")[0],
                    "tags": [c.kind],
                    "participants": [vars(p) for p in c.conversation.participants.values()],
                    "messages": [
                        {"sender": m.sender, "text": m.text} for m in c.conversation.messages
                    ],
                }
                stream.write(json.dumps(doc, ensure_ascii=False) + "\n")
                written += 1
    cli.out.print(f"wrote {written:,} conversations to {out}", markup=False)
