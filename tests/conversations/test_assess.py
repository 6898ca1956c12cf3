"""Assessing conversations: calibrated scores, the likely groomer, evidence, the first
warning, and streaming that agrees with reading a chat at once."""

from __future__ import annotations

import json
import random

from bastion.conversations.assess import Tracker, assess
from bastion.conversations.model import Conversation, Message, Participant
from bastion.conversations.scoring import default_model
from bastion.conversations.synthetic import generate, held_out

GROOMING = [
    ("max", "gg that last round was wild"),
    ("kid", "lol yeah"),
    ("max", "how old are you btw"),
    ("kid", "12"),
    ("max", "you're so mature for your age"),
    ("kid", "thanks"),
    ("max", "are you home alone right now"),
    ("kid", "yes"),
    ("max", "add me on snap and dont tell your mom"),
    ("kid", "ok"),
    ("max", "send me a pic"),
]


def chat(lines: list[tuple[str, str]], *people: Participant) -> Conversation:
    return Conversation(tuple(Message(s, t) for s, t in lines), {p.id: p for p in people})


def test_a_grooming_pattern_is_high_risk_with_its_evidence() -> None:
    result = assess(chat(GROOMING, Participant("kid", age=12)))
    assert result.level == "high"
    assert result.likely_groomer == "max"
    assert [s.sender for s in result.senders] == ["max", "kid"]
    assert result.senders[1].score < 0.05
    assert {e.indicator for e in result.evidence} == {
        "age_question", "maturity_flattery", "supervision_check", "private_channel",
        "secrecy_request", "image_request",
    }  # fmt: skip
    assert all(e.sender == "max" for e in result.evidence)
    first = result.evidence[0]
    assert (first.message, first.excerpt, first.stage) == (2, "how old are you", "targeting")
    assert GROOMING[first.message][1][first.start : first.end] == first.excerpt
    assert result.first_warning is not None
    assert 4 <= result.first_warning <= 10
    assert result.to_json()["likely_groomer"] == "max"


def test_everyday_chats_and_hard_negatives_stay_low() -> None:
    assert assess(chat([("a", "hey"), ("b", "hi how was practice"), ("a", "good")])).level == "low"
    surprise = [
        ("sis", "we're throwing mom a surprise party, dont tell her!"),
        ("bro", "i wont"),
        ("sis", "lets meet at the mall to buy her a gift"),
        ("bro", "ok after school"),
    ]
    result = assess(chat(surprise, Participant("sis", age=14), Participant("bro", age=12)))
    assert result.level != "high"
    assert {e.indicator for e in result.evidence} == {"secrecy_request", "meeting"}
    parent = [("mum", "are you home alone? i'll be back at 6"), ("kid", "yes")]
    assert assess(chat(parent, Participant("mum", role="parent"))).level != "high"


def test_streaming_gives_the_batch_answer_and_survives_a_restart() -> None:
    model = default_model()
    people = (Participant("kid", age=12),)
    batch = assess(chat(GROOMING, *people), model)
    tracker = Tracker(model, {"kid": people[0]})
    scores = []
    for i, (sender, text) in enumerate(GROOMING):
        if i == 5:  # a process stops; another picks the state up from JSON
            tracker = Tracker.from_json(json.loads(json.dumps(tracker.to_json())), model)
        scores.append(tracker.add(Message(sender, text)))
    streamed = tracker.assessment()
    assert streamed.to_json() == batch.to_json()
    assert scores[-1] == batch.score
    assert scores[1] < model.alert_threshold <= scores[-1]


def test_declaring_ages_later_rescores() -> None:
    tracker = Tracker(default_model())
    for sender, text in GROOMING[:5]:
        tracker.add(Message(sender, text))
    before = tracker.score
    tracker.declare(Participant("kid", age=11))
    tracker.declare(Participant("max", age=34))
    assert tracker.score > before


def test_held_out_families_are_told_apart() -> None:
    """The synthetic families kept out of training: a small sample, the benchmark has the rest."""
    right = total = 0
    for family in sorted(held_out()):
        for example in generate(family, 30, seed=123):
            result = assess(example.conversation)
            right += (result.level == "high") == example.grooming
            total += 1
    assert right / total >= 0.95


def test_mixed_language_chats_are_read_in_both_languages() -> None:
    lines = [("x", "t'as quel age ?"), ("y", "13"), ("x", "are you home alone"), ("y", "oui")]
    result = assess(chat(lines))
    assert [(e.indicator, e.language) for e in result.evidence] == [
        ("age_question", "fr"), ("supervision_check", "en")
    ]  # fmt: skip


def test_long_conversations_keep_bounded_evidence() -> None:
    rng = random.Random(3)
    lines = [("a", rng.choice(["how old are you", "hi", "lol"])) for _ in range(3000)]
    result = assess(chat(lines))
    assert result.messages == 3000
    assert len(result.evidence) == 500


def test_an_adult_in_a_busy_group_chat_scores_as_in_a_one_to_one_chat() -> None:
    """Six people; max's cues all go to kid (by @mention), among the group's chatter, to
    which max adds his own."""
    model = default_model()
    early = GROOMING[:8]  # age, flattery, home alone: not yet certain
    alone = assess(chat(early), model)
    rng = random.Random(5)
    others = ["ana", "ben", "cleo", "dev"]
    chatter = ["lol", "did anyone do the homework", "page 42", "haha", "see you tomorrow"]
    lines: list[tuple[str, str]] = []
    for sender, text in early:
        for _ in range(rng.randint(1, 4)):
            lines.append((rng.choice(others), rng.choice(chatter)))
            lines.append(("max", f"@{rng.choice(others)} {rng.choice(chatter)}"))
        lines.append((sender, f"@kid {text}" if sender == "max" else text))
    busy = assess(chat(lines), model)
    assert busy.likely_groomer == "max"
    assert busy.senders[0].score >= alone.senders[0].score - 0.01
    # What max wrote to kid is kept apart from what he wrote to the group.
    tracker = Tracker(model)
    for sender, text in lines:
        tracker.add(Message(sender, text))
    assert tracker.pairs["max"]["kid"].messages == 4
    assert tracker.senders["max"].messages > 4


def test_a_tracker_saved_by_the_previous_version_still_loads() -> None:
    """States saved before pairs, ages and timestamps were kept (store.py persists them)."""
    old = {
        "participants": [{"id": "kid", "age": 12, "role": None}],
        "senders": {
            "max": {"messages": 2, "cue_messages": 1, "counts": {"age_question": 1},
                    "words": [0.0] * 64},
            "kid": {"messages": 1, "cue_messages": 0, "counts": {}, "words": [0.0] * 64},
        },
        "evidence": [
            {"message": 0, "sender": "max", "indicator": "age_question", "stage": "targeting",
             "start": 0, "end": 15, "excerpt": "how old are you", "language": "en"}
        ],
        "messages": 3,
        "first_warning": None,
    }  # fmt: skip
    tracker = Tracker.from_json(old, default_model())
    assert tracker.pairs == {}
    assert tracker.ages == {}
    for sender, text in GROOMING[4:]:
        tracker.add(Message(sender, text))
    assert tracker.assessment().level == "high"
    again = Tracker.from_json(json.loads(json.dumps(tracker.to_json())), default_model())
    assert again.assessment().to_json() == tracker.assessment().to_json()


def test_family_and_teacher_look_alikes_stay_below_an_alert() -> None:
    grandma = [
        ("gran", "send grandma a photo of your school play costume"),
        ("kid", "ok grandma"),
        ("gran", "and dont tell your mum about the present, its a surprise"),
        ("kid", "i wont"),
        ("gran", "lets do a video call on sunday"),
        ("kid", "love you grandma"),
    ]
    assert assess(chat(grandma)).level != "high"
    coach = [
        ("coach", "ask your mum to sign the permission form"),
        ("kid", "ok"),
        ("coach", "send me a photo of the signed form"),
        ("kid", "ok coach"),
        ("coach", "we meet at the field at 9, i'll email your parents the times"),
    ]
    assert assess(chat(coach, Participant("coach", role="coach"))).level != "high"
