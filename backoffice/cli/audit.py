"""The audit trail: ``verify-audit``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ..audit import verify_chain
from ..extensions import db


@click.command("verify-audit")
@with_appcontext
def verify_audit_command() -> None:
    """Check the audit trail's hash chain; exit 1 if any event was changed or removed."""
    result = verify_chain(db.session)
    db.session.rollback()  # read only: end the transaction the walk opened
    if not result.ok:
        click.echo(str(result), err=True)
        raise SystemExit(1)
    click.echo(str(result))
    # Keep this value outside the database: it exposes a rewritten chain.
    click.echo(f"Head hash: {result.head_hash}")


def init_app(app: Flask) -> None:
    app.cli.add_command(verify_audit_command)
