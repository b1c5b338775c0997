"""Reference data that regulations change: income levels and contribution rates, with validity dates.

Nothing here is a constant in the code: a new regulation is a new row with its ``valid_from``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin
from .enums import ClaimType, HolidayKind, JhtReason, Programme, str_enum

VALIDITY_ORDER = "valid_to IS NULL OR valid_to >= valid_from"


class Sector(Base):
    """A sector of work of BPU members (transport, trade/UMKM, agriculture, ...) and the words
    an occupation names it by (comma-separated), in ``sort_order``: the first sector whose word
    an occupation contains is its sector (``rules.sectors``)."""

    __tablename__ = "sector"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # Indonesian
    name_en: Mapped[str] = mapped_column(String(80))
    aliases: Mapped[str] = mapped_column(String(500), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name

    def __str__(self) -> str:
        return self.name


class HolidayCorrection(TimestampMixin, Base):
    """A correction of Indonesia's public holidays (the ``holidays`` library) that working days
    skip: a day off added (cuti bersama, decreed yearly) or a library holiday removed (moved by
    the government). Kept by the administrator."""

    __tablename__ = "holiday_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[HolidayKind] = mapped_column(str_enum(HolidayKind, "holiday_kind"))
    note: Mapped[str | None] = mapped_column(String(200))

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.name}"


class IncomeLevel(TimestampMixin, Base):
    """A declared monthly income a BPU member may choose (the base of percentage contributions)."""

    __tablename__ = "income_level"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(VALIDITY_ORDER, name="validity_order"),
        UniqueConstraint("amount", "valid_from", name="uq_income_level_amount_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    def __str__(self) -> str:
        return f"Rp{self.amount:,}".replace(",", ".")


class ContributionRate(TimestampMixin, Base):
    """The monthly contribution of one programme: a percentage of the income level or a flat amount."""

    __tablename__ = "contribution_rate"
    __table_args__ = (
        CheckConstraint(
            "(percent IS NOT NULL AND flat_amount IS NULL)"
            " OR (percent IS NULL AND flat_amount IS NOT NULL)",
            name="percent_or_flat",
        ),
        CheckConstraint(
            "percent IS NULL OR (percent > 0 AND percent <= 100)", name="percent_range"
        ),
        CheckConstraint("flat_amount IS NULL OR flat_amount > 0", name="flat_positive"),
        CheckConstraint(VALIDITY_ORDER, name="validity_order"),
        UniqueConstraint("programme", "valid_from", name="uq_contribution_rate_programme_from"),
        Index("ix_contribution_rate_programme_valid", "programme", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[Programme] = mapped_column(str_enum(Programme, "programme"))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    flat_amount: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))

    def __str__(self) -> str:
        if self.percent is not None:
            return f"{self.programme.value} {self.percent.normalize():f}%"
        return f"{self.programme.value} Rp{self.flat_amount:,}".replace(",", ".")


class BenefitParameter(TimestampMixin, Base):
    """One amount or limit of the benefit rules (``jkm.lump_sum``, ``approval.limit.branch_clerk``).

    A claim uses the parameters in force on its event date; approvals and service targets use
    those in force on the day of the decision.
    """

    __tablename__ = "benefit_parameter"
    __table_args__ = (
        CheckConstraint(VALIDITY_ORDER, name="validity_order"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        UniqueConstraint("key", "valid_from", name="uq_benefit_parameter_key_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))

    def __str__(self) -> str:
        return f"{self.key} = {self.value.normalize():f}"


class JhtReturnRate(TimestampMixin, Base):
    """The yearly return on JHT balances (hasil pengembangan) the agency declared for a year, in
    percent: the statement credits each year's balance with its year's rate."""

    __tablename__ = "jht_return_rate"
    __table_args__ = (
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
        CheckConstraint("year >= 1977 AND year <= 2200", name="year_range"),
        UniqueConstraint("year", name="uq_jht_return_rate_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    percent: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    note: Mapped[str | None] = mapped_column(String(200))

    def __str__(self) -> str:
        return f"{self.year}: {self.percent.normalize():f}%"


class DocumentRequirement(TimestampMixin, Base):
    """A document a claim of a type needs (for JHT possibly only for one reason)."""

    __tablename__ = "document_requirement"
    __table_args__ = (
        UniqueConstraint("claim_type", "code", name="uq_document_requirement_type_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_type: Mapped[ClaimType] = mapped_column(str_enum(ClaimType, "claim_type"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))  # Indonesian
    name_en: Mapped[str] = mapped_column(String(120))
    # Only for a JHT claim with this reason (None: every claim of the type).
    jht_reason: Mapped[JhtReason | None] = mapped_column(str_enum(JhtReason, "jht_reason"))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name

    def __str__(self) -> str:
        return f"{self.claim_type.value}: {self.name}"
