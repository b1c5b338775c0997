"""Corrections of member data: the office's list (with a state filter), the decision page (old and
new values, approve or reject), the supporting document; and the proposal form on a member's
page (``propose_view``, routed by ``MemberView``)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backoffice import audit, authz, caching, workflow
from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError, Forbidden
from backoffice.extensions import db
from backoffice.services import claim_documents
from backoffice.services import corrections as service
from backoffice.services.correction_fields import FIELDS, Context
from backoffice.transaction import unit_of_work
from models import CorrectionState, Member, MemberCorrection

from .base import SecuredModelView
from .decisions import DecisionRoute
from .filters import EnumFilter
from .formats import menu_name_with_badge
from .saving import conflict_message

LABELS = {
    "id": _l("No."),
    "member": _l("Member"),
    "fields": _l("Fields"),
    "state": _l("Status"),
    "reason": _l("Reason"),
    "proposed_by": _l("Proposed by"),
    "created_at": _l("Proposed"),
    "decided_by": _l("Decided by"),
    "decided_at": _l("Decided"),
    "decision_comment": _l("Decision note"),
    "effective_from": _l("New contribution from"),
    "office": _l("Branch office"),
    "document_filename": _l("Supporting document"),
}


def document_settings() -> claim_documents.DocumentSettings:
    return claim_documents.DocumentSettings.from_config(
        current_app.config, current_app.instance_path
    )


def _state(view: Any, context: Any, model: MemberCorrection, name: str) -> Any:
    return service.STATE_LABELS[model.state]


def _fields(view: Any, context: Any, model: MemberCorrection, name: str) -> Any:
    return service.summary(model)


def _month(view: Any, context: Any, model: MemberCorrection, name: str) -> Any:
    return model.effective_from.strftime("%m/%Y") if model.effective_from else ""


class CorrectionView(DecisionRoute, SecuredModelView):
    screen = "corrections"
    details_template = "admin/correction_details.html"
    column_list = [
        "id",
        "member",
        "fields",
        "state",
        "proposed_by",
        "created_at",
        "decided_by",
        "decided_at",
    ]
    column_details_list = [
        "id",
        "member",
        "office",
        "state",
        "reason",
        "proposed_by",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_comment",
        "effective_from",
    ]
    column_export_list = column_list
    column_labels = LABELS
    column_formatters = {"state": _state, "fields": _fields, "effective_from": _month}
    column_formatters_detail = column_formatters
    column_formatters_export = {
        "state": lambda v, c, m, n: str(service.STATE_LABELS[m.state]),
        "fields": lambda v, c, m, n: service.summary(m),
    }
    column_filters = [EnumFilter(MemberCorrection.state, _l("Status"), CorrectionState)]
    column_default_sort = ("created_at", True)
    column_sortable_list = ["id", "created_at", "decided_at"]
    workflow = service.WORKFLOW

    def details_context(self, model: MemberCorrection) -> dict[str, Any]:
        # The buttons, and the reasons the user may not take an action they would expect
        # (their own proposal, a stale one), from the question ``decide`` asks.
        options = service.options(current_user, model)
        return {
            "changes": service.shown_changes(db.session, model),
            "transitions": [o.transition for o in options if o.decision],
            "refusals": workflow.told(options),
            "history": audit.history(db.session, self.workflow.name, model.id),
            "state_label": service.STATE_LABELS[model.state],
            "decide_url": url_for(".decide"),
        }

    def take_decision(self, item_id: int | None, action: str) -> Any:
        with unit_of_work(db.session):
            return service.decide(
                db.session,
                current_user,
                item_id,
                action,
                comment=request.form.get("comment"),
                expected_version=request.form.get("version", type=int),
                ip=request.remote_addr,
            )

    def decision_message(self, correction: MemberCorrection, action: str) -> str:
        if correction.state is CorrectionState.APPROVED:
            message = gettext(
                "Correction %(item)s is applied to %(member)s.",
                item=str(correction),
                member=str(correction.member),
            )
            if correction.effective_from is not None:
                message += " " + gettext(
                    "The new monthly contribution applies from %(month)s.",
                    month=correction.effective_from.strftime("%m/%Y"),
                )
            return message
        return gettext("Correction %(item)s is rejected.", item=str(correction))

    @expose("/document/")
    def document(self) -> Any:
        correction = self.get_one(request.args.get("id", ""))
        if correction.document_storage_name is None:
            abort(404)
        path = service.document_path(document_settings(), correction)
        if not path.is_file():
            abort(404)
        response = Response(path.read_bytes(), mimetype=correction.document_content_type)
        # Always a download, never rendered in the back-office's origin.
        name = "".join(
            ch
            for ch in correction.document_filename or ""
            if ch.isascii() and (ch.isalnum() or ch in "._- ")
        ).strip()
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{name or correction.document_storage_name}"'
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, no-store"
        return response


# --- the proposal form, on the member's page ---------------------------------------------------


def may_propose(member: Member) -> bool:
    """The member page's "Propose a correction" action: asked as the service asks it."""
    return authz.may(current_user, "corrections") and bool(
        authz.check(current_user, "propose_correction", member)
    )


def _form_fields(member: Member) -> list[dict[str, Any]]:
    """Each registry field as the form shows it, with the value typed (or the member's)."""
    ctx = Context(db.session, member, current_user, today_in_jakarta())
    posted = request.method == "POST"
    shown = []
    for field in FIELDS:
        if field.name == "deregistration" and not member.active:
            continue  # an ended membership has nothing to end
        current = field.read(member)
        value = (
            request.form.getlist(field.name)[-1]
            if posted and field.name in request.form
            else field.form_value(current)
        )
        shown.append(
            {
                "field": field,
                "value": value,
                "current": field.show(db.session, current),
                "choices": field.choices(ctx) if field.choices is not None else None,
            }
        )
    return shown


def propose_view(view: Any, member: Member) -> Any:
    """GET: the form, every field with the member's value; POST: the proposal."""
    if not may_propose(member):
        abort(403)
    back = url_for(".details_view", id=member.id)
    error_field = None
    if request.method == "POST":
        upload = request.files.get("document")
        document = (
            service.Upload(upload.read(), upload.filename)
            if upload is not None and upload.filename
            else None
        )
        # A field the form did not send is left as it is; a tick box sends a hidden "" first,
        # then "1" when ticked (the last value counts).
        values = {
            f.name: request.form.getlist(f.name)[-1] for f in FIELDS if f.name in request.form
        }
        if not member.active:
            values.pop("deregistration", None)
        try:
            with unit_of_work(db.session):
                correction = service.propose(
                    db.session,
                    current_user,
                    member,
                    values,
                    request.form.get("reason", ""),
                    document=document,
                    settings=document_settings(),
                    ip=request.remote_addr,
                )
        except Forbidden:
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
            error_field = exc.field
        except IntegrityError:
            # Another correction of the member proposed at the same moment: nothing was saved.
            flash(conflict_message(), "error")
        else:
            flash(
                gettext(
                    "Correction %(item)s is proposed: another user of the office decides it.",
                    item=str(correction),
                ),
                "success",
            )
            return redirect(url_for("correction.details_view", id=correction.id))
    return view.render(
        "admin/correction_form.html",
        member=member,
        fields=_form_fields(member),
        reason=request.form.get("reason", "") if request.method == "POST" else "",
        error_field=error_field,
        return_url=back,
    )


@caching.per_user("corrections-waiting")
def waiting_count() -> int:
    """Corrections waiting for the current user's decision (menu badge): submitted, of their
    offices, proposed by someone else."""
    if not authz.may(current_user, "corrections"):
        return 0
    stmt = (
        select(func.count())
        .select_from(MemberCorrection)
        .where(
            MemberCorrection.state == CorrectionState.SUBMITTED,
            MemberCorrection.proposed_by_id != current_user.id,
            authz.row_condition(current_user, MemberCorrection),
        )
    )
    return db.session.scalar(stmt) or 0


def menu_name() -> Markup:
    return menu_name_with_badge(
        gettext("Member data corrections"), waiting_count(), "correction-count"
    )
