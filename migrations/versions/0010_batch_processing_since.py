"""member batches: processing_since (when the checks of a batch's file were last queued)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 23:10:00.000000

A batch whose checks were queued long ago and never finished has lost its task (a worker
stopped, a queue lost it): its liaison may start the checks again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Never recreate member_batch on SQLite: batch_row refers to it.
    with op.batch_alter_table('member_batch', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('processing_since', sa.DateTime(timezone=True), nullable=True))
    # Batches being checked now: since the latest event that put them there (the upload or a
    # check again), or their upload.
    op.execute(
        "UPDATE member_batch SET processing_since = COALESCE("
        " (SELECT max(e.occurred_at) FROM audit_event e"
        "  WHERE e.record_type = 'member_batch'"
        "  AND e.record_id = CAST(member_batch.id AS VARCHAR(64))"
        "  AND e.to_state = 'processing'),"
        " member_batch.created_at)"
        " WHERE state = 'processing'"
    )


def downgrade():
    with op.batch_alter_table('member_batch', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('processing_since')
