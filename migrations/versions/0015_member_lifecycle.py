"""membership status as a lifecycle: member.status with its history, the window for arrears

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:00:00.000000

A member is registered (no contribution paid yet), active, lapsed (more than
``coverage.max_arrears_months`` consecutive due months unpaid), ended (arrears not paid within
``coverage.arrears_window_months``, a new benefit parameter: 3 months from 1 July 2015),
deceased (a death claim paid) or exited (JHT paid out). Each existing member is brought to the
status their payment history and paid claims give today (``backoffice.rules.lifecycle``, the
rule the services apply), with the history of changes that led there; ``active`` follows the
status (False once ended, deceased or exited).
"""
from datetime import UTC, date, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

STATUSES = ('registered', 'active', 'lapsed', 'ended', 'deceased', 'exited')
WINDOW_KEY = "coverage.arrears_window_months"
CHUNK = 1000

parameter = sa.table(
    "benefit_parameter",
    sa.column("key", sa.String),
    sa.column("value", sa.Numeric(18, 2)),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("note", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
member = sa.table(
    "member",
    sa.column("id", sa.Integer),
    sa.column("active", sa.Boolean),
    sa.column("status", sa.String),
    sa.column("status_since", sa.Date),
    sa.column("lapses_on", sa.Date),
    sa.column("ends_on", sa.Date),
)
payment = sa.table(
    "contribution_payment",
    sa.column("member_id", sa.Integer),
    sa.column("period", sa.Date),
    sa.column("paid_on", sa.Date),
)
claim = sa.table(
    "claim",
    sa.column("id", sa.Integer),
    sa.column("member_id", sa.Integer),
    sa.column("claim_type", sa.String),
    sa.column("state", sa.String),
    sa.column("paid_on", sa.Date),
    sa.column("jht_reason", sa.String),
    sa.column("details", sa.JSON),
)


def _status_enum(name):
    return sa.Enum(*STATUSES, name=name, native_enum=False, create_constraint=True)


def upgrade():
    op.bulk_insert(
        parameter,
        [{
            "key": WINDOW_KEY, "value": 3, "valid_from": date(2015, 7, 1), "valid_to": None,
            "note": "arrears may be paid up to this many months after protection ended "
            "(partly confirmed agency procedure)",
            "created_at": datetime.now(UTC),
        }],
    )
    op.create_table(
        'member_status_change',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('from_status', _status_enum('member_status_change_from'), nullable=False),
        sa.Column('to_status', _status_enum('member_status_change_to'), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('claim_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('from_status <> to_status', name=op.f('ck_member_status_change_changes_status')),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_member_status_change_actor_id_user_account')),
        sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_member_status_change_claim_id_claim')),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_status_change_member_id_member')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_status_change')),
    )
    with op.batch_alter_table('member_status_change', schema=None) as batch_op:
        batch_op.create_index('ix_member_status_change_member_day', ['member_id', 'day', 'id'], unique=False)

    # Never recreate member on SQLite: most tables refer to it. Its new columns and their
    # CHECK constraints are added in place (SQLite: constraints of the new status column).
    with op.batch_alter_table('member', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('status_since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('lapses_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ends_on', sa.Date(), nullable=True))
    checks = {
        'ck_member_member_status': f"status IN ({', '.join(repr(s) for s in STATUSES)})",
        'ck_member_active_follows_status': "active = (status NOT IN ('ended', 'deceased', 'exited'))",
        'ck_member_status_has_since': "status = 'registered' OR status_since IS NOT NULL",
    }
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE member ADD COLUMN status VARCHAR(10) DEFAULT 'registered' NOT NULL "
            + " ".join(f"CONSTRAINT {name} CHECK ({check})" for name, check in checks.items())
        )
    else:
        op.add_column('member', sa.Column('status', sa.String(10), server_default='registered', nullable=False))
        for name, check in checks.items():
            op.create_check_constraint(op.f(name), 'member', check)

    _bring_members_to_their_status()

    with op.batch_alter_table('member', schema=None, recreate='never') as batch_op:
        batch_op.create_index('ix_member_status_region_created_id', ['status', 'region_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_member_status_lapses_on', ['status', 'lapses_on'], unique=False)
        batch_op.create_index('ix_member_status_ends_on', ['status', 'ends_on'], unique=False)


def _parameter(conn, key, day):
    value = conn.execute(
        sa.select(parameter.c.value).where(
            parameter.c.key == key,
            parameter.c.valid_from <= day,
            sa.or_(parameter.c.valid_to.is_(None), parameter.c.valid_to >= day),
        )
    ).scalar()
    if value is None:
        raise RuntimeError(f"migration 0015 needs the benefit parameter {key} in force on {day}")
    return int(value)


def _closing(claims, member_id):
    """The first paid claim that closed the membership (a death, or JHT paid out)."""
    from backoffice.rules import lifecycle
    from models import MemberStatus

    for claim_id, claim_type, paid_on, jht_reason, details in claims.get(member_id, []):
        death = (
            claim_type == "JKM"
            or (claim_type == "JKK" and bool((details or {}).get("death")))
            or (claim_type == "JHT" and jht_reason == "death")
        )
        if death:
            change = lifecycle.Change(paid_on, MemberStatus.ACTIVE, MemberStatus.DECEASED, lifecycle.DEATH_CLAIM_PAID)
            return change, claim_id
        if claim_type == "JHT":
            change = lifecycle.Change(paid_on, MemberStatus.ACTIVE, MemberStatus.EXITED, lifecycle.JHT_PAID)
            return change, claim_id
    return None, None


def _bring_members_to_their_status():
    # The rule itself (pure, no Flask): the same status the services and the nightly task keep.
    from backoffice.clock import today_in_jakarta
    from backoffice.rules import lifecycle

    conn = op.get_bind()
    today = today_in_jakarta()
    rules = lifecycle.Rules(
        max_arrears=_parameter(conn, lifecycle.MAX_ARREARS_KEY, today),
        window_months=_parameter(conn, WINDOW_KEY, today),
        due_day=_parameter(conn, "contribution.due_day", today),
    )
    changes_table = sa.table(
        "member_status_change",
        sa.column("member_id", sa.Integer), sa.column("from_status", sa.String),
        sa.column("to_status", sa.String), sa.column("reason", sa.String),
        sa.column("day", sa.Date), sa.column("actor_id", sa.Integer),
        sa.column("claim_id", sa.Integer), sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    ids = list(conn.execute(sa.select(member.c.id).order_by(member.c.id)).scalars())
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        history = {}
        for member_id, period, paid_on in conn.execute(
            sa.select(payment.c.member_id, payment.c.period, payment.c.paid_on).where(
                payment.c.member_id.in_(chunk)
            )
        ):
            history.setdefault(member_id, []).append(lifecycle.Paid(period, paid_on))
        claims = {}
        for row in conn.execute(
            sa.select(claim.c.member_id, claim.c.id, claim.c.claim_type, claim.c.paid_on,
                      claim.c.jht_reason, claim.c.details)
            .where(claim.c.member_id.in_(chunk), claim.c.state == "paid",
                   claim.c.paid_on.is_not(None))
            .order_by(claim.c.paid_on, claim.c.id)
        ):
            claims.setdefault(row.member_id, []).append(tuple(row)[1:])
        updates, inserts = [], []
        for member_id in chunk:
            closing, claim_id = _closing(claims, member_id)
            standing, changes = lifecycle.closed_by_claim(
                history.get(member_id, []), today, rules, closing
            )
            lapses_on, ends_on = lifecycle.stored_dates(standing)
            updates.append({
                "member_id": member_id, "new_status": standing.status.value,
                "new_since": standing.since, "new_lapses_on": lapses_on, "new_ends_on": ends_on,
                "new_active": standing.status not in lifecycle.INACTIVE,
            })
            for change in changes:
                closed = change.after.value in ("deceased", "exited")
                inserts.append({
                    "member_id": member_id, "from_status": change.before.value,
                    "to_status": change.after.value, "reason": change.reason, "day": change.day,
                    "actor_id": None, "claim_id": claim_id if closed else None, "created_at": now,
                })
        conn.execute(
            member.update().where(member.c.id == sa.bindparam("member_id")).values(
                status=sa.bindparam("new_status"), status_since=sa.bindparam("new_since"),
                lapses_on=sa.bindparam("new_lapses_on"), ends_on=sa.bindparam("new_ends_on"),
                active=sa.bindparam("new_active"),
            ),
            updates,
        )
        if inserts:
            conn.execute(changes_table.insert(), inserts)


def downgrade():
    with op.batch_alter_table('member', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_member_status_ends_on')
        batch_op.drop_index('ix_member_status_lapses_on')
        batch_op.drop_index('ix_member_status_region_created_id')
        # status first: its CHECK constraints (which name status_since and active) go with it.
        batch_op.drop_column('status')
        batch_op.drop_column('ends_on')
        batch_op.drop_column('lapses_on')
        batch_op.drop_column('status_since')
    # Before 0015 every member was active: nothing made one inactive.
    op.execute(member.update().values(active=True))
    with op.batch_alter_table('member_status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_member_status_change_member_day')
    op.drop_table('member_status_change')
    op.execute(parameter.delete().where(parameter.c.key == WINDOW_KEY))
