"""Rules of the office hierarchy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models import Office, OfficeType, Region


def office_problems(
    *, office_type: OfficeType | None, region: Region | None, parent: Office | None
) -> dict[str, object]:
    """Field -> message for an office that would break the hierarchy KC -> KCP."""
    problems: dict[str, object] = {}
    if office_type is OfficeType.KCP:
        if parent is None:
            problems["parent"] = _l("A KCP belongs to a KC: choose its parent office.")
        elif parent.office_type is not OfficeType.KC:
            problems["parent"] = _l("The parent of a KCP must be a KC.")
        elif region is not None and parent.region_id != region.id:
            problems["parent"] = _l("The parent KC must be in the same region.")
    elif office_type is OfficeType.KC and parent is not None:
        problems["parent"] = _l("A KC reports to its region directly: leave the parent empty.")
    return problems
