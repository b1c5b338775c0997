"""The API's endpoints: the same services as the screens, for the token's identity."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app, g, request
from flask_babel import gettext
from flask_smorest import Blueprint
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from models import ApiIdempotencyKey, ApiToken, BatchRow, BatchState, Member, MemberBatch, RowState

from .. import authz
from ..authz.batches import OPEN_STATES
from ..clock import today_in_jakarta
from ..errors import DomainError, NotFound
from ..extensions import db
from ..importing import FileRefused
from ..importing.columns import HEADERS
from ..labels import STATE_LABELS as STATE_TEXT
from ..rules.coverage import coverage_on
from ..services import api_tokens, batch_intake, payer_import, payer_tickets
from ..services import batches as batch_service
from ..services import lifecycle as membership
from ..transaction import unit_of_work
from . import schemas
from .guard import authenticate, handle_domain_error, handle_error
from .problems import problem

IDEMPOTENCY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "A key of the caller's choice: a retried call with the same key returns the "
    "first call's result instead of doing it again.",
}
PROBLEM = {"application/problem+json": {"schema": schemas.ProblemSchema}}
ERRORS = {
    str(code): {"description": text, "content": PROBLEM}
    for code, text in (
        (401, "No token, or an unknown, expired or revoked one"),
        (403, "The token's identity may not do this"),
        (404, "Not found, or outside the token's scope"),
        (429, "Too many calls with this token"),
    )
}

batches = Blueprint(
    "api_batches", __name__, url_prefix="/api/v1/batches", description="Member batches (BPU)"
)
members = Blueprint(
    "api_members", __name__, url_prefix="/api/v1/members", description="The department's members"
)
payers = Blueprint(
    "api_payer_imports",
    __name__,
    url_prefix="/api/v1/payer-imports",
    description="A paying department's contributions file (branch systems)",
)
BLUEPRINTS = (batches, members, payers)

for _bp in BLUEPRINTS:
    _bp.before_request(authenticate)
    _bp.register_error_handler(DomainError, handle_domain_error)
    _bp.register_error_handler(HTTPException, handle_error)


def principal() -> authz.ApiPrincipal:
    return g.api_principal


# --------------------------------------------------------------------------------------------
# Cursors (keyset pagination): opaque to the caller
# --------------------------------------------------------------------------------------------


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return ...


def _bad_cursor() -> Any:
    return problem(
        422,
        gettext("The request could not be understood."),
        code="invalid",
        errors={"cursor": ["Invalid cursor."]},
    )


# --------------------------------------------------------------------------------------------
# Member batches
# --------------------------------------------------------------------------------------------


def _settings() -> batch_intake.Settings:
    return batch_intake.Settings.from_config(current_app.config, current_app.instance_path)


def batch_body(batch: MemberBatch, same_file: list[int] | None = None) -> dict[str, Any]:
    refusal = batch_service.refusal_message(batch)
    return {
        "id": batch.id,
        "state": batch.state.value,
        "state_label": str(batch_service.STATE_LABELS[batch.state]),
        "checked": batch.state is not BatchState.PROCESSING,
        "filename": batch.filename,
        "rows": batch.row_count,
        "valid": batch.valid_count,
        "invalid": batch.invalid_count,
        "accepted": batch.accepted_count,
        "rejected": batch.rejected_count,
        "pending": batch.pending_count if batch.state in OPEN_STATES else 0,
        "refusal": str(refusal) if refusal is not None else None,
        "created_at": batch.created_at,
        "submitted_at": batch.submitted_at,
        "completed_at": batch.completed_at,
        "same_file_as": same_file or [],
    }


def _scoped_batch(batch_id: int) -> MemberBatch:
    batch = db.session.scalar(
        authz.scope(principal(), select(MemberBatch).where(MemberBatch.id == batch_id), MemberBatch)
    )
    if batch is None:
        raise NotFound(gettext("The page or record was not found."))
    return batch


def _rows_csv(rows: list[dict[str, Any]]) -> bytes:
    """JSON rows as the CSV a liaison would upload: the same reader and checks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", lineterminator="\r\n")
    fields = list(HEADERS)
    writer.writerow([HEADERS[f] for f in fields])
    for row in rows:
        writer.writerow(["" if row.get(f) is None else str(row.get(f)) for f in fields])
    return buffer.getvalue().encode("utf-8")


def _idempotency_key() -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    return key[:200] or None


def _remembered(key: str | None, operation: str) -> ApiIdempotencyKey | None | Any:
    if key is None:
        return None
    found = api_tokens.remembered(db.session, principal().api_token_id, key)
    if found is not None and found.operation != operation:
        return problem(
            422,
            gettext("This Idempotency-Key was already used for another call."),
            code="idempotency_key_reused",
        )
    return found


@batches.route("", methods=["POST"])
@batches.doc(
    summary="Upload a member list",
    description="A CSV/XLSX file (multipart/form-data, field `file`) or JSON rows. The rows are "
    "checked on the task queue: poll the batch until `checked` is true.",
    parameters=[IDEMPOTENCY],
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {"schema": schemas.BatchUploadSchema},
            "application/json": {"schema": schemas.BatchRowsSchema},
        },
    },
    responses={
        **ERRORS,
        "200": {
            "description": "A retry with the same Idempotency-Key: the first batch",
            "content": {"application/json": {"schema": schemas.BatchSchema}},
        },
        "413": {"description": "The file is too large", "content": PROBLEM},
        "422": {"description": "The file or the rows were refused as a whole", "content": PROBLEM},
    },
)
@batches.response(202, schemas.BatchSchema)
def upload_batch() -> Any:
    operation = "POST /batches"
    key = _idempotency_key()
    earlier = _remembered(key, operation)
    if earlier is not None and not isinstance(earlier, ApiIdempotencyKey):
        return earlier
    if earlier is not None:
        return batch_body(_scoped_batch(earlier.batch_id)), 200
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            return problem(
                422,
                gettext("The request could not be understood."),
                code="invalid",
                errors={"file": ["Missing data for required field."]},
            )
        data, filename = upload.read(), upload.filename or ""
    else:
        try:
            body = schemas.BatchRowsSchema().load(request.get_json(silent=True) or {})
        except ma.ValidationError as invalid:
            return problem(
                422,
                gettext("The request could not be understood."),
                code="invalid",
                errors=invalid.messages,
            )
        data, filename = _rows_csv(body["rows"]), body["filename"]
        if not filename.lower().endswith(".csv"):
            filename += ".csv"
    try:
        with unit_of_work(db.session):
            result = batch_intake.upload_batch(
                db.session,
                principal(),
                data,
                filename,
                settings=_settings(),
                today=today_in_jakarta(),
                ip=request.remote_addr,
            )
            if key is not None:
                api_tokens.remember(
                    db.session, principal().api_token_id, key, operation, batch_id=result.batch.id
                )
    except FileRefused as refused:
        status = 413 if refused.code == "too_large" else 422
        return problem(status, refused.message, code=refused.code)
    except IntegrityError:
        # The same key in a call that was faster: its batch.
        earlier = _remembered(key, operation)
        if isinstance(earlier, ApiIdempotencyKey):
            return batch_body(_scoped_batch(earlier.batch_id)), 200
        raise
    batch_id = result.batch.id
    same = [b.id for b in result.same_file]
    batch_service.start_processing(batch_id)
    db.session.expire_all()
    return batch_body(_scoped_batch(batch_id), same), 202


@batches.route("/<int:batch_id>", methods=["GET"])
@batches.doc(summary="A batch: its checks and state", responses=ERRORS)
@batches.response(200, schemas.BatchSchema)
def get_batch(batch_id: int) -> Any:
    return batch_body(_scoped_batch(batch_id))


@batches.route("/<int:batch_id>/rows", methods=["GET"])
@batches.doc(
    summary="A batch's rows: errors, KPJ numbers, rejection reasons",
    description="In the order of the file, `limit` at a time; `next_cursor` gives the next page.",
    responses=ERRORS,
)
@batches.arguments(schemas.RowsQuerySchema, location="query", as_kwargs=True)
@batches.response(200, schemas.RowsPageSchema)
def batch_rows(
    batch_id: int, limit: int, state: str | None = None, cursor: str | None = None
) -> Any:
    batch = _scoped_batch(batch_id)
    after = _decode(cursor)
    if after is ... or (after is not None and not isinstance(after, int)):
        return _bad_cursor()
    stmt = (
        select(BatchRow, Member.kpj)
        .outerjoin(Member, Member.id == BatchRow.member_id)
        .where(BatchRow.batch_id == batch.id)
        .order_by(BatchRow.number)
        .limit(limit + 1)
    )
    if state:
        stmt = stmt.where(BatchRow.state == RowState(state))
    if after is not None:
        stmt = stmt.where(BatchRow.number > after)
    found = db.session.execute(stmt).all()
    masked = not authz.may_reveal(principal(), batch)
    items = []
    for row, kpj in found[:limit]:
        errors = [
            {"row": e.row, "column": e.column, "message": str(e.message)}
            for e in batch_service.row_errors([row], masked=masked)
        ]
        reason = batch_service.row_reason(row) if row.state is RowState.REJECTED else None
        items.append(
            {
                "row": row.number,
                "state": row.state.value,
                "name": row.name,
                "kpj": kpj,
                "reason": str(reason) if reason else None,
                "errors": [] if row.state is RowState.REJECTED else errors,
            }
        )
    more = len(found) > limit
    return {"items": items, "next_cursor": _encode(items[-1]["row"]) if more else None}


@batches.route("/<int:batch_id>/submit", methods=["POST"])
@batches.doc(
    summary="Submit the batch's valid rows to the branch office's registration queue",
    responses={**ERRORS, "409": {"description": "Refused in this state", "content": PROBLEM}},
)
@batches.response(200, schemas.BatchSchema)
def submit_batch(batch_id: int) -> Any:
    _scoped_batch(batch_id)
    with unit_of_work(db.session):
        batch = batch_service.decide(
            db.session,
            principal(),
            batch_id,
            "submit",
            ip=request.remote_addr,
            settings=_settings(),
        )
    return batch_body(batch)


# --------------------------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@members.route("", methods=["GET"])
@members.doc(
    summary="The members in the token's scope, with status, protection end and arrears",
    description="Ordered by their last change: `updated_since` (ISO 8601 with a zone) and "
    "`next_cursor` let a system synchronise.",
    responses=ERRORS,
)
@members.arguments(schemas.MembersQuerySchema, location="query", as_kwargs=True)
@members.response(200, schemas.MembersPageSchema)
def list_members(
    limit: int, updated_since: datetime | None = None, cursor: str | None = None
) -> Any:
    after = _decode(cursor)
    if after is ... or (after is not None and not (isinstance(after, list) and len(after) == 2)):
        return _bad_cursor()
    # A member written by the bulk loader (COPY) has no updated_at: its creation counts.
    changed = func.coalesce(Member.updated_at, Member.created_at)
    stmt = authz.scope(principal(), select(Member), Member)
    if updated_since is not None:
        stmt = stmt.where(changed >= _utc(updated_since))
    if after is not None:
        try:
            moment = _utc(datetime.fromisoformat(after[0]))
            last_id = int(after[1])
        except (TypeError, ValueError):
            return _bad_cursor()
        stmt = stmt.where(tuple_(changed, Member.id) > tuple_(moment, last_id))
    found = list(db.session.scalars(stmt.order_by(changed, Member.id).limit(limit + 1)))
    page = found[:limit]
    today = today_in_jakarta()
    rules = membership.rules_on(db.session, today)
    histories = membership.histories(db.session, [m.id for m in page])
    items = []
    for member in page:
        cover = coverage_on(histories.get(member.id, []), today, rules)
        items.append(
            {
                "kpj": member.kpj,
                "name": member.name,
                "status": member.status.value,
                "status_label": str(STATE_TEXT[member.status.value]),
                "status_since": member.status_since,
                "protection_ends": cover.protection_ends,
                "arrears_months": cover.arrears_months,
                "monthly_contribution": member.monthly_contribution,
                "start_date": member.start_date,
                "batch_id": member.batch_id,
                "updated_at": member.updated_at or member.created_at,
            }
        )
    more = len(found) > limit
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = _encode([_utc(last.updated_at or last.created_at).isoformat(), last.id])
    return {"items": items, "next_cursor": next_cursor}


# --------------------------------------------------------------------------------------------
# A payer's contributions file (a branch system's token)
# --------------------------------------------------------------------------------------------

PAYER_OPERATION = "POST /payer-imports"


def _payer_settings() -> payer_tickets.Settings:
    return payer_tickets.Settings.from_config(current_app.config, current_app.instance_path)


@payers.route("", methods=["POST"])
@payers.doc(
    summary="Record a paying department's contributions file",
    description="Checked and recorded in the call, all rows or none: a file with any invalid "
    "row is answered 422 with every row's errors and nothing is recorded.",
    parameters=[IDEMPOTENCY],
    requestBody={
        "required": True,
        "content": {"multipart/form-data": {"schema": schemas.PayerUploadSchema}},
    },
    responses={
        **ERRORS,
        "413": {"description": "The file is too large", "content": PROBLEM},
        "422": {"description": "Refused, with every row error", "content": PROBLEM},
    },
)
@payers.response(201, schemas.PayerResultSchema)
def post_payer_file() -> Any:
    actor = principal()
    authz.PAYERS.check(actor, "import_payments").require()
    key = _idempotency_key()
    earlier = _remembered(key, PAYER_OPERATION)
    if earlier is not None and not isinstance(earlier, ApiIdempotencyKey):
        return earlier
    if earlier is not None:
        return {**earlier.result, "id": earlier.id}, 200
    upload = request.files.get("file")
    department_id = request.form.get("department_id")
    if upload is None or not department_id:
        missing = {} if upload is not None else {"file": ["Missing data for required field."]}
        if not department_id:
            missing["department_id"] = ["Missing data for required field."]
        return problem(
            422, gettext("The request could not be understood."), code="invalid", errors=missing
        )
    settings = _payer_settings()
    data, filename = upload.read(), upload.filename or ""
    try:
        ticket = payer_import.upload(
            db.session, actor, department_id, data, filename, settings=settings
        )
    except FileRefused as refused:
        status = 413 if refused.code == "too_large" else 422
        return problem(status, refused.message, code=refused.code)
    checked = payer_import.preview(db.session, actor, ticket, settings=settings)
    if checked.invalid_rows:
        errors = [
            {"row": e.row, "column": e.column, "message": str(e.message)} for e in checked.errors()
        ]
        return problem(
            422,
            gettext("The file has rows with errors: nothing was recorded."),
            code="row_errors",
            errors=errors,
        )
    with unit_of_work(db.session):
        recorded = payer_import.record(
            db.session,
            actor,
            ticket,
            expected=checked.fingerprint,
            settings=settings,
            ip=request.remote_addr,
        )
        result = {
            "department_id": recorded.department.id,
            "filename": checked.filename,
            "rows": recorded.rows,
            "members": recorded.members,
            "months": recorded.months,
            "amount": recorded.amount,
        }
        kept = api_tokens.remember(
            db.session,
            actor.api_token_id,
            key or f"auto:{uuid.uuid4().hex}",
            PAYER_OPERATION,
            result=result,
        )
    return {**result, "id": kept.id}, 201


@payers.route("/<int:import_id>", methods=["GET"])
@payers.doc(summary="The result of a recorded contributions file", responses=ERRORS)
@payers.response(200, schemas.PayerResultSchema)
def get_payer_file(import_id: int) -> Any:
    actor = principal()
    authz.PAYERS.check(actor, "import_payments").require()
    found = db.session.scalar(
        select(ApiIdempotencyKey)
        .join(ApiToken, ApiToken.id == ApiIdempotencyKey.token_id)
        .where(
            ApiIdempotencyKey.id == import_id,
            ApiIdempotencyKey.operation == PAYER_OPERATION,
            ApiToken.office_id == actor.office_id,
        )
    )
    if found is None:
        return problem(404, gettext("The page or record was not found."), code="not_found")
    return {**found.result, "id": found.id}
