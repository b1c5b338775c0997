"""Who may act on an office proposal: a branch head proposes KCPs under their KC (the
administrator any office), the proposer submits or withdraws it, and only the regional head of
the office's region decides it."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from models import Office, OfficeProposal, ProposalState, Role, User

from .actions import Action, Facts, Policy, Rule, editors

S = ProposalState
PROPOSERS = frozenset({Role.BRANCH_HEAD, Role.ADMIN})
DECIDERS = frozenset({Role.REGIONAL_HEAD})
PROPOSER_ONLY = _l("Only the person who proposed the office can do this.")


def _is_proposer(user: User, proposal: OfficeProposal, facts: Facts) -> Any:
    return PROPOSER_ONLY if user.id != proposal.proposed_by_id else None


def _decider_of_region(user: User, proposal: OfficeProposal, facts: Facts) -> Any:
    if user.region_id != proposal.region_id:
        return _l("Only the regional head of the office's region decides this proposal.")
    return None


PROPOSER = Rule(_is_proposer, forbids=True)
DECIDER = Rule(_decider_of_region, forbids=True)
OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED})

PROPOSALS = Policy(
    record="office_proposal",
    model=OfficeProposal,
    # Whoever changed the proposal's data is a maker too (e.g. an administrator's correction).
    makers=lambda p: {p.proposed_by_id} | editors(p, "office_proposal", ("create", "edit")),
    actions={
        a.name: a
        for a in (
            # Not transitions: a new proposal (the item is None), a change of an open one.
            Action(
                "propose",
                _l("Propose an office"),
                PROPOSERS,
                role_refusal=_l("Your role may not propose offices."),
            ),
            Action(
                "edit",
                _l("Edit"),
                PROPOSERS,
                states=frozenset({S.DRAFT, S.RETURNED}),
                state_refusal=_l(
                    "A proposal can be changed only while it is a draft or returned for changes."
                ),
                role_refusal=PROPOSER_ONLY,
                rules=(PROPOSER,),
            ),
            Action(
                "submit", _l("Submit"), PROPOSERS, states=frozenset({S.DRAFT}), rules=(PROPOSER,)
            ),
            Action(
                "resubmit",
                _l("Resubmit"),
                PROPOSERS,
                states=frozenset({S.RETURNED}),
                rules=(PROPOSER,),
            ),
            Action("withdraw", _l("Withdraw"), PROPOSERS, states=OPEN, rules=(PROPOSER,)),
            Action(
                "approve",
                _l("Approve"),
                DECIDERS,
                states=frozenset({S.SUBMITTED}),
                decision=True,
                rules=(DECIDER,),
            ),
            Action(
                "return",
                _l("Return for changes"),
                DECIDERS,
                states=frozenset({S.SUBMITTED}),
                decision=True,
                rules=(DECIDER,),
            ),
            Action(
                "reject",
                _l("Reject"),
                DECIDERS,
                states=frozenset({S.SUBMITTED}),
                decision=True,
                rules=(DECIDER,),
            ),
        )
    },
)


def parent_refusal(user: User, parent: Office) -> Any:
    """Why ``user`` may not propose a KCP under ``parent`` (None when they may)."""
    if user.role is Role.BRANCH_HEAD and parent.id != user.office_id:
        return _l("A branch head proposes KCPs under their own KC only.")
    return None


def kc_refusal(user: User) -> Any:
    """Why ``user`` may not propose a new KC (None when they may)."""
    if user.role is not Role.ADMIN:
        return _l("Only the administrator proposes a new KC.")
    return None
