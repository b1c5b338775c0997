"""Who may act on a member batch: the liaison uploads, submits, discards and checks again their
department's batches; the office that serves the department decides their rows."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from models import BatchState, MemberBatch, Role, User

from .actions import Action, Facts, Policy, Rule
from .scopes import works_for

B = BatchState
LIAISONS = frozenset({Role.LIAISON})
DECIDERS = frozenset({Role.BRANCH_CLERK, Role.BRANCH_HEAD})
#: Submitted batches waiting for the office's decisions.
OPEN_STATES = frozenset({B.SUBMITTED, B.IN_REVIEW})
UPLOADS = _l("Only a department liaison uploads member lists.")


def _own_department(user: User, batch: MemberBatch, facts: Facts) -> Any:
    if user.department_id != batch.department_id:
        return _l("Only a liaison of the batch's department can do this.")
    return None


def _serving_office(user: User, batch: MemberBatch, facts: Facts) -> Any:
    if not works_for(user, batch.office):
        return _l("Only the office that serves the department decides its registrations.")
    return None


def _has_department(user: User, batch: MemberBatch | None, facts: Facts) -> Any:
    return UPLOADS if user.department is None else None


OWN_DEPARTMENT = Rule(_own_department, forbids=True)
SERVING_OFFICE = Rule(_serving_office, forbids=True)

BATCHES = Policy(
    record="member_batch",
    model=MemberBatch,
    makers=lambda b: {b.uploaded_by_id, b.submitted_by_id},
    actions={
        a.name: a
        for a in (
            # Not a transition: a new batch (the item is None).
            Action(
                "upload",
                _l("Upload"),
                LIAISONS,
                role_refusal=UPLOADS,
                rules=(Rule(_has_department, forbids=True),),
            ),
            Action(
                "submit",
                _l("Submit to the branch office"),
                LIAISONS,
                states=frozenset({B.DRAFT}),
                rules=(OWN_DEPARTMENT,),
            ),
            Action(
                "discard",
                _l("Discard"),
                LIAISONS,
                states=frozenset({B.DRAFT, B.FAILED}),
                rules=(OWN_DEPARTMENT,),
            ),
            Action(
                "retry",
                _l("Check again"),
                LIAISONS,
                states=frozenset({B.FAILED, B.PROCESSING}),
                rules=(OWN_DEPARTMENT,),
            ),
            Action(
                "accept_all",
                _l("Accept all waiting rows"),
                DECIDERS,
                states=OPEN_STATES,
                decision=True,
                rules=(SERVING_OFFICE,),
            ),
            Action(
                "accept_rows",
                _l("Accept selected rows"),
                DECIDERS,
                states=OPEN_STATES,
                decision=True,
                rules=(SERVING_OFFICE,),
            ),
            Action(
                "reject_rows",
                _l("Reject selected rows"),
                DECIDERS,
                states=OPEN_STATES,
                decision=True,
                rules=(SERVING_OFFICE,),
            ),
        )
    },
)
