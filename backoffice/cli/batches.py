"""Member batches: ``import-batch``, a department's member list read as on the upload screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from models import BatchRow, BatchState, MemberBatch, RowState, User

from ..clock import today_in_jakarta
from ..errors import DomainError
from ..extensions import db
from ..importing import FileRefused
from ..services import batch_intake, batches
from ..transaction import unit_of_work


@click.command("import-batch")
@click.option("--user", "username", required=True, help="The liaison the batch is from.")
@click.option("--submit", is_flag=True, help="Submit the valid rows to the branch office.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_batch_command(username: str, submit: bool, as_json: bool, file: str) -> None:
    """Import a member list (CSV or XLSX) as USERNAME's department batch.

    Exits 0 when the file was read (even with invalid rows), 1 when the whole file was
    refused or the user may not import, 2 on bad usage.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise click.ClickException(f"No active user {username!r}.")
    with force_locale(user.locale or "id"):
        upload = _read(user, Path(file), as_json)
        batch, submit_error = upload.batch, None
        if submit:
            # The file was read: a batch that cannot be submitted is reported, exit 0.
            try:
                with unit_of_work(db.session):
                    batch = batches.decide(db.session, user, batch.id, "submit")
            except DomainError as error:
                submit_error = str(error.message)
        errors = _row_errors(batch)
        if as_json:
            _echo_json(upload, batch, submit_error, errors)
        else:
            _echo_text(upload, batch, submit_error, errors)


def _fail(as_json: bool, message: str, code: str) -> NoReturn:
    """The whole file refused (or the user may not import): the reason, exit 1."""
    if as_json:
        click.echo(json.dumps({"refused": True, "code": code, "message": message}))
    else:
        click.echo(message, err=True)
    raise SystemExit(1)


def _read(user: User, path: Path, as_json: bool) -> batch_intake.Upload:
    """Upload the file and check its rows at once (not on the task queue): a draft batch."""
    settings = batch_intake.Settings.from_config(current_app.config, current_app.instance_path)
    try:
        with unit_of_work(db.session):
            upload = batch_intake.upload_batch(
                db.session,
                user,
                path.read_bytes(),
                path.name,
                settings=settings,
                today=today_in_jakarta(),
            )
    except FileRefused as refused:
        _fail(as_json, str(refused.message), refused.code)
    except DomainError as error:
        _fail(as_json, str(error.message), "forbidden")
    batch_id = upload.batch.id
    try:
        with unit_of_work(
            db.session, on_failure=lambda: batch_intake.mark_failed(db.session, batch_id)
        ):
            batch = batch_intake.process_batch(db.session, batch_id, settings)
    except Exception:  # logged by mark_failed; the batch is marked failed
        _fail(
            as_json,
            f"Processing batch {upload.batch.id} failed on an unexpected error; "
            "nothing was stored. See the log.",
            "failed",
        )
    if batch.state is not BatchState.DRAFT:
        message = batches.refusal_message(batch)
        _fail(
            as_json,
            str(message) if message else "Processing failed.",
            (batch.refusal or {}).get("code", "failed"),
        )
    upload.batch = batch
    return upload


def _row_errors(batch: MemberBatch) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(BatchRow)
        .where(BatchRow.batch_id == batch.id, BatchRow.state == RowState.INVALID)
        .order_by(BatchRow.number)
    )
    return [
        {"row": e.row, "column": e.column, "message": str(e.message)}
        for e in batches.row_errors(rows, masked=False)
    ]


def _echo_json(
    upload: batch_intake.Upload,
    batch: MemberBatch,
    submit_error: str | None,
    errors: list[dict[str, Any]],
) -> None:
    record = {
        "batch_id": batch.id,
        "rows": batch.row_count,
        "valid": batch.valid_count,
        "invalid": batch.invalid_count,
        "state": batch.state.value,
        "submitted": batch.state is BatchState.SUBMITTED,
        "submit_error": submit_error,
        "duplicate_of": [b.id for b in upload.same_file],
        "errors": errors,
    }
    click.echo(json.dumps(record, ensure_ascii=False))


def _echo_text(
    upload: batch_intake.Upload,
    batch: MemberBatch,
    submit_error: str | None,
    errors: list[dict[str, Any]],
) -> None:
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


def init_app(app: Flask) -> None:
    app.cli.add_command(import_batch_command)
