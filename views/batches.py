"""Member batches: the liaison's uploads and previews, the branch clerks' registration queue."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from backoffice import audit, authz, caching, tasks, workflow
from backoffice.authz.batches import OPEN_STATES
from backoffice.authz.personal_data import reveals_any
from backoffice.clock import jakarta_day, today_in_jakarta
from backoffice.errors import Forbidden
from backoffice.extensions import db
from backoffice.forms import AppForm
from backoffice.i18n import format_date, format_rupiah
from backoffice.importing import FileRefused, template_xlsx
from backoffice.importing.columns import HEADERS, REQUIRED_FIELDS
from backoffice.labels import sex_label
from backoffice.rules.personal_data import mask_address, mask_nik, mask_phone
from backoffice.services import batch_intake, personal_data, reference
from backoffice.services import batches as service
from backoffice.transaction import unit_of_work
from models import BatchRow, BatchState, Department, Member, MemberBatch, RowState

from .base import SecuredModelView
from .decisions import DecisionRoute
from .filters import EnumFilter
from .formats import menu_name_with_badge
from .personal_data import REVEALED, no_store, reveal_button, revealed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows per page on a batch's details, errors listed on the preview.
ROWS_PER_PAGE = 100
ERRORS_SHOWN = 200

LABELS = {
    "id": _l("No."),
    "filename": _l("File"),
    "department": _l("Department"),
    "office": _l("Branch office"),
    "state": _l("Status"),
    "row_count": _l("Rows"),
    "valid_count": _l("Valid"),
    "invalid_count": _l("Invalid"),
    "accepted_count": _l("Accepted"),
    "rejected_count": _l("Rejected"),
    "pending": _l("Waiting"),
    "uploaded_by": _l("Uploaded by"),
    "created_at": _l("Uploaded"),
    "submitted_at": _l("Submitted"),
    "completed_at": _l("Completed"),
    "age": _l("Waiting (days)"),
}


class UploadForm(AppForm):
    file = FileField(_l("Member list (XLSX or CSV)"), validators=[FileRequired()])


def _state(view: Any, context: Any, model: MemberBatch, name: str) -> Any:
    return service.STATE_LABELS[model.state]


def _age(view: Any, context: Any, model: MemberBatch, name: str) -> Any:
    if model.submitted_at is None:
        return ""
    days = (today_in_jakarta() - jakarta_day(model.submitted_at)).days
    return max(days, 0)


def _pending(view: Any, context: Any, model: MemberBatch, name: str) -> Any:
    return model.pending_count if model.state in OPEN_STATES else ""


class _BatchScreen(SecuredModelView):
    """What the batch list and the registration queue share: columns and the details page."""

    details_template = "admin/batch_details.html"
    column_list = [
        "id",
        "filename",
        "department",
        "state",
        "row_count",
        "valid_count",
        "invalid_count",
        "accepted_count",
        "rejected_count",
        "uploaded_by",
        "created_at",
    ]
    column_labels = LABELS
    column_formatters = {"state": _state, "age": _age, "pending": _pending}
    column_searchable_list = ["filename"]
    column_filters = [EnumFilter(MemberBatch.state, _l("Status"), BatchState)]
    column_default_sort = ("created_at", True)
    column_sortable_list = ["id", "filename", "state", "row_count", "created_at"]
    workflow = service.WORKFLOW
    can_create = False

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return False  # a batch changes only through its workflow

    def get_query(self) -> Any:
        # A department reads with its regency: loaded with the page, not once per department.
        return (
            super()
            .get_query()
            .options(joinedload(MemberBatch.department).joinedload(Department.regency))
        )

    def settings(self) -> batch_intake.Settings:
        return batch_intake.Settings.from_config(current_app.config, current_app.instance_path)

    def details_context(self, model: MemberBatch) -> dict[str, Any]:
        return _details_context(self.workflow, model, self.settings())

    @expose("/reveal-rows/", methods=("POST",))
    def reveal_rows(self) -> Any:
        """The NIKs of the page of rows shown, in full: one audited reveal naming the rows
        (403 without the need, ``authz.may_reveal``; 404 out of scope)."""
        if not reveals_any(current_user):
            abort(403)
        batch = self.get_one(request.args.get("id", ""))
        rows = _rows_page(batch)[1]
        try:
            with unit_of_work(db.session):
                values = personal_data.reveal_batch_rows(
                    db.session, current_user, batch, rows, ip=request.remote_addr
                )
        except Forbidden:
            abort(403)
        g.setdefault(REVEALED, {}).update(values)
        return no_store(self.details_view())


class BatchView(DecisionRoute, _BatchScreen):
    """Every batch in the user's scope; the liaison uploads here and follows them."""

    screen = "batches"
    queue_endpoint = "registration_queue.index_view"
    list_template = "admin/batch_list.html"

    def render(self, template: str, **kwargs: Any) -> Any:
        kwargs["may_upload"] = authz.may(current_user, self.screen, "create")
        return super().render(template, **kwargs)

    # --- upload ----------------------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        if not authz.may(current_user, self.screen, "create"):
            abort(403)
        form = UploadForm()
        refusal = None
        if form.validate_on_submit():
            upload = form.file.data
            data = upload.read()
            try:
                with unit_of_work(db.session):
                    result = batch_intake.upload_batch(
                        db.session,
                        current_user,
                        data,
                        upload.filename or "",
                        settings=self.settings(),
                        today=today_in_jakarta(),
                        ip=request.remote_addr,
                    )
            except FileRefused as refused:
                refusal = refused.message
            except Forbidden:
                abort(403)
            else:
                for earlier in result.same_file:
                    flash(
                        gettext(
                            "The same file was already uploaded as batch no. %(id)s on %(date)s "
                            "(%(state)s). Check that you are not registering the same people twice.",
                            id=earlier.id,
                            date=format_date(earlier.created_at),
                            state=service.STATE_LABELS[earlier.state],
                        ),
                        "warning",
                    )
                service.start_processing(result.batch.id)
                return redirect(url_for(".details_view", id=result.batch.id))
        return self.render(
            "admin/batch_upload.html",
            form=form,
            refusal=refusal,
            columns=[(HEADERS[f], f in REQUIRED_FIELDS) for f in HEADERS],
            max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024),
            max_rows=current_app.config["IMPORT_MAX_ROWS"],
            return_url=url_for(".index_view"),
        )

    @expose("/template.xlsx")
    def template(self) -> Any:
        if not authz.may(current_user, self.screen, "create"):
            abort(403)
        today = today_in_jakarta()
        levels = reference.income_levels_on(db.session, today)
        ages = reference.registration_ages_on(db.session, today)
        return Response(
            template_xlsx(sorted(levels), ages=ages),
            mimetype=XLSX,
            headers={
                "Content-Disposition": 'attachment; filename="template-peserta-bpu.xlsx"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @expose("/errors.xlsx")
    def error_report(self) -> Any:
        batch = self.get_one(request.args.get("id", ""))
        if not batch.invalid_count:
            abort(404)
        # The rows in full for whoever corrects them (the uploading liaison, the office's
        # staff: authz.may_reveal), masked for the others; audited before it is written.
        full = bool(authz.may_reveal(current_user, batch))
        export = personal_data.ExportOf(
            list="batch_errors",
            rows=service.count_invalid_rows(db.session, batch),
            columns=[f for f in service.report_fields(batch) if f],
            masked=not full,
            item=batch,
        )
        with unit_of_work(db.session):
            personal_data.audit_export(db.session, current_user, export, ip=request.remote_addr)
        return Response(
            service.error_report(db.session, batch, masked=not full),
            mimetype=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="kesalahan-batch-{batch.id}.xlsx"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    # --- decisions -------------------------------------------------------------------------
    def page_after_refusal(self, back: str, batch_id: int | None) -> str:
        """The page a refused decision goes back to, with the rows that were ticked ticked
        again (a rejection without its reason keeps the clerk's choice)."""
        page = self._page_after_refusal(back, batch_id)
        ticked = self._ticked_rows()
        if not ticked or "/details/" not in page:
            return page
        parts = urlsplit(page)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "ticked"]
        query.append(("ticked", ",".join(str(i) for i in ticked)))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _page_after_refusal(self, back: str, batch_id: int | None) -> str:
        """A refused decision goes back to the page it came from, unless that page is the
        queue's view of a batch that has left the queue (e.g. a double click that finished it)."""
        queue = url_for(self.queue_endpoint)
        if not back.startswith(queue):
            return back
        state = db.session.scalar(
            authz.scope(
                current_user,
                select(MemberBatch.state).where(MemberBatch.id == batch_id),
                MemberBatch,
            )
        )
        if state in OPEN_STATES:
            return back
        if state is None:
            return queue
        return url_for(".details_view", id=batch_id)

    @staticmethod
    def _ticked_rows() -> list[int]:
        return [int(v) for v in request.form.getlist("row_id") if v.isdigit()]

    def take_decision(self, item_id: int | None, action: str) -> Any:
        with unit_of_work(db.session):
            batch = service.decide(
                db.session,
                current_user,
                item_id,
                action,
                row_ids=self._ticked_rows(),
                reason=request.form.get("comment"),
                expected_version=request.form.get("version", type=int),
                ip=request.remote_addr,
                settings=self.settings(),
            )
        if batch.state is BatchState.PROCESSING:  # checked again: queued once committed
            service.start_processing(batch.id)
        return batch

    def decision_message(self, batch: MemberBatch, action: str) -> str:
        return _decision_message(action, batch, len(self._ticked_rows()))

    def still_in_queue(self, batch: MemberBatch) -> bool:
        return batch.state in OPEN_STATES


def _details_context(
    wf: Any, batch: MemberBatch, settings: batch_intake.Settings
) -> dict[str, Any]:
    # The buttons, and the reasons of what the user would expect to do but may not, from the
    # question ``decide`` asks.
    options = service.options(current_user, batch, settings)
    transitions = [o.transition for o in options if o.decision]
    row_state, rows, total, page, pages = _rows_page(batch)
    kpjs = {}
    member_ids = [r.member_id for r in rows if r.member_id]
    if member_ids:
        kpjs = dict(
            db.session.execute(select(Member.id, Member.kpj).where(Member.id.in_(member_ids))).all()
        )
    errors = []
    if batch.invalid_count and batch.state not in (BatchState.PROCESSING, BatchState.REFUSED):
        invalid = db.session.scalars(
            select(BatchRow)
            .where(BatchRow.batch_id == batch.id, BatchRow.state == RowState.INVALID)
            .order_by(BatchRow.number)
            .limit(ERRORS_SHOWN)
        )
        full = bool(authz.may_reveal(current_user, batch))
        errors = list(service.row_errors(invalid, masked=not full))[:ERRORS_SHOWN]
    progress = (
        tasks.get_progress(service.progress_key(batch.id))
        if batch.state is BatchState.PROCESSING
        else None
    )
    row_actions = [t for t in transitions if t.action in service.ROW_ACTIONS]
    batch_actions = [t for t in transitions if t.action not in service.ROW_ACTIONS]
    return {
        "batch": batch,
        "ticked": {int(v) for v in request.args.get("ticked", "").split(",") if v.isdigit()},
        "state_label": service.STATE_LABELS[batch.state],
        "refusal": service.refusal_message(batch),
        "batch_actions": batch_actions,
        "row_actions": row_actions,
        "can_decide_rows": bool(row_actions),
        "refusals": workflow.told(options),
        "history": audit.history(db.session, wf.name, batch.id),
        "decide_url": url_for("batch.decide"),
        "rows": rows,
        "kpjs": kpjs,
        "row_state": row_state,
        "row_states": [(s.value, s) for s in RowState],
        "page": page,
        "pages": pages,
        "rows_total": total,
        "errors": errors,
        "errors_truncated": batch.invalid_count and len(errors) >= ERRORS_SHOWN,
        "progress": progress,
        "checks_lost": service.checks_lost(batch),
        "row_reason": service.row_reason,
        "error_report_url": url_for("batch.error_report", id=batch.id)
        if batch.invalid_count and batch.state not in (BatchState.PROCESSING, BatchState.REFUSED)
        else None,
        "ignored_note": _ignored_note(batch),
        "row_nik": _row_nik(batch),
        "row_details": _row_details(),
        "niks_revealed": bool(revealed()),
        "reveal_rows": reveal_button(
            url_for(".reveal_rows", id=batch.id, rows=row_state or None, page=page),
            {},
            "reveal-niks",
            gettext("Show the NIKs of these rows"),
        )
        if rows and not revealed() and authz.may_reveal(current_user, batch)
        else None,
    }


def _rows_page(batch: MemberBatch) -> tuple[str, list[BatchRow], int, int, int]:
    """The page of the batch's rows the URL asks for (``rows``: a state, ``page``): the state,
    the rows, how many rows in all, the page and the number of pages."""
    row_state = request.args.get("rows", "")
    if row_state not in {s.value for s in RowState}:
        row_state = ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = select(BatchRow).where(BatchRow.batch_id == batch.id)
    count = select(func.count()).select_from(BatchRow).where(BatchRow.batch_id == batch.id)
    if row_state:
        stmt = stmt.where(BatchRow.state == RowState(row_state))
        count = count.where(BatchRow.state == RowState(row_state))
    total = db.session.scalar(count) or 0
    pages = max((total + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE, 1)
    page = min(page, pages)
    rows = list(
        db.session.scalars(
            stmt.order_by(BatchRow.number).offset((page - 1) * ROWS_PER_PAGE).limit(ROWS_PER_PAGE)
        )
    )
    return row_state, rows, total, page, pages


def _row_nik(batch: MemberBatch) -> Any:
    """How the rows table shows a row's NIK: masked (UU 27/2022), in full once revealed."""
    shown = revealed()

    def row_nik(row: BatchRow) -> str:
        if not row.nik:
            return "-"
        return row.nik if row.id in shown else mask_nik(row.nik)

    return row_nik


def _row_details() -> Any:
    """What a clerk verifies of a checked row besides its NIK and name: birth date, sex,
    address and phone (masked, UU 27/2022: the rows' reveal shows the NIKs only), income level
    and programmes; ``None`` for a row the checks refused (its problems are listed above)."""

    def row_details(row: BatchRow) -> dict[str, str] | None:
        data = row.data
        if not data:
            return None
        birth = data.get("birth_date")
        income = data.get("income")
        return {
            "birth_date": format_date(date.fromisoformat(birth)) if birth else "-",
            "sex": sex_label(data.get("sex")),
            "address": mask_address(data.get("address")) or "-",
            "phone": mask_phone(data.get("phone")) or "-",
            "income": format_rupiah(income) if isinstance(income, int) else "-",
            "programmes": ", ".join(data.get("programmes") or ()) or "-",
        }

    return row_details


def _ignored_note(batch: MemberBatch) -> str | None:
    if not batch.ignored_columns:
        return None
    return gettext(
        "These columns are not used and were ignored: %(columns)s.",
        columns=", ".join(batch.ignored_columns),
    )


def _decision_message(action: str, batch: MemberBatch, selected: int) -> str:
    if action == "submit":
        return gettext(
            "Batch no. %(id)s was sent to %(office)s: %(n)s row(s) wait for verification.",
            id=batch.id,
            office=str(batch.office),
            n=batch.valid_count,
        )
    if action == "discard":
        return gettext("Batch no. %(id)s was discarded.", id=batch.id)
    if action == "retry":
        return gettext("Batch no. %(id)s is being checked again.", id=batch.id)
    if action == "reject_rows":
        return gettext("%(n)s row(s) rejected.", n=selected)
    return gettext(
        "Rows accepted. Batch no. %(id)s: %(accepted)s accepted, %(rejected)s rejected, "
        "%(pending)s waiting.",
        id=batch.id,
        accepted=batch.accepted_count,
        rejected=batch.rejected_count,
        pending=batch.pending_count,
    )


class RegistrationQueueView(_BatchScreen):
    """Submitted batches of the clerk's office, oldest first, with their age."""

    screen = "registration_queue"
    column_list = [
        "id",
        "department",
        "filename",
        "submitted_at",
        "age",
        "valid_count",
        "pending",
        "accepted_count",
        "rejected_count",
        "state",
    ]
    column_default_sort = ("submitted_at", False)
    column_sortable_list = ["id", "submitted_at", "valid_count"]
    column_filters = []

    def get_query(self) -> Any:
        return super().get_query().filter(MemberBatch.state.in_(OPEN_STATES))

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(MemberBatch.state.in_(OPEN_STATES))

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """A batch that has left the queue (completed, rejected) opens on the batches screen
        rather than answering 404 from an old queue link."""
        if name == "details_view" and request.args.get("id", "").isdigit():
            batch_id = int(request.args["id"])
            mine = authz.scoped_select(current_user, MemberBatch).where(MemberBatch.id == batch_id)
            batch = db.session.scalar(mine)
            if batch is not None and batch.state not in OPEN_STATES and self.is_accessible():
                return redirect(url_for("batch.details_view", id=batch_id))
        return super()._handle_view(name, **kwargs)


@caching.per_user("batches-waiting")
def waiting_batches() -> int:
    """Batches waiting in the current user's registration queue (menu badge)."""
    if not authz.may(current_user, "registration_queue"):
        return 0
    stmt = (
        select(func.count())
        .select_from(MemberBatch)
        .where(
            MemberBatch.state.in_(OPEN_STATES),
            authz.row_condition(current_user, MemberBatch),
        )
    )
    return db.session.scalar(stmt) or 0


def queue_menu_name() -> Markup:
    return menu_name_with_badge(
        gettext("Registration queue"), waiting_batches(), "registration-count"
    )
