"""Human labels for enum values, in the user's language."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from models import OfficeType, Role

LABELS: dict[enum.Enum, object] = {
    Role.ADMIN: _l("Administrator"),
    Role.REGIONAL_HEAD: _l("Regional head"),
    Role.BRANCH_HEAD: _l("Branch head"),
    Role.BRANCH_CLERK: _l("Branch clerk"),
    Role.LIAISON: _l("Department liaison"),
    Role.AUDITOR: _l("Auditor"),
    OfficeType.KC: _l("Branch office (KC)"),
    OfficeType.KCP: _l("Pioneer branch office (KCP)"),
}


def label(value: enum.Enum | None) -> str:
    if value is None:
        return ""
    return str(LABELS.get(value, value.value))


def choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return [(member.value, label(member)) for member in enum_cls]


# Actions and states as the audit trail stores them (plain strings), in the user's language.
ACTION_LABELS: dict[str, object] = {
    "create": _l("created"),
    "edit": _l("changed"),
    "submit": _l("submitted"),
    "resubmit": _l("resubmitted"),
    "withdraw": _l("withdrawn"),
    "approve": _l("approved"),
    "return": _l("returned for changes"),
    "reject": _l("rejected"),
}
STATE_LABELS: dict[str, object] = {
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "returned": _l("returned for changes"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "withdrawn": _l("withdrawn"),
}


def action_label(value: str | None) -> str:
    return "" if not value else str(ACTION_LABELS.get(value, value))


def state_label(value: str | None) -> str:
    return "" if not value else str(STATE_LABELS.get(value, value))
