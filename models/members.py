"""Member batches uploaded by department liaisons, their rows, and the members they create."""

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
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .enums import BatchState, MemberStatus, RowState, str_enum
from .org import Department, KemendagriRegency, Office, Region
from .reference import Sector
from .users import User


class MemberBatch(TimestampMixin, Base):
    """One uploaded file of informal workers from a department, and its way through the queue."""

    __tablename__ = "member_batch"
    __table_args__ = (
        CheckConstraint(
            "state IN ('processing', 'refused', 'failed', 'draft', 'discarded')"
            " OR (submitted_at IS NOT NULL AND submitted_by_id IS NOT NULL)",
            name="submitted_has_submitter",
        ),
        CheckConstraint(
            "state NOT IN ('completed', 'partially_accepted', 'rejected') OR completed_at IS NOT NULL",
            name="finished_has_time",
        ),
        CheckConstraint("state <> 'refused' OR refusal IS NOT NULL", name="refused_has_reason"),
        CheckConstraint(
            "valid_count >= 0 AND invalid_count >= 0 AND accepted_count >= 0"
            " AND rejected_count >= 0 AND accepted_count + rejected_count <= valid_count",
            name="counts_consistent",
        ),
        # The registration queue: an office's submitted batches, oldest first.
        Index("ix_member_batch_office_state_submitted", "office_id", "state", "submitted_at"),
        Index("ix_member_batch_department_created", "department_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[BatchState] = mapped_column(
        str_enum(BatchState, "batch_state"), default=BatchState.PROCESSING
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    # The office serving the department and its region, copied at upload for scoping.
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    filename: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of the bytes
    file_format: Mapped[str] = mapped_column(String(4))  # csv | xlsx
    file_size: Mapped[int] = mapped_column(Integer)
    registration_date: Mapped[date] = mapped_column(Date)
    # The file's own header cells, for the error report; the columns that were not used.
    headers: Mapped[list[Any] | None] = mapped_column(JSON)
    ignored_columns: Mapped[list[str] | None] = mapped_column(JSON)
    # Why the whole file was refused: {"msgid": ..., "params": {...}, "code": ...}
    refusal: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    row_count: Mapped[int] = mapped_column(Integer, default=0)
    valid_count: Mapped[int] = mapped_column(Integer, default=0)
    invalid_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)

    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the checks of the file were last queued (the upload, a check again); None once
    # they have finished. Long ago means the task was lost: the checks may be started again.
    processing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    department: Mapped[Department] = relationship()
    office: Mapped[Office] = relationship()
    region: Mapped[Region] = relationship()
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def pending_count(self) -> int:
        return self.valid_count - self.accepted_count - self.rejected_count

    def __str__(self) -> str:
        return f"#{self.id} {self.filename}"


class BatchRow(Base):
    """One data row of a batch file: its original cells, its problems or its decision."""

    __tablename__ = "batch_row"
    __table_args__ = (
        UniqueConstraint("batch_id", "number", name="uq_batch_row_batch_number"),
        CheckConstraint("state <> 'invalid' OR problems IS NOT NULL", name="invalid_has_problems"),
        CheckConstraint(
            "state = 'invalid' OR (nik IS NOT NULL AND data IS NOT NULL)", name="valid_has_data"
        ),
        CheckConstraint("state <> 'accepted' OR member_id IS NOT NULL", name="accepted_has_member"),
        CheckConstraint("state <> 'rejected' OR reason IS NOT NULL", name="rejected_has_reason"),
        CheckConstraint(
            "state NOT IN ('accepted', 'rejected') OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_has_decider",
        ),
        # Rows of a batch by state (the clerk's pending rows, the liaison's errors).
        Index("ix_batch_row_batch_state_number", "batch_id", "state", "number"),
        # "Already waiting in another batch": pending rows by NIK.
        Index("ix_batch_row_nik_state", "nik", "state"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("member_batch.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # the row number the spreadsheet shows
    state: Mapped[RowState] = mapped_column(str_enum(RowState, "row_state"))
    nik: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(100))
    # Normalised values of a valid row (dates as ISO text, programmes as a list).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The cells as read, as text, for the error report.
    original: Mapped[list[Any]] = mapped_column(JSON)
    # [{"column": ..., "field": ..., "msgid": ..., "params": {...}}, ...]
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    batch: Mapped[MemberBatch] = relationship()
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    decided_by: Mapped[User | None] = relationship()


class Member(TimestampMixin, Base):
    """A registered BPU member (informal worker)."""

    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint("sex IN ('L', 'P')", name="sex_valid"),
        CheckConstraint("length(kpj) = 11", name="kpj_length"),
        CheckConstraint("length(nik) = 16", name="nik_length"),
        CheckConstraint(
            "monthly_contribution = contribution_jkk + contribution_jkm + contribution_jht",
            name="contribution_sum",
        ),
        CheckConstraint("contribution_jkk > 0 AND contribution_jkm > 0", name="jkk_jkm_required"),
        Index("ix_member_office_created", "office_id", "created_at"),
        Index("ix_member_sector_id", "sector", "id"),
        Index("ix_member_domicile_regency_code_id", "domicile_regency_code", "id"),
        # Lists at scale (migration 0007): each list order (with the id that breaks ties), the
        # default order per region, KPJ/NIK prefixes, and names by trigram on PostgreSQL (there
        # these are GIN / pattern-ops indexes; a plain index elsewhere).
        Index("ix_member_created_id", "created_at", "id"),
        Index("ix_member_region_created_id", "region_id", "created_at", "id"),
        Index("ix_member_name_id", "name", "id"),
        Index("ix_member_birth_date_id", "birth_date", "id"),
        Index("ix_member_start_date_id", "start_date", "id"),
        Index("ix_member_contribution_id", "monthly_contribution", "id"),
        Index("ix_member_kpj_pattern", "kpj", postgresql_ops={"kpj": "varchar_pattern_ops"}),
        Index("ix_member_nik_pattern", "nik", postgresql_ops={"nik": "varchar_pattern_ops"}),
        # ``active`` follows the status (migration 0015): False once the membership is over.
        CheckConstraint(
            "active = (status NOT IN ('ended', 'deceased', 'exited'))", name="active_follows_status"
        ),
        CheckConstraint(
            "status = 'registered' OR status_since IS NOT NULL", name="status_has_since"
        ),
        # The status filter of the lists, in the default order of a region's list; the
        # nightly task's lapses and ends.
        Index("ix_member_status_region_created_id", "status", "region_id", "created_at", "id"),
        Index("ix_member_status_lapses_on", "status", "lapses_on"),
        Index("ix_member_status_ends_on", "status", "ends_on"),
        Index("ix_member_department_updated_id", "department_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpj: Mapped[str] = mapped_column(String(11), unique=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    occupation: Mapped[str | None] = mapped_column(String(100))
    # From the batch's sector column or the occupation, else the department's (rules.sectors).
    # No foreign keys (SQLite adds such columns in place only without): the values come from
    # the reference lists ``sector`` and ``kemendagri_regency``.
    sector: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    # Where the member lives (a Kemendagri code): the batch's domicile column, else the regency
    # of the member's office; never the NIK's prefix (where the NIK was first issued).
    domicile_regency_code: Mapped[str | None] = mapped_column(String(4))
    income_level: Mapped[int] = mapped_column(Integer)
    programmes: Mapped[str] = mapped_column(String(20))  # "JKK,JKM" or "JKK,JKM,JHT"
    start_date: Mapped[date] = mapped_column(Date)
    contribution_jkk: Mapped[int] = mapped_column(Integer)
    contribution_jkm: Mapped[int] = mapped_column(Integer)
    contribution_jht: Mapped[int] = mapped_column(Integer, default=0)
    monthly_contribution: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The membership lifecycle (backoffice.rules.lifecycle; services.lifecycle changes it).
    status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus, "member_status"),
        default=MemberStatus.REGISTERED,
        server_default=MemberStatus.REGISTERED.value,
    )
    status_since: Mapped[date | None] = mapped_column(Date)  # None while registered
    # If nothing more is paid: the first day without protection (for a lapsed or ended member
    # the day it lapsed) and the day the membership ends (the day after the window for
    # arrears). Set from the payment history by each payment; read by the nightly task.
    lapses_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    # The batch the member was registered through (None for other channels).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("member_batch.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The last change of the row (status, contributions owed, data): department systems
    # synchronise with ``updated_since`` (the API's member list, migration 0020). Nullable in
    # the schema only: SQLite's member table is never recreated (rows refer to it).
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    department: Mapped[Department | None] = relationship()
    office: Mapped[Office] = relationship()
    region: Mapped[Region] = relationship()
    registered_by: Mapped[User | None] = relationship()
    batch: Mapped[MemberBatch | None] = relationship()
    sector_ref: Mapped[Sector] = relationship(
        primaryjoin=lambda: foreign(Member.sector) == Sector.code, viewonly=True
    )
    domicile_regency: Mapped[KemendagriRegency | None] = relationship(
        primaryjoin=lambda: foreign(Member.domicile_regency_code) == KemendagriRegency.code,
        viewonly=True,
    )

    def __str__(self) -> str:
        return f"{self.kpj} {self.name}"


class MemberStatusChange(Base):
    """One change of a member's status, with its reason (``rules.lifecycle`` reason codes)."""

    __tablename__ = "member_status_change"
    __table_args__ = (
        Index("ix_member_status_change_member_day", "member_id", "day", "id"),
        CheckConstraint("from_status <> to_status", name="changes_status"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    from_status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus, "member_status_change_from")
    )
    to_status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus, "member_status_change_to")
    )
    reason: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)  # the first day of the new status
    # Who made it (None: the nightly task, a payment file's import by the system, migration).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The paid claim that made the member deceased or exited.
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    member: Mapped[Member] = relationship()
    actor: Mapped[User | None] = relationship()


class KpjCounter(Base):
    """One row: the next KPJ serial. Blocks of numbers are reserved with one UPDATE."""

    __tablename__ = "kpj_counter"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    next_serial: Mapped[int] = mapped_column(BigInteger)
