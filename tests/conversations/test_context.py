"""Who is who: kinship address and signatures, self-declared ages, parents in the loop,
addressees in group chats, and the time features, in the six languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bastion.conversations.assess import Tracker
from bastion.conversations.context import (
    includes_parents,
    kinship,
    relationship,
    self_declared_age,
)
from bastion.conversations.cues import Indicator
from bastion.conversations.model import Message, Participant, message_of
from bastion.conversations.scoring import FEATURES, Model, SenderState, features
from bastion.conversations.text import normalise
from bastion.errors import ValidationError


def n(text: str) -> str:
    return normalise(text).text


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("thanks mum", "parent"),
        ("love you grandma", "grandparent"),
        ("love, dad", "parent"),
        ("see you sunday, nana ❤️", "grandparent"),
        ("bisous mamie", "grandparent"),
        ("merci tata", "relative"),
        ("gracias abuela", "grandparent"),
        ("danke oma", "grandparent"),
        ("obrigado vó", "grandparent"),
        ("grazie nonna", "grandparent"),
        ("Grandma! look at this", "grandparent"),
    ],
)
def test_kinship_address_and_signatures(text: str, role: str) -> None:
    assert kinship(n(text)) == role


@pytest.mark.parametrize(
    "text", ["ask mum", "my mom said no", "mom is home", "dont tell your mom", "hab dich lieb"]
)
def test_talk_about_family_is_not_address(text: str) -> None:
    assert kinship(n(text)) is None


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("i'm 13", 13),
        ("im 34", 34),
        ("I am 15 lol", 15),
        ("tengo 13 años", 13),
        ("ich bin 13", 13),
        ("tenho 13 anos", 13),
        ("ho 13 anni", 13),
        ("j'ai 13 ans", 13),
        ("i'm 5 min away", None),
        ("ho 3 gatti", None),
        ("j'ai 2 chats", None),
        ("ich bin 10 minuten zu spät", None),
    ],
)
def test_self_declared_ages(text: str, age: int | None) -> None:
    assert self_declared_age(n(text)) == age


def test_relationships_and_the_age_gap() -> None:
    adult, child = Participant("a"), Participant("c")
    far = relationship(adult, child, sender_age=34, other_age=13)
    assert (far.age_gap, far.peers, far.both_adults, far.family) == (21, False, False, False)
    assert relationship(adult, child, sender_age=14, other_age=13).peers
    assert relationship(adult, child, sender_age=31, other_age=29).both_adults
    assert relationship(Participant("g", role="grandparent"), child).family
    assert relationship(adult, child, kin=True).family
    coach = relationship(Participant("t", role="coach"), child, parents_in_loop=True)
    assert coach.educator
    assert coach.parents_in_loop


@pytest.mark.parametrize(
    ("text", "included"),
    [
        ("ask your mum to sign the form", True),
        ("i'll email your parents", True),
        ("your dad is in this group too", True),
        ("demande a ta mere de signer", True),
        ("pidele a tu madre que firme", True),
        ("frag deine eltern ob sie unterschreiben", True),
        ("pede a tua mae para assinar", True),
        ("chiedi ai tuoi genitori di firmare", True),
        ("dont tell your mom", False),
        ("no se lo digas a tu madre", False),
        ("sag es nicht deiner mutter", False),
        ("non dirlo a tua madre", False),
        ("send me a pic", False),
    ],
)
def test_parents_in_the_loop(text: str, included: bool) -> None:
    assert includes_parents(n(text)) is included


def group() -> Tracker:
    tracker = Tracker(Model.untrained())
    for sender, text in [("lea", "hi all"), ("sam", "hey"), ("noa", "yo"), ("max", "hello")]:
        tracker.add(Message(sender, text))
    return tracker


def test_addressees_in_a_group_chat() -> None:
    tracker = group()
    assert tracker.addressees_of(Message("max", "hi", to=("sam", "max"))) == ["sam"]
    assert tracker.addressees_of(Message("max", "hi", reply_to="lea")) == ["lea"]
    assert tracker.addressees_of(Message("max", "@Noa how old are you")) == ["noa"]
    assert tracker.addressees_of(Message("max", "sam is right")) == ["sam"]
    assert tracker.addressees_of(Message("max", "cool")) == ["noa"]  # the previous other sender
    assert tracker.addressees_of(Message("lea", "cool")) == ["max"]


def test_message_of_reads_and_checks_to_and_reply_to() -> None:
    message = message_of({"sender": "a", "text": "hi", "to": ["b", 7], "reply_to": "c"}, "m")
    assert (message.to, message.reply_to) == (("b", "7"), "c")
    assert message_of({"sender": "a", "text": "hi", "to": "b"}, "m").to == ("b",)
    for bad in ({"to": {"b": 1}}, {"to": [True]}, {"to": [""]}, {"to": ["b"] * 65}):
        with pytest.raises(ValidationError, match="to must be"):
            message_of({"sender": "a", "text": "hi", **bad}, "m")
    for value in (["b"], True, 1.5, " "):
        with pytest.raises(ValidationError, match="reply_to must be"):
            message_of({"sender": "a", "text": "hi", "reply_to": value}, "m")


def test_time_features() -> None:
    def column(x: object, name: str) -> float:
        return float(x[FEATURES.index(name)])  # type: ignore[index]

    plain = SenderState()
    plain.add("hi", [])
    x = features(plain, Participant("a"), [Participant("c")])
    assert all(column(x, f) == 0.0 for f in FEATURES if f.startswith("time:"))

    offset = timezone(timedelta(hours=-5))
    start = datetime(2026, 3, 1, 21, 0, tzinfo=offset)  # 02:00 UTC the next day
    state = SenderState()
    state.add("how old are you", [Indicator.AGE], start)
    state.add("hi", [], start + timedelta(hours=2))  # 23:00: night
    state.add("send me a pic", [Indicator.IMAGES], start + timedelta(days=2))
    assert (state.timed, state.night, state.days) == (3, 1, ["2026-03-01", "2026-03-03"])
    assert state.escalations == 1
    x = features(state, Participant("a"), [Participant("c")])
    assert column(x, "time:night_share") == pytest.approx(1 / 3)
    assert column(x, "time:escalation") == 0.5
    assert column(x, "time:days") > 0
    assert column(x, "time:span") > 0

    same_day = SenderState()
    same_day.add("how old are you", [Indicator.AGE], datetime(2026, 3, 1, 9, tzinfo=UTC))
    same_day.add("send me a pic", [Indicator.IMAGES], datetime(2026, 3, 1, 10, tzinfo=UTC))
    assert same_day.escalations == 0
    assert same_day.night == 0


def test_ages_answered_and_kinship_are_learned_per_pair() -> None:
    tracker = Tracker(Model.untrained())
    tracker.add(Message("max", "how old are you"))
    tracker.add(Message("kid", "12"))
    tracker.add(Message("max", "im 34"))
    tracker.add(Message("kid", "ok grandma"))
    assert tracker.ages == {"kid": 12, "max": 34}
    assert tracker.kin == {("kid", "max")}
