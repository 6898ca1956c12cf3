"""`Bastion`'s use cases on a real database: check content (hash with the banks' lookups,
match, count, act), look up signals, add to a bank."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PIL import Image

from bastion.matching import Match
from bastion.pipeline import Bastion
from bastion.review import ReviewDesk
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.signals import Signal

MD5 = "0123456789abcdef0123456789abcdef"


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def counted() -> list[Match]:
    return []


@pytest.fixture
def bastion(settings: Settings, counted: list[Match]) -> Iterator[Bastion]:
    built = Bastion(settings, on_matches=counted.extend)
    yield built
    built.close()


def test_check_content_matches_a_rotated_copy_counts_and_acts_unless_told_not_to(
    bastion: Bastion, counted: list[Match]
) -> None:
    picture = Image.fromarray(sample_pixels(44))
    bastion.store.create_bank("known")
    entry_id = bastion.add_to_bank("known", jpeg(picture), "k.jpg", metadata={"case": "1"})
    assert bastion.store.get_entry(entry_id).metadata == {"case": "1"}
    bastion.actions.add_review("known")
    turned = jpeg(picture.transpose(Image.Transpose.ROTATE_180))

    dry = bastion.check_content(turned, "t.jpg", act=False)
    assert [(m.bank, m.entry_id, m.query_how) for m in dry.matches] == [
        ("known", entry_id, "rotate180")
    ]
    assert dry.queued == 0
    assert ReviewDesk(bastion.db).jobs() == []

    checked = bastion.check_content(dry.content)  # content already hashed for matching
    assert checked.matches == dry.matches
    assert checked.queued == 1
    (item,) = ReviewDesk(bastion.db).jobs()
    assert (item.bank, item.entry_id) == ("known", entry_id)
    assert counted == dry.matches + checked.matches

    assert bastion.check_content(turned, banks=["other"], act=False).matches == []


def test_signals_added_are_looked_up_alike_in_a_thread_and_on_an_event_loop(
    bastion: Bastion,
) -> None:
    bastion.store.create_bank("known")
    entry_id = bastion.add_to_bank("known", [Signal("md5", MD5)], note="from a partner")
    assert bastion.store.get_entry(entry_id).note == "from a partner"
    found = bastion.look_up([Signal("md5", MD5)], act=False)
    assert [(m.bank, m.entry_id) for m in found] == [("known", entry_id)]
    assert asyncio.run(bastion.look_up_async([Signal("md5", MD5)], act=False)) == found
    assert bastion.look_up([Signal("md5", "f" * 32)]) == []
    bastion.store.update_bank("known", enabled=False)
    assert bastion.look_up([Signal("md5", MD5)], act=False) == []
    disabled = bastion.look_up([Signal("md5", MD5)], include_disabled_banks=True, act=False)
    assert disabled == found


def test_console_accounts_follow_the_settings_and_seal_totp_with_the_box(
    settings: Settings,
) -> None:
    from datetime import timedelta

    from bastion.auth import LoginError, Role, totp

    tuned = settings.with_overrides(
        login_max_failures=2, session_idle_minutes=10, session_max_hours=2
    )
    built = Bastion(tuned)
    try:
        assert built.users.policy.max_failures == 2
        assert built.sessions.lifetimes.idle == timedelta(minutes=10)
        assert built.sessions.lifetimes.absolute == timedelta(hours=2)
        new = built.users.create("ana", Role.REVIEWER, actor="test")
        setup = built.users.enable_totp("ana", actor="test", confirm=False)
        stored = built.users.get("ana")
        assert stored.totp_enabled
        # A second process of the deployment (same settings, same key) reads the secret.
        again = Bastion(tuned)
        try:
            code = totp.code_at(setup.secret, datetime.now(UTC))
            assert again.users.authenticate("ana", new.password, code).id == new.user.id
            with pytest.raises(LoginError):
                again.users.authenticate("ana", "wrong password!")
        finally:
            again.close()
    finally:
        built.close()
