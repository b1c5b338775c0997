"""The contributions ledger of a member: recording payments and reading where the member stands.

A clerk records the contribution of several consecutive months at once (one of the BPU payment
periods, 1, 3, 6 or 12: benefit parameters), all or nothing, with one audit event; a payer's
file records many such payments at once (``record_payments``). Each month costs the member's
contribution less the discount of the member's sector for that month (PP 50/2025, dated
benefit parameters), unless a government budget pays (a department, channel ``payer``): the rule
is ``rules.contributions``; what a member paid above what earlier months cost (the discount
entered after they paid, say) is credit that pays their next months first (``credit``; never a
month a department pays). ``member_ledger`` reads the payments known on a day and what they mean
for protection (``rules.coverage``): the same rules as the claims service (payments count from
the day they were made; the arrears limit and the due day are the benefit parameters in force
on that day).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import (
    ContributionPayment,
    Department,
    Member,
    PastContribution,
    PaymentChannel,
    Programme,
    User,
)

from .. import audit, authz
from ..clock import today_in_jakarta
from ..errors import DomainError
from ..rules import contributions, coverage, jht, lifecycle
from ..rules.coverage import add_months, month_start
from . import lifecycle as membership
from . import reference

#: How far ahead of the payment date the last month paid may be.
MAX_MONTHS_AHEAD = 12
MAX_ARREARS_KEY = lifecycle.MAX_ARREARS_KEY
RECORD_TYPE = "member"
REFERENCE_LENGTH = 64


def _month(day: date) -> str:
    return day.strftime("%m/%Y")


@dataclass(frozen=True)
class Payment:
    """A payment to record: ``months`` consecutive months from ``period`` (any day of its
    month), paid on ``paid_on``."""

    member: Member
    period: date
    paid_on: date
    months: int = 1
    reference: str | None = None


class PaymentRefused(DomainError):
    """A payment of a list was refused (nothing of the list is recorded): ``index`` is its
    position in the list, ``error`` the refusal itself."""

    def __init__(self, index: int, error: DomainError) -> None:
        super().__init__(error.message, field=error.field)
        self.index = index
        self.error = error


#: Members locked, and their payments read, this many at a time.
CHUNK = 1000


def member_contribution(member: Member) -> contributions.Contribution:
    """The member's newest monthly contribution without any discount (set when they registered,
    changed by an approved correction from the month after it)."""
    return contributions.Contribution(
        member.contribution_jkk, member.contribution_jkm, member.contribution_jht
    )


def past_amounts(
    session: Session, member_ids: Sequence[int]
) -> dict[int, list[contributions.PastAmount]]:
    """The contributions the members owed before a correction changed them, per member (read a
    thousand members at a time; most members have none)."""
    found: dict[int, list[contributions.PastAmount]] = {}
    for chunk in _chunks(sorted(set(member_ids))):
        rows = session.scalars(
            select(PastContribution).where(PastContribution.member_id.in_(chunk))
        )
        for row in rows:
            found.setdefault(row.member_id, []).append(
                contributions.PastAmount(
                    row.until_period, contributions.Contribution(row.jkk, row.jkm, row.jht)
                )
            )
    return found


def owed_contribution(session: Session, member: Member, month: date) -> contributions.Contribution:
    """What ``month`` of the member owes without any discount: the contribution in force for it
    (``rules.contributions.owed_for_month``)."""
    past = past_amounts(session, [member.id]).get(member.id, [])
    return contributions.owed_for_month(member_contribution(member), past, month_start(month))


def month_discount_on(
    session: Session, month: date, channel: PaymentChannel, sector: str
) -> Decimal:
    """The percent off the contribution month ``month`` of a member of ``sector`` paid through
    ``channel`` (``contributions.month_discount`` with the discount rules of the reference
    data)."""
    return contributions.month_discount(month, channel, reference.discounts(session), sector)


def _credit_of(
    member: Member,
    payments: Iterable[Any],
    rules: Sequence[contributions.Discount],
    past: Sequence[contributions.PastAmount] = (),
) -> int:
    """What ``member`` paid above what their months cost under ``rules`` (PP 50/2025: counts
    toward the next months), less the credit already used; ``payments`` are rows or ``Row``s
    with period, channel, jkk, jkm, jht and credit."""
    newest = member_contribution(member)
    pairs: list[tuple[int, int]] = []
    used = 0
    for p in payments:
        # Each month costs the amount in force for it (a correction changes it from a month on).
        standard = contributions.owed_for_month(newest, past, p.period)
        cost = contributions.month_contribution(
            standard, p.period, PaymentChannel(p.channel), rules, member.sector
        )
        pairs.append((p.jkk + p.jkm + p.jht, cost.total))
        used += p.credit or 0
    return max(0, contributions.carried_credit(pairs) - used)


def _credits(
    session: Session,
    members: dict[int, Member],
    rules: Sequence[contributions.Discount],
    past: dict[int, list[contributions.PastAmount]],
) -> dict[int, int]:
    """Each member's credit (``_credit_of``) before a payment is recorded. Only the months a
    discount rule covers can have been paid above their cost, and only the rows that used
    credit reduce it: those are read, a thousand members at a time."""
    first = min((rule.valid_from for rule in rules), default=None)
    last = max((rule.valid_to or date.max for rule in rules), default=None)
    CP = ContributionPayment
    found: dict[int, list[Any]] = {member_id: [] for member_id in members}
    for chunk in _chunks(sorted(members)):
        condition = CP.credit > 0
        if first is not None and last is not None:
            condition = or_(condition, CP.period.between(first.replace(day=1), last))
        rows = session.execute(
            select(CP.member_id, CP.period, CP.channel, CP.jkk, CP.jkm, CP.jht, CP.credit).where(
                CP.member_id.in_(chunk), condition
            )
        )
        for row in rows:
            found[row.member_id].append(row)
    return {
        member_id: _credit_of(members[member_id], rows, rules, past.get(member_id, ()))
        for member_id, rows in found.items()
    }


def periods_text(periods: Sequence[int]) -> Any:
    """``1, 3, 6 or 12``: the payment periods in the user's language."""
    *first, last = periods
    if not first:
        return str(last)
    return _l("%(first)s or %(last)s", first=", ".join(map(str, first)), last=last)


def record_payment(
    session: Session,
    actor: User,
    member: Member,
    *,
    period: date,
    paid_on: date,
    channel: PaymentChannel | str,
    reference: str | None = None,
    months: int = 1,
    payer_department: Department | None = None,
    ip: str | None = None,
    today: date | None = None,
) -> list[ContributionPayment]:
    """Record the contribution of ``months`` consecutive months from ``period`` (flushed and
    audited in the caller's transaction, not committed). Any month already paid refuses the
    whole payment. ``period`` may be any day of its month; ``today`` defaults to today in
    Jakarta (the payment date may not be later).
    """
    payment = Payment(member, period, paid_on, months, reference)
    try:
        return record_payments(
            session,
            actor,
            [payment],
            channel=channel,
            payer_department=payer_department,
            ip=ip,
            today=today,
        )
    except PaymentRefused as refused:
        raise refused.error from None


def check_payment(
    actor: User,
    payment: Payment,
    *,
    channel: PaymentChannel,
    payer_department: Department | None,
    today: date,
    periods: Sequence[int],
) -> list[date]:
    """The months ``payment`` pays, once it meets every rule that does not need the database:
    who records it, one of the payment ``periods``, not before the member's protection started,
    not more than ``MAX_MONTHS_AHEAD`` months ahead, the paying department and the reference."""
    member = payment.member
    authz.MEMBERS.check(actor, "record_contribution", member).require()
    if payment.months not in periods:
        raise DomainError(
            _l(
                "A payment covers %(periods)s months, not %(months)s.",
                periods=periods_text(periods),
                months=payment.months,
            ),
            field="months",
        )
    if payment.paid_on > today:
        raise DomainError(_l("The payment date cannot be in the future."), field="paid_on")
    first = month_start(payment.period)
    last = add_months(first, payment.months - 1)
    start = month_start(member.start_date)
    if first < start:
        raise DomainError(
            _l(
                "The member's protection started on %(start)s: the first month that can be "
                "paid is %(month)s.",
                start=member.start_date.strftime("%d/%m/%Y"),
                month=_month(start),
            ),
            field="period",
        )
    if last > add_months(month_start(payment.paid_on), MAX_MONTHS_AHEAD):
        raise DomainError(
            _l(
                "Contributions can be paid at most %(max)s months ahead: %(month)s is too far "
                "after the payment date %(paid_on)s.",
                max=MAX_MONTHS_AHEAD,
                month=_month(last),
                paid_on=payment.paid_on.strftime("%d/%m/%Y"),
            ),
            field="period",
        )
    if channel is PaymentChannel.PAYER and payer_department is None:
        raise DomainError(
            _l("A payment by a department needs the paying department."), field="payer_department"
        )
    if channel is not PaymentChannel.PAYER and payer_department is not None:
        raise DomainError(
            _l("A paying department is given only for a payment by a department."),
            field="payer_department",
        )
    reference = (payment.reference or "").strip() or None
    if reference is not None and len(reference) > REFERENCE_LENGTH:
        raise DomainError(
            _l(
                "The payment reference may have at most %(n)s characters.",
                n=REFERENCE_LENGTH,
            ),
            field="reference",
        )
    return [add_months(first, i) for i in range(payment.months)]


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _months_paid(
    session: Session, member_ids: list[int], first: date, last: date
) -> set[tuple[int, date]]:
    """(member id, month) of the payments already recorded for these members in [first, last],
    after locking the members' rows (ascending ids: two recordings cannot deadlock)."""
    paid: set[tuple[int, date]] = set()
    for chunk in _chunks(member_ids):
        # One recording per member at a time (PostgreSQL: row locks; SQLite serialises
        # writers): two clerks recording the same month cannot both pass the check below.
        session.execute(
            select(Member.id).where(Member.id.in_(chunk)).order_by(Member.id).with_for_update()
        )
        rows = session.execute(
            select(ContributionPayment.member_id, ContributionPayment.period).where(
                ContributionPayment.member_id.in_(chunk),
                ContributionPayment.period.between(first, last),
            )
        )
        paid.update((member_id, period) for member_id, period in rows)
    return paid


def record_payments(
    session: Session,
    actor: User,
    payments: list[Payment],
    *,
    channel: PaymentChannel | str,
    payer_department: Department | None = None,
    ip: str | None = None,
    today: date | None = None,
) -> list[ContributionPayment]:
    """Record every payment of the list or none (flushed and audited in the caller's
    transaction, not committed): each checked as ``record_payment`` checks one, a month already
    paid (or paid twice in the list) refuses it; a refusal raises ``PaymentRefused`` naming the
    payment. Set-based: the members are locked and their months read a thousand at a time,
    the payments inserted together, and one audit event per payment appended at the end, so
    the audit trail's append lock is held for the inserts only.
    """
    try:
        channel = PaymentChannel(channel)
    except ValueError:
        raise DomainError(_l("Choose how the contribution was paid."), field="channel") from None
    today = today or today_in_jakarta()
    params = reference.parameters_on(session, today)
    periods = reference.payment_periods(params)
    months: list[list[date]] = []
    for index, payment in enumerate(payments):
        try:
            months.append(
                check_payment(
                    actor,
                    payment,
                    channel=channel,
                    payer_department=payer_department,
                    today=today,
                    periods=periods,
                )
            )
        except DomainError as exc:
            raise PaymentRefused(index, exc) from None
    if not payments:
        return []
    rules = reference.discounts(session)
    paid = _months_paid(
        session,
        sorted({payment.member.id for payment in payments}),
        min(periods[0] for periods in months),
        max(periods[-1] for periods in months),
    )
    # The membership's status on each payment date, from the history: past the window for
    # arrears it ended (whether or not the nightly task has stored it yet).
    histories = membership.histories(session, {payment.member.id for payment in payments})
    lifecycle_rules = membership.rules_on(session, today)
    for index, payment in enumerate(payments):
        refusal = membership.payment_refusal(
            payment.member, histories.get(payment.member.id, []), payment.paid_on, lifecycle_rules
        )
        if refusal is not None:
            raise PaymentRefused(index, DomainError(refusal, field="paid_on"))
    past = past_amounts(session, [payment.member.id for payment in payments])
    # Read after the members are locked: two recordings cannot use the same credit.
    credit = _credits(
        session, {payment.member.id: payment.member for payment in payments}, rules, past
    )
    recorded: list[ContributionPayment] = []
    events: list[dict[str, Any]] = []
    department_id = payer_department.id if payer_department is not None else None
    for index, (payment, periods) in enumerate(zip(payments, months, strict=True)):
        member = payment.member
        already = [month for month in periods if (member.id, month) in paid]
        if already:
            error = DomainError(
                _l(
                    "The contribution for %(months)s is already paid; nothing was recorded.",
                    months=", ".join(_month(m) for m in already),
                ),
                field="period",
            )
            raise PaymentRefused(index, error)
        paid.update((member.id, month) for month in periods)
        payment_ref = (payment.reference or "").strip() or None
        newest = member_contribution(member)
        rows = []
        for month in periods:
            # The amount in force for the month: a correction changes it from a month on.
            standard = contributions.owed_for_month(newest, past.get(member.id, ()), month)
            amounts = contributions.month_contribution(
                standard, month, channel, rules, member.sector
            )
            # What was paid above earlier discounted months pays this one first.
            used = 0 if channel is PaymentChannel.PAYER else min(credit[member.id], amounts.total)
            credit[member.id] -= used
            rows.append(
                ContributionPayment(
                    member_id=member.id,
                    period=month,
                    jkk=amounts.jkk,
                    jkm=amounts.jkm,
                    jht=amounts.jht,
                    credit=used,
                    paid_on=payment.paid_on,
                    channel=channel,
                    reference=payment_ref,
                    payer_department_id=department_id,
                    recorded_by_id=actor.id,
                )
            )
        recorded.extend(rows)
        events.append(
            audit.event_fields(
                actor=actor,
                action="contribution",
                record_type=RECORD_TYPE,
                record_id=member.id,
                ip=ip,
                details={
                    "months": payment.months,
                    "first_period": periods[0],
                    "last_period": periods[-1],
                    "total": sum(row.total for row in rows),
                    "credit": sum(row.credit for row in rows),
                    "paid_on": payment.paid_on,
                    "channel": channel,
                    "reference": payment_ref,
                    "payer_department_id": department_id,
                },
                region_id=member.region_id,
                office_id=member.office_id,
                department_id=member.department_id,
            )
        )
    session.add_all(recorded)
    session.flush()
    # Each member's status from the history with these payments (first payment, arrears paid
    # within the window), audited with the payments.
    events += membership.after_payments(
        session, actor, [payment.member for payment in payments], today=today, ip=ip
    )
    audit.append_events(session, events)
    return recorded


# --------------------------------------------------------------------------------------------
# Reading the ledger
# --------------------------------------------------------------------------------------------


@dataclass
class LedgerSummary:
    """Where a member stands on ``on``, from the payments made by then."""

    member: Member
    on: date
    payments: list[ContributionPayment]  # made by ``on``, by period
    paid_months: int  # months paid up to the month of ``on`` (months paid ahead not counted)
    paid_through: date | None  # the last month paid (may be ahead of ``on``)
    arrears_months: int  # consecutive due months unpaid on ``on`` (the current run)
    unpaid_months: list[date]  # those months (first of each)
    max_arrears: int
    #: covered: the last day covered if nothing more is paid; else the day protection ended
    protection_ends: date | None
    window_ends: date | None  # the last day arrears may be paid
    started: bool
    covered: bool
    totals: dict[Programme, int] = field(default_factory=dict)  # paid per programme
    jht_balance: int = 0  # JHT contributions paid (without returns: see ``jht_statement``)
    #: paid above what the months cost (PP 50/2025), not used yet: pays the next months
    credit: int = 0

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def first_unpaid(self) -> date:
        """The earliest month not paid yet: where the next payment starts."""
        paid = {p.period for p in self.payments}
        month = month_start(self.member.start_date)
        while month in paid:
            month = add_months(month, 1)
        return month


def member_ledger(session: Session, member: Member, on: date) -> LedgerSummary:
    """The member's payments made by ``on`` and what they mean for protection on that day."""
    payments = list(
        session.scalars(
            select(ContributionPayment)
            .where(ContributionPayment.member_id == member.id, ContributionPayment.paid_on <= on)
            .order_by(ContributionPayment.period)
        )
    )
    paid = {p.period for p in payments}
    # The arrears limit, the window for arrears and the due day in force on that day.
    rules = reference.lifecycle_rules(reference.parameters_on(session, on))
    cover = coverage.coverage_on([coverage.Paid(p.period, p.paid_on) for p in payments], on, rules)
    totals = {
        Programme.JKK: sum(p.jkk for p in payments),
        Programme.JKM: sum(p.jkm for p in payments),
        Programme.JHT: sum(p.jht for p in payments),
    }
    return LedgerSummary(
        member=member,
        on=on,
        payments=payments,
        paid_months=cover.paid_months,
        paid_through=max(paid) if paid else None,
        arrears_months=cover.arrears_months,
        unpaid_months=cover.unpaid_run,
        max_arrears=rules.max_arrears,
        protection_ends=cover.protection_ends,
        window_ends=cover.window_ends,
        started=cover.started,
        covered=cover.covered,
        totals=totals,
        jht_balance=totals[Programme.JHT],
        credit=_credit_of(
            member,
            payments,
            reference.discounts(session),
            past_amounts(session, [member.id]).get(member.id, ()),
        ),
    )


def has_jht(member: Member) -> bool:
    """Did the member choose JHT (the optional old-age savings)?"""
    return Programme.JHT.value in (member.programmes or "").split(",")


def jht_statement(session: Session, member_id: int, until: date) -> jht.JhtStatement:
    """The member's JHT balance year by year on ``until``: the JHT contributions paid by then
    and the declared yearly returns (``rules.jht``)."""
    rows = session.execute(
        select(ContributionPayment.paid_on, ContributionPayment.jht).where(
            ContributionPayment.member_id == member_id,
            ContributionPayment.paid_on <= until,
            ContributionPayment.jht > 0,
        )
    ).all()
    paid = [jht.JhtContribution(paid_on, amount) for paid_on, amount in rows]
    return jht.jht_statement(paid, reference.jht_return_rates(session), until)
