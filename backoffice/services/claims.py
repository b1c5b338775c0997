"""Benefit claims (JKM, JKK, JHT): intake, eligibility, documents, approval with limits, payment.

A clerk registers a claim for a member of their office; the documents of the claim type's
checklist are uploaded and checked; the claim is verified, approved by someone who neither
registered nor verified it (at the level whose limit covers the amount; above it the claim moves
to the next level's queue), and paid once. Every step goes through the workflow engine; who may
take it is asked of ``authz`` (``authz.CLAIMS``). Operations flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Claim,
    ClaimChild,
    ClaimState,
    ClaimType,
    ContributionPayment,
    JhtReason,
    Member,
    MemberStatus,
    Programme,
    Relationship,
    User,
)

from .. import audit, authz, benefit_texts
from ..clock import today_in_jakarta
from ..errors import DomainError
from ..importing import check_nik
from ..importing.messages import Message
from ..labels import STATE_LABELS as STATE_TEXT
from ..rules import Finding, benefits, coverage, eligibility
from ..rules.parameters import MissingParameter
from . import ledger, reference
from .messages import message_record, stored_message

C = ClaimState
RECORD_TYPE = "claim"
STATE_LABELS = {state: STATE_TEXT[state.value] for state in ClaimState}
STATUS_LABELS = {status: STATE_TEXT[status.value] for status in MemberStatus}
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
    # disability_percent, death.
    details: dict[str, Any] = field(default_factory=dict)
    # JKM, JKK death or total permanent disability: the member's children for the scholarship.
    children: list[benefits.Child] = field(default_factory=list)


@dataclass
class Assessment:
    """What the rules say about a claim: refusals (it cannot be registered) and the benefit."""

    refusals: list[Any]
    coverage: coverage.Coverage | None
    breakdown: benefits.Breakdown | None


def ledger_payments(
    session: Session, member_id: int, until: date | None = None
) -> list[coverage.Paid]:
    """The member's months paid with their payment dates (made by ``until``)."""
    stmt = select(ContributionPayment.period, ContributionPayment.paid_on).where(
        ContributionPayment.member_id == member_id
    )
    if until is not None:
        stmt = stmt.where(ContributionPayment.paid_on <= until)
    return [coverage.Paid(period, paid_on) for period, paid_on in session.execute(stmt)]


def member_coverage(session: Session, member: Member, on: date) -> coverage.Coverage:
    rules = reference.lifecycle_rules(parameters_on(session, on))
    # Payments made after the event do not cover it retroactively (arrears paid within the
    # window restore protection from the day they are paid).
    return coverage.coverage_on(ledger_payments(session, member.id, until=on), on, rules)


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
            status=member.status,
            since=member.status_since,
            cover=cover,
            has_jht=Programme.JHT.value in member.programmes.split(","),
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
        breakdown = _compute(session, data, params, cover, today)
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
    eligibility.MEMBER_CLOSED: lambda p: _l(
        "The member is %(status)s since %(since)s: no claim can be registered any more.",
        status=STATUS_LABELS[p["status"]],
        since=_day(p["since"]) if p["since"] else "-",
    ),
    eligibility.NOT_PROTECTED_YET: lambda p: _l(
        "The member was not protected on %(date)s: no contribution had been paid by then, "
        "and protection starts with the first contribution paid.",
        date=_day(p["date"]),
    ),
    eligibility.NOT_COVERED: lambda p: _l(
        "The member was not covered on %(date)s: lapsed since %(lapsed)s, protection ended on "
        "%(ended)s after more than %(max)s consecutive monthly contributions went unpaid.",
        date=_day(p["date"]),
        lapsed=_day(p["ended"] + timedelta(days=1)),
        ended=_day(p["ended"]),
        max=p["max"],
    ),
    eligibility.JHT_NOT_CHOSEN: lambda p: _l(
        "The member did not choose JHT: there is no JHT balance to claim."
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
    session: Session,
    data: ClaimData,
    params: Mapping[str, Any],
    cover: coverage.Coverage,
    today: date,
) -> benefits.Breakdown:
    details = data.details
    if (
        data.claim_type is ClaimType.JKK
        and _int(details, "transport_cost") > 0
        and not details.get("transport_mode")
    ):
        raise DomainError(
            _l("Choose how the worker was transported (land, sea or air) for the transport costs."),
            field="transport_mode",
        )
    try:
        if data.claim_type is ClaimType.JKM:
            return benefits.jkm_benefit(
                params,
                children=data.children,
                contribution_months=cover.paid_months,
                event_date=data.event_date,
                today=today,
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
                children=data.children,
                event_date=data.event_date,
                today=today,
            )
        return benefits.jht_benefit(ledger.jht_statement(session, data.member.id, data.event_date))
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
        # The scholarship school year by school year; the years begun are lines above.
        "schedule": [
            {
                "school_year": year.school_year,
                "child": year.child,
                "name": year.name,
                "level": year.level,
                "per_year": year.per_year,
                "amount": year.amount,
                "age": year.age,
                "paid_now": year.paid_now,
            }
            for year in breakdown.schedule
        ],
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


def shown_schedule(claim: Claim) -> list[dict[str, Any]]:
    """The claim's scholarship school year by school year, as computed with its benefit."""
    return list((claim.breakdown or {}).get("schedule") or [])


def claim_children(claim: Claim) -> list[benefits.Child]:
    """The children recorded on a claim, as the rules read them."""
    return [
        benefits.Child(c.name, c.birth_date, c.school_level, c.married, c.working)
        for c in claim.children
    ]


def _refuse(assessment: Assessment) -> None:
    if assessment.refusals:
        raise DomainError(assessment.refusals[0], field="eligibility")


def _children_for(data: ClaimData) -> list[benefits.Child]:
    """The children a claim keeps: a JKM claim's, a JKK claim's on death or total permanent
    disability (the form asks for them only then); none for JHT."""
    return [] if data.claim_type is ClaimType.JHT else list(data.children)


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
    # The rows kept by position (updated in place: a new row at a taken position would be
    # inserted before the old one is deleted).
    rows = {row.position: row for row in claim.children}
    kept = []
    for position, child in enumerate(_children_for(data), start=1):
        row = rows.get(position) or ClaimChild(position=position)
        row.name = child.name.strip()
        row.birth_date = child.birth_date
        row.school_level = child.level
        row.married = child.married
        row.working = child.working
        kept.append(row)
    claim.children = kept
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
    claim_event(session, actor, claim, "create", None, C.SUBMITTED, ip, {"amount": claim.amount})
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
    claim_event(
        session, actor, claim, "edit", claim.state, claim.state, ip, {"amount": claim.amount}
    )
    return claim


def claim_event(
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
