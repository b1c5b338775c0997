"""member corrections: a clerk proposes, another user of the office decides

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-03 06:30:00

- ``member_correction``: a change of one or more fields of a member (old and new values), its
  reason and supporting document, its state (submitted, approved, rejected) and decision. At
  most one correction of a member waits at a time (a partial unique index).
- ``past_contribution``: the monthly contribution a member owed up to a month, kept when an
  approved correction changes it from the next month (earlier months keep their amounts).

No existing row changes: a member without past contributions owed the same amount every month,
which is what every member registered before this migration did.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                name="correction_state",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document_filename", sa.String(length=255), nullable=True),
        sa.Column("document_content_type", sa.String(length=40), nullable=True),
        sa.Column("document_size", sa.Integer(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("document_storage_name", sa.String(length=80), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(trim(reason)) > 0", name=op.f("ck_member_correction_reason_given")
        ),
        sa.CheckConstraint(
            "state = 'submitted' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_member_correction_decision_has_decider"),
        ),
        sa.CheckConstraint(
            "state <> 'rejected' OR decision_comment IS NOT NULL",
            name=op.f("ck_member_correction_rejection_has_reason"),
        ),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> proposed_by_id",
            name=op.f("ck_member_correction_maker_is_not_checker"),
        ),
        sa.CheckConstraint(
            "(document_storage_name IS NULL) = (document_filename IS NULL)"
            " AND (document_storage_name IS NULL) = (document_sha256 IS NULL)",
            name=op.f("ck_member_correction_document_complete"),
        ),
        sa.CheckConstraint(
            "document_content_type IS NULL"
            " OR document_content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
            name=op.f("ck_member_correction_document_type_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_correction_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_member_correction_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_member_correction_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["user_account.id"],
            name=op.f("fk_member_correction_proposed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_member_correction_decided_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_correction")),
        sa.UniqueConstraint(
            "document_storage_name", name=op.f("uq_member_correction_document_storage_name")
        ),
    )
    with op.batch_alter_table("member_correction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_correction_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            "ix_member_correction_office_state_created",
            ["office_id", "state", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_member_correction_one_waiting",
            ["member_id"],
            unique=True,
            sqlite_where=sa.text("state = 'submitted'"),
            postgresql_where=sa.text("state = 'submitted'"),
        )

    op.create_table(
        "past_contribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("until_period", sa.Date(), nullable=False),
        sa.Column("jkk", sa.Integer(), nullable=False),
        sa.Column("jkm", sa.Integer(), nullable=False),
        sa.Column("jht", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "jkk > 0 AND jkm > 0 AND jht >= 0", name=op.f("ck_past_contribution_amounts_valid")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_past_contribution_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["correction_id"],
            ["member_correction.id"],
            name=op.f("fk_past_contribution_correction_id_member_correction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_past_contribution")),
        sa.UniqueConstraint(
            "member_id", "until_period", name="uq_past_contribution_member_until"
        ),
    )


def downgrade():
    op.drop_table("past_contribution")
    with op.batch_alter_table("member_correction", schema=None) as batch_op:
        batch_op.drop_index("uq_member_correction_one_waiting")
        batch_op.drop_index("ix_member_correction_office_state_created")
        batch_op.drop_index(batch_op.f("ix_member_correction_member_id"))
    op.drop_table("member_correction")
