"""The audit trail: ``verify-audit`` (against a checkpoint too) and ``audit-checkpoint``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ..audit import Checkpoint, verify_chain, write_checkpoint
from ..extensions import db


@click.command("verify-audit")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint written by audit-checkpoint: fail when the chain no longer extends it.",
)
@with_appcontext
def verify_audit_command(checkpoint_file: Path | None) -> None:
    """Check the audit trail's hash chain; exit 1 if any event was changed or removed."""
    checkpoint = None
    if checkpoint_file is not None:
        try:
            checkpoint = Checkpoint.from_json(checkpoint_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{checkpoint_file}: {exc}.") from None
    result = verify_chain(db.session, checkpoint=checkpoint)
    db.session.rollback()  # read only: end the transaction the walk opened
    if not result.ok:
        click.echo(str(result), err=True)
        raise SystemExit(1)
    click.echo(str(result))
    if checkpoint is not None:
        click.echo(
            f"The chain extends the checkpoint of {checkpoint.created_at} "
            f"({checkpoint.event_count} events)."
        )
    # Keep this value outside the database: it exposes a rewritten chain.
    click.echo(f"Head hash: {result.head_hash}")


@click.command("audit-checkpoint")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write (default: standard output). Keep it outside the database.",
)
@with_appcontext
def audit_checkpoint_command(output: Path | None) -> None:
    """Verify the audit trail and write its head, count and signature as a checkpoint."""
    try:
        checkpoint = write_checkpoint(db.session)
    except ValueError as broken:
        db.session.rollback()
        click.echo(f"{broken} No checkpoint written.", err=True)
        raise SystemExit(1) from None
    db.session.rollback()  # read only
    text = checkpoint.to_json() + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Checkpoint of {checkpoint.event_count} events written to {output}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(verify_audit_command)
    app.cli.add_command(audit_checkpoint_command)
