"""reference data: every regency of Indonesia (Kemendagri), member sectors, PP 50/2025 by
sector, holidays

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 06:30:00.000000

- ``kemendagri_regency``: the 514 regencies and cities of Indonesia with their Kemendagri codes
  (``migrations/data/kemendagri_regencies.csv``, from idn-area-data, ODbL). A NIK may start with
  any of them: the region part of a NIK is where it was first issued, not where the member
  lives. The ``regency`` table keeps the regencies the offices serve.
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[1] / "data"


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


def downgrade():
    op.drop_index(op.f("ix_kemendagri_regency_province_code"), table_name="kemendagri_regency")
    op.drop_table("kemendagri_regency")
