"""JHT return rates by year; a claim's children for the scholarship as records

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 06:40:00.000000

- ``jht_return_rate``: the yearly return on JHT balances (hasil pengembangan) declared for each
  year, in percent. 2016 (7.19%), 2017 (7.83%) and 2020 (5.63%) are the rates BPJS
  Ketenagakerjaan announced (press reports of its yearly results); the other years are demo
  values, unconfirmed, and say so in their note: the administrator corrects them on the
  reference screen (audited). 2026 is not declared yet (it is declared after the year ends):
  the statement uses the last declared rate and says so.
- Two scholarship parameters: the age up to which a child is paid (``scholarship.max_age``,
  23: PP 82/2019) and the month a school year starts (``scholarship.school_year_start_month``,
  7: the Indonesian school year starts in July).
- ``claim_child``: the children of a claim (name, birth date, school level, married, working)
  instead of the school levels in ``claim.details["children"]``. Existing levels become
  records named "Anak 1", "Anak 2" ... without a birth date (it was never asked); the clerk
  completes them when the claim is corrected. Downgrading puts the levels back in the details.
"""
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
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
SINCE = date(2015, 7, 1)
PARAMETERS = [
    ("scholarship.max_age", 23, "scholarship: paid for school years starting before this age"),
    ("scholarship.school_year_start_month", 7, "scholarship: the month a school year starts"),
]
LEVELS = ("tk_sd", "smp", "sma", "pt")

rate = sa.table(
    "jht_return_rate",
    sa.column("year", sa.Integer),
    sa.column("percent", sa.Numeric(6, 3)),
    sa.column("note", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
parameter = sa.table(
    "benefit_parameter",
    sa.column("key", sa.String),
    sa.column("value", sa.Numeric(18, 2)),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("note", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
claim = sa.table("claim", sa.column("id", sa.Integer), sa.column("details", sa.JSON))
child = sa.table(
    "claim_child",
    sa.column("claim_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("name", sa.String),
    sa.column("birth_date", sa.Date),
    sa.column("school_level", sa.String),
    sa.column("married", sa.Boolean),
    sa.column("working", sa.Boolean),
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
    op.create_table(
        "claim_child",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("school_level", sa.String(length=10), nullable=False),
        sa.Column("married", sa.Boolean(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.CheckConstraint("position >= 1", name=op.f("ck_claim_child_position_positive")),
        sa.CheckConstraint(
            "school_level IN ('tk_sd', 'smp', 'sma', 'pt')",
            name=op.f("ck_claim_child_school_level_known"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_child_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_child")),
        sa.UniqueConstraint("claim_id", "position", name="uq_claim_child_claim_position"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        rate,
        [
            {"year": year, "percent": Decimal(percent), "note": note, "created_at": now}
            for year, percent, note in RATES
        ],
    )
    op.bulk_insert(
        parameter,
        [
            {"key": key, "value": Decimal(value), "valid_from": SINCE, "valid_to": None,
             "note": note, "created_at": now}
            for key, value, note in PARAMETERS
        ],
    )

    conn = op.get_bind()
    rows = []
    for claim_id, details in conn.execute(sa.select(claim.c.id, claim.c.details)).all():
        levels = (details or {}).get("children")
        if "children" not in (details or {}):
            continue
        for position, level in enumerate(level for level in levels or [] if level in LEVELS):
            rows.append({
                "claim_id": claim_id, "position": position + 1, "name": f"Anak {position + 1}",
                "birth_date": None, "school_level": level, "married": False, "working": False,
            })
        rest = {k: v for k, v in details.items() if k != "children"}
        conn.execute(claim.update().where(claim.c.id == claim_id).values(details=rest))
    if rows:
        op.bulk_insert(child, rows)


def downgrade():
    conn = op.get_bind()
    levels: dict[int, list[str]] = {}
    for claim_id, level in conn.execute(
        sa.select(child.c.claim_id, child.c.school_level).order_by(
            child.c.claim_id, child.c.position
        )
    ).all():
        levels.setdefault(claim_id, []).append(level)
    for claim_id, details in conn.execute(sa.select(claim.c.id, claim.c.details)).all():
        if claim_id in levels:
            restored = {**(details or {}), "children": levels[claim_id]}
            conn.execute(claim.update().where(claim.c.id == claim_id).values(details=restored))
    op.drop_table("claim_child")
    op.execute(parameter.delete().where(parameter.c.key.in_([key for key, _, _ in PARAMETERS])))
    op.drop_table("jht_return_rate")
