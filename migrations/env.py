"""Alembic environment: the schema comes only from these migrations (the tests use them too)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from models import Base
from models.words import POSTGRESQL_ONLY

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_metadata = Base.metadata


def include_name(name, type_, parent_names):
    """Autogenerate leaves the PostgreSQL-only tables of the migrations alone."""
    return not (type_ == "table" and name in POSTGRESQL_ONLY.tables)


def _engine():
    return current_app.extensions["migrate"].db.engine


def run_migrations_offline() -> None:
    url = _engine().url.render_as_string(hide_password=False)
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    connectable = _engine()
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            process_revision_directives=process_revision_directives,
            # SQLite cannot ALTER constraints: batch mode recreates the table instead.
            render_as_batch=True,
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
