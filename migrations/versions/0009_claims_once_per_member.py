"""claims: one JKM and one JHT claim per member that is not rejected, kept by the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 21:00:00

The claims service refuses a second JKM or JHT claim of a member (one that is not rejected),
but two clerks registering at the same moment could both pass that check. A unique partial
index on ``(member_id, claim_type)`` for those two types keeps the second one out; the service
turns the violation into the same message as its own check. A rejected claim does not count,
so a member can be registered again after a rejection.

If the upgrade fails with a unique violation, the database already holds such duplicates; list
them with ``SELECT member_id, claim_type, array_agg(id) FROM claim WHERE claim_type IN ('JKM',
'JHT') AND state <> 'rejected' GROUP BY 1, 2 HAVING count(*) > 1`` and reject the extra ones
through the application before upgrading.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ONCE_PER_MEMBER = "claim_type IN ('JKM', 'JHT') AND state <> 'rejected'"


def upgrade():
    op.create_index(
        "uq_claim_member_once",
        "claim",
        ["member_id", "claim_type"],
        unique=True,
        postgresql_where=sa.text(ONCE_PER_MEMBER),
        sqlite_where=sa.text(ONCE_PER_MEMBER),
    )


def downgrade():
    op.drop_index("uq_claim_member_once", table_name="claim")
