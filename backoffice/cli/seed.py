"""Demo and scale data: ``seed-demo`` and ``seed-bulk`` (both refuse to run in production)."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..errors import DomainError
from ..extensions import db
from ..seed.bulk import seed_bulk
from ..seed.demo import DEMO_PASSWORD, USERS, seed_demo


def _refuse_in_production(command: str) -> None:
    if current_app.config["BACKOFFICE_ENV"] == "production":
        raise click.ClickException(f"{command} refuses to run in production.")


@click.command("seed-demo")
@click.option("--password", default=None, help="Password of every demo user (default demo1234).")
@with_appcontext
def seed_demo_command(password: str | None) -> None:
    """Load the Banten demo data. Idempotent: a second run changes nothing."""
    _refuse_in_production("seed-demo")
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


@click.command("seed-bulk")
@click.option("--members", type=click.IntRange(min=0), default=10_000, show_default=True)
@click.option("--claims", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--queue-batches",
    type=click.IntRange(min=0),
    default=None,
    help="Submitted batches waiting in registration queues (default: 1 per 20,000 members).",
)
@click.option("--seed", type=int, default=None, help="Random seed (the same data again).")
@with_appcontext
def seed_bulk_command(
    members: int, claims: int, queue_batches: int | None, seed: int | None
) -> None:
    """Load MEMBERS generated members (and CLAIMS claims) for scale tests; not idempotent.

    PostgreSQL loads with COPY (about a minute per million members); SQLite inserts (small
    sizes). Needs the demo organisation (seed-demo). The audit events the services would
    have written are appended to the audit chain (verify-audit still passes).
    """
    _refuse_in_production("seed-bulk")
    try:
        report = seed_bulk(
            db.session, members, claims, seed=seed, queue_batches=queue_batches, echo=click.echo
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Loaded {report}.")
    if db.engine.dialect.name == "postgresql":
        _vacuum()


def _vacuum() -> None:
    """What autovacuum would do a little later: mark the new pages all-visible, so that lists
    read their ids from the indexes alone from the first request."""
    started = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "VACUUM member, claim, member_batch, batch_row, audit_event,"
            " member_name_word, claim_name_word, member_name_pair, claim_name_pair"
        )
    click.echo(f"Vacuumed in {time.perf_counter() - started:.1f} s.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(seed_bulk_command)
