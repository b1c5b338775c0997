"""Coverage summaries: ``verify-summaries`` (recount and compare) and ``rebuild-summaries``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ..extensions import db
from ..services import coverage
from ..transaction import unit_of_work


@click.command("verify-summaries")
@click.option("--limit", default=20, show_default=True, help="Differences printed at most.")
@with_appcontext
def verify_summaries_command(limit: int) -> None:
    """Recount the dashboards' summary tables from members, payments and claims; exit 1 when
    any count or sum differs."""
    found = coverage.differences(db.session)
    db.session.rollback()  # read only
    if found:
        for difference in found[:limit]:
            click.echo(str(difference), err=True)
        click.echo(f"{len(found)} differences between the summaries and a recount.", err=True)
        raise SystemExit(1)
    click.echo("The summaries agree with a full recount.")


@click.command("rebuild-summaries")
@with_appcontext
def rebuild_summaries_command() -> None:
    """Refill the summary tables from the base tables (after a load that bypassed triggers)."""
    with unit_of_work(db.session):
        coverage.rebuild(db.session)
    click.echo("Summaries rebuilt.")


def init_app(app: Flask) -> None:
    app.cli.add_command(verify_summaries_command)
    app.cli.add_command(rebuild_summaries_command)
