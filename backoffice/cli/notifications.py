"""Notifications and members' reminders: ``member-reminders`` (what the 08:00 task does, e.g.
from cron), ``notify-digest`` (the 07:00 daily digests), ``notify-resend``
(queue again every pending email, e.g. after the queue's storage was lost)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..services import notifications, reminders
from ..transaction import unit_of_work


@click.command("member-reminders")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to run for (YYYY-MM-DD; default today in Jakarta).",
)
@click.option(
    "--department-lists/--no-department-lists",
    default=None,
    help="Email each department's list of members in arrears (default: on the 1st).",
)
@with_appcontext
def member_reminders_command(day: object, department_lists: bool | None) -> None:
    """Send the contribution reminders due (never twice per member and month)."""
    on: date | None = day.date() if day is not None else None  # type: ignore[attr-defined]
    config = current_app.config
    with unit_of_work(db.session):
        run = reminders.send_reminders(
            db.session,
            reminders.gateway_from(config),
            on,
            days_before=config["REMINDER_DAYS_BEFORE"],
        )
    click.echo(f"{run.day.isoformat()}: {run.due} due reminders, {run.arrears} arrears reminders.")
    if department_lists or (department_lists is None and run.day.day == 1):
        sent = reminders.send_department_lists(db.session, run.day)
        click.echo(f"{sent} department lists emailed.")


@click.command("notify-digest")
@with_appcontext
def digest_command() -> None:
    """Send the daily digests now."""
    with unit_of_work(db.session):
        sent = notifications.send_digests(db.session)
    click.echo(f"{sent} digests sent.")


@click.command("notify-resend")
@with_appcontext
def resend_command() -> None:
    """Queue every pending notification email again."""
    with unit_of_work(db.session):
        count = notifications.resend_pending(db.session)
    click.echo(f"{count} emails queued.")


def init_app(app: Flask) -> None:
    for command in (member_reminders_command, digest_command, resend_command):
        app.cli.add_command(command)
