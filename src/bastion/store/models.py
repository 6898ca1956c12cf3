"""Database tables. SQLite and PostgreSQL share one schema, kept by Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class BankRow(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Per-signal-type match thresholds that override the defaults, e.g. {"pdq": 16}.
    thresholds: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    #: How images are matched beyond their hash as uploaded (`MatchOptions.as_dict`).
    match_options: Mapped[dict[str, bool]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    entries: Mapped[list[EntryRow]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", passive_deletes=True
    )


class EntryRow(Base):
    __tablename__ = "bank_entries"
    # AUTOINCREMENT: an entry id is never reused, so a tombstone names one entry forever.
    __table_args__ = (
        Index("ix_bank_entries_upstream", "exchange_id", "upstream_id", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", Json, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32))
    imported_from: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: An entry fetched from an exchange: which one, its id there, and a digest of what it
    #: last sent (an unchanged record is not written again).
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="SET NULL"), nullable=True
    )
    upstream_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    upstream_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The exchange's sync run that last saw it (a full-list exchange drops the unseen).
    upstream_run: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    bank: Mapped[BankRow] = relationship(back_populates="entries")
    signals: Mapped[list[SignalRow]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SignalRow.id",
    )


class SignalRow(Base):
    __tablename__ = "entry_signals"
    # Value first: lookups by value (duplicate checks, exact matches) must not scan a bank.
    __table_args__ = (Index("ix_entry_signals_value", "value", "bank_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("bank_entries.id", ondelete="CASCADE"), index=True
    )
    #: Denormalised from the entry so a bank's signals can be looked up without a join.
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    signal_type: Mapped[str] = mapped_column(String(32))
    #: The value, or for a long one its `Signal.key`, with the value itself in `payload`.
    value: Mapped[str] = mapped_column(String(512))
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: For a signal bastion derived from the entry's media to match edited copies (the
    #: picture inside its borders, a crop, a small rotation): how (`Derived.how`); None for
    #: the content's own signals, the only ones shown and shared.
    derived: Mapped[str | None] = mapped_column(String(32), nullable=True)

    @property
    def full_value(self) -> str:
        return self.payload if self.payload is not None else self.value

    entry: Mapped[EntryRow] = relationship(back_populates="signals")


class ChangeOp(StrEnum):
    ENTRY_UPSERT = "entry_upsert"
    ENTRY_DELETE = "entry_delete"  # a tombstone: the entry row is gone
    #: The entry's signals were replaced; the old ones are in removed_signals under it.
    SIGNALS_REPLACED = "signals_replaced"
    BANK_UPSERT = "bank_upsert"  # name, enabled flag or thresholds changed
    BANK_DELETE = "bank_delete"  # a tombstone for the bank and every entry in it


class ChangeRow(Base):
    """The change sequence: one row per change, `seq` strictly increasing in commit order.

    No foreign keys: tombstones outlive the rows they describe.
    """

    __tablename__ = "changes"
    # AUTOINCREMENT: SQLite must never reuse a sequence number, even after a purge.
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    op: Mapped[str] = mapped_column(String(16))
    bank_id: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RemovedSignalRow(Base):
    """A signal deleted with its entry or bank, under the change that deleted it.

    An index keyed by signal id needs these ids, and the signal rows are gone.
    """

    __tablename__ = "removed_signals"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    signal_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    signal_type: Mapped[str] = mapped_column(String(32))


class ApiKeyRow(Base):
    """An API key. Only a SHA-256 digest of the secret is stored; `prefix` finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(Json, default=list)
    #: Requests per minute this key may make (None: unlimited).
    rate_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: When the key last authenticated a request, to the minute (see `ApiKeyStore`).
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: None: every bank. Else bank name to the permissions (read, write, export) on it.
    bank_grants: Mapped[dict[str, list[str]] | None] = mapped_column(Json, nullable=True)


class ConversationRow(Base):
    """A conversation read a message at a time: what its assessment needs to go on
    (`bastion.conversations.Tracker.to_json`), and where it stands."""

    __tablename__ = "conversations"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The platform's id for the conversation.
    key: Mapped[str] = mapped_column(String(128), unique=True)
    state: Mapped[dict[str, Any]] = mapped_column(Json)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    level: Mapped[str] = mapped_column(String(8), default="low")
    #: When its alert fired (once per conversation).
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StreamWatchRow(Base):
    """One stream to watch. A service process claims it (`owner`, renewed in `lease_until`),
    runs the watcher and writes its figures back; once the lease has passed, any process may
    take it over. A watch that ended (the stream finished, or failed for good) keeps its row,
    with `finished_at`, until it is stopped."""

    __tablename__ = "stream_watches"
    __table_args__ = (
        Index("ix_stream_watches_unfinished", "finished_at", "lease_until"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The whole URL: the watcher needs its query (often an access token). Never shown.
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")
    started_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    frames: Mapped[int] = mapped_column(Integer, default=0)
    matched_frames: Mapped[int] = mapped_column(Integer, default=0)
    alerts: Mapped[int] = mapped_column(Integer, default=0)
    reconnects: Mapped[int] = mapped_column(Integer, default=0)
    lag_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ExchangeRow(Base):
    """A source or sink of shared signals, and where its sync stands.

    `credentials` is encrypted (`bastion.exchange.secrets`); `checkpoint` is the exchange's
    own JSON, committed in the transaction that applied what it covers. A process holds
    `lease_owner` until `lease_until` while it syncs, so two never fetch one source at once.
    """

    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    credentials: Mapped[str | None] = mapped_column(Text, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    #: Sync runs started (a full-list exchange marks what each run saw with it).
    runs: Mapped[int] = mapped_column(BigInteger, default=0)
    last_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    fetched: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ExchangeFeedbackRow(Base):
    """An opinion on a fetched entry, waiting to be sent to its exchange (or sent).

    The entry's upstream id, signals and metadata are copied in: the feedback outlives the
    entry.
    """

    __tablename__ = "exchange_feedback"
    __table_args__ = (
        Index("ix_exchange_feedback_due", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    exchange_id: Mapped[int] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int] = mapped_column(BigInteger)
    upstream_id: Mapped[str] = mapped_column(String(256))
    signals: Mapped[list[list[Any]]] = mapped_column(Json, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", Json, default=dict)
    opinion: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    given_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CollaborationRow(Base):
    """Banks this instance publishes to named partners (bastion-to-bastion federation).

    `generation` goes up whenever what the collaboration holds changes shape (a bank added
    or removed): partners then read it again from the start.
    """

    __tablename__ = "collaborations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    bank_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    #: Whether entries this instance fetched from exchanges are passed on too (off: a list
    #: received from NCMEC or a partner is not re-shared by accident).
    include_fetched: Mapped[bool] = mapped_column(Boolean, default=False)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PartnerRow(Base):
    """A partner of a collaboration, and the API key (scope `partner`) it reads with."""

    __tablename__ = "partners"
    __table_args__ = (Index("ix_partners_collab_name", "collab_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PartnerFeedbackRow(Base):
    """A partner's opinion on an entry this instance published to it."""

    __tablename__ = "partner_feedback"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    collab_id: Mapped[int] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(BigInteger, index=True)
    opinion: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditEventRow(Base):
    """Who did what to the shared lists and their secrets: exports, syncs, credential and
    sharing changes. Rows are only ever added."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_action", "action", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


# The actioner's tables (`bastion.actions`): rules per bank, the webhook outbox, the review queue.


class ActionRuleRow(Base):
    """What to do when an entry of a bank matches (scope ``bank``), or when a conversation
    alerts (scope ``conversations``, no bank): call a webhook or open a review item."""

    __tablename__ = "action_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int | None] = mapped_column(
        ForeignKey("banks.id", ondelete="CASCADE"), index=True, nullable=True
    )
    scope: Mapped[str] = mapped_column(String(16), default="bank", server_default="bank")
    kind: Mapped[str] = mapped_column(String(16))
    #: Webhook rules only: where to POST.
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Webhook rules only: the HMAC signing secret, sealed by the deployment's credential box
    #: (`bastion.exchange.secrets`), so a copy of the database cannot forge deliveries.
    sealed_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: After a rotation with a grace period, the previous secret (sealed): deliveries are
    #: signed with both until `previous_secret_until`, so receivers can switch at leisure.
    previous_sealed_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: A secret stored in clear before migration 0012; `ActionStore.seal_clear_secrets`
    #: seals it and empties this when a process first starts with a credential box.
    clear_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxRow(Base):
    """One webhook delivery, written in the transaction that recorded the match."""

    __tablename__ = "outbox"
    # AUTOINCREMENT: the id is the X-Bastion-Delivery header receivers dedupe by; never reuse.
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("action_rules.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Set while a worker delivers the row; another worker may take it once this has passed.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


# The review desk's tables (`bastion.review`): content submitted with its context, cases that
# gather a user's jobs, queues, jobs and their comments, false-positive exceptions, the evidence
# vault's objects; and the people who review (`bastion.auth.users`), their sessions, reveals of
# media, and the organisation's preferences.


class ContentRow(Base):
    """Content the platform submitted (or that matched) with its context: who posted it,
    where and when. Its signals are kept whole (a confirm adds them to a bank); its media
    only as a sealed object of the evidence vault, and only when it must be seen."""

    __tablename__ = "review_content"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The platform's own id for the content.
    platform_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    #: The platform's id of the user who posted it.
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    surface: Mapped[str | None] = mapped_column(String(64), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: [{"type": ..., "value": ...}]: the content's signals, whole.
    signals: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list)
    #: SHA-256 of the media bytes: identical media share it (bulk decisions).
    media_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    #: The vault object holding the media (`EvidenceRow.id`), when it is kept.
    evidence_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    context: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseRow(Base):
    """The jobs about one subject (a user of the platform, or else one piece of content),
    so that a reviewer sees the whole picture at once."""

    __tablename__ = "review_cases"
    __table_args__ = (
        Index("ix_review_cases_subject", "subject", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: ``user:<platform user id>`` or ``content:<content id>``.
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class QueueRow(Base):
    """A review queue: its jobs, who may work them, how soon, and whether its media is child
    safety material (revealed only by the child-safety reviewer role)."""

    __tablename__ = "review_queues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    child_safety: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Minutes from a job's arrival to its deadline.
    sla_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    #: Usernames who may work it; None: everyone whose role reviews.
    reviewers: Mapped[list[str] | None] = mapped_column(Json, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JobRow(Base):
    """One thing for a person to decide: a match, a conversation's alert, a user report, an
    escalation. The bank is kept by name and the entry by plain id: a decision outlives them."""

    __tablename__ = "review_jobs"
    __table_args__ = (
        # A queue's open jobs, most urgent first, then oldest: the console's first page.
        Index("ix_review_jobs_queue", "queue_id", "status", "urgency", "id"),
        # A queue's counts (open, overdue, held) from the index alone, and a reviewer's own
        # claims in a queue by a seek (docs/benchmarks.md, "Review console").
        Index("ix_review_jobs_due", "queue_id", "status", "due_at", "claimed_until"),
        Index("ix_review_jobs_claims", "queue_id", "status", "claimed_by", "claimed_until"),
        Index("ix_review_jobs_status", "status", "id"),
        Index("ix_review_jobs_media", "media_sha256", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_cases.id"), index=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("review_queues.id"))
    content_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_content.id"), nullable=True, index=True
    )
    #: The rule that opened it; None once that rule is removed (or for a submission).
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_rules.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: match, conversation, user_report, escalation.
    kind: Mapped[str] = mapped_column(String(16))
    #: 0-100, higher first.
    priority: Mapped[int] = mapped_column(Integer, default=50)
    #: 100 - priority: the index orders by it ascending, then by id (oldest first).
    urgency: Mapped[int] = mapped_column(Integer, default=50)
    #: open or decided.
    status: Mapped[str] = mapped_column(String(16), default="open")
    bank: Mapped[str | None] = mapped_column(String(255), nullable=True)
    entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    signal_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    distance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conversation: Mapped[str | None] = mapped_column(String(128), nullable=True)
    media_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: What the reviewer sees: the match or alert event, or the report.
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    classification: Mapped[str | None] = mapped_column(String(4), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    #: The triage policy's assessment: its level and the rules that set it.
    triage: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)


class CommentRow(Base):
    __tablename__ = "review_comments"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("review_jobs.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MatchExceptionRow(Base):
    """A match a reviewer found false: the same content signal against the same entry does
    not alert again."""

    __tablename__ = "review_exceptions"
    __table_args__ = (
        Index("ux_review_exceptions", "entry_id", "signal_type", "value_sha256", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank: Mapped[str] = mapped_column(String(255))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    signal_type: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of the content's signal value (video signals are long).
    value_sha256: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EvidenceRow(Base):
    """A sealed media object of the evidence vault, and its retention clock."""

    __tablename__ = "evidence"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Purged after this (set when its jobs are decided); None: kept while undecided.
    retain_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Reported content is preserved (a year at least) whatever its clock says.
    reported: Mapped[bool] = mapped_column(Boolean, default=False)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class UserRow(Base):
    """A person who signs in to the console. Only an argon2 hash of the password is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The TOTP secret, sealed by the credential box; None: no second factor.
    totp_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Wellness overrides of the organisation's defaults (blur, greyscale, autoplay...).
    preferences: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: Reveals a day this person may make, set by a lead; None: the organisation's cap.
    daily_reveal_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SessionRow(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RevealRow(Base):
    """A reviewer's explicit reveal of one job's media: a single-use link (only the SHA-256
    of its token is kept), and, once used, one exposure."""

    __tablename__ = "reveals"
    __table_args__ = (
        Index("ix_reveals_user_used", "user_id", "used_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("review_jobs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PreferenceRow(Base):
    """The organisation's review settings that a lead or admin changes from the console
    (wellness defaults, the daily reveal cap, break prompts)."""

    __tablename__ = "org_preferences"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(Json)


# Reports to hotlines (`bastion.reporting`): the report, its files, and its history.


class ReportRow(Base):
    """A report to a hotline (NCMEC's CyberTipline), a persisted state machine: the step in
    flight is written before it is sent and its answer before the next step is taken, so a
    crash resumes where it stopped."""

    __tablename__ = "reports"
    __table_args__ = (
        # The worker's query: reports still being sent whose next attempt is due.
        Index("ix_reports_due", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The destination (`ReportSink.name`).
    sink: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    job_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    status: Mapped[str] = mapped_column(String(24), index=True)
    incident: Mapped[dict[str, Any]] = mapped_column(Json)
    reporter: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    person: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    remote_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: The step sent and not yet confirmed: ``submit``, ``upload:<file id>``... or None.
    step_in_flight: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Whether what follows a finished report (preservation, banks) has run.
    after_done: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ReportFileRow(Base):
    __tablename__ = "report_files"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    evidence_id: Mapped[str] = mapped_column(String(36))
    file_name: Mapped[str] = mapped_column(String(255))
    content_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    classification: Mapped[str | None] = mapped_column(String(4), nullable=True)
    viewed_by_esp: Mapped[bool] = mapped_column(Boolean, default=False)
    exif_viewed_by_esp: Mapped[bool] = mapped_column(Boolean, default=False)
    publicly_available: Mapped[bool] = mapped_column(Boolean, default=False)
    original_hashes: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    uploaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    ip_capture: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    #: pending, uploaded, described.
    state: Mapped[str] = mapped_column(String(16), default="pending")
    remote_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remote_md5: Mapped[str | None] = mapped_column(String(64), nullable=True)
    original_name: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class ReportEventRow(Base):
    """A report's history: each step sent, confirmed, retried or failed, and each person's
    act (drafted, edited, asked to send, approved, retracted). Rows are only ever added."""

    __tablename__ = "report_events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    step: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


# The transparency report's tallies (`bastion.reporting.tallies`): counts a day, never what was
# checked or who sent it.


class CheckTallyRow(Base):
    """How much content was checked on one UTC day, of one kind, through one door; how many
    of those checks matched a bank, and how many alerts were raised."""

    __tablename__ = "check_tallies"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: image, video, stream (a live stream's frame), text, url, hash, message...
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: api, hma, review, cli, stream...
    door: Mapped[str] = mapped_column(String(32), primary_key=True)
    checked: Mapped[int] = mapped_column(BigInteger, default=0)
    matched: Mapped[int] = mapped_column(BigInteger, default=0)
    alerts: Mapped[int] = mapped_column(BigInteger, default=0)


class MatchTallyRow(Base):
    """Matches made on one UTC day in one bank, by entries from one source, by one signal
    type: a match is one bank entry matched by one signal type of one check."""

    __tablename__ = "match_tallies"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bank: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: ``local``, or the name of the exchange the matched entry was fetched from.
    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    signal_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: ``local``, ``federation`` or the exchange's kind (``ncmec``...).
    source_kind: Mapped[str] = mapped_column(String(32), default="local")
    matches: Mapped[int] = mapped_column(BigInteger, default=0)


class TriageFindingRow(Base):
    """Something triage found about media (a classifier's label, an outside matcher's answer,
    a near miss...), kept for `triage_retention_days`; a job it raises keeps its own copy in
    its assessment (`JobRow.triage`)."""

    __tablename__ = "triage_findings"
    __table_args__ = (
        Index("ix_triage_findings_media", "media_sha256", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: SHA-256 of the media it is about (None: about a user or a conversation only).
    media_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_content.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    score: Mapped[float] = mapped_column(Float, default=1.0)
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TriageRunRow(Base):
    """One classifier's or outside service's run over a piece of content, and how it ended."""

    __tablename__ = "triage_runs"
    __table_args__ = (
        Index("ix_triage_runs_media", "media_sha256", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    media_sha256: Mapped[str] = mapped_column(String(64))
    #: The classifier's or the service's name.
    source: Mapped[str] = mapped_column(String(255))
    #: ``classifier`` or ``outside``.
    source_kind: Mapped[str] = mapped_column(String(16))
    #: ``classified``, ``matched``, ``no_match``, ``timeout``, ``rate_limited``...
    state: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text, default="")
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutsideServiceRow(Base):
    """An outside service bastion asks about content: its kind, address, sealed credentials
    and limits."""

    __tablename__ = "outside_services"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``photodna``, ``arachnid``, ``google_csai`` or a plugin's.
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    #: The credentials, sealed by the deployment's credential box; never in clear.
    sealed_credentials: Mapped[str] = mapped_column(Text)
    rate_per_second: Mapped[float] = mapped_column(Float)
    burst: Mapped[int] = mapped_column(Integer)
    timeout_seconds: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutsideBucketRow(Base):
    """A service's token bucket, shared by every worker: tokens left as of `updated` (Unix
    seconds), and no token before `paused_until` (a service said to wait)."""

    __tablename__ = "outside_buckets"

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)


class ScanRow(Base):
    """A bulk scan of a folder, a bucket or a manifest (`bastion scan`)."""

    __tablename__ = "scans"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: ``running``, ``stopped`` (interrupted, or items failed) or ``finished``.
    state: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ScanItemRow(Base):
    """One item of a scan's manifest: where it is, what it was when listed, and how its check
    ended. Marked ``done`` in the transaction that acts on its matches."""

    __tablename__ = "scan_items"
    __table_args__ = (
        Index("ix_scan_items_status", "scan_id", "status", "id"),
        Index("uq_scan_items_key", "scan_id", "key", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    #: The item's key in its source: a path under the folder, an object key, a manifest id.
    key: Mapped[str] = mapped_column(Text)
    #: Where its bytes are read from: a file path, an fsspec URL or an https URL.
    location: Mapped[str] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    etag: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: ``pending``, ``done`` or ``failed``.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The signals' keys ({type: key}), once checked.
    signals: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    matches: Mapped[int] = mapped_column(Integer, default=0)
    #: Actions queued for its matches (webhooks, review jobs).
    queued: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CheckedContentRow(Base):
    """Content bastion checked, kept (its signals, never its media) for retroactive matching
    while `checked_retention_days` last."""

    __tablename__ = "checked_content"
    __table_args__ = (
        Index("ix_checked_content_checked_at", "checked_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    content_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Where it was checked: ``api``, ``cli``, ``scan:<name>``...
    door: Mapped[str] = mapped_column(String(32))
    #: What a match event says of it (`bastion.actions.content_info`).
    info: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: The entries it matched when checked (they are not matched again after the fact).
    matched: Mapped[list[int]] = mapped_column(Json, default=list)
    #: The bank change the matcher had applied when it was checked.
    seq: Mapped[int] = mapped_column(BigInteger)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CheckedSignalRow(Base):
    """A signal of checked content (PDQ, MD5, SHA-256...)."""

    __tablename__ = "checked_signals"
    __table_args__ = (
        Index("ix_checked_signals_value", "signal_type", "value"),
        # A type's signals a page at a time, in id order (retroactive matching's pass).
        Index("ix_checked_signals_type", "signal_type", "id"),
        Index("ix_checked_signals_checked", "checked_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    checked_id: Mapped[int] = mapped_column(ForeignKey("checked_content.id", ondelete="CASCADE"))
    signal_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(512))
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RetroMatchRow(Base):
    """A bank entry that checked content was found to match after it was checked: once."""

    __tablename__ = "retro_matches"

    checked_id: Mapped[int] = mapped_column(
        ForeignKey("checked_content.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    bank: Mapped[str] = mapped_column(String(255))
    queued: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RetroCursorRow(Base):
    """How far in the bank's change log retroactive matching has looked (one row)."""

    __tablename__ = "retro_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PrivateTableRow(Base):
    """A blinded table of private matching (one per kind: exact, near): its parameters, its
    version, and how far in the bank's change log it has followed."""

    __tablename__ = "private_tables"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: Hex of the table's 16-byte id (new on every rebuild: its blinding key changes).
    table_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(32))
    tokens: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    account_threshold: Mapped[int] = mapped_column(Integer)
    item_threshold: Mapped[int] = mapped_column(Integer)
    lsh: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PrivateSlotRow(Base):
    """A slot of a blinded table: its point, the token it holds (None: a random point) and
    the table version that last changed it."""

    __tablename__ = "private_slots"
    __table_args__ = (
        Index("ix_private_slots_version", "kind", "version"),
        Index("ix_private_slots_token", "kind", "token"),
    )

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    point: Mapped[bytes] = mapped_column(LargeBinary(32))
    version: Mapped[int] = mapped_column(BigInteger)


class PrivateRefRow(Base):
    """A bank signal behind a table token (a token stays while any signal holds it)."""

    __tablename__ = "private_refs"
    __table_args__ = (Index("ix_private_refs_token", "kind", "token"),)

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    signal_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)


class PrivateVoucherRow(Base):
    """A voucher received: its id (replays are refused) and, when its item matched, the
    account share and the payload still sealed with the account key."""

    __tablename__ = "private_vouchers"
    __table_args__ = (
        UniqueConstraint("account", "voucher", name="uq_private_vouchers_voucher"),
        Index("ix_private_vouchers_received", "account", "received_at"),
        Index("ix_private_vouchers_opened", "account", "threshold", "share_x"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account: Mapped[str] = mapped_column(String(200))
    voucher: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    share_x: Mapped[str | None] = mapped_column(String(40), nullable=True)
    share_y: Mapped[str | None] = mapped_column(String(80), nullable=True)
    inner: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    revealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PrivateAccountRow(Base):
    """An account whose vouchers reached the threshold (its key is not kept: it is
    recomputed from the shares whenever a new voucher of the account opens)."""

    __tablename__ = "private_accounts"

    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    threshold: Mapped[int] = mapped_column(Integer, primary_key=True)
    revealed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
