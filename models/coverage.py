"""Coverage: targets (reference data) and the summary tables the dashboards read.

The summary tables are kept by database triggers (migration 0019) on ``member``,
``contribution_payment`` and ``claim``: every statement that inserts, updates or deletes one of
those rows, ORM or set-based, adjusts the counts of its key in the same transaction. A key
column that is NULL in the base table is stored as 0 (ids), '' (codes) or 0001-01-01 (months),
so that the key is a primary key. A count that went back to 0 keeps its row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .org import Department, Regency, Region
from .reference import Sector

NO_MONTH = date(1, 1, 1)  # the key of a month not (yet) known, e.g. a claim not paid


class CoverageTarget(TimestampMixin, Base):
    """How many workers a region, a regency, a department and/or a sector is to protect in a
    year, and who set the target (``source``). Validity-dated like every reference table."""

    __tablename__ = "coverage_target"
    __table_args__ = (
        CheckConstraint("workers > 0", name="workers_positive"),
        CheckConstraint("year >= 2000 AND year <= 2200", name="year_range"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),
        CheckConstraint("length(trim(source)) > 0", name="source_given"),
        Index("ix_coverage_target_region_year", "region_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    regency_id: Mapped[int | None] = mapped_column(ForeignKey("regency.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    sector: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    workers: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))

    region: Mapped[Region] = relationship()
    regency: Mapped[Regency | None] = relationship()
    department: Mapped[Department | None] = relationship()
    sector_ref: Mapped[Sector | None] = relationship()

    def __str__(self) -> str:
        return f"{self.year}: {self.workers:,}".replace(",", ".")


class CoverageMembers(Base):
    """Members by where they are (region, office, department, sector, domicile), their status
    and the month their membership started."""

    __tablename__ = "coverage_members"
    __table_args__ = (
        # The trend's and this month's registrations (migration 0023).
        Index("ix_coverage_members_start_month_region", "start_month", "region_id"),
    )

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: none
    sector: Mapped[str] = mapped_column(String(20), primary_key=True)
    regency_code: Mapped[str] = mapped_column(String(4), primary_key=True)  # '': none
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    start_month: Mapped[date] = mapped_column(Date, primary_key=True)
    members: Mapped[int] = mapped_column(BigInteger, default=0)
    #: What these members owe a month together (their monthly contributions).
    contributions: Mapped[int] = mapped_column(BigInteger, default=0)


class CoveragePayments(Base):
    """Contributions recorded (JKK + JKM + JHT) by the paying member's place and the month of
    the payment date."""

    __tablename__ = "coverage_payments"
    __table_args__ = (Index("ix_coverage_payments_paid_month_region", "paid_month", "region_id"),)

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(String(20), primary_key=True)
    regency_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    paid_month: Mapped[date] = mapped_column(Date, primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class CoverageClaims(Base):
    """Claims by office, type, state, the month received (Jakarta) and the month paid."""

    __tablename__ = "coverage_claims"

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_type: Mapped[str] = mapped_column(String(3), primary_key=True)
    state: Mapped[str] = mapped_column(String(10), primary_key=True)
    submitted_month: Mapped[date] = mapped_column(Date, primary_key=True)
    paid_month: Mapped[date] = mapped_column(Date, primary_key=True)
    claims: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class CoverageActive(Base):
    """The changes of members into (+1) and out of (-1) 'active', by the member's place and
    the month of the change's day (migration 0022): the members active at the end of a month
    are those active now less the changes of the months after it."""

    __tablename__ = "coverage_active"
    __table_args__ = (Index("ix_coverage_active_month_region", "month", "region_id"),)

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: none
    sector: Mapped[str] = mapped_column(String(20), primary_key=True)
    regency_code: Mapped[str] = mapped_column(String(4), primary_key=True)  # '': none
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    change: Mapped[int] = mapped_column(BigInteger, default=0)


class CoverageStatus(Base):
    """``coverage_members`` without the month: members by place and status (migration 0023),
    kept by triggers on ``coverage_members`` itself. What the dashboards count by status reads
    a few thousand rows here, not every month of every place."""

    __tablename__ = "coverage_status"

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: none
    sector: Mapped[str] = mapped_column(String(20), primary_key=True)
    regency_code: Mapped[str] = mapped_column(String(4), primary_key=True)  # '': none
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    members: Mapped[int] = mapped_column(BigInteger, default=0)
    contributions: Mapped[int] = mapped_column(BigInteger, default=0)
