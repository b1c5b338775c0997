"""Who may decide a correction of a member's data: another user of the member's office (a clerk
or the branch head; a KC head also for the KC's KCPs), never the clerk who proposed it. Only the
member's office sees its corrections."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, true

from models import CorrectionState, MemberCorrection, Role, User

from .actions import Action, Facts, Policy, Rule
from .claims import STAFF
from .scopes import office_id_subquery, scoper, works_for

S = CorrectionState


def _member_office(user: User, correction: MemberCorrection, facts: Facts) -> Any:
    if not works_for(user, correction.office):
        return _l("Only the member's office decides a correction of the member's data.")
    return None


OFFICE = Rule(_member_office, forbids=True)

CORRECTIONS = Policy(
    record="member_correction",
    model=MemberCorrection,
    makers=lambda c: {c.proposed_by_id},
    actions={
        a.name: a
        for a in (
            Action(
                "approve",
                _l("Approve and apply"),
                STAFF,
                states=frozenset({S.SUBMITTED}),
                decision=True,
                rules=(OFFICE,),
            ),
            Action(
                "reject",
                _l("Reject"),
                STAFF,
                states=frozenset({S.SUBMITTED}),
                decision=True,
                rules=(OFFICE,),
            ),
        )
    },
)


@scoper(MemberCorrection)
def _correction_scope(user: User) -> ColumnElement[bool]:
    # The member's office only: its clerks and its head (a KC head with the KC's KCPs).
    if user.role not in (Role.BRANCH_CLERK, Role.BRANCH_HEAD):
        return false()
    offices = office_id_subquery(user)
    return true() if offices is None else MemberCorrection.office_id.in_(offices)
