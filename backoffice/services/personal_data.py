"""Personal data revealed or exported, each time in the audit trail (UU 27/2022).

``reveal`` gives the full NIK, phone or address of one record to a user ``authz.may_reveal``
allows, and records who saw which field of which record. ``audit_export`` records an export of
a list holding personal data (which list, its search and filters, how many rows, which personal
data columns, masked or not); the export calls it before its first row is produced, so an
export the trail does not know of never leaves the server. Both flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from models import Claim, Member, MemberBatch, User

from .. import audit
from ..authz import may_reveal
from ..authz.personal_data import ACTION as REVEAL
from ..authz.scopes import region_id_of
from ..errors import DomainError
from ..listing.search import search_digits
from ..rules.nik import NIK_LENGTH
from ..rules.personal_data import is_personal, mask, mask_nik

EXPORT = "export_personal_data"
#: The record type of an event about a whole list (its id is the list's screen name).
LIST_RECORD = "list"
#: Each record type the trail names, and the fields of it that are personal data.
RECORDS: dict[type, tuple[str, tuple[str, ...]]] = {
    Member: ("member", ("nik", "phone", "address")),
    Claim: ("claim", ("claimant_nik",)),
    MemberBatch: ("member_batch", ("nik",)),  # the NIK of its rows
}


def personal_fields(item: Any) -> tuple[str, ...]:
    return RECORDS[type(item)][1]


def reveal(
    session: Session,
    actor: User,
    item: Member | Claim,
    fields: Sequence[str],
    *,
    ip: str | None = None,
) -> dict[str, str | None]:
    """The full values of ``fields`` of ``item``, the reveal audited (``Forbidden`` when
    ``may_reveal`` refuses; a field that is not personal data of the record is refused)."""
    may_reveal(actor, item).require()
    record_type, known = RECORDS[type(item)]
    wanted = list(dict.fromkeys(fields))
    if not wanted or any(f not in known for f in wanted):
        raise DomainError(_unknown_field())
    values = {f: getattr(item, f) for f in wanted}
    audit.append_item_event(
        session,
        actor=actor,
        action=REVEAL,
        record_type=record_type,
        item=item,
        ip=ip,
        details={"fields": wanted},
    )
    return values


def reveal_batch_rows(
    session: Session,
    actor: User,
    batch: MemberBatch,
    rows: Sequence[Any],
    *,
    ip: str | None = None,
) -> dict[int, str | None]:
    """The full NIK of the batch's ``rows`` (a page of its rows table), one audited reveal
    naming the row numbers; ``Forbidden`` when ``may_reveal`` refuses."""
    may_reveal(actor, batch).require()
    if any(row.batch_id != batch.id for row in rows):
        raise DomainError(_unknown_field())
    rows = [row for row in rows if row.nik]  # a row without a NIK reveals nothing
    details = {"fields": ["nik"], "rows": [row.number for row in rows]}
    audit.append_item_event(
        session,
        actor=actor,
        action=REVEAL,
        record_type="member_batch",
        item=batch,
        ip=ip,
        details=details,
    )
    return {row.id: row.nik for row in rows}


@dataclass(frozen=True)
class ExportOf:
    """What the trail says of an export of personal data."""

    #: the list (a screen's name, or a report: "batch_errors", "payer_errors", ...)
    list: str
    rows: int
    #: the personal data columns the export holds
    columns: Sequence[str]
    masked: bool
    search: str | None = None
    filters: Sequence[Any] = field(default_factory=tuple)
    #: the record exported from (a batch's error report), None for a list
    item: Any = None


def audit_export(session: Session, actor: User, export: ExportOf, *, ip: str | None = None) -> None:
    """Record an export of personal data, before its first row is produced."""
    columns = [c for c in export.columns if is_personal(c)]
    details: Mapping[str, Any] = {
        "list": export.list,
        "search": _search_as_audited(export.search),
        "filters": [list(f) if isinstance(f, tuple | list) else f for f in export.filters],
        "rows": export.rows,
        "columns": columns,
        "masked": export.masked,
    }
    if export.item is not None:
        record_type = RECORDS[type(export.item)][0]
        audit.append_item_event(
            session,
            actor=actor,
            action=EXPORT,
            record_type=record_type,
            item=export.item,
            ip=ip,
            details=details,
        )
        return
    audit.append_event(
        session,
        actor=actor,
        action=EXPORT,
        record_type=LIST_RECORD,
        record_id=export.list,
        ip=ip,
        details=details,
        region_id=region_id_of(actor),
        office_id=actor.office_id,
        department_id=actor.department_id,
    )


def _search_as_audited(search: str | None) -> str | None:
    """The export's search term; a NIK masked: the trail is read by auditors, who see masked
    values only (the member found is named by the rows the list shows)."""
    if not search:
        return None
    digits = search_digits(search)
    if digits is not None and len(digits) == NIK_LENGTH:
        return mask_nik(digits)
    return search


def masked_cells(cells: Sequence[Any], fields: Sequence[str | None]) -> list[Any]:
    """A spreadsheet row's cells with its personal data masked (``fields``: the field each
    column holds, None for the others); a report for someone without the need gets these."""
    out = list(cells)
    for index, name in enumerate(fields):
        if index < len(out) and name is not None and is_personal(name):
            value = out[index]
            if value is not None and value != "":
                out[index] = mask(name, str(value))
    return out


#: Parameters that quote only what the mask shows anyway: the province and regency code, the
#: NIK's first 4 digits ("The NIK starts with 9999, ...").
_SHOWN_BY_MASK = frozenset({"code"})


def masked_problem(problem: Mapping[str, Any]) -> dict[str, Any]:
    """A stored problem of an uploaded row (``services.messages.message_record`` plus its
    ``field``) whose text parameters are masked when the field is personal data: "found
    3604-01x..." names the value it refuses."""
    name = problem.get("field") or ""
    if not is_personal(name):
        return dict(problem)
    params = {
        k: mask(name, v) if isinstance(v, str) and k not in _SHOWN_BY_MASK else v
        for k, v in (problem.get("params") or {}).items()
    }
    return {**problem, "params": params}


def _unknown_field() -> Any:
    return _l("That is not personal data of this record.")


__all__ = [
    "EXPORT",
    "LIST_RECORD",
    "RECORDS",
    "ExportOf",
    "audit_export",
    "masked_cells",
    "masked_problem",
    "personal_fields",
    "reveal",
    "reveal_batch_rows",
]
