"""The schema comes only from the migrations, and they agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from models import Base


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from migrations, write a migration: {diff}"


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
