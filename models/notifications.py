"""Notifications: what a user is told (in the app), the outbox of emails to send, and the
reminders sent to members through the messaging gateway.

An in-app notification and its email are written in the transaction of the decision that
causes them: a rolled-back decision leaves neither, a committed one always leaves both (the
outbox row waits for the task queue to send it, however long the mail server is away).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import str_enum
from .users import User


class EmailPreference(enum.StrEnum):
    """How a user wants their notifications by email (the in-app inbox always has them)."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"  # one email a day with everything of the day
    NONE = "none"


class OutboxState(enum.StrEnum):
    PENDING = "pending"  # waiting for the task queue
    HELD = "held"  # waiting for the recipient's daily digest
    SENT = "sent"
    DEAD = "dead"  # every attempt failed: the administrator retries it


class Notification(TimestampMixin, Base):
    """One thing a user is told: what happened to which item (never personal data)."""

    __tablename__ = "notification"
    __table_args__ = (
        # The bell: one count of the unread per request.
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: what happened: a key of ``services.notifications.KINDS``
    kind: Mapped[str] = mapped_column(String(40))
    #: the item, as the audit trail names it, and the screen that opens it
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    endpoint: Mapped[str] = mapped_column(String(60))
    #: values for the text (numbers, office or department names; never a member's data)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class OutboxMessage(TimestampMixin, Base):
    """An email to send for a notification, delivered by the task queue with retries."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_state_user", "state", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    state: Mapped[OutboxState] = mapped_column(
        str_enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
    notification: Mapped[Notification] = relationship()


class MemberReminder(Base):
    """A reminder sent to a member for a month: at most one of each kind per member and month."""

    __tablename__ = "member_reminder"
    __table_args__ = (
        Index("uq_member_reminder_member_month_kind", "member_id", "month", "kind", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    month: Mapped[date] = mapped_column(Date)  # the first of the month
    kind: Mapped[str] = mapped_column(String(20))  # "due" (before the 15th) or "arrears"
    gateway: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
