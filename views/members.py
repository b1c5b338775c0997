"""Registered members (read-only here: they are created by accepting batch rows)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.orm import joinedload
from wtforms import DateField, MonthField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from backoffice import audit, authz, benefit_texts
from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError, Forbidden
from backoffice.extensions import db
from backoffice.forms import AppForm
from backoffice.i18n import format_rupiah
from backoffice.labels import choices
from backoffice.listing.search import NameSearch, search_digits, starts_with
from backoffice.listing.words import WordIndex
from backoffice.rules.contributions import discounted
from backoffice.services import ledger, reference
from backoffice.transaction import unit_of_work
from models import Department, Member, Office, PaymentChannel
from models.words import member_name_pair, member_name_word

from .base import SecuredModelView
from .filters import ScopedChoiceFilter


class ContributionForm(AppForm):
    period = MonthField(_l("First month paid"), format="%Y-%m", validators=[DataRequired()])
    months = SelectField(
        _l("Months"),
        choices=lambda: [
            (str(n), str(n)) for n in reference.payment_periods_on(db.session, today_in_jakarta())
        ],
        default="1",
    )
    paid_on = DateField(_l("Payment date"), validators=[DataRequired()])
    channel = SelectField(_l("Paid through"), choices=lambda: choices(PaymentChannel))
    reference = StringField(
        _l("Payment reference"), validators=[Optional(), Length(max=ledger.REFERENCE_LENGTH)]
    )


def _jht_notes(statement: Any) -> list[Any]:
    """The statement's notes in the reader's language."""
    return [benefit_texts.statement_note(note) for note in statement.notes]


def _rupiah(view: Any, context: Any, model: Member, name: str) -> str:
    return format_rupiah(getattr(model, name))


def _sex(view: Any, context: Any, model: Member, name: str) -> Any:
    return _l("Male") if model.sex == "L" else _l("Female")


class MemberView(SecuredModelView):
    screen = "members"
    column_list = [
        "kpj",
        "nik",
        "name",
        "birth_date",
        "office",
        "department",
        "income_level",
        "programmes",
        "monthly_contribution",
        "start_date",
    ]
    column_details_list = [
        "kpj",
        "nik",
        "name",
        "birth_date",
        "sex",
        "address",
        "phone",
        "occupation",
        "office",
        "department",
        "batch",
        "income_level",
        "programmes",
        "contribution_jkk",
        "contribution_jkm",
        "contribution_jht",
        "monthly_contribution",
        "start_date",
        "registered_by",
        "active",
    ]
    column_export_list = column_details_list
    column_labels = {
        "kpj": _l("KPJ number"),
        "nik": "NIK",
        "name": _l("Name"),
        "birth_date": _l("Birth date"),
        "sex": _l("Sex"),
        "address": _l("Address"),
        "phone": _l("Phone"),
        "occupation": _l("Occupation"),
        "office": _l("Branch office"),
        "department": _l("Department"),
        "batch": _l("Batch"),
        "income_level": _l("Income level"),
        "programmes": _l("Programmes"),
        "contribution_jkk": _l("JKK contribution"),
        "contribution_jkm": _l("JKM contribution"),
        "contribution_jht": _l("JHT contribution"),
        "monthly_contribution": _l("Monthly contribution"),
        "start_date": _l("Start date"),
        "registered_by": _l("Accepted by"),
        "active": _l("Active"),
    }
    money = (
        "income_level",
        "contribution_jkk",
        "contribution_jkm",
        "contribution_jht",
        "monthly_contribution",
    )
    column_formatters = {name: _rupiah for name in money} | {"sex": _sex}
    column_formatters_detail = column_formatters
    column_formatters_export = {name: (lambda v, c, m, n: str(getattr(m, n))) for name in money} | {
        "sex": lambda v, c, m, n: m.sex
    }
    # Routed by the term (search_condition); never a scan for a substring of every column.
    column_searchable_list = ["kpj", "nik", "name"]
    column_filters = [ScopedChoiceFilter(Member.office_id, _l("Branch office"), Office, str)]
    column_default_sort = ("created_at", True)
    column_sortable_list = ["kpj", "name", "birth_date", "start_date", "monthly_contribution"]

    def get_query(self) -> Any:
        # A department reads with its regency: loaded with the page, not once per department.
        return (
            super()
            .get_query()
            .options(joinedload(Member.department).joinedload(Department.regency))
        )

    word_index = WordIndex(
        member_name_word, key="created_at", id="member_id", pairs=member_name_pair
    )

    def search_condition(self, search: str) -> Any:
        """A number: KPJ or NIK starting with it (exact when complete); words: the name."""
        digits = search_digits(search)
        if digits:
            return or_(starts_with(Member.kpj, digits), starts_with(Member.nik, digits))
        return NameSearch(search)

    def name_text(self) -> Any:
        return Member.name

    details_template = "admin/member_details.html"

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return False

    def details_context(self, model: Member) -> dict[str, Any]:
        today = today_in_jakarta()
        summary = ledger.member_ledger(db.session, model, today)
        form = ContributionForm(formdata=None)
        form.period.data = summary.first_unpaid
        form.paid_on.data = today
        # What the next month costs when the member pays (at the counter), and whole (what a
        # government budget pays).
        standard = ledger.member_contribution(model)
        month = summary.first_unpaid
        discount = ledger.month_discount_on(db.session, month, PaymentChannel.COUNTER, today)
        return {
            "ledger": summary,
            "next_month": month,
            "next_standard": standard,
            "next_paid_by_member": discounted(standard, discount),
            "next_discount": format(discount.normalize(), "f"),
            # The form and the link from the questions the services ask.
            "may_record": authz.may(current_user, "contributions", "create")
            and bool(authz.check(current_user, "record_contribution", model)),
            "contribution_form": form,
            "may_claim": authz.may(current_user, "claims", "create")
            and bool(authz.check(current_user, "register_claim", model)),
            "history": audit.history(db.session, ledger.RECORD_TYPE, model.id),
            # Only a member who chose JHT has a balance (domain.md).
            "jht": ledger.jht_statement(db.session, model.id, today)
            if ledger.has_jht(model)
            else None,
            "jht_notes": _jht_notes,
            "jht_percent": benefit_texts.percent_text,
        }

    @expose("/contribution/", methods=("POST",))
    def record_contribution(self) -> Any:
        if not authz.may(current_user, "contributions", "create"):
            abort(403)
        member = self.get_one(request.args.get("id", ""))
        form = ContributionForm()
        back = url_for(".details_view", id=member.id)
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for error in errors:
                    flash(str(error), "error")
            return redirect(back)
        try:
            with unit_of_work(db.session):
                payments = ledger.record_payment(
                    db.session,
                    current_user,
                    member,
                    period=form.period.data,
                    paid_on=form.paid_on.data,
                    channel=form.channel.data,
                    reference=(form.reference.data or "").strip() or None,
                    months=int(form.months.data),
                    ip=request.remote_addr,
                )
        except Forbidden:
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(back)
        flash(
            gettext(
                "Contribution recorded for %(n)s month(s): %(amount)s.",
                n=len(payments),
                amount=format_rupiah(sum(p.total for p in payments)),
            ),
            "success",
        )
        return redirect(back)
