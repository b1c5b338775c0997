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
