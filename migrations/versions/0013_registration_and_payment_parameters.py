"""reference data: registration ages, the due day and the payment periods as benefit parameters

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 09:00:00.000000

The BPU rules that were numbers in the code become dated rows the administrator maintains like
every other rule: the registration age (at least 15 and under 65 on the registration date), the
day of the month a contribution is due (the 15th) and the periods one payment may cover (1, 3,
6 or 12 months: one row each, ``contribution.payment_period.<months>``). In force from 1 July
2015, when the income levels and contribution rates of migration 0004 start.
"""
from datetime import UTC, date, datetime
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

SINCE = date(2015, 7, 1)
PARAMETERS = [
    ("registration.min_age", 15, "BPU registration: at least this age on the registration date"),
    ("registration.max_age_exclusive", 65, "BPU registration: under this age on the registration date"),
    ("contribution.due_day", 15, "a month's contribution is due by this day of the month"),
    ("contribution.payment_period.1", 1, "one payment may cover this many months"),
    ("contribution.payment_period.3", 3, "one payment may cover this many months"),
    ("contribution.payment_period.6", 6, "one payment may cover this many months"),
    ("contribution.payment_period.12", 12, "one payment may cover this many months"),
]

parameter = sa.table(
    "benefit_parameter",
    sa.column("key", sa.String),
    sa.column("value", sa.Numeric(18, 2)),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("note", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade():
    now = datetime.now(UTC)
    op.bulk_insert(
        parameter,
        [
            {"key": key, "value": Decimal(value), "valid_from": SINCE, "valid_to": None,
             "note": note, "created_at": now}
            for key, value, note in PARAMETERS
        ],
    )


def downgrade():
    # Every row of these rules goes, also those the administrator added since (another period).
    op.execute(
        parameter.delete().where(
            parameter.c.key.in_([key for key, _, _ in PARAMETERS])
            | parameter.c.key.like("contribution.payment\\_period.%", escape="\\")
        )
    )
