"""Message franking: a report verifies only for the exact message, sender, recipient and
time that the service tagged."""

from __future__ import annotations

import secrets

from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.private import franking

KEY = secrets.token_bytes(32)


@settings(max_examples=50)
@given(st.binary(max_size=500), st.binary(max_size=500))
def test_a_commitment_opens_to_its_message_only(message: bytes, other: bytes) -> None:
    key, committed = franking.commit(message)
    assert franking.opens(key, message, committed)
    assert franking.opens(key, other, committed) == (other == message)
    assert not franking.opens(secrets.token_bytes(32), message, committed)


def test_a_tag_holds_for_its_delivery_only() -> None:
    _, committed = franking.commit(b"see you at practice")
    tagged = franking.tag(KEY, committed, "u1", "u2", 1_700_000_000)
    assert franking.tag_holds(KEY, tagged, committed, "u1", "u2", 1_700_000_000)
    for change in (
        (committed, "u3", "u2", 1_700_000_000),
        (committed, "u1", "u3", 1_700_000_000),
        (committed, "u1", "u2", 1_700_000_001),
        (franking.commit(b"x")[1], "u1", "u2", 1_700_000_000),
    ):
        assert not franking.tag_holds(KEY, tagged, *change)
    assert not franking.tag_holds(
        secrets.token_bytes(32), tagged, committed, "u1", "u2", 1_700_000_000
    )
    # Field boundaries are unambiguous: ("u1", "2u") is not ("u12", "u").
    assert franking.tag(KEY, committed, "u1", "2u", 0) != franking.tag(
        KEY, committed, "u12", "u", 0
    )
