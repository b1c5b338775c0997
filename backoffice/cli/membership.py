"""The membership lifecycle: ``membership-nightly`` (the nightly task's lapses and ends, run
now, e.g. from cron where no task queue consumer runs)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import with_appcontext

from ..extensions import db
from ..services import lifecycle
from ..transaction import unit_of_work


@click.command("membership-nightly")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The night to run for (YYYY-MM-DD; default today in Jakarta).",
)
@with_appcontext
def membership_nightly_command(day: object) -> None:
    """Lapse and end the memberships whose day has come (what the 00:30 task does)."""
    on: date | None = day.date() if day is not None else None  # type: ignore[attr-defined]
    with unit_of_work(db.session):
        run = lifecycle.run_daily(db.session, on)
    click.echo(f"{run.day.isoformat()}: {run.lapsed} lapsed, {run.ended} ended.")


def init_app(app: Flask) -> None:
    app.cli.add_command(membership_nightly_command)
