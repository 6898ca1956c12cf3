"""The organisation's reporting profile and its sealed secrets."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bastion.errors import NotFoundError, ValidationError
from bastion.exchange.api import ExchangeAuthError
from bastion.exchange.secrets import CredentialBox
from bastion.reporting.profile import ReportingProfile, ReportingProfiles
from bastion.store import Database
from bastion.store.models import PreferenceRow


def profiles(db: Database, key: bytes | None = None) -> ReportingProfiles:
    return ReportingProfiles(db, CredentialBox(key or KEY))


KEY = Fernet.generate_key()


def test_a_new_profile_has_no_reporter_and_goes_to_the_test_environment(db: Database) -> None:
    profile = profiles(db).get()
    assert profile == ReportingProfile()
    assert (profile.environment, profile.reporter, profile.approval_required) == (
        "test",
        None,
        False,
    )


def test_changes_are_checked_and_kept(db: Database) -> None:
    store = profiles(db)
    store.update(
        reporter_first_name="Ada",
        reporter_last_name="Lovelace",
        reporter_email=" safety@example.org ",
        platform="Example Forum",
        approval_required=True,
        environment="production",
    )
    profile = profiles(db).get()
    assert profile.reporter is not None
    assert (profile.reporter.email, profile.reporter.platform) == (
        "safety@example.org",
        "Example Forum",
    )
    assert (profile.environment, profile.approval_required) == ("production", True)
    for bad, message in [
        ({"environment": "staging"}, "environment must be one of test, production"),
        ({"reporter_email": "not an email"}, "is not an email address"),
        ({"approval_required": "yes"}, "approval_required must be true or false"),
        ({"info_webhook_url": "ftp://example.org/x"}, "http or https"),
        ({"nonsense": "x"}, "unknown reporting setting 'nonsense'"),
        ({"platform": "x" * 256}, "platform"),
    ]:
        with pytest.raises(ValidationError, match=message):
            store.update(**bad)
    assert profiles(db).get() == profile  # a refused change changes nothing


def test_credentials_are_kept_sealed_and_need_the_same_key(db: Database) -> None:
    store = profiles(db)
    with pytest.raises(NotFoundError, match="no CyberTipline credentials are set"):
        store.credentials()
    assert not store.has_credentials()
    store.set_credentials("esp-user", "pa55-word-that-is-secret")
    assert store.has_credentials()
    found = store.credentials()
    assert (found.username, found.password) == ("esp-user", "pa55-word-that-is-secret")
    assert "pa55" not in repr(found)
    with db.session() as s:
        row = s.get(PreferenceRow, "reporting_secrets")
        assert row is not None
        assert "pa55" not in str(row.value)
        assert "esp-user" not in str(row.value)
    with pytest.raises(ExchangeAuthError, match="cannot be read with this secret key"):
        profiles(db, Fernet.generate_key()).credentials()
    with pytest.raises(ValidationError, match="both a username and a password"):
        store.set_credentials("esp-user", "")


def test_the_info_webhook_secret_is_sealed_too(db: Database) -> None:
    store = profiles(db)
    assert store.info_secret() is None
    with pytest.raises(ValidationError, match="16-128 characters"):
        store.set_info_secret("short")
    store.set_info_secret("s" * 32)
    assert store.info_secret() == "s" * 32
