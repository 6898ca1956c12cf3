"""The evidence vault: media kept for review and reporting, sealed, and purged on time.

Reviewers decide on media that must not lie about in clear: every object is sealed with
AES-256-GCM under the vault's key (a fresh random 96-bit nonce each, the evidence id as
associated data) and stored as nonce || ciphertext, so a copy of the folder or the bucket
shows nothing, an object altered by a single bit is refused, and one object moved under
another's id is refused too. The `evidence` table keeps what the audit trail needs: the
SHA-256 and size of the media (checked again when it is opened), its type, and its
retention clock.

Retention: media is kept while undecided; a decision (`decided`) starts its clock, and it
is purged `retention` later. Reported media (`mark_reported`) is kept at least
`reported_retention` from the report, a year by default, the preservation a CyberTipline
report requires (18 U.S.C. § 2258A(h)). A legal hold keeps it whatever the clock says.
`purge_due` deletes the objects whose time has come and keeps their rows, marked with when
they were purged.

The key is derived from the deployment's secret key or read from a key file
(`VaultKey`): with another key nothing stored can be opened, so a deployment that will
rotate its secret key should give the vault a key file of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bastion.audit import record_in
from bastion.errors import ConfigurationError, NotFoundError, StorageError, ValidationError
from bastion.review.objects import ObjectStore
from bastion.store.database import Database
from bastion.store.models import EvidenceRow, utcnow
from bastion.validation import checked_text

KEY_BYTES = 32
NONCE_BYTES = 12
#: HKDF's `info` for the vault's key: the secret key derives other keys under other labels.
KEY_LABEL = b"bastion evidence vault"
#: What a reported object is kept at least, from the report: a CyberTipline report's
#: preservation period.
REPORTED_RETENTION = timedelta(days=365)

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


class EvidenceIntegrityError(StorageError):
    """A sealed object fails its check: altered, damaged, or sealed with another key."""

    code = "evidence-integrity"


class VaultKey:
    """The vault's AES-256 key, never shown (its repr hides it)."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(
                f"the evidence vault key must be {KEY_BYTES} bytes, not {len(key)}"
            )
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "VaultKey(...)"

    @classmethod
    def derive(cls, secret: bytes) -> VaultKey:
        """The key derived from the deployment's secret key (HKDF-SHA256, labelled for the
        vault, so it is no other key the secret derives)."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=KEY_LABEL)
        return cls(hkdf.derive(secret))

    @classmethod
    def from_file(cls, path: Path) -> VaultKey:
        """The key in `path`: 32 raw bytes, or their base64 (standard or URL-safe)."""
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ConfigurationError(
                f"evidence_key_file: cannot read {path}: {e.strerror or e}"
            ) from None
        if len(data) == KEY_BYTES:
            return cls(data)
        try:
            key = base64.b64decode(data.strip(), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ConfigurationError(
                f"evidence_key_file: {path} must hold a {KEY_BYTES}-byte key, raw or in base64 "
                f"(it holds {len(data)} bytes that are neither); make one with: "
                "python -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'"
            )
        return cls(key)

    def seal(self, object_id: str, data: bytes) -> bytes:
        """`data` encrypted and authenticated for `object_id`: nonce || ciphertext."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, object_id.encode())

    def unseal(self, object_id: str, sealed: bytes) -> bytes:
        """What `seal` sealed for `object_id`; EvidenceIntegrityError for anything else."""
        try:
            return self._aead.decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], object_id.encode()
            )
        except (InvalidTag, ValueError):
            raise _broken(object_id) from None


@dataclass(frozen=True)
class VaultOptions:
    """Where the vault keeps its objects, its key, and how long it keeps them."""

    #: A folder, or an fsspec URL (``s3://bucket/prefix``).
    location: str
    key: VaultKey = field(repr=False)
    retention: timedelta
    reported_retention: timedelta = REPORTED_RETENTION
    #: Given to fsspec for a URL `location` (for S3: ``endpoint_url``, ``client_kwargs``).
    storage_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    """A vault object's record: what it is, and where its retention clock stands."""

    id: str
    sha256: str
    size: int
    media_type: str
    created_at: datetime
    #: Purged after this; None: kept while undecided.
    retain_until: datetime | None
    legal_hold: bool
    reported: bool
    purged_at: datetime | None


class EvidenceVault:
    def __init__(
        self,
        db: Database,
        objects: ObjectStore,
        key: VaultKey,
        *,
        retention: timedelta,
        reported_retention: timedelta = REPORTED_RETENTION,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if retention <= timedelta(0) or reported_retention <= timedelta(0):
            raise ConfigurationError("evidence retention periods must be positive")
        self.db = db
        self.objects = objects
        self._key = key
        self.retention = retention
        self.reported_retention = reported_retention
        self._clock = clock

    def put(self, data: bytes, media_type: str, *, actor: str = "scheduler") -> Evidence:
        """Seal and keep `data` (the caller has held it to its size limit), kept while
        undecided. The object is written before its row, and deleted again if the row
        cannot be, so no row ever names an object that was never stored."""
        if not data:
            raise ValidationError("evidence: no bytes to keep")
        media_type = _checked_media_type(media_type)
        evidence_id = str(uuid.uuid4())
        self.objects.write(evidence_id, self._key.seal(evidence_id, data))
        try:
            with self.db.session() as s:
                row = EvidenceRow(
                    id=evidence_id,
                    sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                    media_type=media_type,
                    created_at=self._clock(),
                    retain_until=None,
                    legal_hold=False,
                    reported=False,
                    purged_at=None,
                )
                s.add(row)
                record_in(
                    s, actor, "evidence.put", evidence_id, size=len(data), media_type=media_type
                )
                s.flush()
                return _evidence(row)
        except BaseException:
            self.objects.delete(evidence_id)
            raise

    def get(self, evidence_id: str) -> Evidence:
        """The record of an object, purged or not; NotFoundError for an unknown id."""
        with self.db.session() as s:
            return _evidence(_row(s, evidence_id))

    def open(self, evidence_id: str) -> bytes:
        """The media of an object. NotFoundError once it is purged (saying when);
        EvidenceIntegrityError when what is stored is not what was sealed under this id
        with this key, or not the media its record describes."""
        evidence = self.get(evidence_id)
        _check_not_purged(evidence)
        try:
            sealed = self.objects.read(evidence.id)
        except NotFoundError:
            _check_not_purged(self.get(evidence.id))  # purged a moment ago
            raise StorageError(
                f"evidence {evidence.id}: its sealed object is missing from the vault's storage"
            ) from None
        data = self._key.unseal(evidence.id, sealed)
        if len(data) != evidence.size or hashlib.sha256(data).hexdigest() != evidence.sha256:
            raise _broken(evidence.id)
        return data

    def decided(self, evidence_id: str) -> Evidence:
        """Start the retention clock: kept `retention` from now, unless already kept longer."""
        with self.db.session() as s:
            row = _live_row(s, evidence_id)
            row.retain_until = _later(row.retain_until, self._clock() + self.retention)
            return _evidence(row)

    def mark_reported(self, evidence_id: str) -> Evidence:
        """Reported: kept at least `reported_retention` from now (a report's preservation)."""
        with self.db.session() as s:
            row = _live_row(s, evidence_id)
            row.reported = True
            row.retain_until = _later(row.retain_until, self._clock() + self.reported_retention)
            return _evidence(row)

    def hold(self, evidence_id: str, on: bool, actor: str) -> Evidence:
        """Put a legal hold on an object (never purged while it lasts), or lift it."""
        with self.db.session() as s:
            row = _live_row(s, evidence_id)
            if row.legal_hold != on:
                row.legal_hold = on
                record_in(s, actor, "evidence.hold", evidence_id, on=on)
            return _evidence(row)

    def purge_due(self) -> int:
        """Delete the objects whose retention has passed and that no hold keeps; their rows
        stay, with `purged_at`. Each is claimed by a conditional update first, so a hold
        placed meanwhile, or another process purging too, is never overridden; the object
        is deleted before that claim commits, so a failed deletion leaves it due."""
        now = self._clock()
        with self.db.session() as s:
            due = s.scalars(
                select(EvidenceRow.id).where(_due(now)).order_by(EvidenceRow.retain_until)
            ).all()
        purged = 0
        for evidence_id in due:
            with self.db.session() as s:
                claimed = s.execute(
                    update(EvidenceRow)
                    .where(EvidenceRow.id == evidence_id, _due(now))
                    .values(purged_at=now),
                    execution_options={"synchronize_session": False},
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                self.objects.delete(evidence_id)
                record_in(s, "scheduler", "evidence.purge", evidence_id)
            purged += 1
        return purged


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        EvidenceRow.purged_at.is_(None),
        EvidenceRow.legal_hold.is_(False),
        EvidenceRow.retain_until.is_not(None),
        EvidenceRow.retain_until <= now,
    )


def _row(s: Session, evidence_id: str, *, lock: bool = False) -> EvidenceRow:
    row = (
        s.get(EvidenceRow, evidence_id, with_for_update=lock)
        if _ID.fullmatch(evidence_id)
        else None
    )
    if row is None:
        raise NotFoundError(f"no evidence with id {evidence_id[:64]!r}")
    return row


def _live_row(s: Session, evidence_id: str) -> EvidenceRow:
    """The row, locked for a change; NotFoundError when its object was purged."""
    row = _row(s, evidence_id, lock=True)
    _check_not_purged(_evidence(row))
    return row


def _check_not_purged(evidence: Evidence) -> None:
    if evidence.purged_at is not None:
        raise NotFoundError(
            f"evidence {evidence.id} was purged on {evidence.purged_at:%Y-%m-%d} "
            "(its retention had passed)"
        )


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _broken(evidence_id: str) -> EvidenceIntegrityError:
    return EvidenceIntegrityError(
        f"evidence {evidence_id}: the stored object fails its integrity check (altered, "
        "damaged, or sealed with another key: was secret_key or evidence_key_file changed?); "
        "it cannot be opened"
    )


def _checked_media_type(media_type: str) -> str:
    media_type = checked_text(media_type, "media_type", max_length=100).lower()
    if not _MEDIA_TYPE.fullmatch(media_type):
        raise ValidationError(
            f"media_type: expected a type/subtype such as image/jpeg, got {media_type!r}"
        )
    return media_type


def _evidence(row: EvidenceRow) -> Evidence:
    return Evidence(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        created_at=row.created_at,
        retain_until=row.retain_until,
        legal_hold=row.legal_hold,
        reported=row.reported,
        purged_at=row.purged_at,
    )
