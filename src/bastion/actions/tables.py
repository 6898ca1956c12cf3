"""Tables of the actioner: rules per bank, the webhook outbox and the review queue.

They derive from `bastion.store.models.Base`, so `Base.metadata` knows them once this module
is imported; migration 0003 creates them. This module imports only `bastion.store.models`,
so the store can import it without an import cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.models import Base, BigId, Json, UtcDateTime, utcnow


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


class ReviewItemRow(Base):
    """A match (kind ``match``) or a conversation's alert (kind ``conversation``) waiting
    for, or given, a human decision.

    The bank is kept by name and the entry by plain id, a conversation by its key: a
    decision outlives them.
    """

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_status", "status", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_rules.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="match", server_default="match")
    bank: Mapped[str | None] = mapped_column(String(64), nullable=True)
    entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    signal_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    distance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conversation: Mapped[str | None] = mapped_column(String(128), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
