"""JHT return rates by year

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 06:40:00.000000

- ``jht_return_rate``: the yearly return on JHT balances (hasil pengembangan) declared for each
  year, in percent. 2016 (7.19%), 2017 (7.83%) and 2020 (5.63%) are the rates BPJS
  Ketenagakerjaan announced (press reports of its yearly results); the other years are demo
  values, unconfirmed, and say so in their note: the administrator corrects them on the
  reference screen (audited). 2026 is not declared yet (it is declared after the year ends):
  the statement uses the last declared rate and says so.
"""
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None

PUBLISHED = "announced by BPJS Ketenagakerjaan (press reports of the year's results)"
DEMO = "demo value, unconfirmed: replace with the declared rate"
RATES = [
    (2015, "7.50", DEMO),
    (2016, "7.19", PUBLISHED),
    (2017, "7.83", PUBLISHED),
    (2018, "7.00", DEMO),
    (2019, "6.50", DEMO),
    (2020, "5.63", PUBLISHED),
    (2021, "5.60", DEMO),
    (2022, "5.10", DEMO),
    (2023, "5.90", DEMO),
    (2024, "6.20", DEMO),
    (2025, "6.00", DEMO),
]
rate = sa.table(
    "jht_return_rate",
    sa.column("year", sa.Integer),
    sa.column("percent", sa.Numeric(6, 3)),
    sa.column("note", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade():
    op.create_table(
        "jht_return_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "percent >= 0 AND percent <= 100", name=op.f("ck_jht_return_rate_percent_range")
        ),
        sa.CheckConstraint(
            "year >= 1977 AND year <= 2200", name=op.f("ck_jht_return_rate_year_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jht_return_rate")),
        sa.UniqueConstraint("year", name="uq_jht_return_rate_year"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        rate,
        [
            {"year": year, "percent": Decimal(percent), "note": note, "created_at": now}
            for year, percent, note in RATES
        ],
    )


def downgrade():
    op.drop_table("jht_return_rate")

