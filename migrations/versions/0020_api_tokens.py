"""API tokens of department and branch systems, idempotency keys, members' last change

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 12:45:00

- ``api_token``: a department's (or a branch office's) token for ``/api/v1``: only its SHA-256
  and its first characters are stored, with who created it, when it expires, when it was revoked
  and last used.
- ``api_idempotency_key``: per token, the key of a call and what it made (a batch, a result), so
  that a retried upload returns the first batch.
- ``member.updated_at``: the last change of a member (``updated_since`` of the member list);
  existing members get their creation time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(department_id IS NULL) <> (office_id IS NULL)", name=op.f("ck_api_token_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_api_token_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_api_token_department_id_department")
        ),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_api_token_office_id_office")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_api_token_region_id_region")),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["user_account.id"], name=op.f("fk_api_token_revoked_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_department_id"), ["department_id"])
        batch_op.create_index(batch_op.f("ix_api_token_office_id"), ["office_id"])
        batch_op.create_index(batch_op.f("ix_api_token_region_id"), ["region_id"])

    op.create_table(
        "api_idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["member_batch.id"], name=op.f("fk_api_idempotency_key_batch_id_member_batch")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_api_idempotency_key_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotency_key")),
        sa.UniqueConstraint("token_id", "key", name=op.f("uq_api_idempotency_key_token_id")),
    )

    # Never recreate member on SQLite: batch rows, payments and claims refer to it.
    with op.batch_alter_table("member", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE member SET updated_at = created_at")
    op.create_index(
        "ix_member_department_updated_id", "member", ["department_id", "updated_at", "id"]
    )


def downgrade():
    op.drop_index("ix_member_department_updated_id", table_name="member")
    with op.batch_alter_table("member", recreate="never") as batch_op:
        batch_op.drop_column("updated_at")
    op.drop_table("api_idempotency_key")
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_region_id"))
        batch_op.drop_index(batch_op.f("ix_api_token_office_id"))
        batch_op.drop_index(batch_op.f("ix_api_token_department_id"))
    op.drop_table("api_token")
