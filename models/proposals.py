"""Proposals for new offices, decided by the regional head of the office's region."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import OfficeType, ProposalState, str_enum
from .org import Office, Regency, Region
from .users import User


class OfficeProposal(TimestampMixin, Base):
    __tablename__ = "office_proposal"
    __table_args__ = (
        CheckConstraint(
            "(office_type = 'KCP' AND parent_id IS NOT NULL) OR (office_type = 'KC' AND parent_id IS NULL)",
            name="kcp_has_parent",
        ),
        CheckConstraint("staff_count IS NULL OR staff_count > 0", name="staff_positive"),
        # A decided proposal records who decided and when.
        CheckConstraint(
            "state NOT IN ('approved', 'rejected', 'returned')"
            " OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_has_decider",
        ),
        CheckConstraint(
            "state NOT IN ('rejected', 'returned') OR decision_comment IS NOT NULL",
            name="refusal_has_reason",
        ),
        CheckConstraint(
            "state <> 'approved' OR (office_id IS NOT NULL AND office_code IS NOT NULL)",
            name="approved_has_office",
        ),
        CheckConstraint(
            "state IN ('draft', 'withdrawn') OR submitted_at IS NOT NULL", name="submitted_has_time"
        ),
        Index("ix_office_proposal_state_submitted_at", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[ProposalState] = mapped_column(
        str_enum(ProposalState, "proposal_state"), default=ProposalState.DRAFT
    )
    # Optimistic lock: a stale decision is refused on every database.
    version: Mapped[int] = mapped_column(Integer, default=1)

    name: Mapped[str] = mapped_column(String(120))
    office_type: Mapped[OfficeType] = mapped_column(str_enum(OfficeType, "office_type"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    regency_id: Mapped[int] = mapped_column(ForeignKey("regency.id"))
    address: Mapped[str] = mapped_column(Text)
    planned_opening: Mapped[date] = mapped_column(Date)
    staff_count: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str] = mapped_column(Text)

    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    office_code: Mapped[str | None] = mapped_column(String(10))

    region: Mapped[Region] = relationship()
    parent: Mapped[Office | None] = relationship(foreign_keys=[parent_id])
    regency: Mapped[Regency] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    office: Mapped[Office | None] = relationship(foreign_keys=[office_id])

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.office_type.value} {self.name}"
