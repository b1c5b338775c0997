"""A payer's contribution file: upload, preview with the errors, record all valid rows at once."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import InputRequired

from backoffice.errors import DomainError, Forbidden, NotFound
from backoffice.extensions import db
from backoffice.forms import AppForm
from backoffice.i18n import format_rupiah
from backoffice.importing import FileRefused
from backoffice.services import payer_columns, payer_tickets, personal_data
from backoffice.services import payer_import as service
from backoffice.transaction import unit_of_work

from .base import deny_access

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Errors and rows listed on the preview (the error report has every error).
ERRORS_SHOWN = 200
ROWS_SHOWN = 500


class PayerUploadForm(AppForm):
    department = SelectField(_l("Paying department"), coerce=int, validators=[InputRequired()])
    file = FileField(_l("Payment list (XLSX or CSV)"), validators=[FileRequired()])


class ContributionImportView(BaseView):
    """A branch clerk records the contributions a department paid for many members at once."""

    def is_accessible(self) -> bool:
        return service.may_import(current_user) if current_user.is_authenticated else False

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    def settings(self) -> payer_tickets.Settings:
        return payer_tickets.Settings.from_config(current_app.config, current_app.instance_path)

    # --- upload ------------------------------------------------------------------------------
    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        settings = self.settings()
        departments = service.payer_departments(db.session, current_user)
        form = PayerUploadForm()
        form.department.choices = [(d.id, d.name) for d in departments]
        refusal = None
        if form.validate_on_submit():
            upload = form.file.data
            try:
                token = service.upload(
                    db.session,
                    current_user,
                    form.department.data,
                    upload.read(),
                    upload.filename or "",
                    settings=settings,
                )
            except FileRefused as refused:
                refusal = refused.message
            except Forbidden:
                abort(403)
            except NotFound as exc:
                form.department.errors = [str(exc.message)]
            else:
                return redirect(url_for(".preview", t=token))
        return self.render(
            "admin/contribution_import.html",
            form=form,
            departments=departments,
            refusal=refusal,
            max_mb=max(1, settings.max_bytes // (1024 * 1024)),
            max_rows=settings.max_rows,
        )

    @expose("/template.xlsx")
    def template(self) -> Any:
        members: list[Any] = []
        department_id = request.args.get("department")
        filename = "template-iuran-instansi.xlsx"
        if department_id:
            try:
                department = service.payer_department(db.session, current_user, department_id)
            except NotFound:
                abort(404)
            members = service.template_members(db.session, current_user, department)
            filename = f"iuran-instansi-{department.id}.xlsx"
            # A list of members leaves the office: audited, though without NIKs (masked: none).
            export = personal_data.ExportOf(
                list="payer_template", rows=len(members), columns=[], masked=True
            )
            with unit_of_work(db.session):
                personal_data.audit_export(db.session, current_user, export, ip=request.remote_addr)
        return Response(
            payer_columns.template_xlsx(members),
            mimetype=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    # --- preview -----------------------------------------------------------------------------
    def _render_preview(self, preview: service.Preview, token: str, status: int = 200) -> Any:
        errors = []
        for error in preview.errors():
            if len(errors) >= ERRORS_SHOWN:
                break
            errors.append(error)
        valid = preview.valid_rows
        return (
            self.render(
                "admin/contribution_import_preview.html",
                preview=preview,
                token=token,
                errors=errors,
                errors_truncated=len(errors) >= ERRORS_SHOWN,
                valid_rows=valid[:ROWS_SHOWN],
                rows_truncated=len(valid) > ROWS_SHOWN,
            ),
            status,
        )

    def _back_to_upload(self, exc: DomainError) -> Any:
        flash(str(exc.message), "error")
        return redirect(url_for(".index"))

    def _refused(self, refused: FileRefused) -> Any:
        # A file accepted at upload is refused later only when the limits were lowered since.
        flash(str(refused.message), "error")
        return redirect(url_for(".index"))

    def _checked_file(self, token: str) -> Any:
        """The file behind ``token`` checked again, or the response that says why it is not."""
        try:
            return service.preview(db.session, current_user, token, settings=self.settings())
        except NotFound:
            abort(404)
        except payer_tickets.Expired as exc:
            return self._back_to_upload(exc)
        except FileRefused as refused:
            return self._refused(refused)

    @expose("/preview/")
    def preview(self) -> Any:
        token = request.args.get("t", "")
        preview = self._checked_file(token)
        if not isinstance(preview, service.Preview):
            return preview
        return self._render_preview(preview, token)

    @expose("/errors.xlsx")
    def error_report(self) -> Any:
        preview = self._checked_file(request.args.get("t", ""))
        if not isinstance(preview, service.Preview):
            return preview
        if not preview.invalid_rows:
            abort(404)
        # The uploading clerk's own file back (the ticket is theirs): in full, to correct it,
        # and audited first (UU 27/2022).
        export = personal_data.ExportOf(
            list="payer_errors",
            rows=len(preview.invalid_rows),
            columns=[
                payer_columns.PAYER_COLUMNS.field_for_header(h) or "" for h in preview.headers
            ],
            masked=False,
        )
        with unit_of_work(db.session):
            personal_data.audit_export(db.session, current_user, export, ip=request.remote_addr)
        return Response(
            preview.error_report(),
            mimetype=XLSX,
            headers={
                "Content-Disposition": 'attachment; filename="kesalahan-iuran-instansi.xlsx"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    # --- record ------------------------------------------------------------------------------
    @expose("/record/", methods=("POST",))
    def record(self) -> Any:
        token = request.form.get("t", "")
        try:
            with unit_of_work(db.session):
                recorded = service.record(
                    db.session,
                    current_user,
                    token,
                    expected=request.form.get("expected", ""),
                    settings=self.settings(),
                    ip=request.remote_addr,
                )
        except NotFound:
            abort(404)
        except payer_tickets.Expired as exc:
            return self._back_to_upload(exc)
        except FileRefused as refused:
            return self._refused(refused)
        except service.Changed as changed:
            flash(str(changed.message), "error")
            return self._render_preview(changed.preview, token, status=409)
        except Forbidden:
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for(".preview", t=token))
        flash(
            gettext(
                "Recorded for %(department)s: %(rows)s payment(s) of %(members)s member(s), "
                "%(months)s month(s), %(amount)s in total.",
                department=recorded.department.name,
                rows=recorded.rows,
                members=recorded.members,
                months=recorded.months,
                amount=format_rupiah(recorded.amount),
            ),
            "success",
        )
        return redirect(url_for(".index"))
