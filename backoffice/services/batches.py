"""Member batches: a liaison uploads a list of informal workers, a branch clerk accepts them.

The life of a batch::

    upload_batch  -> processing --(task: read + validate every row)--> draft | refused | failed
    failed, or processing for CHECKS_LOST_AFTER without an end --check again--> processing
    draft   --submit-->  submitted  --accept/reject rows--> in_review --...--> completed
                                                                            | partially_accepted
                                                                            | rejected

Processing runs on the task queue in one database transaction: it either stores every row of
the file or none. Every decision on a submitted batch goes through the workflow engine (one
lock on the batch, one audit event per decision) and creates members in the same transaction.
Who may take each step is asked of ``authz`` (``authz.BATCHES``). Operations flush; the caller
(the view, the CLI command, the task) commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, inspect, select, update
from sqlalchemy.orm import Session, load_only
from sqlalchemy.orm.attributes import set_committed_value

from models import (
    BatchRow,
    BatchState,
    Member,
    MemberBatch,
    MemberStatus,
    Programme,
    RowState,
    User,
)

from .. import audit, authz, tasks, workflow
from ..clock import as_utc, jakarta_day, utcnow
from ..errors import DomainError
from ..extensions import db
from ..importing import (
    HEADERS,
    MEMBER,
    Message,
    Problem,
    ValidatedRow,
    error_report_xlsx,
)
from ..importing.columns import field_for_header
from ..labels import STATE_LABELS as STATE_TEXT
from ..rules import sectors
from ..transaction import after_commit
from . import notifications, numbering, reference
from .batch_intake import (
    CHUNK,
    RECORDS_LOCALE,
    Settings,
    existing_niks,
    mark_failed,
    process_batch,
    uncell,
)
from .ledger import RECORD_TYPE as MEMBER_RECORD
from .messages import message_record, stored_message
from .personal_data import masked_cells, masked_problem

B = BatchState
R = RowState

STATE_LABELS = {state: STATE_TEXT[state.value] for state in BatchState}
#: Checks queued this long ago that have not ended were lost with their task (a worker stopped,
#: a queue lost it): the liaison may start them again. A real file takes seconds to a minute.
CHECKS_LOST_AFTER = timedelta(minutes=15)


def refusal_message(batch: MemberBatch) -> Message | None:
    return stored_message(batch.refusal) if batch.refusal else None


# --------------------------------------------------------------------------------------------
# The workflow: the liaison submits, the office's clerks decide rows.
# --------------------------------------------------------------------------------------------


def _has_valid_rows(actor: User, batch: MemberBatch, params: dict[str, Any]) -> Any:
    if batch.valid_count == 0:
        return _l("The batch has no valid rows to submit. Correct the file and upload it again.")
    return None


def checks_lost(batch: MemberBatch) -> bool:
    """Whether the batch's checks were queued more than ``CHECKS_LOST_AFTER`` ago and have not
    ended: their task was lost."""
    since = batch.processing_since
    if batch.state is not B.PROCESSING or since is None:
        return False
    return utcnow() - as_utc(since) >= CHECKS_LOST_AFTER


def _checks_ended_or_lost(actor: User, batch: MemberBatch, params: dict[str, Any]) -> Any:
    if batch.state is B.PROCESSING and not checks_lost(batch):
        return _l("The file is still being checked.")
    return None


def _queue_checks(
    session: Session, actor: User, batch: MemberBatch, params: dict, now: datetime
) -> dict[str, Any]:
    batch.processing_since = now
    return {}


def _has_file(actor: User, batch: MemberBatch, params: dict[str, Any]) -> Any:
    settings = params.get("settings")
    if settings is not None and not settings.file_of(batch).exists():
        return _l("The uploaded file is no longer available: upload it again.")
    return None


def _mark_submitted(
    session: Session, actor: User, batch: MemberBatch, params: dict, now: datetime
) -> dict[str, Any]:
    # Another batch may have been submitted, or a member registered, with one of these NIKs
    # since the preview: those rows are left out now, with the reason.
    lookup = existing_niks(session, exclude_batch_id=batch.id)
    moved = 0
    pending = select(BatchRow.id, BatchRow.nik).where(
        BatchRow.batch_id == batch.id, BatchRow.state == R.PENDING
    )
    rows = session.execute(pending).all()
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        known = lookup([nik for _id, nik in part])
        changes = []
        for row_id, nik in part:
            if nik in known:
                message = (
                    _l("This NIK is already registered as a BPJS Ketenagakerjaan member.")
                    if known[nik] == MEMBER
                    else _l("This NIK is already waiting for verification in another batch.")
                )
                changes.append(
                    {
                        "id": row_id,
                        "state": R.INVALID,
                        "problems": [
                            {"column": HEADERS["nik"], "field": "nik", **message_record(message)}
                        ],
                    }
                )
        if changes:
            session.execute(update(BatchRow), changes)
            moved += len(changes)
    if moved:
        batch.valid_count -= moved
        batch.invalid_count += moved
    if batch.valid_count == 0:
        raise DomainError(
            _l(
                "Every row of this batch is now registered or waiting in another batch: "
                "nothing is left to submit."
            )
        )
    batch.submitted_at = now
    batch.submitted_by_id = actor.id
    return {"rows": batch.valid_count, "left_out": batch.invalid_count, "newly_left_out": moved}


def _decided_state(batch: MemberBatch) -> BatchState:
    if batch.pending_count > 0:
        return B.IN_REVIEW
    if batch.accepted_count == 0:
        return B.REJECTED
    if batch.rejected_count == 0:
        return B.COMPLETED
    return B.PARTIALLY_ACCEPTED


def _selected_rows(session: Session, batch: MemberBatch, params: dict[str, Any]) -> list[BatchRow]:
    """The pending rows a decision is about: all of them, or those the clerk ticked."""
    # Only the columns a decision reads (the others load on access): a big batch's cells and
    # problems are not decoded for nothing.
    stmt = (
        select(BatchRow)
        .where(BatchRow.batch_id == batch.id)
        .options(load_only(BatchRow.number, BatchRow.state, BatchRow.nik, BatchRow.data))
    )
    ids = params.get("row_ids")
    if ids is not None:
        ids = sorted({int(i) for i in ids})
        if not ids:
            raise DomainError(_l("Select at least one row."))
        rows = list(session.scalars(stmt.where(BatchRow.id.in_(ids)).order_by(BatchRow.number)))
        if len(rows) != len(ids):
            raise DomainError(_l("Some of the selected rows do not belong to this batch."))
        decided = [r.number for r in rows if r.state is not R.PENDING]
        if decided:
            raise DomainError(
                _l(
                    "Row(s) %(rows)s were already decided or are not valid; reload the page.",
                    rows=", ".join(str(n) for n in decided[:10]),
                )
            )
        return rows
    rows = list(session.scalars(stmt.where(BatchRow.state == R.PENDING).order_by(BatchRow.number)))
    if not rows:
        raise DomainError(_l("No row of this batch is waiting for a decision."))
    return rows


def _ranges(numbers: Iterable[int]) -> str:
    """1,2,3,5,7,8 -> '1-3,5,7-8' (row numbers in the audit event)."""
    parts: list[str] = []
    run: list[int] = []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(parts)


def _finish(batch: MemberBatch, now: datetime) -> None:
    if batch.pending_count == 0:
        batch.completed_at = now


def _accept(
    session: Session, actor: User, batch: MemberBatch, params: dict, now: datetime
) -> dict[str, Any]:
    rows = _selected_rows(session, batch, params)
    accepted, refused = accept_rows(session, actor, batch, rows, now)
    _finish(batch, now)
    facts: dict[str, Any] = {"accepted": len(accepted), "rows": _ranges(r.number for r in accepted)}
    if accepted:
        facts["first_kpj"] = accepted[0].member_kpj
        facts["last_kpj"] = accepted[-1].member_kpj
    if refused:
        facts["rejected_already_member"] = _ranges(r.number for r in refused)
    return facts


def _already_member(row_id: int, kpj: str, actor: User, now: datetime) -> dict[str, Any]:
    """A row rejected on acceptance because its NIK became a member meanwhile: the reason is
    kept in the records' language, and as a message shown in each reader's language."""
    message = _l("Already registered as a member (KPJ %(kpj)s).", kpj=kpj)
    with force_locale(RECORDS_LOCALE):
        reason = str(message)
    return {
        "id": row_id,
        "state": R.REJECTED,
        "reason": reason,
        "problems": [{"column": HEADERS["nik"], "field": "nik", **message_record(message)}],
        "decided_by_id": actor.id,
        "decided_at": now,
    }


def row_reason(row: BatchRow) -> Any:
    """Why a row was rejected, in the reader's language where the reason was the system's."""
    if row.state is R.REJECTED and row.problems:
        return " ".join(str(stored_message(p)) for p in row.problems)
    return row.reason or ""


def _reject(
    session: Session, actor: User, batch: MemberBatch, params: dict, now: datetime
) -> dict[str, Any]:
    rows = _selected_rows(session, batch, params)
    reason = (params.get("comment") or "").strip()
    session.execute(
        update(BatchRow),
        [
            {
                "id": r.id,
                "state": R.REJECTED,
                "reason": reason,
                "decided_by_id": actor.id,
                "decided_at": now,
            }
            for r in rows
        ],
    )
    batch.rejected_count += len(rows)
    _finish(batch, now)
    return {"rejected": len(rows), "rows": _ranges(r.number for r in rows)}


@dataclass
class _Accepted:
    number: int
    member_kpj: str


#: Set by accepting a row besides its state.
_DECISION_COLUMNS = frozenset({"member_id", "decided_by_id", "decided_at"})


def accept_rows(
    session: Session, actor: User, batch: MemberBatch, rows: list[BatchRow], now: datetime
) -> tuple[list[_Accepted], list[BatchRow]]:
    """Create a member for each row (in the caller's transaction).

    A row whose NIK became a member in the meantime is rejected with that reason instead: the
    NIK is unique, so a retry or a race can never register a person twice.
    """
    today = jakarta_day(now)
    rates = reference.rates_on(session, today)
    sector_terms = reference.sectors(session)
    department_sector = batch.department.sector
    # A member lives where the batch says, else in the regency of the office serving them.
    office_regency = reference.kemendagri_code_of(session, batch.office.regency)
    accepted: list[_Accepted] = []
    refused: list[BatchRow] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        known = dict(
            session.execute(
                select(Member.nik, Member.kpj).where(Member.nik.in_([r.nik for r in part]))
            ).all()
        )
        fresh = [r for r in part if r.nik not in known]
        if len(fresh) < len(part):
            stale = [r for r in part if r.nik in known]
            session.execute(
                update(BatchRow),
                [_already_member(r.id, known[r.nik], actor, now) for r in stale],
            )
            refused.extend(stale)
        numbers = numbering.reserve_kpj(session, len(fresh))
        members = []
        for row, kpj in zip(fresh, numbers, strict=True):
            data = row.data or {}
            programmes = [
                p
                for p in (Programme.JKK, Programme.JKM, Programme.JHT)
                if p.value in data["programmes"]
            ]
            contribution = reference.contribution_of(data["income"], programmes, rates)
            members.append(
                {
                    "kpj": kpj,
                    "nik": row.nik,
                    "name": data["name"],
                    "birth_date": date.fromisoformat(data["birth_date"]),
                    "sex": data["sex"],
                    "address": data.get("address"),
                    "phone": data.get("phone"),
                    "occupation": data.get("occupation"),
                    "sector": sectors.member_sector(
                        data.get("sector"), data.get("occupation"), department_sector, sector_terms
                    ),
                    "domicile_regency_code": data.get("domicile") or office_regency,
                    "income_level": data["income"],
                    "programmes": ",".join(p.value for p in programmes),
                    "start_date": today,
                    "contribution_jkk": contribution.jkk,
                    "contribution_jkm": contribution.jkm,
                    "contribution_jht": contribution.jht,
                    "monthly_contribution": contribution.total,
                    "active": True,
                    "department_id": batch.department_id,
                    "office_id": batch.office_id,
                    "region_id": batch.region_id,
                    "batch_id": batch.id,
                    "registered_by_id": actor.id,
                    "created_at": now,
                }
            )
        if members:
            # render_nulls: a None (no phone, say) is sent as NULL instead of leaving the column
            # out, so every row has the same columns and one executemany takes the chunk;
            # otherwise the ORM starts a new INSERT at each change of missing columns.
            session.execute(insert(Member).execution_options(render_nulls=True), members)
            # One UPDATE for the chunk (not one per row): each row gets the member just created
            # with its NIK (NIKs are unique among members).
            session.execute(
                update(BatchRow)
                .where(BatchRow.id.in_([row.id for row in fresh]))
                .values(
                    state=R.ACCEPTED,
                    member_id=select(Member.id).where(Member.nik == BatchRow.nik).scalar_subquery(),
                    decided_by_id=actor.id,
                    decided_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            # The rows in hand show the decision, as after an update by id; the other columns
            # it set load again on access if they had been loaded before.
            for row in fresh:
                set_committed_value(row, "state", R.ACCEPTED)
                if loaded := _DECISION_COLUMNS & inspect(row).dict.keys():
                    session.expire(row, loaded)
            accepted.extend(
                _Accepted(row.number, kpj) for row, kpj in zip(fresh, numbers, strict=True)
            )
            _member_events(session, actor, batch, fresh, now)
    batch.accepted_count += len(accepted)
    batch.rejected_count += len(refused)
    return accepted, refused


def _member_events(
    session: Session, actor: User, batch: MemberBatch, rows: list[BatchRow], now: datetime
) -> None:
    """Each new member's first history entry: registered from this batch's row."""
    ids = dict(
        session.execute(
            select(Member.nik, Member.id).where(Member.nik.in_([r.nik for r in rows]))
        ).all()
    )
    audit.append_events(
        session,
        [
            audit.event_fields(
                actor=actor,
                action="create",
                record_type=MEMBER_RECORD,
                record_id=ids[row.nik],
                to_state=MemberStatus.REGISTERED.value,
                details={"batch": batch.id, "row": row.number},
                region_id=batch.region_id,
                office_id=batch.office_id,
                department_id=batch.department_id,
                occurred_at=now,
            )
            for row in rows
        ],
    )


A = authz.BATCHES.actions

WORKFLOW = workflow.Workflow(
    authz.BATCHES,
    (
        workflow.Transition(
            A["submit"],
            B.SUBMITTED,
            guards=(_has_valid_rows,),
            effect=_mark_submitted,
            style="success",
        ),
        workflow.Transition(A["discard"], B.DISCARDED, style="secondary"),
        workflow.Transition(
            A["retry"],
            B.PROCESSING,
            guards=(_checks_ended_or_lost, _has_file),
            effect=_queue_checks,
        ),
        workflow.Transition(A["accept_all"], _decided_state, effect=_accept, style="success"),
        workflow.Transition(A["accept_rows"], _decided_state, effect=_accept, style="success"),
        workflow.Transition(
            A["reject_rows"],
            _decided_state,
            comment_required=True,
            effect=_reject,
            style="danger",
        ),
    ),
    audit_scope=lambda b: (b.region_id, b.office_id, b.department_id),
)

#: The clerks' decisions on rows, and the states where every row is decided.
DECISIONS = frozenset({"accept_all", "accept_rows", "reject_rows"})
DECIDED = frozenset({B.COMPLETED, B.PARTIALLY_ACCEPTED, B.REJECTED})
#: Actions that work on the rows a clerk ticked.
ROW_ACTIONS = frozenset({"accept_rows", "reject_rows"})


def decide(
    session: Session,
    actor: User,
    batch_id: int,
    action: str,
    *,
    row_ids: Iterable[int] | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
    settings: Settings | None = None,
) -> MemberBatch:
    """Take a workflow action on a batch (flushed; the caller commits, then queues the checks
    of a batch ``processing`` again). Row actions need the ticked rows."""
    params: dict[str, Any] = {}
    if action in ROW_ACTIONS:
        params["row_ids"] = list(row_ids or [])
    if settings is not None:
        params["settings"] = settings
    batch = workflow.apply(
        session,
        WORKFLOW,
        batch_id,
        action,
        actor,
        comment=reason,
        expected_version=expected_version,
        ip=ip,
        params=params,
    )
    # Who must act next hears of it, in this transaction (emailed once it commits).
    if action == "submit":
        notifications.batch_submitted(session, actor, batch)
    elif action in DECISIONS and batch.state in DECIDED:
        notifications.batch_decided(session, actor, batch)
    if batch.state is B.DISCARDED and settings is not None:
        # A failed batch still had its file (kept for "check again"): personal data goes.
        path = settings.file_of(batch)
        after_commit(session, lambda: path.unlink(missing_ok=True))
    return batch


def options(
    actor: User, batch: MemberBatch, settings: Settings | None = None
) -> list[workflow.Option]:
    """The batch's transitions as ``decide`` judges them for ``actor`` (the ticked rows and a
    reason assumed given: the form asks for them)."""
    return WORKFLOW.options(actor, batch, params={"settings": settings} if settings else None)


# --------------------------------------------------------------------------------------------
# Reading a batch: errors, error report, counts.
# --------------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: Message


def row_errors(rows: Iterable[BatchRow], *, masked: bool = True) -> Iterator[RowError]:
    """Each problem of the rows; ``masked``: a NIK, phone or address quoted in a message is
    masked (UU 27/2022) for whoever does not correct the rows."""
    for row in rows:
        for problem in row.problems or ():
            shown = masked_problem(problem) if masked else problem
            yield RowError(row.number, problem["column"], stored_message(shown))


def invalid_rows(session: Session, batch: MemberBatch) -> Iterator[BatchRow]:
    stmt = (
        select(BatchRow)
        .where(BatchRow.batch_id == batch.id, BatchRow.state == R.INVALID)
        .order_by(BatchRow.number)
        .execution_options(yield_per=CHUNK)
    )
    yield from session.scalars(stmt)


def count_invalid_rows(session: Session, batch: MemberBatch) -> int:
    """The rows of the error report (``error_report``), counted."""
    stmt = select(func.count()).where(BatchRow.batch_id == batch.id, BatchRow.state == R.INVALID)
    return session.scalar(stmt) or 0


def report_fields(batch: MemberBatch) -> list[str | None]:
    """The field each column of the batch's file (and of its error report) holds."""
    return [field_for_header(h) for h in batch.headers or [HEADERS[f] for f in HEADERS]]


def error_report(session: Session, batch: MemberBatch, *, masked: bool = True) -> bytes:
    """The invalid rows as the liaison uploaded them plus an error column (formula-safe XLSX);
    ``masked``: the NIK, phone and address cells masked (UU 27/2022), for whoever does not
    correct the rows (``authz.may_reveal`` says who does)."""
    fields = report_fields(batch)

    def validated() -> Iterator[ValidatedRow]:
        for row in invalid_rows(session, batch):
            problems = [
                Problem(
                    p["column"],
                    stored_message(masked_problem(p) if masked else p),
                    p.get("field", ""),
                )
                for p in row.problems or ()
            ]
            cells = [uncell(v) for v in row.original]
            if masked:
                cells = masked_cells(cells, fields)
            yield ValidatedRow(row.number, None, problems, cells)

    headers = batch.headers or [HEADERS[f] for f in HEADERS]
    return error_report_xlsx(headers, validated())


# --------------------------------------------------------------------------------------------
# The task queue: processing runs outside the web request.
# --------------------------------------------------------------------------------------------


def progress_key(batch_id: int) -> str:
    return f"batch:{batch_id}"


def _checks_failed(batch_id: int) -> None:
    mark_failed(db.session, batch_id)


@tasks.task(on_failure=_checks_failed)
def process_batch_task(batch_id: int) -> None:
    """Check an uploaded batch (queued by ``start_processing``); the task's unit of work
    commits the rows, or rolls back and marks the batch failed."""
    settings = Settings.from_config(current_app.config, current_app.instance_path)
    key = progress_key(batch_id)
    try:
        process_batch(
            db.session, batch_id, settings, progress=lambda done: tasks.set_progress(key, done)
        )
    finally:
        tasks.clear_progress(key)


def start_processing(batch_id: int) -> None:
    """Queue the checks of a batch that is ``processing`` (commit before calling)."""
    process_batch_task(batch_id)
