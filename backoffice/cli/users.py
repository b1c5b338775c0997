"""User accounts: ``create-admin``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import force_locale

from models import Role

from ..errors import DomainError
from ..extensions import db
from ..services.users import UserData, create_user


@click.command("create-admin")
@click.argument("username")
@click.option("--full-name", default="Administrator", show_default=True)
@click.option("--email", default=None)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (one line) instead of asking for it.",
)
@with_appcontext
def create_admin_command(
    username: str, full_name: str, email: str | None, password_stdin: bool
) -> None:
    """Create an administrator account (the first one of a new installation).

    The password follows the same policy as on the screens; it is asked for twice, never
    given on the command line. The creation is recorded in the audit trail.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = UserData(
        username=username.strip(), full_name=full_name.strip(), email=email, role=Role.ADMIN
    )
    try:
        user = create_user(db.session, data, password, via="create-admin")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        with force_locale("en"):  # the command speaks English, like the others
            message = str(exc.message)
        raise click.ClickException(message) from None
    click.echo(f"Administrator {user.username} created.")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
