"""Who may see a record's personal data in full (UU 27/2022): one question, ``may_reveal``.

Everybody who may open a record sees its NIK, phone and address masked
(``backoffice.rules.personal_data``). The full values are for those whose work needs them, on
the record's page, one audited reveal at a time:

- the branch clerks and the branch head of the office the record belongs to (a KC head also
  for the KCPs under the KC, as ``works_for`` says): they register, verify, contact and pay
  the member or the claimant;
- the department liaison who uploaded the batch the data came from (its rows, and the members
  registered from it): they supplied those values and correct them.

Not the regional head, the auditor or the administrator: they oversee and decide on what the
office verified (a regional head approves a claim on its file, an auditor reads the trail), and
see masked values; nor another department's liaison. The screen shows the "Show" button
exactly when this answers yes, and the reveal route asks it again.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from models import Claim, Member, MemberBatch, Role, User

from .actions import Decision
from .scopes import works_for

ACTION = "reveal_personal_data"
#: The roles of a branch office's staff.
_STAFF = frozenset({Role.BRANCH_CLERK, Role.BRANCH_HEAD})

NO_NEED = _l(
    "Personal data are shown in full only to the staff of the office the record belongs to, "
    "and to the liaison who supplied them."
)


def _office_of(item: Any) -> Any:
    return item.office


def _uploaded_by(item: Any) -> int | None:
    """The liaison who supplied the record's data: the uploader of its batch."""
    if isinstance(item, MemberBatch):
        return item.uploaded_by_id
    if isinstance(item, Member) and item.batch is not None:
        return item.batch.uploaded_by_id
    return None


def reveals_any(user: User | None) -> bool:
    """Whether ``user``'s role ever sees personal data in full (``may_reveal``'s part about the
    role alone: a route refuses the others with 403 before it looks the record up)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return user.role in _STAFF or user.role is Role.LIAISON


def may_reveal(user: User | None, item: Member | Claim | MemberBatch) -> Decision:
    """May ``user`` see the full personal data of ``item`` (a member, a claim's claimant, a
    batch's rows)? Allowed, or refused with the reason (``forbidden``: a 403 for the route)."""
    refused = Decision(ACTION, False, NO_NEED, forbidden=True)
    if not reveals_any(user):
        return refused
    if not isinstance(item, Member | Claim | MemberBatch):
        return refused
    if user.role in _STAFF and works_for(user, _office_of(item)):
        return Decision(ACTION, True)
    if user.role is Role.LIAISON and user.id is not None and _uploaded_by(item) == user.id:
        return Decision(ACTION, True)
    return refused


__all__ = ["ACTION", "NO_NEED", "may_reveal", "reveals_any"]
