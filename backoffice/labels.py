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
