"""The meaning layer: cues recognised however they are worded, from embeddings shipped in a
wheel, read offline, with evidence that says what each excerpt reads like."""

from __future__ import annotations

import socket

import pytest

from bastion.conversations import meaning
from bastion.conversations.assess import Tracker
from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.lexicon import LANGUAGES
from bastion.conversations.meaning import Encoder, Example, Meaning, MeaningUnavailable
from bastion.conversations.model import Message
from bastion.conversations.scoring import default_model


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder.load()


def small(encoder: Encoder) -> Meaning:
    """A layer over a handful of examples, so the tests do not depend on the lexicons'."""
    known = [
        Example(Indicator.SUPERVISION, "en", "do your parents check your phone"),
        Example(Indicator.SUPERVISION, "en", "does your mum read your messages"),
        Example(Indicator.GIFTS, "en", "i can buy you robux"),
        Example(Indicator.GIFTS, "en", "want me to send you a gift card"),
        Example(None, "en", "that game was so fun"),
        Example(None, "en", "what did you have for dinner"),
        Example(None, "en", "see you at practice tomorrow"),
    ]
    return Meaning(encoder, known, threshold=0.3, margin=0.1)


def test_the_embeddings_load_from_the_installed_wheel_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the meaning layer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    encoder = Encoder.load()
    vectors = encoder.encode(["are your parents home", ""])
    assert vectors.shape == (2, encoder.dimensions) == (2, 256)
    assert abs(float((vectors[0] ** 2).sum()) - 1) < 1e-4
    assert not vectors[1].any()  # nothing to read: no direction


def test_a_paraphrase_no_pattern_holds_reads_as_its_indicator(encoder: Encoder) -> None:
    layer = small(encoder)
    text = "lol ok. does ur dad ever look through ur phone?"  # chat shorthand spelled out
    (cue,) = layer.cues(text)
    assert cue.indicator is Indicator.SUPERVISION
    assert cue.source == "meaning"
    assert cue.reads_like in {e.text for e in layer.examples}
    assert cue.excerpt == "does ur dad ever look through ur phone"
    assert text[cue.start : cue.end] == cue.excerpt


def test_everyday_lines_and_short_ones_read_as_nothing(encoder: Encoder) -> None:
    layer = small(encoder)
    for text in ("that match was so fun", "what are you having for dinner", "ok", "lol", ""):
        assert layer.cues(text) == [], text


def test_indicators_the_lexicon_found_are_not_read_twice(encoder: Encoder) -> None:
    layer = small(encoder)
    text = "does your mum go through your phone"
    assert [c.indicator for c in layer.cues(text)] == [Indicator.SUPERVISION]
    assert layer.cues(text, skip=[Indicator.SUPERVISION]) == []


def test_without_examples_the_layer_reads_nothing(encoder: Encoder) -> None:
    assert Meaning(encoder, []).cues("does your mum go through your phone") == []
    only_everyday = [Example(None, "en", "hello there friend")]
    assert Meaning(encoder, only_everyday).cues("does your mum go through your phone") == []


def test_other_weights_than_the_measured_ones_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(meaning, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(MeaningUnavailable, match="not the ones bastion was measured with"):
        Encoder.load()


def test_a_missing_package_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meaning, "TOKENIZER_FILE", ("tokenizers", "no-such-file.json"))
    with pytest.raises(MeaningUnavailable, match="pip install wordllama"):
        Encoder.load()


def test_below_the_bar_for_evidence_a_message_still_reads_softly_as_its_stage(
    encoder: Encoder,
) -> None:
    strict = Meaning(encoder, small(encoder).examples, threshold=0.99, margin=0.5)
    reading = strict.read("does your mum ever go through your phone")
    assert reading.cues == []
    assert reading.soft == {Stage.RISK_ASSESSMENT}
    assert strict.read("that match was so fun").soft == set()


def test_the_layer_reads_with_every_language_s_examples() -> None:
    layer = meaning.default_meaning()
    assert {e.language for e in layer.examples} == set(LANGUAGES)
    assert {e.indicator for e in layer.examples} == {None, *Indicator}


def test_the_default_model_reads_with_the_layer_and_shows_its_evidence() -> None:
    model = default_model()
    assert model.meaning
    tracker = Tracker(model)
    assert tracker.meaning is meaning.default_meaning()
    for text in (
        "hey how was the game",
        "wipe everything we said today ok",
        "fine",
    ):
        tracker.add(Message("a", text))
    (found,) = tracker.assessment().evidence
    assert (found.source, found.indicator, found.message) == ("meaning", "secrecy_request", 1)
    assert found.reads_like in {e.text for e in tracker.meaning.examples}
    assert found.excerpt == "wipe everything we said today ok"
    assert tracker.senders["a"].soft == {"risk_assessment": 1}
