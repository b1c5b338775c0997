"""audit trail at scale: indexes for the audit list's order, scope, filters and searches

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00

The audit list stays fast with millions of events (issue 7): its default order (newest first,
``occurred_at DESC, id DESC``) has an index, overall and per region (the scope of regional
heads and auditors); the filters on who, action and record type each have one in that order;
a record number is found by ``record_id`` alone, and the words of a note by a trigram GIN index
on PostgreSQL (pg_trgm, created by 0007). The single-column indexes on ``occurred_at`` and
``region_id`` lead the new ones and go. On SQLite the same indexes are plain ones, so that
models and migrations agree on both. On a large table the indexes take a while to build, and
the table is locked for writes meanwhile (new events wait): upgrade outside office hours.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "audit_event"
INDEXES = [
    ("ix_audit_event_occurred_id", ["occurred_at", "id"], {}),
    ("ix_audit_event_region_occurred_id", ["region_id", "occurred_at", "id"], {}),
    ("ix_audit_event_actor_occurred_id", ["actor_username", "occurred_at", "id"], {}),
    ("ix_audit_event_action_occurred_id", ["action", "occurred_at", "id"], {}),
    ("ix_audit_event_record_type_occurred_id", ["record_type", "occurred_at", "id"], {}),
    ("ix_audit_event_record_id", ["record_id"], {}),
    (
        "ix_audit_event_comment_trgm",
        ["comment"],
        {"postgresql_using": "gin", "postgresql_ops": {"comment": "gin_trgm_ops"}},
    ),
]
#: Led by a new index with the same first column: dropped (restored by the downgrade).
REDUNDANT = [
    ("ix_audit_event_occurred_at", ["occurred_at"]),
    ("ix_audit_event_region_id", ["region_id"]),
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # 0007 did; harmless again
    for name, columns, options in INDEXES:
        op.create_index(name, TABLE, columns, unique=False, **options)
    for name, _columns in REDUNDANT:
        op.drop_index(name, table_name=TABLE)


def downgrade():
    for name, columns in REDUNDANT:
        op.create_index(name, TABLE, columns, unique=False)
    for name, _columns, _options in reversed(INDEXES):
        op.drop_index(name, table_name=TABLE)
