"""Office proposals: the proposer's screen and the regional head's approval queue."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from backoffice import audit, authz, caching, workflow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.labels import choices
from backoffice.services import proposals as service
from backoffice.transaction import unit_of_work
from models import Office, OfficeProposal, OfficeType, ProposalState, Regency

from .base import SecuredModelView
from .decisions import DecisionRoute
from .filters import EnumFilter, choice_query
from .formats import menu_name_with_badge
from .row_actions import with_allowed_edit

LABELS = {
    "name": _l("Office name"),
    "office_type": _l("Type"),
    "parent": _l("Parent office (KC)"),
    "region": _l("Region"),
    "regency": _l("Regency/city"),
    "address": _l("Address"),
    "planned_opening": _l("Planned opening"),
    "staff_count": _l("Staff"),
    "justification": _l("Justification"),
    "state": _l("Status"),
    "proposed_by": _l("Proposed by"),
    "submitted_at": _l("Submitted"),
    "decided_by": _l("Decided by"),
    "decided_at": _l("Decided"),
    "decision_comment": _l("Decision note"),
    "office_code": _l("Office code"),
    "created_at": _l("Created"),
    "waiting": _l("Waiting (days)"),
}


class ProposalForm(BaseForm):
    name = StringField(
        LABELS["name"],
        validators=[DataRequired(), Length(max=120)],
        description=_l('Without "KCP" or "KC": the type is added to the name (KCP Anyer).'),
    )
    office_type = SelectField(
        LABELS["office_type"], choices=lambda: choices(OfficeType), default=OfficeType.KCP.value
    )
    parent = QuerySelectField(
        LABELS["parent"],
        query_factory=choice_query(Office, Office.office_type == OfficeType.KC),
        allow_blank=True,
    )
    regency = QuerySelectField(
        LABELS["regency"], query_factory=choice_query(Regency), allow_blank=True
    )
    address = TextAreaField(LABELS["address"], validators=[DataRequired(), Length(max=500)])
    planned_opening = DateField(LABELS["planned_opening"], validators=[DataRequired()])
    staff_count = IntegerField(
        LABELS["staff_count"], validators=[DataRequired(), NumberRange(min=1, max=500)]
    )
    justification = TextAreaField(
        LABELS["justification"], validators=[DataRequired(), Length(max=4000)]
    )

    def data_object(self) -> service.ProposalData:
        return service.ProposalData(
            name=self.name.data or "",
            office_type=OfficeType(self.office_type.data),
            parent=self.parent.data,
            regency=self.regency.data,
            address=self.address.data or "",
            planned_opening=self.planned_opening.data,
            staff_count=self.staff_count.data,
            justification=self.justification.data or "",
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.office_type.data not in {t.value for t in OfficeType}:
            return False
        problems = service.proposal_problems(
            db.session,
            current_user,
            self.data_object(),
            today=date.today(),
            proposal_id=getattr(self, "_proposal_id", None),
        )
        for field, message in problems.items():
            self[field].errors = [*self[field].errors, str(message)]
        return ok and not problems


def _waiting(view: Any, context: Any, model: OfficeProposal, name: str) -> Any:
    days = service.waiting_days(model, date.today())
    return "" if days is None else days


def _state(view: Any, context: Any, model: OfficeProposal, name: str) -> Any:
    return service.STATE_LABELS[model.state]


class ProposalView(DecisionRoute, SecuredModelView):
    screen = "proposals"
    queue_endpoint = "proposal_queue.index_view"
    details_template = "admin/workflow_details.html"
    column_list = [
        "name",
        "office_type",
        "parent",
        "regency",
        "state",
        "proposed_by",
        "submitted_at",
        "office_code",
    ]
    column_details_list = [
        "name",
        "office_type",
        "region",
        "parent",
        "regency",
        "address",
        "planned_opening",
        "staff_count",
        "justification",
        "state",
        "proposed_by",
        "created_at",
        "submitted_at",
        "decided_by",
        "decided_at",
        "decision_comment",
        "office_code",
    ]
    column_export_list = column_details_list
    column_labels = LABELS
    column_formatters = {"state": _state, "waiting": _waiting}
    column_formatters_detail = {"state": _state}
    column_formatters_export = {"state": lambda v, c, m, n: str(service.STATE_LABELS[m.state])}
    column_searchable_list = ["name"]
    column_filters = [EnumFilter(OfficeProposal.state, _l("Status"), ProposalState)]
    column_default_sort = ("created_at", True)
    workflow = service.WORKFLOW

    def get_list_row_actions(self) -> list[Any]:
        return with_allowed_edit(super().get_list_row_actions())

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """The form opens only on a proposal the user may change (the service asks the same)."""
        proposal = self.get_one(request.args.get("id", ""))
        if proposal is None:
            abort(404)
        editing = authz.check(current_user, "edit", proposal)
        if not editing:
            flash(str(editing.reason), "error")
            return redirect(url_for(".details_view", id=proposal.id))
        return super().edit_view()

    def get_create_form(self) -> type:
        return ProposalForm

    def create_form(self, obj: Any = None) -> Any:
        return self._offered(super().create_form(obj))

    def _offered(self, form: Any) -> Any:
        """Only what the user may propose: no KC type for whoever may not propose one; the
        parent office chosen when only one can be."""
        if authz.proposals.kc_refusal(current_user):
            form.office_type.choices = [
                (value, text)
                for value, text in choices(OfficeType)
                if value == OfficeType.KCP.value
            ]
        parents = list(form.parent.query) if form.parent.query is not None else []
        if request.method == "GET" and form.parent.data is None and len(parents) == 1:
            form.parent.data = parents[0]
        return form

    def told_to_submit(self, model: Any) -> Any:
        """A saved draft is not sent yet: say so, with the way to submit it."""
        if isinstance(model, OfficeProposal) and model.state in (
            ProposalState.DRAFT,
            ProposalState.RETURNED,
        ):
            link = Markup('<a href="{}" id="submit-proposal-link">{}</a>').format(
                url_for(".details_view", id=model.id),
                gettext("Open it to submit"),
            )
            flash(
                Markup("{} {}").format(
                    gettext(
                        "%(name)s is saved but not sent yet: the regional head sees "
                        "it only after it is submitted.",
                        name=model.name,
                    ),
                    link,
                ),
                "warning",
            )
        return model

    def get_edit_form(self) -> type:
        return ProposalForm

    def edit_form(self, obj: Any = None) -> Any:
        form = self._offered(super().edit_form(obj))
        form._proposal_id = obj.id if obj is not None else None
        if obj is not None and request.method == "GET":
            form.office_type.data = obj.office_type.value
        return form

    def create_model(self, form: Any) -> Any:
        return self.told_to_submit(
            self._save(
                form,
                lambda: service.propose_office(
                    db.session,
                    current_user,
                    form.data_object(),
                    today=date.today(),
                    ip=request.remote_addr,
                ),
            )
        )

    def update_model(self, form: Any, model: OfficeProposal) -> Any:
        return self.told_to_submit(
            self._save(
                form,
                lambda: service.update_proposal(
                    db.session,
                    current_user,
                    model,
                    form.data_object(),
                    today=date.today(),
                    ip=request.remote_addr,
                ),
            )
        )

    def details_context(self, model: OfficeProposal) -> dict[str, Any]:
        # The buttons, and the reasons of what the user would expect to do but may not, from
        # the question ``decide`` asks.
        options = service.options(current_user, model)
        return {
            "transitions": [o.transition for o in options if o.decision],
            "refusals": workflow.told(options),
            "editable": self.can_edit and bool(authz.check(current_user, "edit", model)),
            "history": audit.history(db.session, self.workflow.name, model.id),
            "state_label": service.STATE_LABELS[model.state],
            "decide_url": url_for("proposal.decide"),
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
                office_code=request.form.get("office_code", ""),
                ip=request.remote_addr,
            )

    def decision_message(self, proposal: OfficeProposal, action: str) -> str:
        transition = self.workflow.transitions[action]
        message = gettext(
            "%(action)s: done for %(item)s.", action=transition.label, item=str(proposal)
        )
        if proposal.state is ProposalState.APPROVED:
            message += " " + gettext("Office code %(code)s.", code=proposal.office_code)
        return message

    def still_in_queue(self, proposal: OfficeProposal) -> bool:
        return proposal.state is ProposalState.SUBMITTED


class ProposalQueueView(ProposalView):
    """Proposals waiting for the regional head, oldest first."""

    screen = "proposal_queue"
    list_template = "admin/queue_list.html"
    column_list = [
        "name",
        "office_type",
        "parent",
        "regency",
        "proposed_by",
        "submitted_at",
        "waiting",
    ]
    column_default_sort = ("submitted_at", False)
    column_filters = []
    column_searchable_list = ["name"]

    def get_query(self) -> Any:
        return super().get_query().filter(OfficeProposal.state == ProposalState.SUBMITTED)

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(OfficeProposal.state == ProposalState.SUBMITTED)

    def _bulk(self, ids: list[str], action_name: str) -> None:
        """Each proposal is decided through the service in its own unit of work and reports
        its own outcome."""
        done = 0
        refused: list[tuple[int, str]] = []
        for item_id in [int(i) for i in ids if i.isdigit()]:
            try:
                with unit_of_work(db.session):
                    service.decide(
                        db.session,
                        current_user,
                        item_id,
                        action_name,
                        comment=request.form.get("comment"),
                        ip=request.remote_addr,
                    )
            except DomainError as exc:
                refused.append((item_id, str(exc.message)))
            else:
                done += 1
        label = self.workflow.transitions[action_name].label
        if done:
            flash(gettext("%(action)s: %(n)s proposal(s) done.", action=label, n=done), "success")
        for item_id, message in refused:
            mine = authz.scoped_select(current_user, OfficeProposal)  # no foreign name
            proposal = db.session.scalar(mine.where(OfficeProposal.id == item_id))
            name = str(proposal) if proposal is not None else f"#{item_id}"
            flash(f"{name}: {message}", "error")

    def is_action_allowed(self, name: str) -> bool:
        # Offered to whoever the service would let decide (the queue's role), as it asks.
        return (
            authz.may(current_user, "proposal_queue")
            and authz.PROPOSALS.may_take(current_user, name)
            and super().is_action_allowed(name)
        )

    @action("approve", _l("Approve"), _l("Approve the selected proposals?"))
    def action_approve(self, ids: list[str]) -> None:
        self._bulk(ids, "approve")

    @action(
        "return",
        _l("Return for changes"),
        _l("Return the selected proposals with the reason typed above?"),
    )
    def action_return(self, ids: list[str]) -> None:
        self._bulk(ids, "return")

    @action(
        "reject", _l("Reject"), _l("Reject the selected proposals with the reason typed above?")
    )
    def action_reject(self, ids: list[str]) -> None:
        self._bulk(ids, "reject")


@caching.per_user("proposals-waiting")
def pending_count() -> int:
    """Proposals waiting for the current user's decision (menu badge)."""
    if not authz.may(current_user, "proposal_queue"):
        return 0
    stmt = (
        select(func.count())
        .select_from(OfficeProposal)
        .where(
            OfficeProposal.state == ProposalState.SUBMITTED,
            authz.row_condition(current_user, OfficeProposal),
        )
    )
    return db.session.scalar(stmt) or 0


def queue_menu_name() -> Markup:
    return menu_name_with_badge(gettext("Approval queue"), pending_count(), "queue-count")
