"""A member batch's file: the upload checked as a whole in the request and kept, then every
row checked and stored on the task queue (all rows or none). The workflow and the decisions on
the rows are ``batches``'."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from models import (
    BatchRow,
    BatchState,
    Member,
    MemberBatch,
    RowState,
    User,
)

from .. import audit, authz
from ..authz.batches import OPEN_STATES
from ..clock import utcnow
from ..importing import (
    MEMBER,
    PENDING,
    FileRefused,
    ValidatedRow,
    ValidationContext,
    read_table,
    validate_rows,
)
from ..transaction import after_commit, after_rollback
from . import reference
from .files import clean_filename
from .messages import message_record

log = logging.getLogger(__name__)

B = BatchState
R = RowState

#: Batches whose rows count as "waiting" for the duplicate check of other uploads.
WAITING_STATES = OPEN_STATES
#: Rows written per INSERT while processing, and per progress report.
CHUNK = 2000

RECORD_TYPE = "member_batch"
#: The language of texts kept in the records (a rejection reason the system gives).
RECORDS_LOCALE = "id"

# --------------------------------------------------------------------------------------------
# Upload: check the file as a whole in the request, keep it, queue the row checks.
# --------------------------------------------------------------------------------------------


@dataclass
class Settings:
    """What the upload needs from the configuration."""

    storage_dir: Path
    max_bytes: int
    max_rows: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> Settings:
        storage = config.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads")
        return cls(
            storage_dir=Path(storage),
            max_bytes=int(config["IMPORT_MAX_BYTES"]),
            max_rows=int(config["IMPORT_MAX_ROWS"]),
        )

    def file_of(self, batch: MemberBatch) -> Path:
        return self.storage_dir / "batches" / f"{batch.id}.{batch.file_format}"


@dataclass
class Upload:
    batch: MemberBatch
    #: earlier batches of the same department with the same file content
    same_file: list[MemberBatch] = field(default_factory=list)


def liaison_department(actor: User) -> Any:
    authz.BATCHES.check(actor, "upload").require()
    return actor.department


def upload_batch(
    session: Session,
    actor: User,
    data: bytes,
    filename: str,
    *,
    settings: Settings,
    today: date,
    ip: str | None = None,
) -> Upload:
    """Check the file as a whole and store it as a batch being processed (flushed; the file is
    removed again if the caller's transaction is not committed).

    A file refused as a whole raises ``FileRefused`` and leaves nothing behind. The caller
    commits, then queues the checks (``start_processing``).
    """
    department = liaison_department(actor)
    table = read_table(data, filename, max_bytes=settings.max_bytes, max_rows=settings.max_rows)
    try:
        file_format = table.format
        headers = [None if h is None else str(h) for h in table.headers]
        ignored = list(table.ignored_columns)
    finally:
        table.close()
    checksum = hashlib.sha256(data).hexdigest()
    same_file = list(
        session.scalars(
            select(MemberBatch)
            .where(
                MemberBatch.department_id == department.id,
                MemberBatch.checksum == checksum,
                MemberBatch.state.not_in([B.REFUSED, B.DISCARDED]),
            )
            .order_by(MemberBatch.id)
        )
    )
    batch = MemberBatch(
        state=B.PROCESSING,
        department_id=department.id,
        office_id=department.office_id,
        region_id=department.office.region_id,
        uploaded_by_id=actor.id,
        filename=clean_filename(filename),
        checksum=checksum,
        file_format=file_format,
        file_size=len(data),
        registration_date=today,
        headers=headers,
        ignored_columns=ignored or None,
        processing_since=utcnow(),
    )
    session.add(batch)
    session.flush()
    path = settings.file_of(batch)
    after_rollback(session, lambda: path.unlink(missing_ok=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    audit.append_event(
        session,
        actor=actor,
        action="upload",
        record_type=RECORD_TYPE,
        record_id=batch.id,
        to_state=B.PROCESSING.value,
        ip=ip,
        details={"filename": batch.filename, "checksum": checksum, "bytes": len(data)},
        region_id=batch.region_id,
        office_id=batch.office_id,
        department_id=batch.department_id,
    )
    return Upload(batch, same_file)


# --------------------------------------------------------------------------------------------
# Processing (on the task queue): every row checked and stored, or none.
# --------------------------------------------------------------------------------------------


def existing_niks(session: Session, exclude_batch_id: int | None = None):  # noqa: ANN201
    """The lookup the validator calls per chunk: members and rows waiting in other batches."""

    def lookup(niks: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        stmt = (
            select(BatchRow.nik)
            .join(MemberBatch, MemberBatch.id == BatchRow.batch_id)
            .where(
                BatchRow.nik.in_(niks),
                BatchRow.state == R.PENDING,
                MemberBatch.state.in_(WAITING_STATES),
            )
        )
        if exclude_batch_id is not None:
            stmt = stmt.where(BatchRow.batch_id != exclude_batch_id)
        for nik in session.scalars(stmt):
            found[nik] = PENDING
        for nik in session.scalars(select(Member.nik).where(Member.nik.in_(niks))):
            found[nik] = MEMBER
        return found

    return lookup


def validation_context(session: Session, batch: MemberBatch) -> ValidationContext:
    return ValidationContext(
        registration_date=batch.registration_date,
        known_regencies=reference.kemendagri_codes(session),
        sectors=tuple(reference.sectors(session)),
        domiciles=reference.domicile_lookup(session),
        income_levels=reference.income_levels_on(session, batch.registration_date),
        registration_ages=reference.registration_ages_on(session, batch.registration_date),
        existing_niks=existing_niks(session, exclude_batch_id=batch.id),
    )


def _cell(value: Any) -> Any:
    """A cell as JSON: text and numbers as they were, a date cell as {"date": ISO text}."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return {"date": value.isoformat()}
    return str(value)


def uncell(value: Any) -> Any:
    """The cell ``_cell`` stored, a date cell again a date (for the error report)."""
    if isinstance(value, dict) and "date" in value:
        parsed = datetime.fromisoformat(value["date"])
        return parsed if "T" in value["date"] else parsed.date()
    return value


def _as_typed(cells: list[Any], index: int | None, size: int) -> str | None:
    """The cell as the user typed it, cut to the column size (for lists of invalid rows)."""
    if index is None or index >= len(cells) or cells[index] is None:
        return None
    text = " ".join(str(uncell(cells[index])).split())
    # Cut visibly: "3604011708900001.0" must not look like the NIK 3604011708900001.
    return (text if len(text) <= size else text[: size - 1] + "…") or None


def _row_record(
    batch_id: int, row: ValidatedRow, columns: Mapping[str, int] | None = None
) -> dict[str, Any]:
    original = [_cell(v) for v in row.original]
    if row.valid:
        values = row.values or {}
        data = {
            k: (
                v.isoformat()
                if isinstance(v, date)
                else sorted(v)
                if isinstance(v, set | frozenset)
                else v
            )
            for k, v in values.items()
        }
        return {
            "batch_id": batch_id,
            "number": row.number,
            "state": R.PENDING,
            "nik": values["nik"],
            "name": values["name"],
            "data": data,
            "original": original,
            "problems": None,
        }
    return {
        "batch_id": batch_id,
        "number": row.number,
        "state": R.INVALID,
        # What was typed, so the row can be recognised in lists; the checks do not use it.
        "nik": _as_typed(row.original, (columns or {}).get("nik"), 16),
        "name": _as_typed(row.original, (columns or {}).get("name"), 100),
        "data": None,
        "original": original,
        "problems": [
            {"column": p.column, "field": p.field, **message_record(p.message)}
            for p in row.problems
        ],
    }


#: Every row with the same columns (NULLs written out), so that a chunk is one executemany
#: rather than a new statement at each change between valid and invalid rows.
_ROW_INSERT = insert(BatchRow).execution_options(render_nulls=True)

ProgressFn = Any  # (done: int) -> None


def process_batch(
    session: Session, batch_id: int, settings: Settings, *, progress: ProgressFn | None = None
) -> MemberBatch | None:
    """Read and validate the stored file of a batch being processed; store all its rows
    (flushed; the caller commits: every row with the new state, or none).

    A file refused further down than the upload looked leaves no row, only the reason. An
    unexpected error propagates: the caller rolls back and marks the batch failed
    (``mark_failed``). Safe to run again: it only acts on a batch still ``processing``.
    """
    batch = session.get(MemberBatch, batch_id)
    if batch is None or batch.state is not B.PROCESSING:
        return batch
    path = settings.file_of(batch)
    try:
        data = path.read_bytes()
        counts = {"rows": 0, "valid": 0, "invalid": 0}
        with read_table(
            data, batch.filename, max_bytes=settings.max_bytes, max_rows=settings.max_rows
        ) as table:
            ctx = validation_context(session, batch)
            chunk: list[dict[str, Any]] = []
            for row in validate_rows(table.rows(), ctx):
                chunk.append(_row_record(batch.id, row, table.column_map))
                counts["rows"] += 1
                counts["valid" if row.valid else "invalid"] += 1
                if len(chunk) >= CHUNK:
                    session.execute(_ROW_INSERT, chunk)
                    chunk = []
                    if progress is not None:
                        progress(counts["rows"])
            if chunk:
                session.execute(_ROW_INSERT, chunk)
        if counts["rows"] == 0:
            raise FileRefused(_l("The file has column titles but no data rows."), "no_data")
    except FileRefused as refused:
        # Damaged further down than the upload looked, or more rows than allowed: the rows
        # read so far go (written in this transaction, never seen by anyone); the batch keeps
        # only the reason.
        session.execute(delete(BatchRow).where(BatchRow.batch_id == batch.id))
        batch.state = B.REFUSED
        batch.processing_since = None
        batch.refusal = {**message_record(refused.message), "code": refused.code}
        _system_event(session, batch, "refused", B.PROCESSING, B.REFUSED, {"code": refused.code})
    else:
        batch.row_count = counts["rows"]
        batch.valid_count = counts["valid"]
        batch.invalid_count = counts["invalid"]
        batch.state = B.DRAFT
        batch.processing_since = None
        _system_event(session, batch, "checked", B.PROCESSING, B.DRAFT, counts)
    session.flush()
    # The rows now hold every cell of the file: the copy of the personal data goes.
    after_commit(session, lambda: path.unlink(missing_ok=True))
    return batch


def mark_failed(session: Session, batch_id: int) -> MemberBatch | None:
    """After the checks of a batch failed (and their transaction was rolled back): the batch
    is failed, its file kept for "check again" (flushed). A batch whose checks ended
    meanwhile (another run) is left as it is. Called while the failure is handled: it is
    logged with its traceback."""
    log.error("Processing member batch %s failed", batch_id, exc_info=True)
    batch = session.get(MemberBatch, batch_id)
    if batch is not None and batch.state is B.PROCESSING:
        batch.state = B.FAILED
        batch.processing_since = None
        _system_event(session, batch, "failed", B.PROCESSING, B.FAILED, {})
        session.flush()
    return batch


def _system_event(
    session: Session,
    batch: MemberBatch,
    action: str,
    before: BatchState,
    after: BatchState,
    details: dict[str, Any],
) -> None:
    audit.append_event(
        session,
        actor=None,
        action=action,
        record_type=RECORD_TYPE,
        record_id=batch.id,
        from_state=before.value,
        to_state=after.value,
        details=details or None,
        region_id=batch.region_id,
        office_id=batch.office_id,
        department_id=batch.department_id,
    )
