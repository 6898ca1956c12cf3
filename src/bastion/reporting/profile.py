"""The organisation's reporting profile: who reports, to which environment, with what
credentials, whether a second person approves each report, and what happens after one.

An admin changes it live (console, API or CLI), so it is kept in the database rather than in
the settings file. The CyberTipline credentials and the additional-information webhook's
signing secret are kept only sealed (`CredentialBox`, the same box as exchange credentials).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from bastion.actions.webhook import validate_secret, validate_webhook_url
from bastion.errors import NotFoundError, ValidationError
from bastion.exchange.secrets import CredentialBox
from bastion.reporting.model import Reporter
from bastion.store.database import Database
from bastion.store.models import PreferenceRow
from bastion.validation import checked_text

_KEY = "reporting"
_SECRETS_KEY = "reporting_secrets"
ENVIRONMENTS = ("test", "production")
_TEXT_LIMITS = {
    "reporter_first_name": 100,
    "reporter_last_name": 100,
    "reporter_email": 254,
    "reporter_phone": 40,
    "platform": 255,
    "company_template": 4000,
    "terms_of_service": 4000,
    "legal_url": 2000,
    "report_bank": 255,
    "share_collaboration": 64,
    "destination": 64,
}


@dataclass(frozen=True)
class ReportingProfile:
    #: The CyberTipline environment reports go to: ``test`` until the organisation has
    #: tried its reports there, then ``production``.
    environment: str = "test"
    #: Where new reports go: ``cybertipline``, or a destination a plugin adds.
    destination: str = "cybertipline"
    reporter_first_name: str = ""
    reporter_last_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    #: The service's name in reports (their `platform`).
    platform: str = ""
    company_template: str = ""
    terms_of_service: str = ""
    legal_url: str = ""
    #: Whether a report waits for a second person (a lead or an admin) before it is sent.
    approval_required: bool = False
    #: The bank a finished report's file hashes are added to ("" for none).
    report_bank: str = ""
    #: A collaboration the report bank is shared through with federation partners ("" for
    #: none): the bank joins it when a report first adds to it.
    share_collaboration: str = ""
    #: The URL bastion asks for what the platform knows of a reported user before a report
    #: is sent (a signed POST; "" for none).
    info_webhook_url: str = ""

    @property
    def reporter(self) -> Reporter | None:
        """The reporter the reports name, when the profile names one."""
        if not self.reporter_email:
            return None
        return Reporter(
            first_name=self.reporter_first_name,
            last_name=self.reporter_last_name,
            email=self.reporter_email,
            phone=self.reporter_phone or None,
            platform=self.platform or None,
            company_template=self.company_template or None,
            terms_of_service=self.terms_of_service or None,
            legal_url=self.legal_url or None,
        )


def checked(values: dict[str, Any]) -> dict[str, Any]:
    """`values` if each names a profile field with an acceptable value."""
    known = {f.name for f in fields(ReportingProfile)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            raise ValidationError(f"unknown reporting setting {name!r}")
        if name == "approval_required":
            if not isinstance(value, bool):
                raise ValidationError("approval_required must be true or false")
        elif not isinstance(value, str):
            raise ValidationError(f"{name} must be text")
        elif name == "environment":
            if value not in ENVIRONMENTS:
                raise ValidationError(f"environment must be one of {', '.join(ENVIRONMENTS)}")
        elif name == "info_webhook_url":
            if value:
                validate_webhook_url(value)
        else:
            value = value.strip()
            checked_text(value, name, max_length=_TEXT_LIMITS[name])
            if name == "reporter_email" and value and not _looks_like_email(value):
                raise ValidationError(f"reporter_email {value!r} is not an email address")
        out[name] = value
    return out


def _looks_like_email(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in value)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


class ReportingProfiles:
    """The profile, and its sealed secrets, in the organisation's preferences."""

    def __init__(self, db: Database, box: CredentialBox) -> None:
        self.db = db
        self._box = box

    def get(self) -> ReportingProfile:
        stored = self._read(_KEY)
        known = {f.name for f in fields(ReportingProfile)}
        values = {k: v for k, v in stored.items() if k in known}
        return replace(ReportingProfile(), **checked(values))

    def update(self, **changes: Any) -> ReportingProfile:
        updated = replace(self.get(), **checked(changes))
        self._write(_KEY, asdict(updated))
        return updated

    # Secrets ---------------------------------------------------------------------------

    def set_credentials(self, username: str, password: str) -> None:
        """Store the CyberTipline's HTTP Basic credentials, sealed."""
        if not username or not password:
            raise ValidationError("both a username and a password are needed")
        checked_text(username, "username", max_length=255)
        if len(password) > 1024:
            raise ValidationError("the password is longer than 1024 characters")
        self._set_secret("credentials", {"username": username, "password": password})

    def credentials(self) -> Credentials:
        found = self._secret("credentials")
        if found is None:
            raise NotFoundError(
                "no CyberTipline credentials are set (bastion report credentials --username "
                "NAME --password-stdin)"
            )
        return Credentials(found["username"], found["password"])

    def has_credentials(self) -> bool:
        return self._read(_SECRETS_KEY).get("credentials") is not None

    def set_info_secret(self, secret: str) -> None:
        """The secret that signs requests to the additional-information webhook."""
        self._set_secret("info_webhook", {"secret": validate_secret(secret)})

    def info_secret(self) -> str | None:
        found = self._secret("info_webhook")
        return None if found is None else found["secret"]

    def _set_secret(self, name: str, value: dict[str, str]) -> None:
        stored = self._read(_SECRETS_KEY)
        stored[name] = self._box.seal(value)
        self._write(_SECRETS_KEY, stored)

    def _secret(self, name: str) -> dict[str, str] | None:
        token = self._read(_SECRETS_KEY).get(name)
        if not isinstance(token, str):
            return None
        return self._box.open(token, owner=f"reporting {name}")

    # Rows ------------------------------------------------------------------------------

    def _read(self, key: str) -> dict[str, Any]:
        with self.db.session() as s:
            row = s.get(PreferenceRow, key)
            return dict(row.value) if row is not None and isinstance(row.value, dict) else {}

    def _write(self, key: str, value: dict[str, Any]) -> None:
        with self.db.session() as s:
            row = s.get(PreferenceRow, key)
            if row is None:
                s.add(PreferenceRow(key=key, value=value))
            else:
                row.value = value
