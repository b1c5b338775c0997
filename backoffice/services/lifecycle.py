"""A member's status through their membership, changed here only: on a payment, on a paid
claim, on a deregistration, and by the nightly task (lapses and ends).

The status is the one the rule gives from the payment history (``rules.lifecycle.replay``,
the arrears limit, the window for arrears and the due day in force: reference data), then
closed by a paid death claim (deceased, in the same transaction as the payment of the claim)
or a JHT paid out or a deregistration (exited). Each change is a ``MemberStatusChange`` row
and an audit event (action ``status``, from and to state, the reason). The member's
``lapses_on`` and ``ends_on`` keep what happens if nothing more is paid, so the nightly task
is two set-based UPDATEs. Operations flush; the caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models import (
    Claim,
    ClaimType,
    ContributionPayment,
    JhtReason,
    Member,
    MemberStatus,
    MemberStatusChange,
    User,
)

from .. import audit, authz, tasks
from ..clock import JAKARTA, as_utc, today_in_jakarta
from ..errors import DomainError
from ..extensions import db
from ..labels import STATE_LABELS
from ..rules import lifecycle
from ..rules.lifecycle import Change, Paid, Standing
from ..rules.months import month_start
from . import reference

S = MemberStatus
log = logging.getLogger(__name__)
RECORD_TYPE = "member"
ACTION = "status"
CHUNK = 1000
REASON_LENGTH = 200
_ONE = timedelta(days=1)


def _day(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day is not None else "-"


def status_label(status: MemberStatus) -> Any:
    return STATE_LABELS[status.value]


def rules_on(session: Session, day: date) -> lifecycle.Rules:
    return reference.lifecycle_rules_on(session, day)


def histories(session: Session, member_ids: Iterable[int]) -> dict[int, list[Paid]]:
    """Each member's months paid with their payment dates, read a thousand members at a time."""
    found: dict[int, list[Paid]] = {}
    ids = sorted(set(member_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(
                ContributionPayment.member_id,
                ContributionPayment.period,
                ContributionPayment.paid_on,
            ).where(ContributionPayment.member_id.in_(ids[start : start + CHUNK]))
        )
        for member_id, period, paid_on in rows:
            found.setdefault(member_id, []).append(Paid(period, paid_on))
    return found


def stored_standing(member: Member) -> Standing:
    return lifecycle.from_stored(
        member.status, member.status_since, member.lapses_on, member.ends_on
    )


# --------------------------------------------------------------------------------------------
# Contributions
# --------------------------------------------------------------------------------------------


def closed_refusal(member: Member) -> Any:
    """Why no contribution is recorded for the member as they stand (None: it may be)."""
    if member.status in lifecycle.CONTRIBUTIONS_CLOSED:
        return _l(
            "The membership is %(status)s since %(since)s: no contribution can be recorded.",
            status=status_label(member.status),
            since=_day(member.status_since),
        )
    return None


def payment_refusal(
    member: Member, history: list[Paid], paid_on: date, rules: lifecycle.Rules
) -> Any:
    """Why a payment made on ``paid_on`` is refused (None: it is accepted): the member's
    status, then the status the history gives that day (past the window for arrears the
    membership ended, whether or not the nightly task has said so yet)."""
    if member.status in lifecycle.CONTRIBUTIONS_CLOSED:
        return closed_refusal(member)
    before = lifecycle.standing_on(history, paid_on, rules)
    finding = lifecycle.payment_refusal(before)
    if finding is None:
        return None
    return _l(
        "The membership ended on %(ended_on)s: protection ended on %(ended)s and the arrears "
        "were not paid within %(months)s months (by %(window)s). No contribution paid on "
        "%(paid_on)s can be recorded.",
        ended_on=_day(before.since),
        ended=_day(finding.params["ended"]),
        months=rules.window_months,
        window=_day(finding.params["window"]),
        paid_on=_day(paid_on),
    )


def after_payments(
    session: Session,
    actor: User | None,
    members: Iterable[Member],
    *,
    today: date,
    ip: str | None = None,
) -> list[dict[str, Any]]:
    """Bring the members who just paid to the status their history gives today (flushed);
    returns the audit events of the changes, for the caller to append with its own."""
    members = list({m.id: m for m in members}.values())
    rules = rules_on(session, today)
    found = histories(session, [m.id for m in members])
    events = []
    for member in members:
        if member.status in (S.DECEASED, S.EXITED):
            continue
        standing, changes = lifecycle.replay(found.get(member.id, []), today, rules)
        events += _apply(session, member, standing, changes, actor=actor, ip=ip)
    return events


def sync(
    session: Session,
    members: Iterable[Member],
    *,
    today: date | None = None,
    audited: bool = True,
) -> int:
    """Bring members whose payments were written without the ledger (the demo data, an import
    from another system) to the status of their history today: flushed, each change in the
    status history and, ``audited``, an audit event of the system. Returns how many changed.
    Loaded data (the demo, like migration 0015) is not audited: its members and payments
    are not either."""
    events = after_payments(session, None, members, today=today or today_in_jakarta())
    if audited:
        audit.append_events(session, events)
    return len(events)


def unrecorded(member: Member, standing: Standing, changes: list[Change]) -> list[Change]:
    """The changes of the rule's ``changes`` (oldest first) the member's stored status does
    not have yet: those after the one that gave the stored status (e.g. a lapse the nightly
    task had not stored, then the payment that restored it). When the stored status is not
    on the rule's way (a payment recorded late rewrote the history), one change from it to
    the new status, with the latest reason."""
    if member.status is S.REGISTERED and member.status_since is None:
        return list(changes)
    for index in range(len(changes) - 1, -1, -1):
        change = changes[index]
        if change.after is member.status and change.day == member.status_since:
            return changes[index + 1 :]
    if standing.status is member.status or standing.since is None or not changes:
        return []
    return [Change(standing.since, member.status, standing.status, changes[-1].reason)]


def _apply(
    session: Session,
    member: Member,
    standing: Standing,
    changes: list[Change],
    *,
    actor: User | None,
    ip: str | None,
    claim: Claim | None = None,
    comment: str | None = None,
    extra: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Store ``standing`` on the member; each change not stored yet is a history row and an
    audit event (returned, not appended) with the rule's reason."""
    lapses_on, ends_on = lifecycle.stored_dates(standing)
    member.lapses_on, member.ends_on = lapses_on, ends_on
    missing = unrecorded(member, standing, changes)
    if not missing:
        session.flush()
        return []
    member.status = missing[-1].after
    member.status_since = missing[-1].day
    member.active = member.status not in lifecycle.INACTIVE
    events = []
    for change in missing:
        closing = change.after in (S.DECEASED, S.EXITED)
        session.add(
            MemberStatusChange(
                member_id=member.id,
                from_status=change.before,
                to_status=change.after,
                reason=change.reason,
                day=change.day,
                actor_id=actor.id if actor is not None else None,
                claim_id=claim.id if claim is not None and closing else None,
            )
        )
        details: dict[str, Any] = {"reason": change.reason, "day": change.day}
        if claim is not None and closing:
            details["claim_id"] = claim.id
        if change.after in (S.LAPSED, S.ENDED) and standing.protection_ends is not None:
            details["protection_ended"] = standing.protection_ends
            details["window_ends"] = standing.window_ends
        if change is missing[-1]:
            details |= extra or {}
        events.append(
            _event(
                member,
                change.before,
                change.after,
                actor=actor,
                ip=ip,
                details=details,
                comment=comment if change is missing[-1] else None,
            )
        )
    session.flush()
    return events


def _event(
    member: Member | Any,
    before: MemberStatus,
    after: MemberStatus,
    *,
    actor: User | None,
    ip: str | None,
    details: dict[str, Any],
    comment: str | None = None,
) -> dict[str, Any]:
    return audit.event_fields(
        actor=actor,
        action=ACTION,
        record_type=RECORD_TYPE,
        record_id=member.id,
        from_state=before.value,
        to_state=after.value,
        comment=comment,
        ip=ip,
        details=details,
        region_id=member.region_id,
        office_id=member.office_id,
        department_id=member.department_id,
    )


# --------------------------------------------------------------------------------------------
# Claims paid, deregistration
# --------------------------------------------------------------------------------------------


def closing_of(claim: Claim) -> MemberStatus | None:
    """The status a paid claim gives its member: a death (JKM, JKK death, JHT for death)
    deceased, another JHT (paid out in full: the whole balance) exited; else none."""
    if claim.claim_type is ClaimType.JKM:
        return S.DECEASED
    if claim.claim_type is ClaimType.JKK:
        return S.DECEASED if (claim.details or {}).get("death") else None
    if claim.jht_reason is JhtReason.DEATH:
        return S.DECEASED
    return S.EXITED


def _close(
    session: Session,
    member: Member,
    after: MemberStatus,
    reason: str,
    day: date,
    *,
    actor: User | None,
    ip: str | None,
    claim: Claim | None = None,
    comment: str | None = None,
) -> None:
    """Close the membership on ``day`` from whatever the payments made it then."""
    rules = rules_on(session, day)
    history = histories(session, [member.id]).get(member.id, [])
    closing = Change(day, member.status, after, reason)
    standing, changes = lifecycle.closed_by_claim(history, day, rules, closing)
    extra: dict[str, Any] = {}
    if claim is not None and after is S.DECEASED:
        refund = refunds(session, member, claim.event_date)
        extra = {
            "refund_months": [p.period for p in refund],
            "refund_total": sum(p.total for p in refund),
        }
    events = _apply(
        session,
        member,
        standing,
        changes,
        actor=actor,
        ip=ip,
        claim=claim,
        comment=comment,
        extra=extra,
    )
    audit.append_events(session, events)


def on_claim_paid(session: Session, actor: User, claim: Claim, *, ip: str | None = None) -> None:
    """The member of a claim just paid: deceased for a death benefit, exited for JHT, in the
    same transaction (flushed, audited)."""
    after = closing_of(claim)
    if after is None:
        return
    member = session.get(Member, claim.member_id, with_for_update=True)
    assert member is not None and claim.paid_on is not None
    if member.status is after:
        return
    reason = lifecycle.DEATH_CLAIM_PAID if after is S.DECEASED else lifecycle.JHT_PAID
    _close(session, member, after, reason, claim.paid_on, actor=actor, ip=ip, claim=claim)


def deregister(
    session: Session,
    member: Member,
    actor: User,
    reason: str,
    *,
    day: date | None = None,
    ip: str | None = None,
) -> None:
    """End a membership at the member's request: exited from ``day`` (today), the request's
    reason kept as the audit event's comment (flushed, audited; the caller commits)."""
    authz.MEMBERS.check(actor, "deregister", member).require()
    text = (reason or "").strip()
    if not text:
        raise DomainError(_l("Give the reason for the deregistration."), field="reason")
    if len(text) > REASON_LENGTH:
        raise DomainError(
            _l("The reason may have at most %(n)s characters.", n=REASON_LENGTH), field="reason"
        )
    day = day or today_in_jakarta()
    _close(session, member, S.EXITED, lifecycle.DEREGISTERED, day, actor=actor, ip=ip, comment=text)


# --------------------------------------------------------------------------------------------
# The nightly task
# --------------------------------------------------------------------------------------------


@dataclass
class DailyRun:
    day: date
    lapsed: int = 0
    ended: int = 0


def _transition(
    session: Session,
    day: date,
    before: MemberStatus,
    after: MemberStatus,
    column: Any,
    reason: str,
) -> int:
    """Every member in ``before`` whose ``column`` day has come: history rows and audit
    events for them, then one UPDATE; a thousand members at a time."""
    now = datetime.now(UTC)
    total = 0
    while True:
        rows = session.execute(
            select(
                Member.id,
                column,
                Member.region_id,
                Member.office_id,
                Member.department_id,
                Member.lapses_on,
                Member.ends_on,
            )
            .where(Member.status == before, column.is_not(None), column <= day)
            .order_by(Member.id)
            .limit(CHUNK)
            .with_for_update()
        ).all()
        if not rows:
            return total
        ids = [row.id for row in rows]
        session.execute(
            insert(MemberStatusChange),
            [
                {
                    "member_id": row.id,
                    "from_status": before,
                    "to_status": after,
                    "reason": reason,
                    "day": row[1],
                    "actor_id": None,
                    "claim_id": None,
                    "created_at": now,
                }
                for row in rows
            ],
        )
        session.execute(
            update(Member)
            .where(Member.id.in_(ids), Member.status == before)
            .values(
                status=after,
                status_since=column,
                active=after not in lifecycle.INACTIVE,
            )
            .execution_options(synchronize_session=False)
        )
        details = []
        for row in rows:
            item = {"reason": reason, "day": row[1]}
            if row.lapses_on is not None:
                item["protection_ended"] = row.lapses_on - _ONE
            if row.ends_on is not None:
                item["window_ends"] = row.ends_on - _ONE
            details.append(_event(row, before, after, actor=None, ip=None, details=item))
        audit.append_events(session, details)
        total += len(rows)


def run_daily(session: Session, day: date | None = None) -> DailyRun:
    """The nightly task of ``day`` (today): active members whose protection ended before it
    lapse, lapsed members whose window for arrears closed before it end (the rule's
    ``daily_step``, set-based; a night missed is caught up by the next). Flushed."""
    day = day or today_in_jakarta()
    run = DailyRun(day)
    run.lapsed = _transition(session, day, S.ACTIVE, S.LAPSED, Member.lapses_on, lifecycle.ARREARS)
    run.ended = _transition(
        session, day, S.LAPSED, S.ENDED, Member.ends_on, lifecycle.WINDOW_PASSED
    )
    session.expire_all()
    return run


#: When the nightly task runs: 00:30 in Jakarta (WIB), after the day's due dates have passed.
NIGHTLY_AT = (0, 30)


def nightly_at(moment: datetime) -> bool:
    """Whether huey's minute ``moment`` (naive UTC) is 00:30 in Jakarta."""
    local = as_utc(moment).astimezone(JAKARTA)
    return (local.hour, local.minute) == NIGHTLY_AT


@tasks.periodic_task(nightly_at, name="membership_nightly")
def nightly_task() -> None:
    """The nightly lapses and ends on the task queue (committed by the task's unit of work)."""
    run = run_daily(db.session)
    log.info("membership nightly %s: %d lapsed, %d ended", run.day, run.lapsed, run.ended)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def timeline(session: Session, member: Member) -> list[MemberStatusChange]:
    """The member's status changes, oldest first."""
    return list(
        session.scalars(
            select(MemberStatusChange)
            .where(MemberStatusChange.member_id == member.id)
            .order_by(MemberStatusChange.day, MemberStatusChange.id)
        )
    )


def death_date(session: Session, member: Member) -> date | None:
    """The event date of the paid death claim that made the member deceased."""
    if member.status is not S.DECEASED:
        return None
    return session.scalar(
        select(Claim.event_date)
        .join(MemberStatusChange, MemberStatusChange.claim_id == Claim.id)
        .where(
            MemberStatusChange.member_id == member.id,
            MemberStatusChange.to_status == S.DECEASED,
        )
        .order_by(MemberStatusChange.id.desc())
        .limit(1)
    )


def refunds(
    session: Session, member: Member, died: date | None = None
) -> list[ContributionPayment]:
    """The contributions a deceased member paid for months after the month of death (to be
    refunded: "contributions paid for later months are refunded")."""
    died = died or death_date(session, member)
    if died is None:
        return []
    return list(
        session.scalars(
            select(ContributionPayment)
            .where(
                ContributionPayment.member_id == member.id,
                ContributionPayment.period > month_start(died),
            )
            .order_by(ContributionPayment.period)
        )
    )
