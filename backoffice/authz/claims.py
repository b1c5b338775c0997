"""Who may do what to a claim: register, correct, handle its documents, decide it, pay it.

A claim is handled by the staff of the member's office; it is verified, then approved by someone
who neither registered nor verified it, at the level whose approval limit covers the amount
(above it, the level sends it on to the next one), and paid by the office.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from models import Claim, ClaimState, Member, Role, User

from ..labels import label
from .actions import Action, Facts, Policy, Rule, editors, state_in
from .scopes import works_for

C = ClaimState
#: The approval levels in order; a claim above a level's limit moves to the next one.
LEVELS = (Role.BRANCH_CLERK, Role.BRANCH_HEAD, Role.REGIONAL_HEAD)
STAFF = frozenset({Role.BRANCH_CLERK, Role.BRANCH_HEAD})
APPROVERS = frozenset(LEVELS)
#: A claim is corrected, and its documents changed, only in these states.
EDITABLE_STATES = frozenset({C.SUBMITTED, C.RETURNED})


def level_index(role: Role | None) -> int:
    return LEVELS.index(role) if role in LEVELS else -1


def next_level(role: Role) -> Role | None:
    index = level_index(role)
    return LEVELS[index + 1] if 0 <= index < len(LEVELS) - 1 else None


def approval_limit(facts: Facts, role: Role) -> int | None:
    """The amount up to which ``role`` approves (None: no limit, or not an approval level)."""
    if facts.approval_limits is None:
        raise LookupError("Judging an approval needs the approval limits (authz.Facts).")
    return facts.approval_limits.get(role)


def above_limit(facts: Facts, role: Role, amount: int) -> bool:
    limit = approval_limit(facts, role)
    return limit is not None and amount > limit


# --- rules -------------------------------------------------------------------------------------


def _member_office(user: User, member: Member, facts: Facts) -> Any:
    if not works_for(user, member.office):
        return _l("A claim is registered by the office the member belongs to.")
    return None


def _registering_office(user: User, claim: Claim, facts: Facts) -> Any:
    # The claim's office is the member's, taken when it was registered.
    if not works_for(user, claim.office):
        return _l("A claim is registered by the office the member belongs to.")
    return None


def _claim_office(user: User, claim: Claim, facts: Facts) -> Any:
    if not works_for(user, claim.office):
        return _l("Only the member's office handles this claim.")
    return None


def _at_level(user: User, claim: Claim, facts: Facts) -> Any:
    # A higher level may decide what waits below it (a two-clerk office, where one registered
    # and the other verified, still gets its claim approved by the branch head).
    if level_index(user.role) < level_index(claim.approval_level):
        return _l(
            "This claim waits for approval by the %(level)s.",
            level=label(claim.approval_level) if claim.approval_level is not None else "-",
        )
    return None


def _may_refuse(user: User, claim: Claim, facts: Facts) -> Any:
    """Return or reject: the office staff while the file is checked, then the approval level."""
    if claim.state is C.VERIFIED:
        return _at_level(user, claim, facts)
    if user.role not in STAFF:
        return _l("Only the staff of the member's office handle a claim before it is verified.")
    return None


def _within_limit(user: User, claim: Claim, facts: Facts) -> Any:
    if above_limit(facts, user.role, claim.amount):
        following = next_level(user.role)
        return _l(
            "Above your approval limit: it is sent on to the %(level)s.",
            level=label(following) if following is not None else "-",
        )
    return None


def _above_limit(user: User, claim: Claim, facts: Facts) -> Any:
    if not above_limit(facts, user.role, claim.amount):
        return _l("The amount is within your approval limit: approve it.")
    return None


#: Changes of a claim's decisive data (payee, account, amounts, event data, documents): whoever
#: made one is a maker of the claim and may not verify, approve or reject it.
CLAIM_CHANGES = ("edit", "document_upload")

OFFICE = Rule(_claim_office, forbids=True)
REGISTERING_OFFICE = Rule(_registering_office, forbids=True)
MEMBER_OFFICE = Rule(_member_office, forbids=True)
REGISTERS = _l("Only the staff of a branch office register claims.")

CLAIMS = Policy(
    record="claim",
    model=Claim,
    makers=lambda c: {c.registered_by_id, c.verified_by_id} | editors(c, "claim", CLAIM_CHANGES),
    actions={
        a.name: a
        for a in (
            Action(
                "edit",
                _l("Correct"),
                STAFF,
                states=EDITABLE_STATES,
                state_refusal=_l(
                    "A claim can be changed only before it is verified or when it was returned."
                ),
                role_refusal=REGISTERS,
                rules=(REGISTERING_OFFICE,),
            ),
            Action(
                "change_documents",
                _l("Upload"),
                STAFF,
                role_refusal=REGISTERS,
                rules=(
                    REGISTERING_OFFICE,
                    state_in(
                        EDITABLE_STATES,
                        _l("Documents can be changed only before the claim is verified."),
                    ),
                ),
            ),
            Action("verify", _l("Verify"), STAFF, states=frozenset({C.SUBMITTED}), rules=(OFFICE,)),
            Action(
                "return",
                _l("Return to intake"),
                APPROVERS,
                states=frozenset({C.SUBMITTED, C.VERIFIED}),
                rules=(OFFICE, Rule(_may_refuse)),
            ),
            Action(
                "resubmit", _l("Resubmit"), STAFF, states=frozenset({C.RETURNED}), rules=(OFFICE,)
            ),
            Action(
                "approve",
                _l("Approve"),
                APPROVERS,
                states=frozenset({C.VERIFIED}),
                decision=True,
                rules=(OFFICE, Rule(_at_level), Rule(_within_limit)),
            ),
            Action(
                "escalate",
                _l("Send to the next approval level"),
                STAFF,
                states=frozenset({C.VERIFIED}),
                decision=True,
                # Within the limit the user approves: "approve" is offered instead.
                rules=(OFFICE, Rule(_at_level), Rule(_above_limit, quiet=True)),
            ),
            Action(
                "reject",
                _l("Reject"),
                APPROVERS,
                states=frozenset({C.SUBMITTED, C.VERIFIED}),
                decision=True,
                rules=(OFFICE, Rule(_may_refuse)),
            ),
            Action(
                "pay",
                _l("Record the payment"),
                STAFF,
                states=frozenset({C.APPROVED}),
                rules=(OFFICE,),
            ),
        )
    },
)
