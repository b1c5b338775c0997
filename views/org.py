"""Reference data of the organisation: regions, regencies, offices, departments."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from backoffice.services import org as org_service
from models import Office, OfficeType

from .base import EnumFilter, SecuredModelView

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
    "region.name": _l("Region"),
    "regency.name": _l("Regency/city"),
    "office.name": _l("Office"),
}


class RegionView(SecuredModelView):
    screen = "regions"
    column_list = ["code", "name"]
    column_searchable_list = ["code", "name"]
    column_default_sort = "code"
    column_labels = COMMON_LABELS
    form_columns = ["code", "name"]


class RegencyView(SecuredModelView):
    screen = "regencies"
    column_list = ["code", "name", "region"]
    column_searchable_list = ["code", "name"]
    column_default_sort = "code"
    column_labels = COMMON_LABELS
    form_columns = ["code", "name", "region"]


class OfficeView(SecuredModelView):
    screen = "offices"
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


class DepartmentView(SecuredModelView):
    screen = "departments"
    column_list = ["name", "regency", "office"]
    column_searchable_list = ["name"]
    column_filters = ["regency.name", "office.name"]
    column_default_sort = "name"
    column_labels = COMMON_LABELS
    form_columns = ["name", "regency", "office", "contact_email", "staff_count"]
