"""A claim's workflow: verification, approval within the approver's limit (above it the next
level's queue), return, payment; and the queues of each stage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models import (
    Claim,
    Role,
    User,
)

from .. import authz, workflow
from ..authz.claims import LEVELS, next_level
from ..clock import jakarta_day, today_in_jakarta
from ..errors import DomainError
from ..i18n import format_rupiah
from . import lifecycle as membership
from . import notifications, reference
from .claim_documents import documents_problem
from .claims import STATE_LABELS, C

# --------------------------------------------------------------------------------------------
# The workflow
# --------------------------------------------------------------------------------------------


def _documents_complete(actor: User, claim: Claim, params: dict[str, Any]) -> Any:
    session = params.get("session")
    return documents_problem(session, claim) if session is not None else None


class ApprovalLimits(Mapping[Role, int | None]):
    """The approval limit of each level in force (reference data), read when a rule asks:
    a missing one is an error the administrator can fix."""

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        self.parameters = parameters

    def __getitem__(self, role: Role) -> int | None:
        if role not in LEVELS:
            raise KeyError(role)
        if role is LEVELS[-1]:
            return None  # the last level decides any amount
        return int(reference.parameter(self.parameters, f"approval.limit.{role.value}"))

    def __iter__(self) -> Iterator[Role]:
        return iter(LEVELS)

    def __len__(self) -> int:
        return len(LEVELS)


def facts(session: Session, day: date | None = None) -> authz.Facts:
    """What the rules of a claim's decisions need: the approval limits in force."""
    parameters = reference.parameters_on(session, day or today_in_jakarta())
    return authz.Facts(approval_limits=ApprovalLimits(parameters))


def _payment_given(actor: User, claim: Claim, params: dict[str, Any]) -> Any:
    reference = (params.get("payment_reference") or "").strip()
    paid_on = params.get("paid_on")
    if not reference:
        return _l("Enter the transfer reference.")
    if len(reference) > 64:
        return _l("The transfer reference is at most 64 characters.")
    if not isinstance(paid_on, date):
        return _l("Enter the transfer date.")
    if paid_on > today_in_jakarta():
        return _l("The transfer date cannot be in the future.")
    if claim.approved_at is not None and paid_on < jakarta_day(claim.approved_at):
        return _l("The transfer date cannot be before the approval.")
    return None


def _mark_verified(
    session: Session, actor: User, claim: Claim, params: dict, now: datetime
) -> dict:
    claim.verified_by_id = actor.id
    claim.verified_at = now
    claim.approval_level = LEVELS[0]
    return {"amount": claim.amount}


def _record_decision(
    session: Session, actor: User, claim: Claim, params: dict, now: datetime
) -> None:
    claim.decided_by_id = actor.id
    claim.decision_comment = (params.get("comment") or "").strip() or None


def _return(session: Session, actor: User, claim: Claim, params: dict, now: datetime) -> None:
    _record_decision(session, actor, claim, params, now)
    # Back to intake: it will be verified again, by whoever checks it then.
    claim.verified_by_id = None
    claim.verified_at = None
    claim.approval_level = None


def _resubmit(session: Session, actor: User, claim: Claim, params: dict, now: datetime) -> None:
    claim.submitted_at = now


def _approve(session: Session, actor: User, claim: Claim, params: dict, now: datetime) -> dict:
    claim.approved_by_id = actor.id
    claim.approved_at = now
    claim.decision_comment = (params.get("comment") or "").strip() or claim.decision_comment
    return {"amount": claim.amount, "level": actor.role.value}


def _escalate(session: Session, actor: User, claim: Claim, params: dict, now: datetime) -> dict:
    claim.approval_level = next_level(actor.role)
    return {"amount": claim.amount, "escalated_to": claim.approval_level.value}


def _pay(session: Session, actor: User, claim: Claim, params: dict, now: datetime) -> dict:
    reference = params["payment_reference"].strip()
    taken = session.scalar(select(Claim.id).where(Claim.payment_reference == reference))
    if taken is not None:
        # The other claim is named only to whoever may see it (it may be another office's).
        seen = select(Claim.id).where(Claim.id == taken, authz.row_condition(actor, Claim))
        if session.scalar(seen) is None:
            raise DomainError(_l("The transfer reference %(ref)s is already used.", ref=reference))
        raise DomainError(
            _l(
                "The transfer reference %(ref)s is already recorded for claim %(claim)s.",
                ref=reference,
                claim=str(session.get(Claim, taken)),
            )
        )
    claim.payment_reference = reference
    claim.paid_on = params["paid_on"]
    claim.paid_by_id = actor.id
    claim.paid_at = now
    session.flush()
    # A death benefit makes the member deceased, JHT paid out exited: in this transaction.
    membership.on_claim_paid(session, actor, claim, ip=params.get("ip"))
    return {"amount": claim.amount, "paid_on": claim.paid_on.isoformat()}


def _confirm_approve(claim: Claim) -> Any:
    return _l(
        "Approve claim %(claim)s for %(amount)s? An approval cannot be undone.",
        claim=str(claim),
        amount=format_rupiah(claim.amount),
    )


def _confirm_reject(claim: Claim) -> Any:
    return _l("Reject claim %(claim)s? A rejection cannot be undone.", claim=str(claim))


def _confirm_pay(claim: Claim) -> Any:
    return _l(
        "Record the payment of %(amount)s for claim %(claim)s? A recorded payment cannot be "
        "undone.",
        claim=str(claim),
        amount=format_rupiah(claim.amount),
    )


def _no_question(claim: Claim) -> None:
    """Sending a claim on to the next level decides nothing: the button says where it goes."""
    return None


A = authz.CLAIMS.actions

WORKFLOW = workflow.Workflow(
    authz.CLAIMS,
    (
        workflow.Transition(
            A["verify"], C.VERIFIED, guards=(_documents_complete,), effect=_mark_verified
        ),
        workflow.Transition(
            A["return"], C.RETURNED, comment_required=True, effect=_return, style="warning"
        ),
        workflow.Transition(A["resubmit"], C.SUBMITTED, effect=_resubmit),
        workflow.Transition(
            A["approve"], C.APPROVED, effect=_approve, style="success", confirm=_confirm_approve
        ),
        workflow.Transition(
            A["escalate"], C.VERIFIED, effect=_escalate, style="info", confirm=_no_question
        ),
        workflow.Transition(
            A["reject"],
            C.REJECTED,
            comment_required=True,
            effect=_record_decision,
            style="danger",
            confirm=_confirm_reject,
        ),
        workflow.Transition(
            A["pay"],
            C.PAID,
            guards=(_payment_given,),
            effect=_pay,
            style="success",
            confirm=_confirm_pay,
        ),
    ),
    audit_scope=lambda c: (c.region_id, c.office_id, None),
)


def decide(
    session: Session,
    actor: User,
    claim_id: int | None,
    action: str,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    payment_reference: str | None = None,
    paid_on: date | None = None,
    ip: str | None = None,
) -> Claim:
    """Take a workflow action on a claim (flushed and audited; the caller commits).

    ``approve`` by someone whose limit is below the amount moves the claim to the next level's
    queue instead (the ``escalate`` transition), as the rules require.
    """
    known = facts(session)
    params: dict[str, Any] = {"session": session, "ip": ip}
    if action == "pay":
        params["payment_reference"] = payment_reference or ""
        params["paid_on"] = paid_on
    if action == "approve":
        claim = session.get(Claim, claim_id) if claim_id is not None else None
        if claim is not None:
            action = _approve_or_escalate(known, actor, claim)
    claim = workflow.apply(
        session,
        WORKFLOW,
        claim_id,
        action,
        actor,
        comment=comment,
        expected_version=expected_version,
        ip=ip,
        params=params,
        facts=known,
    )
    # Who must act next hears of it, in this transaction (emailed once it commits).
    if action == "escalate":
        notifications.claim_escalated(session, actor, claim)
    elif action == "return":
        notifications.claim_returned(session, actor, claim)
    return claim


def _approve_or_escalate(known: authz.Facts, actor: User, claim: Claim) -> str:
    """``approve`` above the actor's limit is the ``escalate`` transition."""
    above = actor.role in LEVELS and authz.claims.above_limit(known, actor.role, claim.amount)
    return "escalate" if above else "approve"


def options(session: Session, actor: User, claim: Claim) -> list[workflow.Option]:
    """The claim's transitions as ``decide`` judges them for ``actor`` (a comment, the
    transfer reference and date assumed given: the form asks for them)."""
    today = today_in_jakarta()
    params = {"session": session, "payment_reference": "-", "paid_on": today}
    return WORKFLOW.options(actor, claim, params=params, facts=facts(session, today))


# --------------------------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------------------------


def queue_condition(actor: User) -> Any:
    """The claims waiting for ``actor``: to verify, approve at their level, pay, or correct."""
    if actor.role is Role.BRANCH_CLERK:
        return or_(
            Claim.state.in_([C.SUBMITTED, C.RETURNED, C.APPROVED]),
            and_(Claim.state == C.VERIFIED, Claim.approval_level == Role.BRANCH_CLERK),
        )
    if actor.role in (Role.BRANCH_HEAD, Role.REGIONAL_HEAD):
        return and_(Claim.state == C.VERIFIED, Claim.approval_level == actor.role)
    return Claim.id.is_(None)


def stage_of(claim: Claim) -> Any:
    return {
        C.SUBMITTED: _l("to verify"),
        C.RETURNED: _l("to correct"),
        C.VERIFIED: _l("to approve"),
        C.APPROVED: _l("to pay"),
    }.get(claim.state, STATE_LABELS[claim.state])


def is_overdue(claim: Claim, today: date) -> bool:
    return (
        claim.due_date is not None
        and claim.state not in (C.PAID, C.REJECTED)
        and claim.due_date < today
    )
