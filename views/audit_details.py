"""An audit event's details as a reader sees them: a table of fields in their language, the
changes of a record as field / before / after, never the stored JSON (issue #18)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from backoffice.i18n import format_date, format_rupiah
from backoffice.labels import role_label, state_label

#: The keys the services write in an event's details, in the reader's language.
DETAIL_LABELS = {
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "email": _l("Email"),
    "role": _l("Role"),
    "region": _l("Region"),
    "office": _l("Office"),
    "department": _l("Department"),
    "active": _l("Active"),
    "locale": _l("Language"),
    "must_change_password": _l("Must change the password"),
    "changes": _l("Changes"),
    "fields": _l("Fields"),
    "field": _l("Field"),
    "via": _l("Through"),
    "amount": _l("Amount"),
    "total": _l("Total"),
    "rows": _l("Rows"),
    "kpj": _l("KPJ"),
    "claim": _l("Claim"),
    "claim_id": _l("Claim"),
    "member_id": _l("Member"),
    "months": _l("Months"),
    "first_period": _l("First month"),
    "last_period": _l("Last month"),
    "paid_on": _l("Payment date"),
    "reference": _l("Reference"),
    "channel": _l("Channel"),
    "credit": _l("Credit"),
    "filename": _l("File name"),
    "checksum": _l("Checksum (SHA-256)"),
    "bytes": _l("Size (bytes)"),
    "by": _l("By"),
    "retry_after_seconds": _l("Retry after (seconds)"),
    "protection_ended": _l("Protection ended"),
    "window_ends": _l("Arrears payable until"),
    "contribution": _l("Contribution"),
    "accident_place": _l("Accident place"),
    "transport_mode": _l("Transport mode"),
    "transport_cost": _l("Transport costs"),
    "treatment_cost": _l("Treatment costs"),
    "stmb_days": _l("Days of temporary disability"),
    "on_commute": _l("On the way to or from work"),
    "disability_percent": _l("Permanent disability (%)"),
    "death": _l("Death"),
    "search": _l("Search"),
    "filters": _l("Filters"),
    "columns": _l("Columns"),
    "masked": _l("Masked"),
    "list": _l("List"),
    "count": _l("Number"),
    "record": _l("Record"),
    "state": _l("State"),
    "reason": _l("Reason"),
    "name": _l("Name"),
    "code": _l("Code"),
    "value": _l("Value"),
    "key": _l("Parameter"),
    "note": _l("Note"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "percent": _l("Percent"),
    "flat_amount": _l("Flat amount"),
    "programme": _l("Programme"),
    "year": _l("Year"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
}
_AMOUNT_KEYS = {"amount", "total", "transport_cost", "treatment_cost", "credit", "flat_amount"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
#: Which screen's field labels name the fields of a record type's changes.
_SCREENS = {"member_batch": "batch", "office_proposal": "proposal"}


def field_label(record_type: str | None, key: str) -> str:
    """A field's name in the reader's language: this module's list, then the labels of the
    record's own screen, else the key with spaces (a field no screen names)."""
    if key in DETAIL_LABELS:
        return str(DETAIL_LABELS[key])
    endpoint = _SCREENS.get(record_type or "", record_type)
    admin = current_app.extensions.get("admin", [None])[0]
    for view in getattr(admin, "_views", []):
        if getattr(view, "endpoint", None) == endpoint:
            labels = getattr(view, "column_labels", None) or {}
            if key in labels:
                return str(labels[key])
    return key.replace("_", " ")


def value_text(key: str, value: Any) -> str:
    """A stored value as text: amounts in Rupiah, days as dd/mm/yyyy, yes/no, states and roles
    by their labels; lists joined."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if key in _AMOUNT_KEYS and isinstance(value, int | float):
        return format_rupiah(value)
    if isinstance(value, str) and _ISO_DAY.match(value):
        return format_date(date.fromisoformat(value))
    if key == "role" and isinstance(value, str):
        return role_label(value)
    if key == "state" and isinstance(value, str):
        return state_label(value)
    if isinstance(value, list):
        return ", ".join(value_text(key, v) for v in value)
    if isinstance(value, str) and _CODE.match(value):
        return state_label(value)
    return str(value)


def _cell(record_type: str | None, key: str, value: Any) -> Markup:
    if isinstance(value, dict):
        return details_table(record_type, value)
    return escape(value_text(key, value))


def changes_table(record_type: str | None, changes: dict[str, Any]) -> Markup:
    rows = []
    for name, change in changes.items():
        if isinstance(change, dict) and set(change) >= {"old", "new"}:
            old, new = change["old"], change["new"]
        elif isinstance(change, list | tuple) and len(change) == 2:
            old, new = change
        else:
            old, new = None, change
        rows.append(
            Markup("<tr><th>{}</th><td>{}</td><td>{}</td></tr>").format(
                field_label(record_type, name), value_text(name, old), value_text(name, new)
            )
        )
    head = Markup(
        '<table class="table table-sm table-bordered audit-changes"><thead><tr>'
        "<th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"
    ).format(gettext("Field"), gettext("Before"), gettext("After"))
    return head + Markup("").join(rows) + Markup("</tbody></table>")


def details_table(record_type: str | None, details: dict[str, Any]) -> Markup:
    rows = []
    for key, value in details.items():
        if key == "changes" and isinstance(value, dict):
            cell = changes_table(record_type, value)
        else:
            cell = _cell(record_type, key, value)
        rows.append(
            Markup("<tr><th>{}</th><td>{}</td></tr>").format(field_label(record_type, key), cell)
        )
    return (
        Markup('<table class="table table-sm table-bordered audit-details"><tbody>')
        + Markup("").join(rows)
        + Markup("</tbody></table>")
    )


def render(record_type: str | None, stored: str | None) -> Markup | str:
    """The details column of an event: a table, or the text when it is not a JSON object."""
    if not stored:
        return ""
    try:
        details = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(details, dict):
        return value_text("", details)
    return details_table(record_type, details)
