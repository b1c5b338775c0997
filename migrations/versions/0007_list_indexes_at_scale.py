"""lists at scale: indexes for each list order, KPJ/NIK prefixes, name trigrams (pg_trgm)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 18:00:00

The members and claims lists stay fast with millions of rows (issue 7): every order a list
offers has an index ending with the id that breaks ties, the default order has one per region,
KPJ/NIK prefix searches use ``varchar_pattern_ops`` and name searches a trigram GIN index; the
claims work queue reads open claims of an office from a partial index in due-date order.
On PostgreSQL the pg_trgm extension is created (it ships with PostgreSQL; creating it needs the
CREATE privilege on the database, which the owner of the database has); on SQLite the same
indexes are plain ones, so that models and migrations agree on both.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_CLAIMS = "state IN ('submitted', 'returned', 'verified', 'approved')"
MEMBER = [
    ("ix_member_created_id", ["created_at", "id"], {}),
    ("ix_member_region_created_id", ["region_id", "created_at", "id"], {}),
    ("ix_member_name_id", ["name", "id"], {}),
    ("ix_member_birth_date_id", ["birth_date", "id"], {}),
    ("ix_member_start_date_id", ["start_date", "id"], {}),
    ("ix_member_contribution_id", ["monthly_contribution", "id"], {}),
    ("ix_member_kpj_pattern", ["kpj"], {"postgresql_ops": {"kpj": "varchar_pattern_ops"}}),
    ("ix_member_nik_pattern", ["nik"], {"postgresql_ops": {"nik": "varchar_pattern_ops"}}),
    (
        "ix_member_name_trgm",
        ["name"],
        {"postgresql_using": "gin", "postgresql_ops": {"name": "gin_trgm_ops"}},
    ),
]
CLAIM = [
    ("ix_claim_submitted_id", ["submitted_at", "id"], {}),
    ("ix_claim_region_submitted_id", ["region_id", "submitted_at", "id"], {}),
    ("ix_claim_office_submitted_id", ["office_id", "submitted_at", "id"], {}),
    ("ix_claim_state_submitted_id", ["state", "submitted_at", "id"], {}),
    ("ix_claim_event_date_id", ["event_date", "id"], {}),
    ("ix_claim_amount_id", ["amount", "id"], {}),
    ("ix_claim_due_date_id", ["due_date", "id"], {}),
    (
        "ix_claim_open_office_due",
        ["office_id", "due_date", "submitted_at", "id"],
        {"postgresql_where": sa.text(OPEN_CLAIMS), "sqlite_where": sa.text(OPEN_CLAIMS)},
    ),
    (
        "ix_claim_claimant_name_trgm",
        ["claimant_name"],
        {"postgresql_using": "gin", "postgresql_ops": {"claimant_name": "gin_trgm_ops"}},
    ),
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, indexes in (("member", MEMBER), ("claim", CLAIM)):
        for name, columns, options in indexes:
            op.create_index(name, table, columns, unique=False, **options)


def downgrade():
    for table, indexes in (("claim", CLAIM), ("member", MEMBER)):
        for name, _columns, _options in reversed(indexes):
            op.drop_index(name, table_name=table)
    # pg_trgm stays: other databases objects may use it, and it costs nothing unused.
