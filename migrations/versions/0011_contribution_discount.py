"""reference data: the PP 50/2025 discount on BPU contributions, as a dated benefit parameter

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 02:30:00.000000

From 22 December 2025 (PP 50/2025) BPU members pay 50% less JKK and JKM, for a limited period,
unless a government budget pays their contributions. The end of that period is not known yet:
the row has no end date, and the administrator gives it one (or corrects the dates) on the
benefit parameters screen, like any other dated rule.
"""
from datetime import UTC, date, datetime
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

KEY = "contribution.discount.jkk_jkm_percent"

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
    op.bulk_insert(
        parameter,
        [
            {
                "key": KEY,
                "value": Decimal(50),
                "valid_from": date(2025, 12, 22),
                "valid_to": None,
                "note": "PP 50/2025: % off JKK and JKM for a month due in force, unless a "
                "government budget pays (end date not known yet)",
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade():
    op.execute(parameter.delete().where(parameter.c.key == KEY))
