"""`bastion conversation assess|train|evaluate|generate` and the actions on conversation
alerts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CliRunner
from tests.conversations.test_assess import GROOMING


def write_chat(path: Path, lines: list[tuple[str, str]], *header: dict[str, object]) -> Path:
    rows = [*header, *({"sender": s, "text": t} for s, t in lines)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_assess_prints_the_evidence_and_exits_like_match(cli: CliRunner, tmp_path: Path) -> None:
    chat = write_chat(tmp_path / "chat.jsonl", GROOMING, {"participant": "kid", "age": 12})
    run = cli("conversation", "assess", chat)
    assert run.code == 0, run.err
    assert "HIGH risk" in run.out
    assert "how old are you" in run.out
    assert "max:" in run.out
    doc = json.loads(cli("conversation", "assess", chat, "--json").out)
    assert doc["likely_groomer"] == "max"
    calm = write_chat(tmp_path / "calm.jsonl", [("a", "hi"), ("b", "hello")])
    assert cli("conversation", "assess", calm).code == 1
    (tmp_path / "bad.jsonl").write_bytes(b"\xff\xfe")
    run = cli("conversation", "assess", tmp_path / "bad.jsonl")
    assert (run.code, "UTF-16" in run.err) == (2, True)
    assert "no such file" in cli("conversation", "assess", tmp_path / "none.jsonl").err


def test_generate_then_train_on_it_then_assess_with_it(cli: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    run = cli("conversation", "generate", "--out", data, "--count", "30", "--family", "en/gaming",
              "--family", "fr/jeux")  # fmt: skip
    assert run.code == 0, run.err
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    assert len(rows) == 60
    kinds = {r["kind"] for r in rows}
    assert {"grooming", "benign", "hard", "family", "group_grooming", "early"} <= kinds
    model = tmp_path / "model.json"
    run = cli("conversation", "train", data, "--out", model)
    assert run.code == 0, run.err
    grooming = sum(r["grooming"] for r in rows)
    assert f"trained on 60 conversations ({grooming} grooming) from labelled.jsonl" in run.err
    assert "Figures on the fifth held out of training" in run.out
    assert "│ all " in run.out
    assert "│ #family " in run.out
    chat = write_chat(tmp_path / "chat.jsonl", GROOMING)
    assert cli("conversation", "assess", chat, "--model", model).code == 0
    figures = json.loads(cli("conversation", "evaluate", data, "--model", model, "--json").out)
    assert figures["overall"]["conversations"] == 60
    assert set(figures["by_language"]) == {"en", "fr"}
    assert set(figures["by_tag"]) == kinds
    assert 0 <= figures["overall"]["f05"] <= 1
    assert "unknown famil" in cli("conversation", "generate", "-o", data, "--family", "x/y").err
    assert "give labelled conversations" in cli("conversation", "train", "-o", model).err


def test_conversation_alert_rules(cli: CliRunner) -> None:
    assert cli("action", "add-conversation-review").code == 0
    run = cli("action", "add-conversation-webhook", "https://hooks.example/alerts")
    assert run.code == 0, run.err
    assert len(run.out.strip()) >= 32  # the signing secret, shown once
    listing = cli("action", "list").out
    assert listing.count("(conversations)") == 2


def test_people_count_messages_from_1_and_json_keeps_0_based_indexes(
    cli: CliRunner, tmp_path: Path
) -> None:
    chat = write_chat(tmp_path / "chat.jsonl", GROOMING, {"participant": "kid", "age": 12})
    doc = json.loads(cli("conversation", "assess", chat, "--json").out)
    assert doc["first_warning"] is not None
    run = cli("conversation", "assess", chat)
    first = run.out.splitlines()[0]
    warned = doc["first_warning"] + 1
    assert first.endswith(f"(a warning fires after message {warned} of {doc['messages']})")
    # The evidence table numbers each excerpt's message the same way.
    first_evidence = doc["evidence"][0]
    row = next(line for line in run.out.splitlines() if first_evidence["excerpt"] in line)
    cells = [cell.strip() for cell in row.split("│")[1:3]]
    assert cells == [str(first_evidence["message"] + 1), first_evidence["sender"]]
    calm = write_chat(tmp_path / "calm.jsonl", [("a", "hi"), ("b", "hello")])
    assert (
        cli("conversation", "assess", calm)
        .out.splitlines()[0]
        .endswith("(no warning fires in its 2 messages)")
    )
