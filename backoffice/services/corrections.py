"""Corrections of a member's data with maker-checker: a clerk of the member's office proposes a
change of one or more fields (``correction_fields``) with a reason and, for identity data and
deregistration, a supporting document; another user of the office approves or rejects it
through the workflow engine.

An approval applies every change in the approver's one transaction: the values the proposer saw
must still be the member's (else the approval is refused: the correction is stale), the NIK is
checked again (16 digits, a known region code, the birth date and sex it encodes, unique), the
monthly contribution is computed again from the income level and JHT with the rates in force
next month and applies from next month (the months up to this one keep their amounts:
``PastContribution``), and the member's changed fields are audited, old and new.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from models import (
    CorrectionState,
    Member,
    MemberCorrection,
    PastContribution,
    Programme,
    Regency,
    User,
)

from .. import audit, authz, workflow
from ..clock import today_in_jakarta, utcnow
from ..errors import DomainError
from ..importing.nik import check_nik
from ..rules.contributions import Contribution
from ..rules.coverage import month_start
from ..transaction import after_rollback
from . import reference
from .claim_documents import DocumentSettings, sniff
from .correction_fields import FIELDS, MEMBER_RECORD, REGISTRY, Context, CorrectionField
from .files import clean_filename
from .ledger import member_contribution

S = CorrectionState
REASON_MAX = 2000

STATE_LABELS = {
    S.SUBMITTED: _l("waiting for a decision"),
    S.APPROVED: _l("approved and applied"),
    S.REJECTED: _l("rejected"),
}


@dataclass(frozen=True)
class Upload:
    """A supporting document as uploaded."""

    data: bytes
    filename: str


def document_path(settings: DocumentSettings, correction: MemberCorrection) -> Path:
    assert correction.document_storage_name is not None
    return (
        settings.storage_dir / "corrections" / str(correction.id) / correction.document_storage_name
    )


# --------------------------------------------------------------------------------------------
# What a set of changes means, checked when proposed and again when approved
# --------------------------------------------------------------------------------------------


def _after(member: Member, changes: Mapping[str, Any], name: str) -> Any:
    """A field's value once the changes are applied."""
    change = changes.get(name)
    return change["new"] if change is not None else REGISTRY[name].read(member)


def new_contribution(ctx: Context, changes: Mapping[str, Any]) -> Contribution | None:
    """The monthly contribution from next month, when the changes touch it (None otherwise):
    the income level and JHT after the changes, at the rates in force next month."""
    if not any(REGISTRY[name].contribution for name in changes):
        return None
    income = _after(ctx.member, changes, "income_level")
    programmes = [Programme.JKK, Programme.JKM]
    if _after(ctx.member, changes, "jht"):
        programmes.append(Programme.JHT)
    rates = reference.rates_on(ctx.session, ctx.next_month)
    return reference.contribution_of(income, programmes, rates)


def check_changes(ctx: Context, changes: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(field, message) for everything that keeps the changes from being applied to the member
    as it is now; [] when they can be."""
    problems: list[tuple[str, Any]] = []
    member = ctx.member
    if any(REGISTRY[name].identity for name in changes):
        nik = _after(member, changes, "nik")
        born = date.fromisoformat(_after(member, changes, "birth_date"))
        sex = _after(member, changes, "sex")
        regencies = frozenset(ctx.session.scalars(select(Regency.code)))
        for message in check_nik(nik, birth_date=born, sex=sex, known_regencies=regencies):
            problems.append(("nik", _l("NIK: %(problem)s", problem=message)))
        if "nik" in changes:
            taken = ctx.session.scalar(
                select(Member.id).where(Member.nik == nik, Member.id != member.id)
            )
            if taken is not None:
                problems.append(("nik", _l("Another member is registered with this NIK.")))
    if "income_level" in changes or "jht" in changes:
        income = _after(member, changes, "income_level")
        if income not in reference.income_levels_on(ctx.session, ctx.next_month):
            problems.append(
                (
                    "income_level",
                    _l("The income level %(level)s is not in force from next month.", level=income),
                )
            )
        else:
            try:
                new_contribution(ctx, changes)
            except DomainError as error:
                problems.append(("income_level", error.message))
    return problems


def stale_fields(member: Member, changes: Mapping[str, Any]) -> list[CorrectionField]:
    """The fields whose value is no longer the one the correction was proposed against."""
    return [
        REGISTRY[name] for name, c in changes.items() if REGISTRY[name].read(member) != c["old"]
    ]


def _stale_message(fields: list[CorrectionField]) -> Any:
    return _l(
        "The member's data changed after this correction was proposed (%(fields)s): it "
        "cannot be applied. Reject it and propose the correction again.",
        fields=", ".join(str(f.label) for f in fields),
    )


def _context(session: Session, correction: MemberCorrection, actor: User) -> Context:
    return Context(session, correction.member, actor, today_in_jakarta(), correction.reason)


def approval_problem(session: Session, actor: User, correction: MemberCorrection) -> Any:
    """Why the correction cannot be applied to the member now (None when it can)."""
    stale = stale_fields(correction.member, correction.changes)
    if stale:
        return _stale_message(stale)
    problems = check_changes(_context(session, correction, actor), correction.changes)
    return problems[0][1] if problems else None


# --------------------------------------------------------------------------------------------
# Proposing
# --------------------------------------------------------------------------------------------


def proposed_changes(ctx: Context, values: Mapping[str, str | None]) -> dict[str, Any]:
    """{field: {"old", "new"}} for each field of ``values`` (the form's text) that differs from
    the member's; DomainError naming the field for a value that cannot be used."""
    changes: dict[str, Any] = {}
    for field in FIELDS:
        if field.name not in values:
            continue
        new = field.parse(ctx, values[field.name] or "")
        old = field.read(ctx.member)
        if new != old:
            changes[field.name] = {"old": old, "new": new}
    return changes


def propose(
    session: Session,
    actor: User,
    member: Member,
    values: Mapping[str, str | None],
    reason: str,
    *,
    document: Upload | None,
    settings: DocumentSettings | None = None,
    ip: str | None = None,
    today: date | None = None,
    demo: bool = False,
) -> MemberCorrection:
    """A clerk of the member's office proposes the changes of ``values`` (the form's text per
    field; a field left as it is changes nothing). Flushed and audited; the document is stored
    and removed again if the caller's transaction is not committed.

    ``demo=True`` only for the demo data: a fixture rather than anyone's act, like the rest of
    the demo data (not audited)."""
    authz.MEMBERS.check(actor, "propose_correction", member).require()
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_l("Give the reason for the correction."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _l("The reason has at most %(n)s characters.", n=REASON_MAX), field="reason"
        )
    waiting = session.scalar(
        select(MemberCorrection.id).where(
            MemberCorrection.member_id == member.id, MemberCorrection.state == S.SUBMITTED
        )
    )
    if waiting is not None:
        raise DomainError(
            _l(
                "Correction #%(id)s of this member is waiting for a decision: it is decided first.",
                id=waiting,
            )
        )
    ctx = Context(session, member, actor, today or today_in_jakarta(), reason)
    changes = proposed_changes(ctx, values)
    if not changes:
        raise DomainError(_l("Change at least one field: every value is as it was."))
    problems = check_changes(ctx, changes)
    if problems:
        field, message = problems[0]
        raise DomainError(message, field=field)
    needing = [REGISTRY[name] for name in changes if REGISTRY[name].needs_document]
    if needing and document is None:
        raise DomainError(
            _l(
                "A change of %(fields)s needs a supporting document (PDF, JPEG or PNG).",
                fields=", ".join(str(f.label) for f in needing),
            ),
            field="document",
        )
    kind = None
    if document is not None:
        if settings is None:
            raise ValueError("storing a document needs the document settings")
        kind = _checked_document(document, settings)
    correction = MemberCorrection(
        state=S.SUBMITTED,
        member_id=member.id,
        office_id=member.office_id,
        region_id=member.region_id,
        proposed_by_id=actor.id,
        changes=changes,
        reason=reason,
    )
    if document is not None and kind is not None:
        content_type, extension = kind
        correction.document_filename = clean_filename(document.filename, "dokumen")
        correction.document_content_type = content_type
        correction.document_size = len(document.data)
        correction.document_sha256 = hashlib.sha256(document.data).hexdigest()
        correction.document_storage_name = f"{uuid.uuid4().hex}.{extension}"
    session.add(correction)
    session.flush()
    if document is not None:
        path = document_path(settings, correction)
        after_rollback(session, lambda: path.unlink(missing_ok=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(document.data)
    if demo:
        return correction
    audit.append_event(
        session,
        actor=actor,
        action="propose",
        record_type=WORKFLOW.name,
        record_id=correction.id,
        to_state=S.SUBMITTED.value,
        comment=reason,
        ip=ip,
        details={
            "member_id": member.id,
            "fields": sorted(changes),
            "document_sha256": correction.document_sha256,
        },
        region_id=member.region_id,
        office_id=member.office_id,
        department_id=member.department_id,
    )
    return correction


def _checked_document(document: Upload, settings: DocumentSettings) -> tuple[str, str]:
    """The claim documents' checks: not empty, within the size limit, a PDF, JPEG or PNG by
    its content."""
    if not document.data:
        raise DomainError(_l("The file is empty."), field="document")
    if len(document.data) > settings.max_bytes:
        raise DomainError(
            _l(
                "The file is larger than %(limit)s MB.",
                limit=max(1, settings.max_bytes // (1024 * 1024)),
            ),
            field="document",
        )
    kind = sniff(document.data)
    if kind is None:
        raise DomainError(
            _l("Only PDF, JPEG and PNG files are accepted (judged by their content)."),
            field="document",
        )
    return kind


# --------------------------------------------------------------------------------------------
# Deciding: the workflow
# --------------------------------------------------------------------------------------------


def _applicable(actor: User, correction: MemberCorrection, params: dict[str, Any]) -> Any:
    session = object_session(correction)
    return approval_problem(session, actor, correction) if session is not None else None


def _record_decision(
    session: Session, actor: User, correction: MemberCorrection, params: dict, now: datetime
) -> None:
    correction.decided_by_id = actor.id
    correction.decided_at = now
    correction.decision_comment = (params.get("comment") or "").strip() or None


def _apply(
    session: Session, actor: User, correction: MemberCorrection, params: dict, now: datetime
) -> dict[str, Any]:
    """Apply every change to the member (locked and read again), in this transaction."""
    member = session.scalars(
        select(Member)
        .where(Member.id == correction.member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    problem = approval_problem(session, actor, correction)
    if problem:
        raise DomainError(problem)
    changes = correction.changes
    ctx = _context(session, correction, actor)
    contribution = new_contribution(ctx, changes)
    # Every field but those applied last (ending the membership), which follow the audit event.
    for name, change in changes.items():
        if not REGISTRY[name].last:
            REGISTRY[name].apply(ctx, change["new"])
    details: dict[str, Any] = {
        "correction_id": correction.id,
        "changes": {name: [c["old"], c["new"]] for name, c in changes.items()},
    }
    if contribution is not None:
        details["contribution"] = _change_contribution(
            session, member, correction, contribution, ctx
        )
        correction.effective_from = ctx.next_month
    session.flush()
    audit.append_event(
        session,
        actor=actor,
        action="correct",
        record_type=MEMBER_RECORD,
        record_id=member.id,
        comment=correction.reason,
        ip=params.get("ip"),
        details=details,
        region_id=member.region_id,
        office_id=member.office_id,
        department_id=member.department_id,
        occurred_at=now,
    )
    for name in changes:
        field = REGISTRY[name]
        if field.last:
            field.apply(ctx, changes[name]["new"])
    _record_decision(session, actor, correction, params, now)
    return {"member_id": member.id, "fields": ",".join(sorted(changes))}


def _change_contribution(
    session: Session,
    member: Member,
    correction: MemberCorrection,
    new: Contribution,
    ctx: Context,
) -> dict[str, Any]:
    """The new contribution from next month; this month and earlier keep the amount they owed
    (kept once per month: a second change approved in the same month keeps the first's)."""
    old = member_contribution(member)
    this_month = month_start(ctx.today)
    kept = session.scalar(
        select(PastContribution.id).where(
            PastContribution.member_id == member.id, PastContribution.until_period == this_month
        )
    )
    if kept is None and old != new:
        session.add(
            PastContribution(
                member_id=member.id,
                until_period=this_month,
                jkk=old.jkk,
                jkm=old.jkm,
                jht=old.jht,
                correction_id=correction.id,
                created_at=utcnow(),
            )
        )
    member.contribution_jkk = new.jkk
    member.contribution_jkm = new.jkm
    member.contribution_jht = new.jht
    member.monthly_contribution = new.total
    return {
        "monthly_contribution": [old.total, new.total],
        "effective_from": ctx.next_month.isoformat(),
    }


A = authz.CORRECTIONS.actions

WORKFLOW = workflow.Workflow(
    authz.CORRECTIONS,
    (
        workflow.Transition(
            A["approve"], S.APPROVED, guards=(_applicable,), effect=_apply, style="success"
        ),
        workflow.Transition(
            A["reject"], S.REJECTED, comment_required=True, effect=_record_decision, style="danger"
        ),
    ),
    audit_scope=lambda c: (c.region_id, c.office_id, c.member.department_id),
)


def decide(
    session: Session,
    actor: User,
    correction_id: int | None,
    action: str,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
) -> MemberCorrection:
    """Approve (apply) or reject a correction (flushed and audited; the caller commits)."""
    return workflow.apply(
        session,
        WORKFLOW,
        correction_id,
        action,
        actor,
        comment=comment,
        expected_version=expected_version,
        ip=ip,
        params={"ip": ip or ""},
    )


def options(actor: User, correction: MemberCorrection) -> list[workflow.Option]:
    """The correction's transitions as ``decide`` judges them for ``actor``."""
    return WORKFLOW.options(actor, correction)


@dataclass(frozen=True)
class ShownChange:
    label: Any
    old: str
    new: str
    #: the member's value now, when it is no longer the one proposed against
    now: str | None


def shown_changes(session: Session, correction: MemberCorrection) -> list[ShownChange]:
    """The changes as the decision page shows them, in the registry's order."""
    shown = []
    for field in FIELDS:
        change = correction.changes.get(field.name)
        if change is None:
            continue
        current = field.read(correction.member)
        waiting = correction.state is S.SUBMITTED
        shown.append(
            ShownChange(
                field.label,
                field.show(session, change["old"]),
                field.show(session, change["new"]),
                field.show(session, current) if waiting and current != change["old"] else None,
            )
        )
    return shown


def summary(correction: MemberCorrection) -> str:
    """The fields a correction changes, named (the list's column)."""
    return ", ".join(str(f.label) for f in FIELDS if f.name in correction.changes)
