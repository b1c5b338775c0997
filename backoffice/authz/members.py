"""Who may act on a member: register a claim for them, record their contributions, propose a
correction of their data, and import a paying department's file of contributions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from models import Department, Member, MemberStatus, Programme, Role, User

from ..labels import STATE_LABELS
from ..rules.lifecycle import CLAIMS_CLOSED, CONTRIBUTIONS_CLOSED, claim_open
from .actions import Action, Facts, Policy, Rule
from .claims import MEMBER_OFFICE, REGISTERS, STAFF
from .scopes import works_for
from .screens import may


def _records_for_member(user: User, member: Member, facts: Facts) -> Any:
    if not works_for(user, member.office):
        return _l("Contributions are recorded by the office the member belongs to.")
    return None


# The statuses closed to contributions and to claims are the rule's (authz reads the stored
# status; the services also check the payment history).
_NO_CONTRIBUTIONS = CONTRIBUTIONS_CLOSED
_NO_CLAIMS = CLAIMS_CLOSED


def _status_refusal(member: Member, closed: frozenset[MemberStatus], what: Any) -> Any:
    if member is not None and member.status in closed:
        return _l(
            "The membership is %(status)s since %(since)s: %(what)s",
            status=STATE_LABELS[member.status.value],
            since=member.status_since.strftime("%d/%m/%Y") if member.status_since else "-",
            what=what,
        )
    return None


def _takes_contributions(user: User, member: Member, facts: Facts) -> Any:
    return _status_refusal(member, _NO_CONTRIBUTIONS, _l("no contribution can be recorded."))


def _takes_claims(user: User, member: Member, facts: Facts) -> Any:
    # A deceased member's JHT is still claimed by the heirs (``lifecycle.claim_open``).
    if member is None:
        return None
    jht = Programme.JHT.value in (member.programmes or "").split(",")
    if claim_open(member.status, None, jht):
        return None
    return _status_refusal(member, _NO_CLAIMS, _l("no claim can be registered."))


def _still_member(user: User, member: Member, facts: Facts) -> Any:
    return _status_refusal(member, _NO_CLAIMS, _l("it cannot be deregistered."))


def _corrected_by_member_office(user: User, member: Member, facts: Facts) -> Any:
    if not works_for(user, member.office):
        return _l("A member's data is corrected by the office the member belongs to.")
    return None


MEMBERS = Policy(
    record="member",
    model=Member,
    actions={
        a.name: a
        for a in (
            Action(
                "register_claim",
                _l("Register a claim"),
                STAFF,
                role_refusal=REGISTERS,
                rules=(MEMBER_OFFICE, Rule(_takes_claims)),
            ),
            Action(
                "propose_correction",
                _l("Propose a correction"),
                frozenset({Role.BRANCH_CLERK}),
                role_refusal=_l("Only a branch clerk proposes a correction of a member's data."),
                rules=(Rule(_corrected_by_member_office, forbids=True),),
            ),
            Action(
                "record_contribution",
                _l("Record a contribution"),
                STAFF,
                role_refusal=_l("Only the staff of a branch office record contributions."),
                rules=(Rule(_records_for_member, forbids=True), Rule(_takes_contributions)),
            ),
            Action(
                "deregister",
                _l("Deregister at the member's request"),
                STAFF,
                role_refusal=_l("Only the staff of a branch office deregister members."),
                rules=(MEMBER_OFFICE, Rule(_still_member)),
            ),
        )
    },
)

IMPORTS_PAYMENTS = _l("Only a branch clerk imports a payer's contribution file.")


def _clerk_of_an_office(user: User, department: Department | None, facts: Facts) -> Any:
    if user.office_id is None or not may(user, "contributions", "create"):
        return IMPORTS_PAYMENTS
    return None


def _serves_department(user: User, department: Department | None, facts: Facts) -> Any:
    if department is not None and not works_for(user, department.office):
        return _l("Choose a department served by your office.")
    return None


#: A paying department's file: the item is the department (None: may the user import at all).
PAYERS = Policy(
    record="payer_import",
    model=Department,
    actions={
        "import_payments": Action(
            "import_payments",
            _l("Import a payer's contribution file"),
            frozenset({Role.BRANCH_CLERK}),
            role_refusal=IMPORTS_PAYMENTS,
            rules=(Rule(_clerk_of_an_office, forbids=True), Rule(_serves_department, forbids=True)),
        )
    },
)
