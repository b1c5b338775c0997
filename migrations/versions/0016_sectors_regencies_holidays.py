"""reference data: every regency of Indonesia (Kemendagri), member sectors and domicile,
PP 50/2025 by sector

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 06:30:00.000000

- ``kemendagri_regency``: the 514 regencies and cities of Indonesia with their Kemendagri codes
  (``migrations/data/kemendagri_regencies.csv``, from idn-area-data, ODbL). A NIK may start with
  any of them: the region part of a NIK is where it was first issued, not where the member
  lives. The ``regency`` table keeps the regencies the offices serve.
- ``sector``: the sectors of BPU members and the words occupations name them by; each department
  gets the sector the regent gives it (Diskoumperindag trade/UMKM, Dinas Pertanian agriculture,
  Dinas PU construction), each member the sector their occupation names, else their
  department's, else "other"; and a domicile: the regency of their office.
- PP 50/2025 by sector: the single discount rule from 22 December 2025 (migration 0011) becomes
  one dated rule per sector, for contribution months: transport January 2026 - March 2027, the
  other sectors April - December 2026 (50% off JKK and JKM). ``contribution_payment.credit``: the
  part of a month covered by what was paid above earlier discounted months.
- ``holiday_correction``: the cuti bersama and corrections of the public holidays of the
  ``holidays`` library that working days skip (the administrator keeps them).
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from backoffice.rules.sectors import OTHER, SectorTerms, member_sector

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[1] / "data"

#: code, Indonesian name, English name, the words an occupation names the sector by.
SECTORS = [
    (
        "transport",
        "Transportasi",
        "Transport",
        "transportasi,angkutan,ojek,ojol,ojek online,driver,kurir,sopir,supir",
    ),
    (
        "trade",
        "Perdagangan/UMKM",
        "Trade/SMEs",
        "perdagangan,dagang,pedagang,UMKM,warung,pengusaha mikro",
    ),
    ("agriculture", "Pertanian", "Agriculture", "pertanian,petani,tani,pekebun,peternak"),
    (
        "construction",
        "Konstruksi",
        "Construction",
        "konstruksi,tukang,kuli bangunan,buruh bangunan,kontraktor",
    ),
    ("fisheries", "Perikanan", "Fisheries", "perikanan,nelayan,pembudidaya ikan"),
    (OTHER, "Lainnya", "Other", "lainnya"),
]
#: The departments of Kab. Serang and the sector the regent gives each (by the start of the name).
DEPARTMENT_SECTORS = [
    ("Diskoumperindag", "trade"),
    ("Dinas Pertanian", "agriculture"),
    ("Dinas PU", "construction"),
]
OLD_DISCOUNT_KEY = "contribution.discount.jkk_jkm_percent"
DISCOUNTS = [
    ("transport", date(2026, 1, 1), date(2027, 3, 31)),
    *((code, date(2026, 4, 1), date(2026, 12, 31)) for code, *_ in SECTORS if code != "transport"),
]
CHUNK = 1000

parameter = sa.table(
    "benefit_parameter",
    sa.column("key", sa.String),
    sa.column("value", sa.Numeric(18, 2)),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("note", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
member = sa.table(
    "member",
    sa.column("id", sa.Integer),
    sa.column("occupation", sa.String),
    sa.column("department_id", sa.Integer),
    sa.column("office_id", sa.Integer),
    sa.column("sector", sa.String),
    sa.column("domicile_regency_code", sa.String),
)
department = sa.table(
    "department", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("sector")
)


def _kemendagri_rows() -> list[dict[str, str]]:
    with open(DATA / "kemendagri_regencies.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def upgrade():
    regencies = op.create_table(
        "kemendagri_regency",
        sa.Column("code", sa.String(4), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("province_name", sa.String(120), nullable=False),
        sa.CheckConstraint("length(code) = 4", name=op.f("ck_kemendagri_regency_code_four_digits")),
        sa.CheckConstraint(
            "length(province_code) = 2", name=op.f("ck_kemendagri_regency_province_two_digits")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_kemendagri_regency")),
    )
    op.create_index(
        op.f("ix_kemendagri_regency_province_code"), "kemendagri_regency", ["province_code"]
    )
    op.bulk_insert(regencies, _kemendagri_rows())

    op.create_table(
        "holiday_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "add", "remove", name="holiday_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_correction")),
        sa.UniqueConstraint("day", name=op.f("uq_holiday_correction_day")),
    )

    sectors = op.create_table(
        "sector",
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("aliases", sa.String(500), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sector")),
    )
    op.bulk_insert(
        sectors,
        [
            {"code": code, "name": name, "name_en": name_en, "aliases": aliases, "sort_order": i}
            for i, (code, name, name_en, aliases) in enumerate(SECTORS, start=1)
        ],
    )

    # Plain columns, no foreign keys: SQLite adds them in place (a table that other tables
    # reference cannot be rebuilt while its rows are referenced). Their values come from the
    # reference lists only (the importer checks them; the sector has a default).
    op.add_column("department", sa.Column("sector", sa.String(20), nullable=True))
    op.add_column(
        "member", sa.Column("sector", sa.String(20), nullable=False, server_default=OTHER)
    )
    op.add_column("member", sa.Column("domicile_regency_code", sa.String(4), nullable=True))
    op.create_index("ix_member_sector_id", "member", ["sector", "id"])
    op.create_index("ix_member_domicile_regency_code_id", "member", ["domicile_regency_code", "id"])

    # Nothing references contribution_payment: SQLite may rebuild it for the CHECK.
    with op.batch_alter_table("contribution_payment") as batch:
        batch.add_column(sa.Column("credit", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            op.f("ck_contribution_payment_credit_within_month"),
            "credit >= 0 AND credit <= jkk + jkm + jht",
        )

    conn = op.get_bind()
    for prefix, code in DEPARTMENT_SECTORS:
        conn.execute(
            department.update()
            .where(department.c.name.like(prefix + "%"), department.c.sector.is_(None))
            .values(sector=code)
        )
    _members_to_sectors(conn)

    conn.execute(parameter.delete().where(parameter.c.key == OLD_DISCOUNT_KEY))
    now = datetime.now(UTC)
    op.bulk_insert(
        parameter,
        [
            {
                "key": f"{OLD_DISCOUNT_KEY}.{code}",
                "value": Decimal(50),
                "valid_from": start,
                "valid_to": end,
                "note": "PP 50/2025: % off JKK and JKM of the contribution months of this "
                "sector, unless a government budget pays",
                "created_at": now,
            }
            for code, start, end in DISCOUNTS
        ],
    )


def _members_to_sectors(conn) -> None:
    """Each member's sector from their occupation (else their department's), and their office's
    regency as their domicile (when it is in the Kemendagri list)."""
    terms = [SectorTerms(code, tuple(aliases.split(","))) for code, _, _, aliases in SECTORS]
    departments = dict(conn.execute(sa.select(department.c.id, department.c.sector)).all())
    last = 0
    while True:
        rows = conn.execute(
            sa.select(member.c.id, member.c.occupation, member.c.department_id)
            .where(member.c.id > last)
            .order_by(member.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        by_sector: dict[str, list[int]] = {}
        for row in rows:
            code = member_sector(None, row.occupation, departments.get(row.department_id), terms)
            by_sector.setdefault(code, []).append(row.id)
        for code, ids in by_sector.items():
            if code != OTHER:
                conn.execute(member.update().where(member.c.id.in_(ids)).values(sector=code))
    conn.execute(
        sa.text(
            "UPDATE member SET domicile_regency_code = ("
            " SELECT k.code FROM office o JOIN regency r ON r.id = o.regency_id"
            " JOIN kemendagri_regency k ON k.code = r.code WHERE o.id = member.office_id)"
        )
    )


def downgrade():
    conn = op.get_bind()
    conn.execute(parameter.delete().where(parameter.c.key.like(OLD_DISCOUNT_KEY + ".%")))
    op.bulk_insert(
        parameter,
        [
            {
                "key": OLD_DISCOUNT_KEY,
                "value": Decimal(50),
                "valid_from": date(2025, 12, 22),
                "valid_to": None,
                "note": "PP 50/2025: % off JKK and JKM for a month due in force, unless a "
                "government budget pays (end date not known yet)",
                "created_at": datetime.now(UTC),
            }
        ],
    )
    with op.batch_alter_table("contribution_payment") as batch:
        batch.drop_constraint(op.f("ck_contribution_payment_credit_within_month"), type_="check")
        batch.drop_column("credit")
    op.drop_index("ix_member_domicile_regency_code_id", table_name="member")
    op.drop_index("ix_member_sector_id", table_name="member")
    op.drop_column("member", "domicile_regency_code")
    op.drop_column("member", "sector")
    op.drop_column("department", "sector")
    op.drop_table("sector")
    op.drop_table("holiday_correction")
    op.drop_index(op.f("ix_kemendagri_regency_province_code"), table_name="kemendagri_regency")
    op.drop_table("kemendagri_regency")
