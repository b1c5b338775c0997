"""Office proposals: a branch head or the administrator proposes, the regional head decides."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Office, OfficeProposal, OfficeType, ProposalState, Regency, User

from .. import audit, authz, workflow
from ..errors import DomainError
from . import notifications

#: As the office's code column holds it (also the proposal's copy of it).
OFFICE_CODE_LENGTH = Office.__table__.c.code.type.length
#: B01, B0104, K01: capital letters and digits ([A-Z], not \w: no other scripts' letters).
_OFFICE_CODE = re.compile(r"[A-Z0-9]+")

S = ProposalState

STATE_LABELS = {
    S.DRAFT: _l("draft"),
    S.SUBMITTED: _l("submitted"),
    S.RETURNED: _l("returned for changes"),
    S.APPROVED: _l("approved"),
    S.REJECTED: _l("rejected"),
    S.WITHDRAWN: _l("withdrawn"),
}


def _mark_submitted(
    session: Session, actor: User, p: OfficeProposal, params: dict, now: datetime
) -> None:
    p.submitted_at = now
    p.decided_by_id = None
    p.decided_at = None
    p.decision_comment = None


def _record_decision(
    session: Session, actor: User, p: OfficeProposal, params: dict, now: datetime
) -> None:
    p.decided_by_id = actor.id
    p.decided_at = now
    p.decision_comment = (params.get("comment") or "").strip() or None


def _open_office(
    session: Session, actor: User, p: OfficeProposal, params: dict, now: datetime
) -> None:
    code = (params.get("office_code") or "").strip().upper() or next_office_code(session, p)
    if len(code) > OFFICE_CODE_LENGTH or not _OFFICE_CODE.fullmatch(code):
        raise DomainError(
            _l(
                "The office code has letters A-Z and digits 0-9 only, at most %(max)s of them.",
                max=OFFICE_CODE_LENGTH,
            )
        )
    if session.scalar(select(Office.id).where(func.upper(Office.code) == code)) is not None:
        raise DomainError(_l("The office code %(code)s is already in use.", code=code))
    if session.scalar(
        select(Office.id).where(Office.office_type == p.office_type, Office.name == p.name)
    ):
        raise DomainError(_l("An office with this name already exists."))
    office = Office(
        code=code,
        name=p.name,
        office_type=p.office_type,
        region_id=p.region_id,
        parent_id=p.parent_id,
        regency_id=p.regency_id,
        address=p.address,
        opened_on=p.planned_opening,
        active=True,
    )
    session.add(office)
    session.flush()
    _record_decision(session, actor, p, params, now)
    p.office_id = office.id
    p.office_code = code


A = authz.PROPOSALS.actions

WORKFLOW = workflow.Workflow(
    authz.PROPOSALS,
    (
        workflow.Transition(A["submit"], S.SUBMITTED, effect=_mark_submitted),
        workflow.Transition(A["resubmit"], S.SUBMITTED, effect=_mark_submitted),
        workflow.Transition(A["withdraw"], S.WITHDRAWN, style="secondary"),
        workflow.Transition(A["approve"], S.APPROVED, effect=_open_office, style="success"),
        workflow.Transition(
            A["return"],
            S.RETURNED,
            comment_required=True,
            effect=_record_decision,
            style="warning",
        ),
        workflow.Transition(
            A["reject"],
            S.REJECTED,
            comment_required=True,
            effect=_record_decision,
            style="danger",
        ),
    ),
    audit_scope=lambda p: (p.region_id, p.parent_id, None),
)


def decide(
    session: Session,
    actor: User,
    proposal_id: int | None,
    action: str,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    office_code: str | None = None,
    ip: str | None = None,
) -> OfficeProposal:
    """Take a workflow action on a proposal (flushed; the caller commits)."""
    proposal = workflow.apply(
        session,
        WORKFLOW,
        proposal_id,
        action,
        actor,
        comment=comment,
        expected_version=expected_version,
        ip=ip,
        params={"office_code": office_code or ""},
    )
    if action in ("submit", "resubmit"):
        # The regional heads hear of it, in this transaction (emailed once it commits).
        notifications.proposal_submitted(session, actor, proposal)
    return proposal


def options(actor: User, proposal: OfficeProposal) -> list[workflow.Option]:
    """The proposal's transitions as ``decide`` judges them for ``actor``."""
    return WORKFLOW.options(actor, proposal)


@dataclass
class ProposalData:
    name: str
    office_type: OfficeType
    parent: Office | None
    regency: Regency | None
    address: str
    planned_opening: date | None
    staff_count: int | None
    justification: str


#: A name that starts with an office type ("KCP Anyer", "kc. Serang"): the office would be
#: called "KCP KCP Anyer".
TYPE_IN_NAME = re.compile(r"^(kcp|kc)\b", re.IGNORECASE)


def proposal_problems(
    session: Session,
    actor: User,
    data: ProposalData,
    *,
    today: date,
    proposal_id: int | None = None,
) -> dict[str, Any]:
    """Field -> message for everything wrong with a proposal (empty when it can be saved)."""
    problems: dict[str, Any] = {}
    name = (data.name or "").strip()
    if not name:
        problems["name"] = _l("Give the office a name.")
    elif TYPE_IN_NAME.match(name):
        problems["name"] = _l(
            'Write the name without "KCP" or "KC": the type is added to it (KCP Anyer).'
        )
    if data.office_type is OfficeType.KCP:
        if data.parent is None:
            problems["parent"] = _l("A KCP belongs to a KC: choose its parent office.")
        elif data.parent.office_type is not OfficeType.KC or not data.parent.active:
            problems["parent"] = _l("The parent of a KCP must be an active KC.")
        elif refusal := authz.proposals.parent_refusal(actor, data.parent):
            problems["parent"] = refusal
    else:
        if refusal := authz.proposals.kc_refusal(actor):
            problems["office_type"] = refusal
        if data.parent is not None:
            problems["parent"] = _l("A KC reports to its region directly: leave the parent empty.")
    if data.regency is None:
        problems["regency"] = _l("Choose the regency/city of the new office.")
    elif data.parent is not None and data.regency.region_id != data.parent.region_id:
        problems["regency"] = _l("The regency/city must be in the region of the parent KC.")
    if not (data.address or "").strip():
        problems["address"] = _l("The address is required.")
    if data.planned_opening is None:
        problems["planned_opening"] = _l("The planned opening date is required.")
    elif data.planned_opening < today:
        problems["planned_opening"] = _l("The planned opening date cannot be in the past.")
    if data.staff_count is None or data.staff_count < 1:
        problems["staff_count"] = _l("A new office needs at least one staff member.")
    if not (data.justification or "").strip():
        problems["justification"] = _l("Explain why the office is needed.")
    if name and "name" not in problems:
        if session.scalar(
            select(Office.id).where(
                Office.office_type == data.office_type, func.lower(Office.name) == name.lower()
            )
        ):
            problems["name"] = _l("An office with this name already exists.")
        pending = select(OfficeProposal.id).where(
            OfficeProposal.office_type == data.office_type,
            func.lower(OfficeProposal.name) == name.lower(),
            OfficeProposal.state.in_([S.DRAFT, S.SUBMITTED, S.RETURNED]),
        )
        if proposal_id is not None:
            pending = pending.where(OfficeProposal.id != proposal_id)
        if session.scalar(pending):
            problems["name"] = _l("An open proposal for an office with this name already exists.")
    return problems


def _apply_data(proposal: OfficeProposal, data: ProposalData) -> None:
    proposal.name = data.name.strip()
    proposal.office_type = data.office_type
    proposal.parent_id = data.parent.id if data.parent else None
    proposal.regency_id = data.regency.id
    proposal.region_id = data.parent.region_id if data.parent else data.regency.region_id
    proposal.address = data.address.strip()
    proposal.planned_opening = data.planned_opening
    proposal.staff_count = data.staff_count
    proposal.justification = data.justification.strip()


def _check(
    session: Session, actor: User, data: ProposalData, today: date, proposal_id: int | None = None
) -> None:
    authz.PROPOSALS.check(actor, "propose").require()
    problems = proposal_problems(session, actor, data, today=today, proposal_id=proposal_id)
    if problems:
        field, message = next(iter(problems.items()))
        raise DomainError(message, field=field)


def propose_office(
    session: Session, actor: User, data: ProposalData, *, today: date, ip: str | None = None
) -> OfficeProposal:
    """Create a draft proposal (flushed and audited; the caller commits); ``submit`` sends it
    to the regional head."""
    _check(session, actor, data, today)
    proposal = OfficeProposal(state=S.DRAFT, proposed_by_id=actor.id)
    _apply_data(proposal, data)
    session.add(proposal)
    session.flush()
    audit.append_event(
        session,
        actor=actor,
        action="create",
        record_type=WORKFLOW.name,
        record_id=proposal.id,
        to_state=S.DRAFT.value,
        ip=ip,
        region_id=proposal.region_id,
        office_id=proposal.parent_id,
    )
    return proposal


def update_proposal(
    session: Session,
    actor: User,
    proposal: OfficeProposal,
    data: ProposalData,
    *,
    today: date,
    ip: str | None = None,
) -> OfficeProposal:
    """The proposer changes a draft or a returned proposal; anything else is immutable."""
    authz.PROPOSALS.check(actor, "edit", proposal).require()
    _check(session, actor, data, today, proposal.id)
    _apply_data(proposal, data)
    session.flush()
    audit.append_event(
        session,
        actor=actor,
        action="edit",
        record_type=WORKFLOW.name,
        record_id=proposal.id,
        from_state=proposal.state.value,
        to_state=proposal.state.value,
        ip=ip,
        region_id=proposal.region_id,
        office_id=proposal.parent_id,
    )
    return proposal


def next_office_code(session: Session, proposal: OfficeProposal) -> str:
    """KCP: the parent's code and a two-digit serial (B01 -> B0104); KC: a region letter and serial."""
    if proposal.office_type is OfficeType.KCP:
        prefix = proposal.parent.code
        width = 2
    else:
        prefix = (proposal.region.code or "K")[0]
        width = 2
    existing = set(session.scalars(select(Office.code).where(Office.code.like(f"{prefix}%"))))
    for serial in range(1, 10**width):
        code = f"{prefix}{serial:0{width}d}"
        if code not in existing:
            return code
    raise DomainError(_l("No free office code is left under %(prefix)s.", prefix=prefix))


def waiting_days(proposal: OfficeProposal, today: date) -> int | None:
    if proposal.submitted_at is None:
        return None
    return (today - proposal.submitted_at.date()).days
