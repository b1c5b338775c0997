"""The schema comes only from the migrations, and they agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from models import Base
from models.words import POSTGRESQL_ONLY


def _postgresql_only(name, type_, parent_names):
    return not (type_ == "table" and name in POSTGRESQL_ONLY.tables)


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_name": _postgresql_only,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from migrations, write a migration: {diff}"


def test_postgresql_only_tables_are_as_described(db, backend):
    """The tables of name words and pairs exist on PostgreSQL only, with the columns and primary
    keys ``models.words`` reads (words in the "C" collation: a prefix is a range of the key)."""
    inspector = inspect(db.engine)
    tables = set(inspector.get_table_names())
    for table in POSTGRESQL_ONLY.tables.values():
        if backend == "sqlite":
            assert table.name not in tables
            continue
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert list(columns) == [c.name for c in table.columns]
        assert all(not c["nullable"] for c in columns.values())
        assert columns[table.columns[0].name]["type"].collation == "C"
        key = inspector.get_pk_constraint(table.name)
        assert key["constrained_columns"] == [c.name for c in table.primary_key.columns]


def test_database_is_at_the_latest_revision(db, app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate  # noqa: F401  (the app's migrate extension is configured)

    config = app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert current == head


def test_every_constraint_is_named(db):
    inspector = inspect(db.engine)
    for table in Base.metadata.tables:
        for fk in inspector.get_foreign_keys(table):
            assert fk["name"], f"unnamed foreign key on {table}"
        for uq in inspector.get_unique_constraints(table):
            assert uq["name"], f"unnamed unique constraint on {table}"


def test_sqlite_enforces_foreign_keys(db, backend):
    with db.engine.connect() as conn:
        if backend == "sqlite":
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_downgrade_to_base_and_upgrade_again(app, db):
    from flask_migrate import downgrade, upgrade

    db.session.remove()
    # Demo rows would block dropping tables with foreign keys on some steps: start empty.
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())


def test_0017_turns_the_childrens_school_levels_into_records_and_back(app, empty_db):
    """Migration 0017: the school levels kept in a claim's details become child records (named
    by their order, without a birth date: it was never asked); downgrading puts them back."""
    from datetime import date

    from flask_migrate import downgrade, upgrade

    from models import Claim, ClaimChild, ClaimType
    from tests import factories

    session = empty_db
    jkm = factories.make_claim(session, claim_type=ClaimType.JKM, details={})
    jkm.children = [
        ClaimChild(position=1, name="Putri", birth_date=date(2018, 2, 1), school_level="tk_sd"),
        ClaimChild(position=2, name="Bagas", birth_date=date(2012, 2, 1), school_level="smp"),
    ]
    jkk = factories.make_claim(session)
    session.commit()
    ids = (jkm.id, jkk.id)
    session.remove()
    downgrade(revision="0014")
    with session.get_bind().connect() as conn:
        details = dict(conn.execute(text("SELECT id, details FROM claim")).all())
    assert _json(details[ids[0]]) == {"children": ["tk_sd", "smp"]}
    assert "children" not in _json(details[ids[1]])
    upgrade()
    session.expire_all()
    claim = session.get(Claim, ids[0])
    assert claim.details == {}
    assert [(c.position, c.name, c.birth_date, c.school_level) for c in claim.children] == [
        (1, "Anak 1", None, "tk_sd"),
        (2, "Anak 2", None, "smp"),
    ]
    assert session.get(Claim, ids[1]).children == []


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else value
