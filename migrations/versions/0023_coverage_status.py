"""coverage_status: members by place and status, kept from coverage_members; month indexes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 20:10:00

At 1,000,000 generated members ``coverage_members`` holds 122,641 rows (588 places, each
status by start month) and the regional head's dashboard summed all of them by regency and
status on every load (55 ms of a 200 ms page). What the dashboards count by status does not
need the month:

- ``coverage_status``: ``coverage_members`` without ``start_month`` (members and their
  monthly contributions by region, office, department, sector, domicile and status), kept by
  row triggers on ``coverage_members`` itself: whatever changes a count there (a member's
  trigger, a rebuild) changes it here in the same statement. A few thousand rows at any size.
- Indexes by month on ``coverage_members`` (start_month), ``coverage_payments`` (paid_month)
  and ``coverage_active`` (month), each with the region: the trend reads its twelve months,
  not every month since 2016.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

KEYS = ("region_id", "office_id", "department_id", "sector", "regency_code", "status")
VALUES = ("members", "contributions")


def _upsert(row, sign):
    """Add (``+``) or take away (``-``) one coverage_members row (NEW or OLD)."""
    keys = ", ".join(f"{row}.{k}" for k in KEYS)
    values = ", ".join(f"{sign}{row}.{v}" for v in VALUES)
    sets = ", ".join(f"{v} = coverage_status.{v} + excluded.{v}" for v in VALUES)
    return (
        f"INSERT INTO coverage_status ({', '.join(KEYS)}, {', '.join(VALUES)})"
        f" VALUES ({keys}, {values})"
        f" ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {sets};"
    )


def create_triggers(bind):
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER coverage_status_insert AFTER INSERT ON coverage_members"
            f" BEGIN {_upsert('NEW', '+')} END"
        )
        op.execute(
            "CREATE TRIGGER coverage_status_delete AFTER DELETE ON coverage_members"
            f" BEGIN {_upsert('OLD', '-')} END"
        )
        op.execute(
            "CREATE TRIGGER coverage_status_update AFTER UPDATE ON coverage_members"
            f" BEGIN {_upsert('OLD', '-')} {_upsert('NEW', '+')} END"
        )
        return
    op.execute(
        "CREATE FUNCTION coverage_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP IN ('UPDATE', 'DELETE') THEN {_upsert('OLD', '-')} END IF;"
        f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {_upsert('NEW', '+')} END IF;"
        " RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER coverage_status AFTER INSERT OR UPDATE OR DELETE ON coverage_members"
        " FOR EACH ROW EXECUTE FUNCTION coverage_status()"
    )


def drop_triggers(bind):
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS coverage_status_{name}")
        return
    op.execute("DROP TRIGGER IF EXISTS coverage_status ON coverage_members")
    op.execute("DROP FUNCTION IF EXISTS coverage_status()")


def _key(name, type_):
    return sa.Column(name, type_, nullable=False, primary_key=True)


def upgrade():
    op.create_table(
        "coverage_status",
        _key("region_id", sa.Integer()),
        _key("office_id", sa.Integer()),
        _key("department_id", sa.Integer()),
        _key("sector", sa.String(length=20)),
        _key("regency_code", sa.String(length=4)),
        _key("status", sa.String(length=10)),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("contributions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f("pk_coverage_status")),
    )
    op.execute(
        f"INSERT INTO coverage_status ({', '.join(KEYS)}, {', '.join(VALUES)})"
        f" SELECT {', '.join(KEYS)}, SUM(members), SUM(contributions) FROM coverage_members"
        f" GROUP BY {', '.join(KEYS)}"
    )
    create_triggers(op.get_bind())
    op.create_index(
        "ix_coverage_members_start_month_region", "coverage_members", ["start_month", "region_id"]
    )
    op.create_index(
        "ix_coverage_payments_paid_month_region", "coverage_payments", ["paid_month", "region_id"]
    )
    op.create_index("ix_coverage_active_month_region", "coverage_active", ["month", "region_id"])


def downgrade():
    op.drop_index("ix_coverage_active_month_region", table_name="coverage_active")
    op.drop_index("ix_coverage_payments_paid_month_region", table_name="coverage_payments")
    op.drop_index("ix_coverage_members_start_month_region", table_name="coverage_members")
    drop_triggers(op.get_bind())
    op.drop_table("coverage_status")
