"""The learned layer: training is reproducible, models are checked when loaded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bastion.conversations.labelled import Example
from bastion.conversations.scoring import FEATURES, Model, best_threshold, default_model
from bastion.conversations.synthetic import generate
from bastion.conversations.training import (
    EVERYDAY_CHATS,
    everyday_chats,
    read_labelled,
    synthetic_examples,
    train,
)
from bastion.errors import ValidationError

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def calibration() -> list[Example]:
    """The development and calibration sets, in the order the recipe names them."""
    files = [
        f
        for part in ("conversations-dev", "conversations-calibration")
        for f in sorted((DATA / part).glob("*.jsonl"))
    ]
    assert len(files) == 12
    return [e for f in files for e in read_labelled(f.read_bytes(), f.name)]


def test_the_shipped_model_is_what_its_recipe_makes() -> None:
    """The default model: the synthetic training families and half the everyday chats,
    calibrated on the development and calibration sets (`bastion conversation train
    --synthetic --everyday --calibrate-on ...`, docs/conversations.md)."""
    shipped = default_model()
    assert shipped.meaning
    again, _ = train(
        synthetic_examples(training=True) + everyday_chats(training=True, limit=EVERYDAY_CHATS),
        description=shipped.description,
        calibration=calibration(),
    )
    assert np.allclose(np.round(again.weights, 6), shipped.weights, atol=2e-6)
    assert again.platt == pytest.approx(shipped.platt)
    assert again.alert_threshold == shipped.alert_threshold


def test_calibration_conversations_set_the_threshold_and_are_read_out_of_fold() -> None:
    fitted = [
        Example(c.conversation, c.grooming, c.groomer, "en")
        for c in generate("en/gaming", 40, seed=1)
    ]
    calibration = [
        Example(c.conversation, c.grooming, c.groomer, "fr", (c.kind,))
        for c in generate("fr/jeux", 40, seed=2)
    ]
    model, outcomes = train(fitted, description="t", calibration=calibration, meaning=False)
    assert sorted(id(o.example) for o in outcomes) == sorted(id(e) for e in calibration)
    assert all(o.alerted == (o.score >= model.alert_threshold) for o in outcomes)
    scores = np.array([o.score for o in outcomes])
    truth = np.array([1.0 if o.example.grooming else 0.0 for o in outcomes])
    assert model.alert_threshold == best_threshold(scores, truth)
    assert not model.meaning
    one_class = [e for e in calibration if not e.grooming]
    with pytest.raises(ValidationError, match="calibration needs both"):
        train(fitted, description="t", calibration=one_class, meaning=False)


def test_models_round_trip_and_bad_ones_are_refused(tmp_path: Path) -> None:
    model = default_model()
    path = tmp_path / "model.json"
    model.save(path)
    assert Model.load(path).alert_threshold == model.alert_threshold
    doc = json.loads(path.read_text())
    for broken, message in (
        ({**doc, "format": "other"}, "not a bastion conversation model"),
        ({**doc, "features": FEATURES[:-1]}, "made for other features"),
        ({**doc, "weights": [0.0]}, "malformed"),
        ({**doc, "alert_threshold": 1.5}, "malformed"),
    ):
        path.write_text(json.dumps(broken))
        with pytest.raises(ValidationError, match=message):
            Model.load(path)
    path.write_text("{not json")
    with pytest.raises(ValidationError, match="cannot read a model"):
        Model.load(path)


def test_labelled_data_is_read_strictly() -> None:
    good = b'{"grooming": false, "messages": [{"sender": "a", "text": "hi"}]}\n'
    assert len(read_labelled(good, "d.jsonl")) == 1
    for data, message in (
        (b'{"messages": []}', 'needs "grooming"'),
        (b'{"grooming": true, "messages": []}', "line 1: the conversation has no messages"),
        (b"", "no conversations"),
        (b"\n{bad", "line 2 is not JSON"),
    ):
        with pytest.raises(ValidationError, match=message):
            read_labelled(data, "d.jsonl")
    with pytest.raises(ValidationError, match="both grooming and other"):
        train(read_labelled(good, "d.jsonl"), description="one class")
    other = b'{"label": "grooming", "risky_sender": "a", "language": "en", "tags": ["early"], '
    other += b'"messages": [{"sender": "a", "text": "hi"}]}\n'
    (example,) = read_labelled(other, "d.jsonl")
    assert (example.grooming, example.groomer, example.language, example.tags) == (
        True, "a", "en", ("early",),
    )  # fmt: skip
    for data, message in (
        (b'{"label": "maybe", "messages": []}', 'needs "grooming"'),
        (b'{"label": "benign", "tags": "early", "messages": [{"sender": "a", "text": "hi"}]}',
         "tags must be a list"),
        (b"[1, 2]", "line 1 is not a JSON object"),
    ):  # fmt: skip
        with pytest.raises(ValidationError, match=message):
            read_labelled(data, "d.jsonl")
