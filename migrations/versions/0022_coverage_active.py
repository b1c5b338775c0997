"""coverage_active: the changes into and out of 'active' by place and month, kept by triggers

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 19:05:00

- ``coverage_active``: by the member's place (region, office, department (0: none), sector,
  domicile ('' none): the place columns of ``coverage_members``) and the month of each status
  change's day, ``change``: +1 for every change into 'active', -1 for every change out of it.
  The dashboards' trend of members active at the end of each month is the active members now
  less the changes of the months after it.
- Kept by row triggers on ``member_status_change`` (insert, update, delete) and on ``member``
  when a member moves (region, office, department, sector, domicile): their changes leave the
  old place for the new one, as 0019 moves their payments. PostgreSQL: PL/pgSQL functions;
  SQLite: one trigger per table and operation. Filled from the existing history here.

Caution for later migrations: on SQLite a batch migration of ``member`` or
``member_status_change`` recreates the table and drops its triggers; call ``create_triggers()``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ACTIVE_KEYS = ("region_id", "office_id", "department_id", "sector", "regency_code", "month")
MOVED = ("region_id", "office_id", "department_id", "sector", "domicile_regency_code")
#: +1 into active, -1 out of it (a change never keeps its status: from <> to).
CHANGE = (
    "(CASE WHEN {r}.to_status = 'active' THEN 1 ELSE 0 END"
    " - CASE WHEN {r}.from_status = 'active' THEN 1 ELSE 0 END)"
)
TOUCHES_ACTIVE = "({r}.to_status = 'active' OR {r}.from_status = 'active')"


def _month(dialect, expr):
    if dialect == "sqlite":
        return f"date({expr}, 'start of month')"
    return f"CAST(date_trunc('month', {expr}) AS date)"


def _member_place(r):
    return (
        f"{r}.region_id, {r}.office_id, COALESCE({r}.department_id, 0), {r}.sector,"
        f" COALESCE({r}.domicile_regency_code, '')"
    )


def _upsert(select_sql):
    return (
        f"INSERT INTO coverage_active ({', '.join(ACTIVE_KEYS)}, change) {select_sql}"
        f" ON CONFLICT ({', '.join(ACTIVE_KEYS)}) DO UPDATE"
        " SET change = coverage_active.change + excluded.change;"
    )


def _statements(dialect):
    def change(r, sign):
        """One status change row (NEW or OLD) counted at its member's place."""
        return _upsert(
            f"SELECT {_member_place('m')}, {_month(dialect, f'{r}.day')},"
            f" {sign}{CHANGE.format(r=r)} FROM member m"
            f" WHERE m.id = {r}.member_id AND {TOUCHES_ACTIVE.format(r=r)}"
        )

    def moved(r, sign):
        """All of a member's (NEW or OLD) changes, at the member's place."""
        month = _month(dialect, "c.day")
        return _upsert(
            f"SELECT {_member_place(r)}, {month}, {sign}SUM({CHANGE.format(r='c')})"
            f" FROM member_status_change c WHERE c.member_id = {r}.id"
            f" AND {TOUCHES_ACTIVE.format(r='c')} GROUP BY {month}"
        )

    return change, moved


def create_triggers(bind):
    dialect = bind.dialect.name
    change, moved = _statements(dialect)
    if dialect == "sqlite":
        table = "member_status_change"
        op.execute(
            f"CREATE TRIGGER coverage_active_insert AFTER INSERT ON {table}"
            f" BEGIN {change('NEW', '+')} END"
        )
        op.execute(
            f"CREATE TRIGGER coverage_active_delete AFTER DELETE ON {table}"
            f" BEGIN {change('OLD', '-')} END"
        )
        op.execute(
            f"CREATE TRIGGER coverage_active_update AFTER UPDATE ON {table}"
            f" BEGIN {change('OLD', '-')} {change('NEW', '+')} END"
        )
        condition = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in MOVED)
        op.execute(
            f"CREATE TRIGGER coverage_active_moved AFTER UPDATE ON member WHEN {condition}"
            f" BEGIN {moved('OLD', '-')} {moved('NEW', '+')} END"
        )
        return
    op.execute(
        "CREATE FUNCTION coverage_active() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP IN ('UPDATE', 'DELETE') THEN {change('OLD', '-')} END IF;"
        f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {change('NEW', '+')} END IF;"
        " RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER coverage_active AFTER INSERT OR UPDATE OR DELETE"
        " ON member_status_change FOR EACH ROW EXECUTE FUNCTION coverage_active()"
    )
    op.execute(
        "CREATE FUNCTION coverage_active_moved() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" {moved('OLD', '-')} {moved('NEW', '+')} RETURN NULL; END $$"
    )
    condition = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in MOVED)
    op.execute(
        "CREATE TRIGGER coverage_active_moved AFTER UPDATE ON member FOR EACH ROW"
        f" WHEN ({condition}) EXECUTE FUNCTION coverage_active_moved()"
    )


def drop_triggers(bind):
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update", "moved"):
            op.execute(f"DROP TRIGGER IF EXISTS coverage_active_{name}")
        return
    op.execute("DROP TRIGGER IF EXISTS coverage_active ON member_status_change")
    op.execute("DROP TRIGGER IF EXISTS coverage_active_moved ON member")
    op.execute("DROP FUNCTION IF EXISTS coverage_active()")
    op.execute("DROP FUNCTION IF EXISTS coverage_active_moved()")


def _fill(bind):
    month = _month(bind.dialect.name, "c.day")
    op.execute(
        f"INSERT INTO coverage_active ({', '.join(ACTIVE_KEYS)}, change)"
        f" SELECT {_member_place('m')}, {month}, SUM({CHANGE.format(r='c')})"
        " FROM member_status_change c JOIN member m ON m.id = c.member_id"
        f" WHERE {TOUCHES_ACTIVE.format(r='c')} GROUP BY {_member_place('m')}, {month}"
    )


def _key(name, type_):
    return sa.Column(name, type_, nullable=False, primary_key=True)


def upgrade():
    op.create_table(
        "coverage_active",
        _key("region_id", sa.Integer()),
        _key("office_id", sa.Integer()),
        _key("department_id", sa.Integer()),
        _key("sector", sa.String(length=20)),
        _key("regency_code", sa.String(length=4)),
        _key("month", sa.Date()),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*ACTIVE_KEYS, name=op.f("pk_coverage_active")),
    )
    bind = op.get_bind()
    _fill(bind)
    create_triggers(bind)


def downgrade():
    drop_triggers(op.get_bind())
    op.drop_table("coverage_active")
