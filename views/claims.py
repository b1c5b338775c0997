"""Claims: intake by branch clerks, documents, decisions, payment; the claims work queue."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from sqlalchemy import and_, func, select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from backoffice import audit, authz, caching, workflow
from backoffice.authz.claims import LEVELS, next_level
from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError, Forbidden
from backoffice.extensions import db
from backoffice.forms import AppForm, RupiahField
from backoffice.i18n import format_date, format_rupiah, wtforms_translations
from backoffice.labels import choices, label
from backoffice.listing.search import NameSearch, search_digits, starts_with
from backoffice.listing.words import WordIndex
from backoffice.rules import benefits
from backoffice.rules.nik import NIK_LENGTH
from backoffice.rules.personal_data import mask_nik
from backoffice.services import claim_decisions, claim_documents, documents_pdf
from backoffice.services import claims as service
from backoffice.transaction import unit_of_work
from models import (
    Claim,
    ClaimDocument,
    ClaimState,
    ClaimType,
    JhtReason,
    Member,
    Office,
    Relationship,
)
from models.words import claim_name_pair, claim_name_word

from .base import SecuredModelView
from .decisions import DecisionRoute
from .downloads import pdf_download
from .filters import (
    EnumFilter,
    JakartaMonthFilter,
    OverdueFilter,
    ScopedChoiceFilter,
    StartMonthFilter,
)
from .formats import BadgeCount, menu_name_with_badge
from .personal_data import RevealRoute, revealable
from .row_actions import with_allowed_edit

LABELS = {
    "id": _l("No."),
    "claim_type": _l("Type"),
    "member": _l("Member"),
    "office": _l("Branch office"),
    "event_date": _l("Event date"),
    "state": _l("Status"),
    "amount": _l("Amount"),
    "due_date": _l("Due"),
    "submitted_at": _l("Registered"),
    "stage": _l("Step"),
    "approval_level": _l("Approval level"),
}
SCHOOL_LEVEL_LABELS = {
    "tk_sd": _l("TK/SD"),
    "smp": _l("SMP"),
    "sma": _l("SMA/SMK"),
    "pt": _l("University or training"),
}
TRANSPORT_LABELS = {"land": _l("land"), "sea": _l("sea"), "air": _l("air")}
#: A claim number as shown (``JKM-000123``) or typed (``jkm123``, ``123``).
CLAIM_NUMBER = re.compile(r"(?:(JKM|JKK|JHT)-?)?0*(\d{1,9})", re.IGNORECASE)


def _school_choices() -> list[tuple[str, str]]:
    return [("", gettext("(none)"))] + [(k, str(v)) for k, v in SCHOOL_LEVEL_LABELS.items()]


#: Rows of children on the claim form (the scholarship pays at most 2: the others are listed
#: so the breakdown can say why they are not paid).
MAX_CHILD_ROWS = 4


#: Implied by every queue condition; stated as well so that PostgreSQL reads the office's open
#: claims from the partial index ix_claim_open_office_due, in queue order.
_OPEN = Claim.state.in_(
    [ClaimState.SUBMITTED, ClaimState.RETURNED, ClaimState.VERIFIED, ClaimState.APPROVED]
)


class ChildForm(Form):
    """One child of the member: all of name, birth date and school level, or none."""

    class Meta:
        def get_translations(self, form: Form) -> object:
            return wtforms_translations

    child_name = StringField(_l("Child's name"), validators=[Optional(), Length(max=100)])
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    level = SelectField(_l("School level"), choices=_school_choices, validators=[Optional()])
    married = BooleanField(_l("Married"))
    working = BooleanField(_l("Working"))

    def filled(self) -> bool:
        return bool((self.child_name.data or "").strip() or self.birth_date.data or self.level.data)

    def check_complete(self) -> bool:
        if not self.filled():
            return True
        complete = True
        for field, message in (
            (self.child_name, _l("Enter the child's name.")),
            (self.birth_date, _l("Enter the child's birth date.")),
            (self.level, _l("Choose the child's school level.")),
        ):
            if not (field.data.strip() if isinstance(field.data, str) else field.data):
                field.errors = [*field.errors, message]
                complete = False
        if self.birth_date.data and self.birth_date.data > today_in_jakarta():
            self.birth_date.errors = [
                *self.birth_date.errors,
                _l("The birth date cannot be in the future."),
            ]
            complete = False
        return complete

    def record(self) -> benefits.Child:
        return benefits.Child(
            name=(self.child_name.data or "").strip(),
            birth_date=self.birth_date.data,
            level=self.level.data,
            married=bool(self.married.data),
            working=bool(self.working.data),
        )


class ClaimForm(AppForm):
    kpj = StringField(
        _l("Member's KPJ number"),
        validators=[DataRequired(), Regexp(r"^\s*\d{11}\s*$", message=_l("A KPJ has 11 digits."))],
    )
    claim_type = SelectField(_l("Claim type"), choices=lambda: choices(ClaimType))
    event_date = DateField(
        _l("Event date (death, accident, or the JHT reason)"), validators=[DataRequired()]
    )
    jht_reason = SelectField(
        _l("JHT reason"),
        choices=lambda: [("", gettext("(none)"))] + choices(JhtReason),
        validators=[Optional()],
    )
    claimant_name = StringField(_l("Claimant's name"), validators=[DataRequired(), Length(max=100)])
    claimant_nik = StringField(
        _l("Claimant's NIK"),
        # 16 digits, or the masked NIK a correction form shows (kept as it was).
        validators=[
            DataRequired(),
            Regexp(r"^\s*(\d{16}|\d{4}\*{8}\d{4})\s*$", message=_l("A NIK has 16 digits.")),
        ],
    )
    # No default: "the member themself" is wrong for every JKM claim, and a clerk who skips the
    # field would register it so.
    claimant_relationship = SelectField(
        _l("Relationship to the member"),
        choices=lambda: [("", _l("- choose -"))] + choices(Relationship),
        validators=[InputRequired(message=_l("Choose the claimant's relationship to the member."))],
    )
    bank_name = StringField(_l("Bank"), validators=[DataRequired(), Length(max=60)])
    bank_account = StringField(
        _l("Account number"),
        validators=[
            DataRequired(),
            Regexp(r"^\s*[0-9-]{5,30}\s*$", message=_l("Digits (and dashes) only.")),
        ],
    )
    account_holder = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=100)])
    # JKK
    accident_place = StringField(
        _l("Place of the accident"), validators=[Optional(), Length(max=200)]
    )
    on_commute = BooleanField(_l("On the way to or from work"))
    treatment_cost = RupiahField(
        _l("Treatment costs (Rp)"), validators=[Optional()], maximum=10**10
    )
    transport_mode = SelectField(
        _l("Transport"),
        choices=lambda: (
            [("", gettext("(none)"))] + [(k, str(v)) for k, v in TRANSPORT_LABELS.items()]
        ),
        validators=[Optional()],
    )
    transport_cost = RupiahField(_l("Transport costs (Rp)"), validators=[Optional()], maximum=10**9)
    stmb_days = IntegerField(
        _l("Days of temporary disability (STMB)"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )
    disability_percent = DecimalField(
        _l("Permanent disability (%)"), validators=[Optional(), NumberRange(min=0, max=100)]
    )
    death = BooleanField(_l("The member died of the accident"))
    # JKM, JKK death or total permanent disability: the children for the scholarship
    children = FieldList(
        FormField(ChildForm), min_entries=MAX_CHILD_ROWS, max_entries=MAX_CHILD_ROWS
    )

    JKK_FIELDS = (
        "accident_place",
        "on_commute",
        "treatment_cost",
        "transport_mode",
        "transport_cost",
        "stmb_days",
        "disability_percent",
        "death",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        claim_type = self.chosen_type()
        # The fields of another claim type are hidden on the form: ignored, never an error.
        ignored = (
            [self[name] for name in self.JKK_FIELDS] if claim_type is not ClaimType.JKK else []
        )
        if claim_type is not ClaimType.JHT:
            ignored.append(self.jht_reason)
        for ignored_field in ignored:
            ignored_field.errors = []
            ignored_field.data = ignored_field.default
        if claim_type is ClaimType.JHT:
            for entry in self.children:
                for child_field in entry.form:
                    child_field.errors = []
                    child_field.data = child_field.default
        valid = not any(f.errors for f in self if f.name != "children") and not any(
            f.errors for entry in self.children for f in entry.form
        )
        if claim_type is not ClaimType.JHT:
            for entry in self.children:
                valid = entry.form.check_complete() and valid
        return valid

    def chosen_type(self) -> ClaimType | None:
        try:
            return ClaimType(self.claim_type.data)
        except ValueError:
            return None

    def member(self) -> Member | None:
        kpj = (self.kpj.data or "").strip()
        return db.session.scalar(
            authz.scope(current_user, select(Member).where(Member.kpj == kpj), Member)
        )

    def details(self, claim_type: ClaimType) -> dict[str, Any]:
        if claim_type is ClaimType.JKK:
            return {
                "accident_place": (self.accident_place.data or "").strip(),
                "on_commute": bool(self.on_commute.data),
                "treatment_cost": self.treatment_cost.data or 0,
                "transport_mode": self.transport_mode.data or None,
                "transport_cost": self.transport_cost.data or 0,
                "stmb_days": self.stmb_days.data or 0,
                "disability_percent": str(self.disability_percent.data or 0),
                "death": bool(self.death.data),
            }
        return {}

    def child_records(self, claim_type: ClaimType) -> list[benefits.Child]:
        """The rows filled in (a work-accident claim's count on death or total permanent
        disability only: the rule decides)."""
        if claim_type is ClaimType.JHT:
            return []
        return [entry.form.record() for entry in self.children if entry.form.filled()]

    def data_object(self, member: Member) -> service.ClaimData:
        claim_type = ClaimType(self.claim_type.data)
        return service.ClaimData(
            claim_type=claim_type,
            member=member,
            event_date=self.event_date.data,
            claimant_name=self.claimant_name.data or "",
            claimant_nik=(self.claimant_nik.data or "").strip(),
            claimant_relationship=Relationship(self.claimant_relationship.data),
            bank_name=self.bank_name.data or "",
            bank_account=self.bank_account.data or "",
            account_holder=self.account_holder.data or "",
            jht_reason=(
                JhtReason(self.jht_reason.data)
                if self.jht_reason.data and claim_type is ClaimType.JHT
                else None
            ),
            details=self.details(claim_type),
            children=self.child_records(claim_type),
        )

    def fill_from(self, claim: Claim) -> None:
        self.kpj.data = claim.member.kpj
        self.claim_type.data = claim.claim_type.value
        self.event_date.data = claim.event_date
        self.jht_reason.data = claim.jht_reason.value if claim.jht_reason else ""
        self.claimant_name.data = claim.claimant_name
        self.claimant_nik.data = claim.claimant_nik
        self.claimant_relationship.data = claim.claimant_relationship.value
        self.bank_name.data = claim.bank_name
        self.bank_account.data = claim.bank_account
        self.account_holder.data = claim.account_holder
        details = claim.details or {}
        for name in self.JKK_FIELDS:
            if name in details:
                value = details[name]
                self[name].data = Decimal(value) if name == "disability_percent" else value
        for entry, child in zip(self.children, claim.children, strict=False):
            entry.form.child_name.data = child.name
            entry.form.birth_date.data = child.birth_date
            entry.form.level.data = child.school_level
            entry.form.married.data = child.married
            entry.form.working.data = child.working


class DocumentForm(AppForm):
    requirement_id = HiddenField(validators=[InputRequired()])
    file = FileField(_l("File (PDF, JPEG or PNG)"), validators=[FileRequired()])


def _state(view: Any, context: Any, model: Claim, name: str) -> Any:
    return service.STATE_LABELS[model.state]


def _amount(view: Any, context: Any, model: Claim, name: str) -> Any:
    return format_rupiah(model.amount)


def _number(view: Any, context: Any, model: Claim, name: str) -> Any:
    return str(model)


def _due(view: Any, context: Any, model: Claim, name: str) -> Any:
    if model.due_date is None:
        return ""
    text = escape(format_date(model.due_date))
    if claim_decisions.is_overdue(model, today_in_jakarta()):
        return Markup('<span class="overdue">{} &#9888; {}</span>').format(text, gettext("overdue"))
    return text


def _stage(view: Any, context: Any, model: Claim, name: str) -> Any:
    stage = claim_decisions.stage_of(model)
    if model.state is ClaimState.VERIFIED and model.approval_level is not None:
        return f"{stage} ({label(model.approval_level)})"
    return stage


class _ClaimScreen(RevealRoute, SecuredModelView):
    """What the claims list and the work queue share: columns and the details page."""

    details_template = "admin/claim_details.html"
    money_columns = ("amount",)
    column_list = [
        "id",
        "claim_type",
        "member",
        "office",
        "event_date",
        "state",
        "amount",
        "due_date",
        "submitted_at",
    ]
    column_labels = LABELS
    column_formatters = {
        "id": _number,
        "state": _state,
        "amount": _amount,
        "due_date": _due,
        "stage": _stage,
    }
    column_formatters_export = {
        "state": lambda v, c, m, n: str(service.STATE_LABELS[m.state]),
        "id": lambda v, c, m, n: str(m),
    }
    column_export_list = [
        "id",
        "claim_type",
        "member",
        "office",
        "event_date",
        "state",
        "amount",
        "due_date",
    ]
    column_filters = [
        EnumFilter(Claim.state, _l("Status"), ClaimState),
        EnumFilter(Claim.claim_type, _l("Type"), ClaimType),
        ScopedChoiceFilter(Claim.office_id, _l("Branch office"), Office, str),
        # The dashboards' claim figures open the list they count (views/coverage.py).
        JakartaMonthFilter(Claim.submitted_at, _l("Received in (month)")),
        StartMonthFilter(Claim.paid_on, _l("Paid in (month)")),
        OverdueFilter(Claim.due_date, _l("Service target"), _OPEN),
    ]
    column_searchable_list = ["member.kpj", "member.name", "claimant_name"]
    column_sortable_list = ["id", "event_date", "amount", "due_date", "submitted_at"]
    column_default_sort = ("submitted_at", True)
    workflow = claim_decisions.WORKFLOW

    def search_condition(self, search: str) -> Any:
        """Routed by the term: a member's KPJ (11 digits or more, a prefix) or whole NIK (16
        digits: never a prefix of a masked value, UU 27/2022), a claim number (``JKM-000123``
        or ``123``), otherwise words of the claimant's or the member's name (each typed word
        in one or the other)."""
        digits = search_digits(search)
        if digits and len(digits) >= 11:
            if len(digits) == NIK_LENGTH:
                members = select(Member.id).where(Member.nik == digits)
            else:
                members = select(Member.id).where(starts_with(Member.kpj, digits))
            return Claim.member_id.in_(members)
        number = CLAIM_NUMBER.fullmatch(search.replace(" ", ""))
        if number:
            condition = Claim.id == int(number.group(2))
            if number.group(1):
                condition = and_(condition, Claim.claim_type == ClaimType(number.group(1).upper()))
            return condition
        # Words: in the claimant's name or the member's (a claim's names, word by word).
        return NameSearch(search)

    def search_placeholder(self) -> str:
        # Flask-Admin would show the searched columns' names (member.kpj, claimant_name).
        return gettext("KPJ, NIK, claim number or name")

    word_index = WordIndex(
        claim_name_word, key="submitted_at", id="claim_id", pairs=claim_name_pair
    )

    def name_text(self) -> Any:
        member_name = (
            select(Member.name)
            .where(Member.id == Claim.member_id)
            .correlate_except(Member)
            .scalar_subquery()
        )
        return Claim.claimant_name + " " + member_name

    def details_context(self, model: Claim) -> dict[str, Any]:
        # The claimant's NIK masked, "Show" for the office's staff (UU 27/2022).
        return _details_context(self.workflow, model) | {
            "claimant_nik": revealable(self, None, model, "claimant_nik")
        }


class ClaimView(DecisionRoute, _ClaimScreen):
    screen = "claims"
    queue_endpoint = "claim_queue.index_view"

    def get_list_row_actions(self) -> list[Any]:
        return with_allowed_edit(super().get_list_row_actions())

    def document_settings(self) -> claim_documents.DocumentSettings:
        return claim_documents.DocumentSettings.from_config(
            current_app.config, current_app.instance_path
        )

    # --- intake and correction ---------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        if not authz.may(current_user, self.screen, "create"):
            abort(403)
        form = ClaimForm()
        if request.method == "GET" and request.args.get("kpj"):
            form.kpj.data = request.args["kpj"][:20]
        if form.validate_on_submit():
            member = form.member()
            if member is None:
                form.kpj.errors.append(gettext("No member with this KPJ in your office."))
            else:
                try:
                    with unit_of_work(db.session):
                        claim = service.register_claim(
                            db.session,
                            current_user,
                            form.data_object(member),
                            ip=request.remote_addr,
                        )
                except (DomainError, ValueError) as exc:
                    flash(str(getattr(exc, "message", exc)), "error")
                else:
                    flash(
                        gettext(
                            "Claim %(claim)s registered: %(amount)s. Upload its documents.",
                            claim=str(claim),
                            amount=format_rupiah(claim.amount),
                        ),
                        "success",
                    )
                    return redirect(url_for(".details_view", id=claim.id))
        return self.render(
            "admin/claim_form.html", form=form, claim=None, return_url=url_for(".index_view")
        )

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        claim = self.get_one(request.args.get("id", ""))
        if not authz.may(current_user, self.screen, "edit"):
            abort(403)
        back = url_for(".details_view", id=claim.id)
        editing = authz.check(current_user, "edit", claim)
        if not editing:
            # Asked by the service too: the form does not open on a claim it would refuse.
            flash(str(editing.reason), "error")
            if editing.forbidden:
                abort(403)
            return self.render("admin/claim_form.html", form=None, claim=claim, return_url=back)
        form = ClaimForm()
        # The claimant's NIK reads masked here too (UU 27/2022): the masked value sent back
        # keeps the NIK; typing a whole one corrects it. The full one is on the details page.
        masked_nik = mask_nik(claim.claimant_nik)
        if request.method == "GET":
            form.fill_from(claim)
            form.claimant_nik.data = masked_nik
        elif form.validate_on_submit():
            if (form.claimant_nik.data or "").strip() == masked_nik:
                form.claimant_nik.data = claim.claimant_nik
            member = form.member()
            if member is None:
                form.kpj.errors.append(gettext("No member with this KPJ in your office."))
            else:
                try:
                    with unit_of_work(db.session):
                        service.update_claim(
                            db.session,
                            current_user,
                            claim,
                            form.data_object(member),
                            ip=request.remote_addr,
                        )
                except (DomainError, ValueError) as exc:
                    flash(str(getattr(exc, "message", exc)), "error")
                else:
                    flash(gettext("The claim was saved."), "success")
                    return redirect(back)
        if form.claimant_nik.data == claim.claimant_nik:
            form.claimant_nik.data = masked_nik
        return self.render("admin/claim_form.html", form=form, claim=claim, return_url=back)

    # --- documents ---------------------------------------------------------------------------
    @expose("/document/upload/", methods=("POST",))
    def upload_document(self) -> Any:
        if not authz.may(current_user, self.screen, "edit"):
            abort(403)
        claim = self.get_one(request.args.get("id", ""))
        form = DocumentForm()
        back = url_for(".details_view", id=claim.id)
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for error in errors:
                    flash(str(error), "error")
            return redirect(back)
        upload = form.file.data
        try:
            with unit_of_work(db.session):
                claim_documents.upload_document(
                    db.session,
                    current_user,
                    claim,
                    int(form.requirement_id.data) if form.requirement_id.data.isdigit() else -1,
                    upload.read(),
                    upload.filename or "",
                    settings=self.document_settings(),
                    ip=request.remote_addr,
                )
        except Forbidden:
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(gettext("The document was uploaded."), "success")
        return redirect(back)

    @expose("/documents/upload/", methods=("POST",))
    def upload_documents(self) -> Any:
        """Several documents in one step (``<input multiple>``): each file for the checklist
        item chosen beside it (``requirement-<n>``, the n-th file), or the item its name names;
        a file matched to none refuses the upload, named. All stored or none."""
        if not authz.may(current_user, self.screen, "edit"):
            abort(403)
        claim = self.get_one(request.args.get("id", ""))
        back = url_for(".details_view", id=claim.id)
        requirements = claim_documents.requirements_for(db.session, claim)
        uploads = []
        for index, upload in enumerate(request.files.getlist("files")):
            if not upload.filename:
                continue
            chosen = request.form.get(f"requirement-{index}", "")
            if chosen.isdigit():
                requirement_id: int | None = int(chosen)
            else:
                found = claim_documents.match_requirement(requirements, upload.filename)
                requirement_id = found.id if found is not None else None
            uploads.append(
                claim_documents.Upload(requirement_id, upload.read(), upload.filename or "")
            )
        try:
            with unit_of_work(db.session):
                stored = claim_documents.upload_documents(
                    db.session,
                    current_user,
                    claim,
                    uploads,
                    settings=self.document_settings(),
                    ip=request.remote_addr,
                )
                names = str(
                    claim_documents.DocumentNames.of(
                        [claim_documents.ChecklistItem(d.requirement, d) for d in stored]
                    )
                )
        except Forbidden:
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(
                ngettext(
                    "%(num)d document was uploaded: %(names)s.",
                    "%(num)d documents were uploaded: %(names)s.",
                    len(stored),
                    names=names,
                ),
                "success",
            )
        return redirect(back)

    @expose("/document/check/", methods=("POST",))
    def check_document(self) -> Any:
        """The documents ticked (one or several ``document_id``) marked as checked at once."""
        if not authz.may(current_user, self.screen, "edit"):
            abort(403)
        ids = request.form.getlist("document_id")
        claim_id = request.form.get("claim_id", "")
        if not ids:
            if not claim_id.isdigit():
                abort(404)
            claim = self.get_one(claim_id)
            flash(gettext("Tick the documents you checked."), "error")
            return redirect(url_for(".details_view", id=claim.id))
        documents = [self._document(raw) for raw in ids]
        claim = documents[0].claim
        try:
            with unit_of_work(db.session):
                checked = claim_documents.check_documents(
                    db.session, current_user, claim, documents, ip=request.remote_addr
                )
        except Forbidden:
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            if len(documents) == 1:
                flash(gettext("The document is marked as checked."), "success")
            else:
                flash(
                    ngettext(
                        "%(num)d document is marked as checked.",
                        "%(num)d documents are marked as checked.",
                        len(checked),
                    ),
                    "success",
                )
        return redirect(url_for(".details_view", id=claim.id))

    @expose("/payment-letter/")
    def payment_letter(self) -> Any:
        """The payment letter of a paid claim as PDF ("Unduh surat pembayaran"), scoped like
        the details page; a claim not paid has none (said on its page)."""
        return self._printed(documents_pdf.payment_letter)

    @expose("/documents/receipt/")
    def documents_receipt(self) -> Any:
        """The receipt of the documents received, as PDF (``Tanda terima dokumen``), for the
        claimant at the counter; scoped like the details page."""
        return self._printed(documents_pdf.documents_receipt)

    def _printed(self, make: Any) -> Any:
        """A claim's printed document made by ``make`` (a ``documents_pdf`` function), audited in
        its transaction; what the service refuses (a claim not paid) is said on the claim's page."""
        if not documents_pdf.may_print(current_user):
            abort(403)
        claim = self.get_one(request.args.get("id", ""))
        try:
            with unit_of_work(db.session):
                document = make(db.session, current_user, claim, ip=request.remote_addr)
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for(".details_view", id=claim.id))
        return pdf_download(document)

    @expose("/document/")
    def document(self) -> Any:
        """A document's file: a download, or with ``inline=1`` shown in the viewer page (an
        image in an ``<img>``, a PDF in a frame of this site only). Its type is the one its
        content was sniffed as on upload (PDF, JPEG or PNG only: never HTML or script); it
        loads nothing and runs nothing of this origin (``default-src 'none'``)."""
        document = self._document(request.args.get("id", ""))
        path = self.document_settings().path_of(document)
        if not path.is_file():
            abort(404)
        response = Response(path.read_bytes(), mimetype=document.content_type)
        name = _ascii_name(document.filename, document.storage_name)
        if request.args.get("inline") == "1":
            response.headers["Content-Disposition"] = f'inline; filename="{name}"'
            # Framed by the viewer page only. Chromium's PDF viewer refuses a sandboxed
            # document: an image is sandboxed, a PDF is not (it runs nothing of this origin).
            policy = "default-src 'none'; frame-ancestors 'self'"
            if document.content_type != "application/pdf":
                policy += "; sandbox"
            response.headers["Content-Security-Policy"] = policy
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        else:
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
            response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/document/view/")
    def view_document(self) -> Any:
        """A document shown in the page: an image as an image, a PDF in a frame."""
        document = self._document(request.args.get("id", ""))
        claim = document.claim
        return self.render(
            "admin/claim_document.html",
            claim=claim,
            document=document,
            requirement=document.requirement.label(str(get_locale() or "id")),
            return_url=url_for(".details_view", id=claim.id),
        )

    def _document(self, raw_id: str) -> ClaimDocument:
        if not raw_id.isdigit():
            abort(404)
        document = db.session.scalar(
            authz.scope(
                current_user,
                select(ClaimDocument).where(ClaimDocument.id == int(raw_id)),
                ClaimDocument,
            )
        )
        if document is None:
            abort(404)
        return document

    # --- decisions ---------------------------------------------------------------------------
    def take_decision(self, item_id: int | None, action: str) -> Any:
        paid_on = None
        if request.form.get("paid_on"):
            try:
                paid_on = date.fromisoformat(request.form["paid_on"])
            except ValueError:
                paid_on = None
        with unit_of_work(db.session):
            return claim_decisions.decide(
                db.session,
                current_user,
                item_id,
                action,
                comment=request.form.get("comment"),
                expected_version=request.form.get("version", type=int),
                payment_reference=request.form.get("payment_reference"),
                paid_on=paid_on,
                ip=request.remote_addr,
            )

    def decision_message(self, claim: Claim, action: str) -> str:
        return _decision_message(claim, action)

    def still_in_queue(self, claim: Claim) -> bool:
        return _still_mine(claim)


def _details_context(wf: Any, claim: Claim) -> dict[str, Any]:
    lines, notes = service.shown_breakdown(claim)
    schedule = service.shown_schedule(claim)
    cover = service.member_coverage(db.session, claim.member, claim.event_date)
    # The buttons, and the reasons of what the user would expect to do but may not, from the
    # question ``decide`` asks.
    options = claim_decisions.options(db.session, current_user, claim)
    screen = authz.may(current_user, "claims", "edit")
    history = audit.history(db.session, wf.name, claim.id)
    checklist = claim_documents.checklist(db.session, claim)
    locale = str(get_locale() or "id")
    return {
        "claim": claim,
        "state_label": service.STATE_LABELS[claim.state],
        "stage": _stage(None, None, claim, "stage"),
        "lines": lines,
        "notes": notes,
        "coverage": cover,
        "checklist": checklist,
        "editable": screen and bool(authz.check(current_user, "edit", claim)),
        "documents_editable": screen and bool(authz.check(current_user, "change_documents", claim)),
        "document_form": DocumentForm(formdata=None),
        "transitions": [o.transition for o in options if o.decision],
        "button_labels": _button_labels(claim),
        "refusals": workflow.told(options),
        "history": history,
        "history_names": _document_events(history, checklist, locale),
        "decide_url": url_for("claim.decide"),
        "locale": locale,
        "school_levels": SCHOOL_LEVEL_LABELS,
        "schedule": schedule,
        "schedule_total": sum(year["amount"] for year in schedule),
        "schedule_now": sum(year["amount"] for year in schedule if year["paid_now"]),
        "transport_labels": TRANSPORT_LABELS,
        "overdue": claim_decisions.is_overdue(claim, today_in_jakarta()),
        "today": today_in_jakarta(),
        "may_print_letter": claim.state is ClaimState.PAID
        and documents_pdf.may_print(current_user),
        "may_print_receipt": documents_pdf.may_print(current_user)
        and any(item.document is not None for item in checklist),
    }


#: A document's events in a claim's history, the document named.
DOCUMENT_EVENTS = {
    "document_upload": _l("document %(name)s uploaded"),
    "document_check": _l("document %(name)s checked"),
}


def _document_events(history: list[Any], checklist: list[Any], locale: str) -> dict[int, str]:
    """The history's document events named by their document ("dokumen Surat keterangan
    kematian diunggah"), by event id: the checklist's names, or the stored code of a document
    no longer on it."""
    names = {item.requirement.code: item.requirement.label(locale) for item in checklist}
    named = {}
    for event in history:
        text = DOCUMENT_EVENTS.get(event.action)
        code = _details(event).get("document") if text is not None else None
        if code:
            named[event.id] = str(text) % {"name": names.get(code, code)}
    return named


def _details(event: Any) -> dict[str, Any]:
    """An audit event's details (stored as JSON text)."""
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _button_labels(claim: Claim) -> dict[str, str]:
    """Buttons that say what they do to this claim: above the user's limit, "approve" is
    "Send to the Kepala Kantor Cabang" (the next level named)."""
    following = next_level(current_user.role) if current_user.role in LEVELS else None
    if following is None:
        return {}
    return {"escalate": gettext("Send to the %(level)s", level=label(following))}


def _ascii_name(filename: str, fallback: str) -> str:
    safe = "".join(ch for ch in filename if ch.isascii() and (ch.isalnum() or ch in "._- "))
    return safe.strip() or fallback


def _still_mine(claim: Claim) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.id == claim.id, claim_decisions.queue_condition(current_user))
        )
    )


def _decision_message(claim: Claim, action: str) -> str:
    # An approval that leaves the claim verified sent it on to the next level (escalate).
    if action in ("approve", "escalate") and claim.state is ClaimState.VERIFIED:
        return gettext(
            "Claim %(claim)s (%(amount)s) is above your approval limit and was sent to the %(level)s.",
            claim=str(claim),
            amount=format_rupiah(claim.amount),
            level=label(claim.approval_level),
        )
    return gettext(
        "Claim %(claim)s is now %(state)s.",
        claim=str(claim),
        state=service.STATE_LABELS[claim.state],
    )


class ClaimQueueView(_ClaimScreen):
    """The claims waiting for the current user, the most urgent first."""

    screen = "claim_queue"
    column_list = [
        "id",
        "stage",
        "claim_type",
        "member",
        "amount",
        "due_date",
        "submitted_at",
    ]
    column_filters = [EnumFilter(Claim.claim_type, _l("Type"), ClaimType)]
    column_sortable_list = ["id", "amount", "due_date", "submitted_at"]
    column_default_sort = None
    can_create = False

    def get_query(self) -> Any:
        query = super().get_query().filter(claim_decisions.queue_condition(current_user), _OPEN)
        if request.args.get("sort") is None:
            # The most urgent first: the earliest due date, claims without one after, oldest
            # first (the order of the partial index ix_claim_open_office_due).
            query = query.order_by(Claim.due_date.asc().nulls_last(), Claim.submitted_at, Claim.id)
        return query

    def get_count_query(self) -> Any:
        return (
            super().get_count_query().filter(claim_decisions.queue_condition(current_user), _OPEN)
        )


@caching.per_user("claims-waiting")
def waiting_claims() -> int:
    """Claims waiting for the current user (menu badge, on every page): counting stops at
    100 and the badge reads "99+" (a large office's queue is not counted on each page)."""
    if not authz.may(current_user, "claim_queue"):
        return 0
    waiting = (
        select(Claim.id)
        .where(
            claim_decisions.queue_condition(current_user),
            _OPEN,
            authz.row_condition(current_user, Claim),
        )
        # In the order of the open-claims partial index: the scan stops at the 100th claim.
        # Unordered, the planner ORs two bitmaps, which read every open claim of the office
        # before the limit applies (tens of thousands in a large office, on every page).
        .order_by(Claim.office_id, Claim.due_date, Claim.submitted_at, Claim.id)
        .limit(BadgeCount.LIMIT + 1)
    )
    return BadgeCount(db.session.scalar(select(func.count()).select_from(waiting.subquery())) or 0)


def queue_menu_name() -> Markup:
    return menu_name_with_badge(gettext("Claims to handle"), waiting_claims(), "claim-count")
