"""Benefit claims (JKM, JKK, JHT): intake, eligibility, documents, approval with limits, payment.

A clerk registers a claim for a member of their office; the documents of the claim type's
checklist are uploaded and checked; the claim is verified, approved by someone who neither
registered nor verified it (at the level whose limit covers the amount; above it the claim moves
to the next level's queue), and paid once. Every step goes through the workflow engine; who may
take it is asked of ``authz`` (``authz.CLAIMS``). Operations flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Claim,
    ClaimDocument,
    ClaimState,
    ClaimType,
    ContributionPayment,
    DocumentRequirement,
    JhtReason,
    Member,
    Relationship,
    Role,
    User,
)

from .. import audit, authz, benefit_texts, workflow
from ..authz.claims import LEVELS, next_level
from ..clock import jakarta_day, today_in_jakarta
from ..errors import DomainError
from ..importing import check_nik
from ..importing.messages import Message
from ..labels import STATE_LABELS as STATE_TEXT
from ..rules import Finding, benefits, coverage, eligibility
from ..rules.parameters import MissingParameter
from ..rules.working_days import add_working_days
from ..transaction import after_commit, after_rollback
from . import reference
from .files import clean_filename
from .messages import message_record, stored_message

C = ClaimState
RECORD_TYPE = "claim"
STATE_LABELS = {state: STATE_TEXT[state.value] for state in ClaimState}
SCHOOL_LEVELS = benefits.SCHOOL_LEVELS
TRANSPORT_MODES = ("land", "sea", "air")

# --------------------------------------------------------------------------------------------
# Reference parameters in force on a date
# --------------------------------------------------------------------------------------------


# The benefit parameters live with the other reference data; the claim rules read them here.
parameters_on = reference.parameters_on
_param = reference.parameter


# --------------------------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------------------------


class _AnyRegion:
    """An heir's NIK may come from any regency of Indonesia: only its shape is checked."""

    def __contains__(self, item: object) -> bool:
        return True


@dataclass
class ClaimData:
    claim_type: ClaimType
    member: Member
    event_date: date
    claimant_name: str
    claimant_nik: str
    claimant_relationship: Relationship
    bank_name: str
    bank_account: str
    account_holder: str
    jht_reason: JhtReason | None = None
    # JKK: accident_place, on_commute, treatment_cost, transport_mode, transport_cost, stmb_days,
    # disability_percent, death; JKM: children (school levels).
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Assessment:
    """What the rules say about a claim: refusals (it cannot be registered) and the benefit."""

    refusals: list[Any]
    coverage: coverage.Coverage | None
    breakdown: benefits.Breakdown | None


def ledger_periods(session: Session, member_id: int, until: date | None = None) -> list[date]:
    stmt = select(ContributionPayment.period).where(ContributionPayment.member_id == member_id)
    if until is not None:
        stmt = stmt.where(ContributionPayment.paid_on <= until)
    return list(session.scalars(stmt))


def member_coverage(session: Session, member: Member, on: date) -> coverage.Coverage:
    params = parameters_on(session, on)
    # Payments made after the event do not cover it retroactively.
    paid = ledger_periods(session, member.id, until=on)
    return coverage.coverage_on(
        member.start_date,
        paid,
        on,
        max_arrears=int(_param(params, "coverage.max_arrears_months")),
        due_day=reference.due_day(params),
    )


def jht_balance(session: Session, member_id: int, until: date) -> int:
    rows = session.scalars(
        select(ContributionPayment.jht).where(
            ContributionPayment.member_id == member_id, ContributionPayment.paid_on <= until
        )
    )
    return sum(rows)


def _int(details: Mapping[str, Any], key: str) -> int:
    value = details.get(key) or 0
    return int(value)


def assess(
    session: Session, data: ClaimData, *, today: date, claim_id: int | None = None
) -> Assessment:
    """Check eligibility and compute the benefit with the rules in force on the event date."""
    member = data.member
    refusals: list[Any] = [
        _refusal(f) for f in eligibility.event_findings(data.event_date, today, member.start_date)
    ]
    nik_problems = check_nik(data.claimant_nik, known_regencies=_AnyRegion())
    if nik_problems:
        refusals.append(_l("Claimant's NIK: %(problem)s", problem=str(nik_problems[0])))
    params = parameters_on(session, data.event_date)
    cover = member_coverage(session, member, data.event_date)
    try:
        findings = eligibility.claim_findings(
            data.claim_type,
            event_date=data.event_date,
            today=today,
            active=member.active,
            cover=cover,
            born=member.birth_date,
            claimant=data.claimant_relationship,
            jht_reason=data.jht_reason,
            params=params,
        )
    except MissingParameter as missing:
        raise reference.missing_parameter(missing.key) from None
    refusals.extend(_refusal(f) for f in findings)
    refusals.extend(_duplicate_refusals(session, data, claim_id))
    breakdown = None
    if not refusals:
        breakdown = _compute(session, data, params, cover)
    return Assessment(refusals, cover, breakdown)


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


#: What each eligibility finding says to the clerk.
_REFUSALS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    eligibility.EVENT_IN_FUTURE: lambda p: _l("The event date cannot be in the future."),
    eligibility.EVENT_BEFORE_START: lambda p: _l(
        "The member's protection started on %(start)s, after the event date.",
        start=_day(p["start"]),
    ),
    eligibility.MEMBER_INACTIVE: lambda p: _l("The member is not active."),
    eligibility.NOT_COVERED: lambda p: _l(
        "The member was not covered on %(date)s: %(months)s monthly contributions were "
        "unpaid by then, and protection allows at most %(max)s.",
        date=_day(p["date"]),
        months=p["months"],
        max=p["max"],
    ),
    eligibility.JKK_CLAIM_TOO_LATE: lambda p: _l(
        "A work-accident claim must be made within %(years)s years of the accident; "
        "the accident was on %(date)s.",
        years=p["years"],
        date=_day(p["date"]),
    ),
    eligibility.JKM_CLAIMED_BY_MEMBER: lambda p: _l(
        "A death benefit is claimed by an heir, not by the member."
    ),
    eligibility.JHT_REASON_MISSING: lambda p: _l("Choose the reason for the JHT claim."),
    eligibility.JHT_AGE_NOT_REACHED: lambda p: _l(
        "The member was %(age)s on %(date)s; JHT for age is paid from %(needed)s.",
        age=p["age"],
        date=_day(p["date"]),
        needed=p["needed"],
    ),
}


def _refusal(finding: Finding) -> Any:
    return _REFUSALS[finding.code](finding.params)


def _duplicate_refusals(session: Session, data: ClaimData, claim_id: int | None) -> list[Any]:
    open_or_paid = Claim.state.not_in([C.REJECTED])
    stmt = select(Claim.id).where(
        Claim.member_id == data.member.id, Claim.claim_type == data.claim_type, open_or_paid
    )
    if data.claim_type is ClaimType.JKK:
        stmt = stmt.where(Claim.event_date == data.event_date)
    if claim_id is not None:
        stmt = stmt.where(Claim.id != claim_id)
    existing = session.scalar(stmt.limit(1))
    if existing is None:
        return []
    return [
        _l(
            "This member already has a %(type)s claim (no. %(id)s) that is not rejected.",
            type=data.claim_type.value,
            id=existing,
        )
    ]


def _compute(
    session: Session, data: ClaimData, params: Mapping[str, Any], cover: coverage.Coverage
) -> benefits.Breakdown:
    details = data.details
    try:
        if data.claim_type is ClaimType.JKM:
            return benefits.jkm_benefit(
                params,
                children=list(details.get("children") or []),
                contribution_months=cover.paid_months,
            )
        if data.claim_type is ClaimType.JKK:
            return benefits.jkk_benefit(
                params,
                income=data.member.income_level,
                treatment_cost=_int(details, "treatment_cost"),
                transport_mode=details.get("transport_mode") or None,
                transport_cost=_int(details, "transport_cost"),
                stmb_days=_int(details, "stmb_days"),
                disability_percent=Decimal(str(details.get("disability_percent") or 0)),
                death=bool(details.get("death")),
                children=list(details.get("children") or []),
                contribution_months=cover.paid_months,
            )
        return benefits.jht_benefit(
            contributions=jht_balance(session, data.member.id, data.event_date)
        )
    except MissingParameter as missing:
        raise reference.missing_parameter(missing.key) from None
    except ValueError as error:
        raise DomainError(
            _l("The claim details are not valid: %(error)s", error=str(error))
        ) from None


def breakdown_record(breakdown: benefits.Breakdown) -> dict[str, Any]:
    """The breakdown as JSON, its texts kept translatable."""
    return {
        "lines": [
            {
                "code": line.code,
                "label": message_record(benefit_texts.label(line)),
                "detail": message_record(detail)
                if (detail := benefit_texts.detail(line)) is not None
                else None,
                "amount": line.amount,
            }
            for line in breakdown.lines
        ],
        "notes": [message_record(benefit_texts.note_text(note)) for note in breakdown.notes],
        "total": breakdown.total,
    }


@dataclass
class ShownLine:
    label: Message
    detail: Message | None
    amount: int


def shown_breakdown(claim: Claim) -> tuple[list[ShownLine], list[Message]]:
    record = claim.breakdown or {"lines": [], "notes": []}
    lines = [
        ShownLine(
            stored_message(line["label"]),
            stored_message(line["detail"]) if line.get("detail") else None,
            line["amount"],
        )
        for line in record["lines"]
    ]
    return lines, [stored_message(n) for n in record.get("notes", [])]


def _refuse(assessment: Assessment) -> None:
    if assessment.refusals:
        raise DomainError(assessment.refusals[0], field="eligibility")


def _apply(claim: Claim, data: ClaimData, assessment: Assessment) -> None:
    claim.claim_type = data.claim_type
    claim.member_id = data.member.id
    claim.office_id = data.member.office_id
    claim.region_id = data.member.region_id
    claim.event_date = data.event_date
    claim.jht_reason = data.jht_reason if data.claim_type is ClaimType.JHT else None
    claim.claimant_name = data.claimant_name.strip()
    claim.claimant_nik = data.claimant_nik.strip()
    claim.claimant_relationship = data.claimant_relationship
    claim.bank_name = data.bank_name.strip()
    claim.bank_account = data.bank_account.strip()
    claim.account_holder = data.account_holder.strip()
    claim.details = dict(data.details)
    assert assessment.breakdown is not None
    claim.breakdown = breakdown_record(assessment.breakdown)
    claim.amount = assessment.breakdown.total


def register_claim(
    session: Session,
    actor: User,
    data: ClaimData,
    *,
    today: date | None = None,
    ip: str | None = None,
) -> Claim:
    """Register a claim (state submitted; flushed and audited, not committed).

    A claim the database's unique index keeps out at the last moment (registered meanwhile by
    another clerk) ends the caller's transaction: it is lost either way.
    """
    today = today or today_in_jakarta()
    authz.MEMBERS.check(actor, "register_claim", data.member).require()
    assessment = assess(session, data, today=today)
    _refuse(assessment)
    claim = Claim(state=C.SUBMITTED, registered_by_id=actor.id, submitted_at=datetime.now(UTC))
    _apply(claim, data, assessment)
    session.add(claim)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another clerk registered the member's JKM or JHT claim after the check above: the
        # database's unique index (uq_claim_member_once) kept this one out. The transaction is
        # lost either way; the refusal names the claim that was registered first.
        reason = str(exc.orig)  # PostgreSQL names the index, SQLite its columns
        session.rollback()
        if not any(
            k in reason for k in ("uq_claim_member_once", "claim.member_id, claim.claim_type")
        ):
            raise
        refusals = _duplicate_refusals(session, data, None)
        raise DomainError(
            refusals[0] if refusals else _l("This claim was already registered.")
        ) from None
    _event(session, actor, claim, "create", None, C.SUBMITTED, ip, {"amount": claim.amount})
    return claim


def update_claim(
    session: Session,
    actor: User,
    claim: Claim,
    data: ClaimData,
    *,
    today: date | None = None,
    ip: str | None = None,
) -> Claim:
    """Correct a claim before verification or after it was returned (flushed, audited)."""
    today = today or today_in_jakarta()
    authz.CLAIMS.check(actor, "edit", claim).require()
    if data.member.id != claim.member_id or data.claim_type is not claim.claim_type:
        raise DomainError(
            _l(
                "The member and the claim type cannot be changed; reject the claim and register a new one."
            )
        )
    assessment = assess(session, data, today=today, claim_id=claim.id)
    _refuse(assessment)
    _apply(claim, data, assessment)
    session.flush()
    _event(session, actor, claim, "edit", claim.state, claim.state, ip, {"amount": claim.amount})
    return claim


def _event(
    session: Session,
    actor: User,
    claim: Claim,
    action: str,
    before: ClaimState | None,
    after: ClaimState,
    ip: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    audit.append_event(
        session,
        actor=actor,
        action=action,
        record_type=RECORD_TYPE,
        record_id=claim.id,
        from_state=before.value if before else None,
        to_state=after.value,
        ip=ip,
        details=details,
        region_id=claim.region_id,
        office_id=claim.office_id,
    )


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------

ALLOWED_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}


def sniff(data: bytes) -> tuple[str, str] | None:
    """Content type and extension told by the bytes, never by the file name."""
    for signature, kind in ALLOWED_TYPES.items():
        if data.startswith(signature):
            return kind
    return None


def requirements_for(session: Session, claim: Claim) -> list[DocumentRequirement]:
    stmt = select(DocumentRequirement).where(
        DocumentRequirement.claim_type == claim.claim_type,
        DocumentRequirement.active.is_(True),
        or_(
            DocumentRequirement.jht_reason.is_(None),
            DocumentRequirement.jht_reason == claim.jht_reason,
        ),
    )
    return list(
        session.scalars(stmt.order_by(DocumentRequirement.sort_order, DocumentRequirement.id))
    )


@dataclass
class ChecklistItem:
    requirement: DocumentRequirement
    document: ClaimDocument | None

    @property
    def present(self) -> bool:
        return self.document is not None

    @property
    def checked(self) -> bool:
        return self.document is not None and self.document.checked_at is not None


def checklist(session: Session, claim: Claim) -> list[ChecklistItem]:
    documents = {
        d.requirement_id: d
        for d in session.scalars(select(ClaimDocument).where(ClaimDocument.claim_id == claim.id))
    }
    return [ChecklistItem(r, documents.get(r.id)) for r in requirements_for(session, claim)]


@dataclass(frozen=True)
class DocumentNames:
    """Documents named in a message in the language of whoever reads it (chosen when the
    message is shown, like the rest of it)."""

    names: tuple[tuple[str, str], ...]  # (Indonesian, English)

    @classmethod
    def of(cls, items: list[ChecklistItem]) -> DocumentNames:
        return cls(tuple((i.requirement.name, i.requirement.name_en) for i in items))

    def __str__(self) -> str:
        english = str(get_locale() or "id") == "en"
        return ", ".join(en if english else name for name, en in self.names)


def _documents_problem(session: Session, claim: Claim) -> Any:
    items = [i for i in checklist(session, claim) if i.requirement.required]
    missing = [i for i in items if not i.present]
    if missing:
        return _l("Documents are missing: %(names)s.", names=DocumentNames.of(missing))
    unchecked = [i for i in items if not i.checked]
    if unchecked:
        return _l("Documents are not checked yet: %(names)s.", names=DocumentNames.of(unchecked))
    return None


@dataclass
class DocumentSettings:
    storage_dir: Path
    max_bytes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> DocumentSettings:
        storage = config.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads")
        return cls(Path(storage), int(config.get("CLAIM_DOCUMENT_MAX_BYTES") or 5 * 1024 * 1024))

    def path_of(self, document: ClaimDocument) -> Path:
        return self.storage_dir / "claims" / str(document.claim_id) / document.storage_name


def upload_document(
    session: Session,
    actor: User,
    claim: Claim,
    requirement_id: int,
    data: bytes,
    filename: str,
    *,
    settings: DocumentSettings,
    ip: str | None = None,
) -> ClaimDocument:
    """Store a document for one checklist item, replacing an earlier one (flushed and
    audited; the file is removed again if the caller's transaction is not committed, and the
    replaced file once it is)."""
    authz.CLAIMS.check(actor, "change_documents", claim).require()
    requirement = next(
        (r for r in requirements_for(session, claim) if r.id == requirement_id), None
    )
    if requirement is None:
        raise DomainError(_l("This document is not on the claim's checklist."))
    if not data:
        raise DomainError(_l("The file is empty."))
    if len(data) > settings.max_bytes:
        raise DomainError(
            _l(
                "The file is larger than %(limit)s MB.",
                limit=max(1, settings.max_bytes // (1024 * 1024)),
            )
        )
    kind = sniff(data)
    if kind is None:
        raise DomainError(
            _l("Only PDF, JPEG and PNG files are accepted (judged by their content).")
        )
    content_type, extension = kind
    old = session.scalar(
        select(ClaimDocument).where(
            ClaimDocument.claim_id == claim.id, ClaimDocument.requirement_id == requirement.id
        )
    )
    old_path = settings.path_of(old) if old is not None else None
    if old is not None:
        session.delete(old)
        session.flush()
    now = datetime.now(UTC)
    document = ClaimDocument(
        claim_id=claim.id,
        requirement_id=requirement.id,
        filename=clean_filename(filename, "dokumen"),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=f"{uuid.uuid4().hex}.{extension}",
        uploaded_by_id=actor.id,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    path = settings.path_of(document)
    after_rollback(session, lambda: path.unlink(missing_ok=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    _mark_complete(session, claim, now)
    _event(
        session,
        actor,
        claim,
        "document_upload",
        claim.state,
        claim.state,
        ip,
        {"document": requirement.code, "sha256": document.sha256, "bytes": len(data)},
    )
    if old_path is not None:
        after_commit(session, lambda: old_path.unlink(missing_ok=True))
    return document


def _mark_complete(session: Session, claim: Claim, now: datetime) -> None:
    """The file is complete when every required document is there: the service clock starts."""
    items = [i for i in checklist(session, claim) if i.requirement.required]
    if claim.complete_at is None and all(i.present for i in items):
        claim.complete_at = now
        params = parameters_on(session, jakarta_day(now))
        days = int(_param(params, f"sla.{claim.claim_type.value}.working_days"))
        claim.due_date = add_working_days(jakarta_day(now), days)


def check_document(
    session: Session, actor: User, document: ClaimDocument, *, ip: str | None = None
) -> ClaimDocument:
    """A clerk confirms a document matches the claim (flushed and audited)."""
    claim = document.claim
    authz.CLAIMS.check(actor, "change_documents", claim).require()
    document.checked_by_id = actor.id
    document.checked_at = datetime.now(UTC)
    _event(
        session,
        actor,
        claim,
        "document_check",
        claim.state,
        claim.state,
        ip,
        {"document": document.requirement.code},
    )
    session.flush()
    return document


# --------------------------------------------------------------------------------------------
# The workflow
# --------------------------------------------------------------------------------------------


def _documents_complete(actor: User, claim: Claim, params: dict[str, Any]) -> Any:
    session = params.get("session")
    return _documents_problem(session, claim) if session is not None else None


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
        return int(_param(self.parameters, f"approval.limit.{role.value}"))

    def __iter__(self) -> Iterator[Role]:
        return iter(LEVELS)

    def __len__(self) -> int:
        return len(LEVELS)


def facts(session: Session, day: date | None = None) -> authz.Facts:
    """What the rules of a claim's decisions need: the approval limits in force."""
    parameters = parameters_on(session, day or today_in_jakarta())
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
        raise DomainError(
            _l(
                "The transfer reference %(ref)s is already recorded for claim no. %(id)s.",
                ref=reference,
                id=taken,
            )
        )
    claim.payment_reference = reference
    claim.paid_on = params["paid_on"]
    claim.paid_by_id = actor.id
    claim.paid_at = now
    return {"amount": claim.amount, "paid_on": claim.paid_on.isoformat()}


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
        workflow.Transition(A["approve"], C.APPROVED, effect=_approve, style="success"),
        workflow.Transition(A["escalate"], C.VERIFIED, effect=_escalate, style="info"),
        workflow.Transition(
            A["reject"],
            C.REJECTED,
            comment_required=True,
            effect=_record_decision,
            style="danger",
        ),
        workflow.Transition(
            A["pay"], C.PAID, guards=(_payment_given,), effect=_pay, style="success"
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
    params: dict[str, Any] = {"session": session}
    if action == "pay":
        params["payment_reference"] = payment_reference or ""
        params["paid_on"] = paid_on
    if action == "approve":
        claim = session.get(Claim, claim_id) if claim_id is not None else None
        if claim is not None:
            action = _approve_or_escalate(known, actor, claim)
    return workflow.apply(
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
