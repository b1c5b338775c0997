"""Command-line operations (``flask --app wsgi ...``): they call the same services as the views."""

from __future__ import annotations

import click
from flask import Flask, current_app

from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option(
        "--password", default=None, help="Password of every demo user (default demo1234)."
    )
    def seed_demo_command(password: str | None) -> None:
        """Load the Banten demo data. Idempotent: a second run changes nothing."""
        from .services.demo import DEMO_PASSWORD, USERS, seed_demo

        if current_app.config["BACKOFFICE_ENV"] == "production":
            raise click.ClickException("seed-demo refuses to run in production.")
        report = seed_demo(db.session, password or DEMO_PASSWORD)
        db.session.commit()
        if report.total:
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(report.created.items()))
            click.echo(f"Demo data loaded: {summary}.")
        else:
            click.echo("Demo data already present: nothing changed.")
        click.echo("Demo logins (password: %s):" % ("as given" if password else DEMO_PASSWORD))
        for username, full_name, _role, _scope in USERS:
            click.echo(f"  {username:<26} {full_name}")

    @app.cli.command("verify-audit")
    def verify_audit_command() -> None:
        """Check the audit trail's hash chain; exit 1 if any event was changed or removed."""
        from .audit import verify_chain

        result = verify_chain(db.session)
        db.session.rollback()  # read only: end the transaction the walk opened
        if not result.ok:
            click.echo(str(result), err=True)
            raise SystemExit(1)
        click.echo(str(result))
        # Keep this value outside the database: it exposes a rewritten chain.
        click.echo(f"Head hash: {result.head_hash}")
