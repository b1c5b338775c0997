"""The audit trail, read only: scoped, filterable, exportable."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from backoffice.labels import action_label, state_label

from .base import SecuredModelView

RECORD_TYPES = {
    "office_proposal": _l("Office proposal"),
    "user": _l("User"),
}


def _action(view: Any, context: Any, model: Any, name: str) -> str:
    return action_label(model.action)


def _state(view: Any, context: Any, model: Any, name: str) -> str:
    return state_label(getattr(model, name))


def _record_type(view: Any, context: Any, model: Any, name: str) -> str:
    return str(RECORD_TYPES.get(model.record_type, model.record_type))


class AuditView(SecuredModelView):
    screen = "audit"
    can_view_details = True
    column_list = [
        "id",
        "occurred_at",
        "actor_username",
        "actor_role",
        "record_type",
        "record_id",
        "action",
        "from_state",
        "to_state",
        "comment",
    ]
    column_details_list = [*column_list, "ip", "details", "prev_hash", "hash"]
    column_export_list = [*column_list, "ip", "hash"]
    column_default_sort = ("id", True)
    column_filters = ["occurred_at", "actor_username", "record_type", "record_id", "action"]
    column_searchable_list = ["actor_username", "comment"]
    column_formatters = {
        "action": _action,
        "from_state": _state,
        "to_state": _state,
        "record_type": _record_type,
    }
    column_formatters_detail = column_formatters
    column_formatters_export = {
        "action": lambda v, c, m, n: action_label(m.action),
        "from_state": lambda v, c, m, n: state_label(m.from_state),
        "to_state": lambda v, c, m, n: state_label(m.to_state),
    }
    column_labels = {
        "id": _l("No."),
        "occurred_at": _l("When"),
        "actor_username": _l("Who"),
        "actor_role": _l("Role"),
        "record_type": _l("Record"),
        "record_id": _l("Record no."),
        "action": _l("Action"),
        "from_state": _l("From"),
        "to_state": _l("To"),
        "comment": _l("Note"),
        "ip": _l("IP address"),
        "details": _l("Details"),
        "prev_hash": _l("Previous hash"),
        "hash": _l("Hash"),
    }
