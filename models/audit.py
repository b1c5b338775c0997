"""Audit trail: one append-only, hash-chained row per decision, and the head of the chain.

Rows are written only by ``backoffice.audit.append_event``. Each row's ``hash`` covers its
content and the previous row's hash, so editing, removing or reordering rows breaks the chain;
``audit_chain_head`` records the newest row and the count, so removing the newest rows shows too.
On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on ``audit_event`` (migration 0002).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .users import User

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event."""

# BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER PRIMARY KEY.
_BigId = BigInteger().with_variant(Integer, "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_record", "record_type", "record_id"),
        # The audit list at scale (migration 0008): its order (newest first, the id breaking
        # ties) overall and per region (the scope of regional heads and auditors), the filters
        # on who, action and record type in that order, record numbers alone, and the words of
        # a note by trigram on PostgreSQL (a plain index elsewhere).
        Index("ix_audit_event_occurred_id", "occurred_at", "id"),
        Index("ix_audit_event_region_occurred_id", "region_id", "occurred_at", "id"),
        Index("ix_audit_event_actor_occurred_id", "actor_username", "occurred_at", "id"),
        Index("ix_audit_event_action_occurred_id", "action", "occurred_at", "id"),
        Index("ix_audit_event_record_type_occurred_id", "record_type", "occurred_at", "id"),
        Index("ix_audit_event_record_id", "record_id"),
        Index(
            "ix_audit_event_comment_trgm",
            "comment",
            postgresql_using="gin",
            postgresql_ops={"comment": "gin_trgm_ops"},
        ),
        # A user's event keeps a snapshot of who they were; system events have no actor.
        CheckConstraint(
            "actor_id IS NULL OR (actor_username IS NOT NULL AND actor_role IS NOT NULL)",
            name="actor_snapshot",
        ),
        # Ids are never reused on SQLite either (a removed newest id stays missing).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(30))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
    # Canonical JSON text (sorted keys): hashed exactly as stored.
    details: Mapped[str | None] = mapped_column(Text)
    # Scope of the audited record, copied at the time, for the authorization module.
    region_id: Mapped[int | None] = mapped_column(Integer)
    office_id: Mapped[int | None] = mapped_column(Integer, index=True)
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # The id of the audit key (held outside the database) whose HMAC ``hash`` is.
    key_id: Mapped[str] = mapped_column(String(32))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor: Mapped[User | None] = relationship(viewonly=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.record_type}:{self.record_id} {self.action}>"


class AuditChainHead(Base):
    """The single row (id 1) naming the newest event; updated by every append."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger)
    # "<key id>:<HMAC of last_event_id, last_hash and event_count>"; none before the first event.
    mac: Mapped[str | None] = mapped_column(String(100))


# The ORM never changes or removes an event (the database refuses it too, on PostgreSQL).
@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper: object, connection: object, target: AuditEvent) -> None:
    raise ValueError("audit_event is append-only: an event cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper: object, connection: object, target: AuditEvent) -> None:
    raise ValueError("audit_event is append-only: an event cannot be removed")
