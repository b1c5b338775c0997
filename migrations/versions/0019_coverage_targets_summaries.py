"""coverage targets and the summary tables of the dashboards, kept by triggers

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 12:40:00

- ``coverage_target``: workers a region, regency, department and/or sector is to protect in a
  year, with its source; validity-dated reference data.
- ``coverage_members`` (with the sum of the members' monthly contributions),
  ``coverage_payments``, ``coverage_claims``: counts and sums by key, kept
  by row triggers on ``member``, ``contribution_payment`` and ``claim`` (PostgreSQL: one PL/pgSQL
  function per table; SQLite: one trigger per table and operation), so that every statement,
  the ORM's and the set-based ones (nightly lapses, batch acceptance, payments recorded
  together), adjusts them in its own transaction. An update subtracts the old key and adds the
  new; a member moved (office, department, sector, domicile) moves their payments too.
  The tables are filled from the existing rows here.
- ``ix_claim_open_region_office_due``: the open claims by region, office and due date (the
  dashboards count the overdue ones).

Caution for later migrations: on SQLite a batch migration of ``member``, ``contribution_payment``
or ``claim`` recreates the table and drops its triggers; call ``create_triggers()`` again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

MEMBER_KEYS = (
    "region_id",
    "office_id",
    "department_id",
    "sector",
    "regency_code",
    "status",
    "start_month",
)
PAYMENT_KEYS = ("region_id", "office_id", "department_id", "sector", "regency_code", "paid_month")
CLAIM_KEYS = ("region_id", "office_id", "claim_type", "state", "submitted_month", "paid_month")
MOVED = ("region_id", "office_id", "department_id", "sector", "domicile_regency_code")


def _month(dialect, expr):
    if dialect == "sqlite":
        return f"date({expr}, 'start of month')"
    return f"CAST(date_trunc('month', {expr}) AS date)"


def _jakarta_month(dialect, expr):
    if dialect == "sqlite":
        return f"date({expr}, '+7 hours', 'start of month')"
    return f"CAST(date_trunc('month', {expr} AT TIME ZONE 'Asia/Jakarta') AS date)"


def _upsert(table, keys, values, select_sql):
    cols = ", ".join((*keys, *values))
    sets = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    return (
        f"INSERT INTO {table} ({cols}) {select_sql} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets};"
    )


def _member_place(r):
    return (
        f"{r}.region_id, {r}.office_id, COALESCE({r}.department_id, 0), {r}.sector,"
        f" COALESCE({r}.domicile_regency_code, '')"
    )


def _statements(dialect):
    """The statements each trigger runs, by table and by row (NEW, OLD) and sign."""
    month = lambda e: _month(dialect, e)  # noqa: E731

    def member(r, sign):
        return _upsert(
            "coverage_members",
            MEMBER_KEYS,
            ("members", "contributions"),
            f"SELECT {_member_place(r)}, {r}.status, {month(f'{r}.start_date')}, {sign}1,"
            f" {sign}{r}.monthly_contribution WHERE 1 = 1",
        )

    def member_payments(r, sign):
        return _upsert(
            "coverage_payments",
            PAYMENT_KEYS,
            ("payments", "amount"),
            f"SELECT {_member_place(r)}, {month('p.paid_on')}, {sign}COUNT(*),"
            f" {sign}SUM(p.jkk + p.jkm + p.jht) FROM contribution_payment p"
            f" WHERE p.member_id = {r}.id GROUP BY {month('p.paid_on')}",
        )

    def payment(r, sign):
        return _upsert(
            "coverage_payments",
            PAYMENT_KEYS,
            ("payments", "amount"),
            f"SELECT {_member_place('m')}, {month(f'{r}.paid_on')}, {sign}1,"
            f" {sign}({r}.jkk + {r}.jkm + {r}.jht) FROM member m WHERE m.id = {r}.member_id",
        )

    def claim(r, sign):
        paid = f"COALESCE({month(f'{r}.paid_on')}, {_no_month(dialect)})"
        return _upsert(
            "coverage_claims",
            CLAIM_KEYS,
            ("claims", "amount"),
            f"SELECT {r}.region_id, {r}.office_id, {r}.claim_type, {r}.state,"
            f" {_jakarta_month(dialect, f'{r}.submitted_at')}, {paid}, {sign}1,"
            f" {sign}{r}.amount WHERE 1 = 1",
        )

    return member, member_payments, payment, claim


def _no_month(dialect):
    return "'0001-01-01'" if dialect == "sqlite" else "DATE '0001-01-01'"


def _moved_condition():
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in MOVED)


def _pg_moved_condition():
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in MOVED)


TRIGGERS = (
    ("member", "coverage_member"),
    ("contribution_payment", "coverage_payment"),
    ("claim", "coverage_claim"),
)


def create_triggers(bind):
    dialect = bind.dialect.name
    member, member_payments, payment, claim = _statements(dialect)
    if dialect == "sqlite":
        for table, name, body in (
            ("member", "coverage_member", member),
            ("contribution_payment", "coverage_payment", payment),
            ("claim", "coverage_claim", claim),
        ):
            op.execute(
                f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {body('NEW', '+')} END"
            )
            op.execute(
                f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {body('OLD', '-')} END"
            )
            op.execute(
                f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} BEGIN "
                f"{body('OLD', '-')} {body('NEW', '+')} END"
            )
        op.execute(
            "CREATE TRIGGER coverage_member_moved AFTER UPDATE ON member"
            f" WHEN {_moved_condition()} BEGIN "
            f"{member_payments('OLD', '-')} {member_payments('NEW', '+')} END"
        )
        return
    bodies = {
        "member": (
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {member('OLD', '-')} END IF;"
            f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {member('NEW', '+')} END IF;"
            f" IF TG_OP = 'UPDATE' AND ({_pg_moved_condition()}) THEN"
            f" {member_payments('OLD', '-')} {member_payments('NEW', '+')} END IF;"
        ),
        "contribution_payment": (
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {payment('OLD', '-')} END IF;"
            f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {payment('NEW', '+')} END IF;"
        ),
        "claim": (
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {claim('OLD', '-')} END IF;"
            f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {claim('NEW', '+')} END IF;"
        ),
    }
    for table, name in TRIGGERS:
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {bodies[table]} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {name}()"
        )


def drop_triggers(bind):
    if bind.dialect.name == "sqlite":
        for _table, name in TRIGGERS:
            for op_name in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{op_name}")
        op.execute("DROP TRIGGER IF EXISTS coverage_member_moved")
        return
    for table, name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _fill(bind):
    dialect = bind.dialect.name
    month = lambda e: _month(dialect, e)  # noqa: E731
    op.execute(
        f"INSERT INTO coverage_members ({', '.join(MEMBER_KEYS)}, members, contributions)"
        f" SELECT {_member_place('m')}, m.status, {month('m.start_date')}, COUNT(*),"
        " SUM(m.monthly_contribution)"
        f" FROM member m GROUP BY {_member_place('m')}, m.status, {month('m.start_date')}"
    )
    op.execute(
        f"INSERT INTO coverage_payments ({', '.join(PAYMENT_KEYS)}, payments, amount)"
        f" SELECT {_member_place('m')}, {month('p.paid_on')}, COUNT(*),"
        " SUM(p.jkk + p.jkm + p.jht) FROM contribution_payment p JOIN member m"
        f" ON m.id = p.member_id GROUP BY {_member_place('m')}, {month('p.paid_on')}"
    )
    paid = f"COALESCE({month('c.paid_on')}, {_no_month(dialect)})"
    received = _jakarta_month(dialect, "c.submitted_at")
    op.execute(
        f"INSERT INTO coverage_claims ({', '.join(CLAIM_KEYS)}, claims, amount)"
        f" SELECT c.region_id, c.office_id, c.claim_type, c.state, {received}, {paid},"
        " COUNT(*), SUM(c.amount) FROM claim c GROUP BY c.region_id, c.office_id,"
        f" c.claim_type, c.state, {received}, {paid}"
    )


def _key(name, type_):
    return sa.Column(name, type_, nullable=False, primary_key=True)


def upgrade():
    op.create_table(
        "coverage_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("sector", sa.String(length=20), nullable=True),
        sa.Column("workers", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("workers > 0", name=op.f("ck_coverage_target_workers_positive")),
        sa.CheckConstraint(
            "year >= 2000 AND year <= 2200", name=op.f("ck_coverage_target_year_range")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_coverage_target_validity_order"),
        ),
        sa.CheckConstraint(
            "length(trim(source)) > 0", name=op.f("ck_coverage_target_source_given")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_coverage_target_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["regency_id"], ["regency.id"], name=op.f("fk_coverage_target_regency_id_regency")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_coverage_target_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["sector"], ["sector.code"], name=op.f("fk_coverage_target_sector_sector")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_target")),
    )
    op.create_index(
        "ix_coverage_target_region_year", "coverage_target", ["region_id", "year"], unique=False
    )

    def place():
        return (
            _key("region_id", sa.Integer()),
            _key("office_id", sa.Integer()),
            _key("department_id", sa.Integer()),
            _key("sector", sa.String(length=20)),
            _key("regency_code", sa.String(length=4)),
        )

    op.create_table(
        "coverage_members",
        *place(),
        _key("status", sa.String(length=10)),
        _key("start_month", sa.Date()),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("contributions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*MEMBER_KEYS, name=op.f("pk_coverage_members")),
    )
    op.create_table(
        "coverage_payments",
        *place(),
        _key("paid_month", sa.Date()),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*PAYMENT_KEYS, name=op.f("pk_coverage_payments")),
    )
    op.create_table(
        "coverage_claims",
        _key("region_id", sa.Integer()),
        _key("office_id", sa.Integer()),
        _key("claim_type", sa.String(length=3)),
        _key("state", sa.String(length=10)),
        _key("submitted_month", sa.Date()),
        _key("paid_month", sa.Date()),
        sa.Column("claims", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*CLAIM_KEYS, name=op.f("pk_coverage_claims")),
    )
    # The overdue claims are counted from the claims (their due date passes with the days): an
    # index of the open claims alone, counted without reading the table.
    open_claims = sa.text("state IN ('submitted', 'returned', 'verified', 'approved')")
    op.create_index(
        "ix_claim_open_region_office_due",
        "claim",
        ["region_id", "office_id", "due_date"],
        postgresql_where=open_claims,
        sqlite_where=open_claims,
    )
    bind = op.get_bind()
    _fill(bind)
    create_triggers(bind)


def downgrade():
    drop_triggers(op.get_bind())
    op.drop_index("ix_claim_open_region_office_due", table_name="claim")
    op.drop_table("coverage_claims")
    op.drop_table("coverage_payments")
    op.drop_table("coverage_members")
    op.drop_index("ix_coverage_target_region_year", table_name="coverage_target")
    op.drop_table("coverage_target")
