"""Registered members (read-only here: they are created by accepting batch rows)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import DateField, MonthField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from backoffice import audit, authz, benefit_texts
from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError, Forbidden
from backoffice.extensions import db
from backoffice.forms import AppForm
from backoffice.i18n import format_rupiah
from backoffice.labels import STATUS_REASONS, choices, sex_label
from backoffice.listing.search import NameSearch, search_digits, starts_with
from backoffice.listing.words import WordIndex
from backoffice.rules.contributions import discounted
from backoffice.rules.nik import NIK_LENGTH
from backoffice.services import documents_pdf, ledger, lifecycle, reference
from backoffice.transaction import unit_of_work
from models import (
    Department,
    KemendagriRegency,
    Member,
    MemberStatus,
    Office,
    PaymentChannel,
    Sector,
)
from models.words import member_name_pair, member_name_word

from .base import SecuredModelView
from .corrections import may_propose, propose_view
from .downloads import pdf_download
from .filters import EnumFilter, ReferenceChoiceFilter, ScopedChoiceFilter, StartMonthFilter
from .formats import masked
from .personal_data import RevealRoute, revealable


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
    return sex_label(model.sex)


#: The badge colour of each status (Bootstrap 4).
STATUS_BADGES = {
    MemberStatus.REGISTERED: "secondary",
    MemberStatus.ACTIVE: "success",
    MemberStatus.LAPSED: "warning",
    MemberStatus.ENDED: "danger",
    MemberStatus.DECEASED: "dark",
    MemberStatus.EXITED: "info",
}


def status_badge(status: MemberStatus) -> Markup:
    return Markup('<span class="badge badge-{}">{}</span>').format(
        STATUS_BADGES[status], lifecycle.status_label(status)
    )


def _status(view: Any, context: Any, model: Member, name: str) -> Any:
    return status_badge(model.status)


def _sector(view: Any, context: Any, model: Member, name: str) -> str:
    return model.sector_ref.label(str(get_locale() or "id"))


def _sector_options() -> list[tuple[str, str]]:
    locale = str(get_locale() or "id")
    rows = db.session.scalars(select(Sector).order_by(Sector.sort_order, Sector.code))
    return [(row.code, row.label(locale)) for row in rows]


def _domicile_options() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(KemendagriRegency).order_by(KemendagriRegency.province_code, KemendagriRegency.name)
    )
    return [(row.code, f"{row.name} ({row.province_name})") for row in rows]


class MemberView(RevealRoute, SecuredModelView):
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
        "status",
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
        "sector",
        "domicile_regency",
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
        "status",
        "status_since",
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
        "sector": _l("Sector"),
        "domicile_regency": _l("Domicile (regency/city)"),
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
        "status": _l("Membership status"),
        "status_since": _l("Status since"),
    }
    money = (
        "income_level",
        "contribution_jkk",
        "contribution_jkm",
        "contribution_jht",
        "monthly_contribution",
    )
    money_columns = money
    # Personal data (UU 27/2022): masked in the list, its searches and exports; on the details
    # page masked with "Show" for those who need it (``authz.may_reveal``).
    personal_columns = ("nik", "address", "phone")
    column_formatters = {name: _rupiah for name in money} | {
        "sex": _sex,
        "nik": masked,
        "status": _status,
        "sector": _sector,
    }
    column_formatters_detail = column_formatters | {name: revealable for name in personal_columns}
    column_formatters_export = (
        {name: (lambda v, c, m, n: str(getattr(m, n))) for name in money}
        | {
            "sex": lambda v, c, m, n: m.sex,
            "status": lambda v, c, m, n: str(lifecycle.status_label(m.status)),
            "sector": lambda v, c, m, n: m.sector,
            "domicile_regency": lambda v, c, m, n: m.domicile_regency_code or "",
        }
        | {name: masked for name in personal_columns}
    )
    # Routed by the term (search_condition); never a scan for a substring of every column.
    column_searchable_list = ["kpj", "nik", "name"]
    column_filters = [
        ScopedChoiceFilter(Member.office_id, _l("Branch office"), Office, str),
        EnumFilter(Member.status, _l("Membership status"), MemberStatus),
        ReferenceChoiceFilter(Member.sector, _l("Sector"), lambda: _sector_options()),
        ReferenceChoiceFilter(
            Member.domicile_regency_code,
            _l("Domicile (regency/city)"),
            lambda: _domicile_options(),
        ),
        # The dashboards' figures open the list they count (views/coverage.py).
        ScopedChoiceFilter(
            Member.department_id,
            _l("Department"),
            Department,
            str,
            load=(joinedload(Department.regency),),
        ),
        StartMonthFilter(Member.start_date, _l("Registered in (month)")),
    ]
    column_default_sort = ("created_at", True)
    column_sortable_list = ["kpj", "name", "birth_date", "start_date", "monthly_contribution"]

    def get_query(self) -> Any:
        # A department reads with its regency: loaded with the page, not once per department.
        return (
            super()
            .get_query()
            .options(
                joinedload(Member.department).joinedload(Department.regency),
                joinedload(Member.sector_ref),
                joinedload(Member.domicile_regency),
            )
        )

    word_index = WordIndex(
        member_name_word, key="created_at", id="member_id", pairs=member_name_pair
    )

    def search_condition(self, search: str) -> Any:
        """A number: a KPJ starting with it, or the whole NIK (16 digits); words: the name.

        A NIK is found only whole: the list shows it masked (UU 27/2022), and a search by its
        prefix would tell its hidden digits one by one."""
        digits = search_digits(search)
        if digits:
            if len(digits) == NIK_LENGTH:
                return Member.nik == digits
            return starts_with(Member.kpj, digits)
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
        month = summary.first_unpaid
        # The month's own amount: a corrected contribution applies from a month on.
        standard = ledger.owed_contribution(db.session, model, month)
        discount = ledger.month_discount_on(db.session, month, PaymentChannel.COUNTER, model.sector)
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
            "may_correct": may_propose(model),
            "may_print": documents_pdf.may_print(current_user),
            "history": audit.history(db.session, ledger.RECORD_TYPE, model.id),
            "status_badge": status_badge(model.status),
            "status_timeline": lifecycle.timeline(db.session, model),
            "status_label": lifecycle.status_label,
            "status_reason": lambda code: STATUS_REASONS.get(code, code),
            "refunds": lifecycle.refunds(db.session, model),
            # Only a member who chose JHT has a balance (domain.md).
            "jht": ledger.jht_statement(db.session, model.id, today)
            if ledger.has_jht(model)
            else None,
            "jht_notes": _jht_notes,
            "jht_percent": benefit_texts.percent_text,
        }

    @expose("/correction/", methods=("GET", "POST"))
    def propose_correction(self) -> Any:
        """The clerk's "Propose a correction" form (views/corrections.py)."""
        if not authz.MEMBERS.may_take(current_user, "propose_correction"):
            abort(403)
        return propose_view(self, self.get_one(request.args.get("id", "")))

    @expose("/card/")
    def member_card(self) -> Any:
        """The member's card as PDF ("Cetak kartu peserta"), scoped like the details page."""
        if not documents_pdf.may_print(current_user):
            abort(403)
        member = self.get_one(request.args.get("id", ""))
        with unit_of_work(db.session):
            document = documents_pdf.member_card(
                db.session, current_user, member, ip=request.remote_addr
            )
        return pdf_download(document)

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
                amount=format_rupiah(sum(p.paid for p in payments)),
            ),
            "success",
        )
        return redirect(back)
