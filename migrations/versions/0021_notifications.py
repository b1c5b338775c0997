"""notifications: in-app notifications, the email outbox, members' reminders

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 12:40:00

- ``notification``: what a user is told (kind, the item and the screen opening it, values for
  the text, never personal data), read or not; indexed for the bell's unread count.
- ``outbox_message``: the email of a notification, written in the same transaction, sent by
  the task queue (pending, held for the daily digest, sent, dead after the last retry).
- ``member_reminder``: a contribution reminder sent to a member, unique per member, month and
  kind (a second run of the month sends nothing).
- ``user_account.email_notifications``: immediate (default), digest or none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    # Never recreate user_account on SQLite (other tables refer to it; with foreign keys on,
    # dropping the old table fails): a plain ADD/DROP COLUMN, the values checked by the service.
    with op.batch_alter_table("user_account", recreate="never") as batch:
        batch.add_column(
            sa.Column(
                "email_notifications",
                sa.String(length=9),
                nullable=False,
                server_default="immediate",
            )
        )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=60), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at"])
    op.create_index(
        "ix_notification_user_created", "notification", ["user_id", "created_at", "id"]
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "held",
                "sent",
                "dead",
                name="outbox_state",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_outbox_message_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_outbox_message_notification_id_notification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index("ix_outbox_message_state_user", "outbox_message", ["state", "user_id"])
    op.create_index(
        op.f("ix_outbox_message_notification_id"), "outbox_message", ["notification_id"]
    )
    op.create_table(
        "member_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_reminder_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_reminder")),
    )
    op.create_index(
        "uq_member_reminder_member_month_kind",
        "member_reminder",
        ["member_id", "month", "kind"],
        unique=True,
    )


def downgrade():
    op.drop_index("uq_member_reminder_member_month_kind", table_name="member_reminder")
    op.drop_table("member_reminder")
    op.drop_index(op.f("ix_outbox_message_notification_id"), table_name="outbox_message")
    op.drop_index("ix_outbox_message_state_user", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index("ix_notification_user_created", table_name="notification")
    op.drop_index("ix_notification_user_read", table_name="notification")
    op.drop_table("notification")
    with op.batch_alter_table("user_account", recreate="never") as batch:
        batch.drop_column("email_notifications")
