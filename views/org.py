"""Reference data of the organisation: regions, regencies, offices, departments."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import org as org_service
from models import Department, Office, OfficeType, Regency, Region, Sector

from .base import SecuredModelView
from .filters import EnumFilter

COMMON_LABELS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "region": _l("Region"),
    "regency": _l("Regency/city"),
    "office": _l("Office"),
    "office_type": _l("Type"),
    "parent": _l("Parent office (KC)"),
    "address": _l("Address"),
    "opened_on": _l("Opening date"),
    "active": _l("Active"),
    "created_at": _l("Created"),
    "contact_email": _l("Contact e-mail"),
    "staff_count": _l("Staff"),
    "sector": _l("Sector"),
    "region.name": _l("Region"),
    "regency.name": _l("Regency/city"),
    "office.name": _l("Office"),
}


class RegionView(SecuredModelView):
    screen = "regions"
    audit_record_type = "region"
    column_list = ["code", "name"]
    column_searchable_list = ["code", "name"]
    column_default_sort = "code"
    column_labels = COMMON_LABELS
    form_columns = ["code", "name"]

    def audit_scope(self, model: Region) -> dict[str, int | None]:
        return {"region_id": model.id}


class RegencyView(SecuredModelView):
    screen = "regencies"
    audit_record_type = "regency"
    column_list = ["code", "name", "region"]
    column_searchable_list = ["code", "name"]
    column_default_sort = "code"
    column_labels = COMMON_LABELS
    form_columns = ["code", "name", "region"]

    def audit_scope(self, model: Regency) -> dict[str, int | None]:
        return {"region_id": model.region_id}


class OfficeView(SecuredModelView):
    screen = "offices"
    audit_record_type = "office"
    column_list = ["code", "name", "office_type", "parent", "region", "regency", "active"]
    column_details_list = [
        "code",
        "name",
        "office_type",
        "parent",
        "region",
        "regency",
        "address",
        "opened_on",
        "active",
        "created_at",
    ]
    column_searchable_list = ["code", "name"]
    column_filters = [
        EnumFilter(Office.office_type, _l("Type"), OfficeType),
        "active",
        "region.name",
    ]
    column_default_sort = "code"
    column_labels = COMMON_LABELS
    form_columns = [
        "code",
        "name",
        "office_type",
        "region",
        "parent",
        "regency",
        "address",
        "opened_on",
        "active",
    ]

    def audit_scope(self, model: Office) -> dict[str, int | None]:
        return {"region_id": model.region_id, "office_id": model.id}

    def validate_form(self, form: Any) -> bool:
        if not super().validate_form(form):
            return False
        if not hasattr(form, "office_type"):
            return True  # delete/action forms
        problems = org_service.office_problems(
            office_type=OfficeType(form.office_type.data) if form.office_type.data else None,
            region=form.region.data,
            parent=form.parent.data,
        )
        for field, message in problems.items():
            form[field].errors = [*form[field].errors, str(message)]
        return not problems


def sector_choices() -> list[tuple[str, str]]:
    """The sectors, in their order, in the user's language."""
    locale = str(get_locale() or "id")
    rows = db.session.scalars(select(Sector).order_by(Sector.sort_order, Sector.code))
    return [(row.code, row.label(locale)) for row in rows]


class DepartmentView(SecuredModelView):
    screen = "departments"
    audit_record_type = "department"
    column_list = ["name", "regency", "office", "sector"]
    column_searchable_list = ["name"]
    column_filters = ["regency.name", "office.name"]
    column_default_sort = "name"
    column_labels = COMMON_LABELS
    form_columns = ["name", "regency", "office", "sector", "contact_email", "staff_count"]
    # The sector the regent gives the department: its members' sector when their occupation
    # names none (a choice of the sector list; checked again on saving).
    form_overrides = {"sector": SelectField}
    form_args = {
        "sector": {
            "choices": lambda: [("", gettext("(none)")), *sector_choices()],
            "validate_choice": False,
        }
    }

    def on_model_change(self, form: Any, model: Department, is_created: bool) -> None:
        model.sector = model.sector or None
        if model.sector is not None and model.sector not in dict(sector_choices()):
            raise DomainError(_l("Choose a sector of the list."))
        super().on_model_change(form, model, is_created)

    def audit_scope(self, model: Department) -> dict[str, int | None]:
        return {
            "region_id": model.office.region_id if model.office else None,
            "office_id": model.office_id,
            "department_id": model.id,
        }
