"""Contributions paid by members, and the benefit claims made on their protection."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
from .enums import ClaimState, ClaimType, JhtReason, PaymentChannel, Relationship, Role, str_enum
from .members import Member
from .org import Department, Office, Region
from .reference import DocumentRequirement
from .users import User


class ContributionPayment(TimestampMixin, Base):
    """The contribution of one member for one month (a period is the first day of its month)."""

    __tablename__ = "contribution_payment"
    __table_args__ = (
        UniqueConstraint("member_id", "period", name="uq_contribution_payment_member_period"),
        CheckConstraint(
            "jkk >= 0 AND jkm >= 0 AND jht >= 0 AND jkk + jkm + jht > 0", name="amounts_valid"
        ),
        Index("ix_contribution_payment_member_period", "member_id", "period"),
        CheckConstraint("credit >= 0 AND credit <= jkk + jkm + jht", name="credit_within_month"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    period: Mapped[date] = mapped_column(Date)
    jkk: Mapped[int] = mapped_column(Integer)
    jkm: Mapped[int] = mapped_column(Integer)
    jht: Mapped[int] = mapped_column(Integer, default=0)
    # The part of the month's amounts covered by what the member paid above earlier discounted
    # months (PP 50/2025), not paid again: the money paid for the month is ``paid``.
    credit: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paid_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[PaymentChannel] = mapped_column(str_enum(PaymentChannel, "payment_channel"))
    reference: Mapped[str | None] = mapped_column(String(64))
    payer_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    member: Mapped[Member] = relationship()
    payer_department: Mapped[Department | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def total(self) -> int:
        return self.jkk + self.jkm + self.jht

    @property
    def paid(self) -> int:
        """The money paid for the month (its amounts less the credit that covered part)."""
        return self.total - (self.credit or 0)


#: Claims someone still has to act on (the partial index of the work queues).
OPEN_CLAIMS = "state IN ('submitted', 'returned', 'verified', 'approved')"
#: The benefits a member has once: one JKM and one JHT claim that is not rejected (migration
#: 0009 makes it a unique partial index, so two clerks registering at once cannot both succeed).
ONCE_PER_MEMBER = "claim_type IN ('JKM', 'JHT') AND state <> 'rejected'"


OPEN_CLAIM_STATES = "state IN ('submitted', 'returned', 'verified', 'approved')"


class Claim(TimestampMixin, Base):
    """A benefit claim of a member (or their heir), from intake to payment."""

    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint("claim_type <> 'JHT' OR jht_reason IS NOT NULL", name="jht_has_reason"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "state NOT IN ('verified', 'approved', 'paid')"
            " OR (verified_by_id IS NOT NULL AND verified_at IS NOT NULL)",
            name="verified_has_verifier",
        ),
        CheckConstraint(
            "state NOT IN ('approved', 'paid') OR (approved_by_id IS NOT NULL AND approved_at IS NOT NULL)",
            name="approved_has_approver",
        ),
        CheckConstraint(
            "state <> 'paid' OR (payment_reference IS NOT NULL AND paid_on IS NOT NULL"
            " AND paid_by_id IS NOT NULL)",
            name="paid_has_payment",
        ),
        CheckConstraint(
            "state NOT IN ('returned', 'rejected') OR decision_comment IS NOT NULL",
            name="refusal_has_reason",
        ),
        # Maker-checker also in the database: the approver neither registered nor verified it.
        CheckConstraint(
            "approved_by_id IS NULL OR (approved_by_id <> registered_by_id"
            " AND approved_by_id <> verified_by_id)",
            name="approver_is_checker",
        ),
        CheckConstraint(
            "state <> 'verified' OR approval_level IS NOT NULL", name="verified_has_level"
        ),
        UniqueConstraint("payment_reference", name="uq_claim_payment_reference"),
        Index("ix_claim_office_state_due", "office_id", "state", "due_date"),
        Index("ix_claim_region_state_level", "region_id", "state", "approval_level"),
        # The dashboards count the overdue open claims (migration 0019).
        Index(
            "ix_claim_open_region_office_due",
            "region_id",
            "office_id",
            "due_date",
            postgresql_where=text(OPEN_CLAIM_STATES),
            sqlite_where=text(OPEN_CLAIM_STATES),
        ),
        # Lists at scale (migration 0007): each list order with the id that breaks ties, the
        # default order per region, office and status, claimants' names by trigram.
        Index("ix_claim_submitted_id", "submitted_at", "id"),
        Index("ix_claim_region_submitted_id", "region_id", "submitted_at", "id"),
        Index("ix_claim_office_submitted_id", "office_id", "submitted_at", "id"),
        Index("ix_claim_state_submitted_id", "state", "submitted_at", "id"),
        Index("ix_claim_event_date_id", "event_date", "id"),
        Index("ix_claim_amount_id", "amount", "id"),
        Index("ix_claim_due_date_id", "due_date", "id"),
        # The work queue of an office: open claims, the earliest due date first.
        Index(
            "ix_claim_open_office_due",
            "office_id",
            "due_date",
            "submitted_at",
            "id",
            postgresql_where=text(OPEN_CLAIMS),
            sqlite_where=text(OPEN_CLAIMS),
        ),
        Index(
            "uq_claim_member_once",
            "member_id",
            "claim_type",
            unique=True,
            postgresql_where=text(ONCE_PER_MEMBER),
            sqlite_where=text(ONCE_PER_MEMBER),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[ClaimState] = mapped_column(
        str_enum(ClaimState, "claim_state"), default=ClaimState.SUBMITTED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    claim_type: Mapped[ClaimType] = mapped_column(str_enum(ClaimType, "claim_type"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))

    event_date: Mapped[date] = mapped_column(Date)
    jht_reason: Mapped[JhtReason | None] = mapped_column(str_enum(JhtReason, "jht_reason"))
    claimant_name: Mapped[str] = mapped_column(String(100))
    claimant_nik: Mapped[str] = mapped_column(String(16))
    claimant_relationship: Mapped[Relationship] = mapped_column(
        str_enum(Relationship, "relationship")
    )
    bank_name: Mapped[str] = mapped_column(String(60))
    bank_account: Mapped[str] = mapped_column(String(30))
    account_holder: Mapped[str] = mapped_column(String(100))
    # What the type needs: JKK accident facts and costs (the children are ``children``).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # The computed benefit: total and itemised lines ({code, msgid, params, amount, detail}).
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    breakdown: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    registered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When the last required document arrived: the service-level clock starts here.
    complete_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[date | None] = mapped_column(Date)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who must approve now: branch_clerk, then branch_head, then regional_head.
    approval_level: Mapped[Role | None] = mapped_column(str_enum(Role, "role"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    member: Mapped[Member] = relationship()
    office: Mapped[Office] = relationship()
    region: Mapped[Region] = relationship()
    registered_by: Mapped[User] = relationship(foreign_keys=[registered_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])
    documents: Mapped[list[ClaimDocument]] = relationship(
        back_populates="claim", order_by="ClaimDocument.id"
    )
    #: The member's children for the scholarship (JKM, JKK death or total permanent disability).
    children: Mapped[list[ClaimChild]] = relationship(
        back_populates="claim",
        order_by="ClaimChild.position",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.claim_type.value}-{self.id:06d}"


#: School levels of the scholarship (PP 82/2019): TK-SD, SMP, SMA, university or training.
SCHOOL_LEVELS = ("tk_sd", "smp", "sma", "pt")


class ClaimChild(Base):
    """A child of the member named on a claim, for the scholarship: in school at the event,
    and whether married or working (which ends the scholarship)."""

    __tablename__ = "claim_child"
    __table_args__ = (
        UniqueConstraint("claim_id", "position", name="uq_claim_child_claim_position"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("school_level IN ('tk_sd', 'smp', 'sma', 'pt')", name="school_level_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"))
    #: the order the clerk entered (the first children are the ones paid)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    #: None only for a child migrated from the old school-level fields (migration 0017)
    birth_date: Mapped[date | None] = mapped_column(Date)
    school_level: Mapped[str] = mapped_column(String(10))
    married: Mapped[bool] = mapped_column(Boolean, default=False)
    working: Mapped[bool] = mapped_column(Boolean, default=False)

    claim: Mapped[Claim] = relationship(back_populates="children")


class ClaimDocument(Base):
    """An uploaded document of a claim, stored outside the web root; one per requirement."""

    __tablename__ = "claim_document"
    __table_args__ = (
        UniqueConstraint("claim_id", "requirement_id", name="uq_claim_document_claim_requirement"),
        CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
            name="content_type_allowed",
        ),
        CheckConstraint(
            "checked_at IS NULL OR checked_by_id IS NOT NULL", name="checked_has_checker"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("document_requirement.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    claim: Mapped[Claim] = relationship(back_populates="documents")
    requirement: Mapped[DocumentRequirement] = relationship()
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])
