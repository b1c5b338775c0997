"""Organisation: regions (Kantor Wilayah), offices (KC/KCP), regencies and departments (dinas)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import OfficeType, str_enum


class Region(TimestampMixin, Base):
    """A Kantor Wilayah (Kanwil)."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    offices: Mapped[list[Office]] = relationship(back_populates="region")
    regencies: Mapped[list[Regency]] = relationship(back_populates="region")

    def __str__(self) -> str:
        return self.name


class Regency(Base):
    """A kabupaten/kota with its Kemendagri code (4 digits: province + regency)."""

    __tablename__ = "regency"
    __table_args__ = (CheckConstraint("length(code) = 4", name="code_four_digits"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)

    region: Mapped[Region] = relationship(back_populates="regencies")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class KemendagriRegency(Base):
    """A kabupaten/kota of Indonesia in the Kemendagri list (all of them, ~514): the codes a NIK
    may start with and a member's domicile. Not the ``regency`` table, which holds only the
    regencies the offices serve. Loaded from ``migrations/data/kemendagri_regencies.csv``."""

    __tablename__ = "kemendagri_regency"
    __table_args__ = (
        CheckConstraint("length(code) = 4", name="code_four_digits"),
        CheckConstraint("length(province_code) = 2", name="province_two_digits"),
    )

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    province_name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Office(TimestampMixin, Base):
    """A Kantor Cabang (KC) or a Kantor Cabang Perintis (KCP) under a KC."""

    __tablename__ = "office"
    __table_args__ = (
        # A KCP hangs under a KC; a KC hangs directly under its region.
        CheckConstraint(
            "(office_type = 'KCP' AND parent_id IS NOT NULL)"
            " OR (office_type = 'KC' AND parent_id IS NULL)",
            name="kcp_has_parent",
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        # "KC Cilegon" and the older "KCP Cilegon" are different offices with one place name.
        UniqueConstraint("office_type", "name", name="uq_office_type_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    office_type: Mapped[OfficeType] = mapped_column(str_enum(OfficeType, "office_type"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    regency_id: Mapped[int | None] = mapped_column(ForeignKey("regency.id"), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    opened_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship(back_populates="offices")
    parent: Mapped[Office | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Office]] = relationship(back_populates="parent")
    regency: Mapped[Regency | None] = relationship()

    def __str__(self) -> str:
        return f"{self.office_type.value} {self.name}"


class Department(TimestampMixin, Base):
    """A dinas of a regency that registers informal workers, served by one office."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    regency_id: Mapped[int] = mapped_column(ForeignKey("regency.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    contact_email: Mapped[str | None] = mapped_column(String(160))
    staff_count: Mapped[int | None] = mapped_column(Integer)
    # The sector the regent gives the department (Diskoumperindag trade/UMKM, Dinas Pertanian
    # agriculture, Dinas PU construction): its members' sector when their occupation names none.
    sector: Mapped[str | None] = mapped_column(String(20))  # a code of ``sector``

    regency: Mapped[Regency] = relationship()
    office: Mapped[Office] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.regency.name})" if self.regency else self.name
