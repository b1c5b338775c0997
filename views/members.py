"""Registered members (read-only here: they are created by accepting batch rows)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from backoffice.i18n import format_rupiah
from models import Member

from .base import SecuredModelView


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
    # Exact KPJ/NIK or the start of a name; never a scan for a substring of every column.
    column_searchable_list = ["kpj", "nik", "name"]
    column_default_sort = ("created_at", True)
    column_sortable_list = ["kpj", "name", "birth_date", "start_date", "monthly_contribution"]

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return False
