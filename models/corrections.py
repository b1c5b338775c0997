"""Corrections of a member's data, proposed by a clerk and decided by another user of the office,
and the contributions a member paid before a correction changed them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import CorrectionState, str_enum
from .members import Member
from .org import Office, Region
from .users import User


class MemberCorrection(TimestampMixin, Base):
    """A change of one or more fields of a member, with the values it was proposed against."""

    __tablename__ = "member_correction"
    __table_args__ = (
        CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
        CheckConstraint(
            "state = 'submitted' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_has_decider",
        ),
        CheckConstraint(
            "state <> 'rejected' OR decision_comment IS NOT NULL", name="rejection_has_reason"
        ),
        CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name="maker_is_not_checker"
        ),
        CheckConstraint(
            "(document_storage_name IS NULL) = (document_filename IS NULL)"
            " AND (document_storage_name IS NULL) = (document_sha256 IS NULL)",
            name="document_complete",
        ),
        CheckConstraint(
            "document_content_type IS NULL"
            " OR document_content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
            name="document_type_allowed",
        ),
        # The office's corrections by state, newest first (the list and its state filter).
        Index("ix_member_correction_office_state_created", "office_id", "state", "created_at"),
        # At most one correction of a member waits at a time: a second one would be judged
        # against values the first may change.
        Index(
            "uq_member_correction_one_waiting",
            "member_id",
            unique=True,
            sqlite_where=text("state = 'submitted'"),
            postgresql_where=text("state = 'submitted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[CorrectionState] = mapped_column(
        str_enum(CorrectionState, "correction_state"), default=CorrectionState.SUBMITTED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    # The member's office and region when proposed (members do not move office), for scoping.
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: {field: {"old": value, "new": value}}: the values as the field registry keeps them
    #: (``backoffice.services.correction_fields``); "old" is what the proposer saw.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)

    # The supporting document (optional), stored under UPLOAD_DIR/corrections/<id>/.
    document_filename: Mapped[str | None] = mapped_column(String(255))
    document_content_type: Mapped[str | None] = mapped_column(String(40))
    document_size: Mapped[int | None] = mapped_column(Integer)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_storage_name: Mapped[str | None] = mapped_column(String(80), unique=True)

    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    #: The first month the new contribution applies (an approved change of income or JHT).
    effective_from: Mapped[date | None] = mapped_column(Date)

    member: Mapped[Member] = relationship()
    office: Mapped[Office] = relationship()
    region: Mapped[Region] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"#{self.id}"


class PastContribution(Base):
    """The monthly contribution a member owed up to and including ``until_period``, kept when a
    correction changed it from the next month. The member's own columns hold the newest amount;
    a month is owed the amount of the first of these rows that reaches it, else the member's."""

    __tablename__ = "past_contribution"
    __table_args__ = (
        UniqueConstraint("member_id", "until_period", name="uq_past_contribution_member_until"),
        CheckConstraint("jkk > 0 AND jkm > 0 AND jht >= 0", name="amounts_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    until_period: Mapped[date] = mapped_column(Date)  # the first day of the last month owed
    jkk: Mapped[int] = mapped_column(Integer)
    jkm: Mapped[int] = mapped_column(Integer)
    jht: Mapped[int] = mapped_column(Integer)
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("member_correction.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
