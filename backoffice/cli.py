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

    @app.cli.command("seed-bulk")
    @click.option("--members", type=click.IntRange(min=0), default=10_000, show_default=True)
    @click.option("--claims", type=click.IntRange(min=0), default=0, show_default=True)
    @click.option(
        "--queue-batches",
        type=click.IntRange(min=0),
        default=None,
        help="Submitted batches waiting in registration queues (default: 1 per 20,000 members).",
    )
    @click.option("--seed", type=int, default=None, help="Random seed (the same data again).")
    def seed_bulk_command(
        members: int, claims: int, queue_batches: int | None, seed: int | None
    ) -> None:
        """Load MEMBERS generated members (and CLAIMS claims) for scale tests; not idempotent.

        PostgreSQL loads with COPY (about a minute per million members); SQLite inserts (small
        sizes). Needs the demo organisation (seed-demo). The audit events the services would
        have written are appended to the audit chain (verify-audit still passes).
        """
        from .errors import DomainError
        from .services.bulk import seed_bulk

        if current_app.config["BACKOFFICE_ENV"] == "production":
            raise click.ClickException("seed-bulk refuses to run in production.")
        try:
            report = seed_bulk(
                db.session,
                members,
                claims,
                seed=seed,
                queue_batches=queue_batches,
                echo=click.echo,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from error
        click.echo(f"Loaded {report}.")
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would do a little later: mark the new pages all-visible, so that
            # lists read their ids from the indexes alone from the first request.
            import time

            started = time.perf_counter()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(
                    "VACUUM member, claim, member_batch, batch_row, audit_event,"
                    " member_name_word, claim_name_word, member_name_pair, claim_name_pair"
                )
            click.echo(f"Vacuumed in {time.perf_counter() - started:.1f} s.")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--full-name", default="Administrator", show_default=True)
    @click.option("--email", default=None)
    @click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from standard input (one line) instead of asking for it.",
    )
    def create_admin_command(
        username: str, full_name: str, email: str | None, password_stdin: bool
    ) -> None:
        """Create an administrator account (the first one of a new installation).

        The password follows the same policy as on the screens; it is asked for twice, never
        given on the command line. The creation is recorded in the audit trail.
        """
        import sys

        from flask_babel import force_locale

        from models import Role

        from .errors import DomainError
        from .services.users import UserData, create_user

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

    @app.cli.command("import-batch")
    @click.option("--user", "username", required=True, help="The liaison the batch is from.")
    @click.option("--submit", is_flag=True, help="Submit the valid rows to the branch office.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    def import_batch_command(username: str, submit: bool, as_json: bool, file: str) -> None:
        """Import a member list (CSV or XLSX) as USERNAME's department batch.

        Exits 0 when the file was read (even with invalid rows), 1 when the whole file was
        refused or the user may not import, 2 on bad usage.
        """
        import json
        from pathlib import Path

        from flask_babel import force_locale
        from sqlalchemy import select

        from models import BatchRow, RowState, User

        from .clock import today_in_jakarta
        from .errors import DomainError
        from .importing import FileRefused
        from .services import batches
        from .transaction import unit_of_work

        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise click.ClickException(f"No active user {username!r}.")
        settings = batches.Settings.from_config(current_app.config, current_app.instance_path)
        path = Path(file)

        def fail(message: str, code: str) -> None:
            if as_json:
                click.echo(json.dumps({"refused": True, "code": code, "message": message}))
            else:
                click.echo(message, err=True)
            raise SystemExit(1)

        with force_locale(user.locale or "id"):
            try:
                with unit_of_work(db.session):
                    upload = batches.upload_batch(
                        db.session,
                        user,
                        path.read_bytes(),
                        path.name,
                        settings=settings,
                        today=today_in_jakarta(),
                    )
            except FileRefused as refused:
                fail(str(refused.message), refused.code)
            except DomainError as error:
                fail(str(error.message), "forbidden")
            batch_id = upload.batch.id
            try:
                with unit_of_work(
                    db.session, on_failure=lambda: batches.mark_failed(db.session, batch_id)
                ):
                    batch = batches.process_batch(db.session, batch_id, settings)
            except Exception:  # logged by mark_failed; the batch is marked failed
                fail(
                    f"Processing batch {upload.batch.id} failed on an unexpected error; "
                    "nothing was stored. See the log.",
                    "failed",
                )
            if batch.state is not batches.B.DRAFT:
                message = batches.refusal_message(batch)
                fail(
                    str(message) if message else "Processing failed.",
                    (batch.refusal or {}).get("code", "failed"),
                )
            submit_error = None
            if submit:
                # The file was read: a batch that cannot be submitted is reported, exit 0.
                try:
                    with unit_of_work(db.session):
                        batch = batches.decide(db.session, user, batch.id, "submit")
                except DomainError as error:
                    submit_error = str(error.message)
            rows = db.session.scalars(
                select(BatchRow)
                .where(BatchRow.batch_id == batch.id, BatchRow.state == RowState.INVALID)
                .order_by(BatchRow.number)
            )
            errors = [
                {"row": e.row, "column": e.column, "message": str(e.message)}
                for e in batches.row_errors(rows)
            ]
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "batch_id": batch.id,
                            "rows": batch.row_count,
                            "valid": batch.valid_count,
                            "invalid": batch.invalid_count,
                            "state": batch.state.value,
                            "submitted": batch.state is batches.B.SUBMITTED,
                            "submit_error": submit_error,
                            "duplicate_of": [b.id for b in upload.same_file],
                            "errors": errors,
                        },
                        ensure_ascii=False,
                    )
                )
                return
            click.echo(
                f"Batch {batch.id}: {batch.row_count} rows, {batch.valid_count} valid, "
                f"{batch.invalid_count} invalid; {batch.state.value}."
            )
            if upload.same_file:
                click.echo(
                    "Warning: the same file was uploaded before as batch(es) "
                    + ", ".join(str(b.id) for b in upload.same_file),
                    err=True,
                )
            for error in errors:
                click.echo(f"  row {error['row']}, {error['column']}: {error['message']}")
            if submit_error:
                click.echo(f"Not submitted: {submit_error}", err=True)
