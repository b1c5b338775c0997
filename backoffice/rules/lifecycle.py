"""Membership status as a lifecycle, from the contributions paid and the day in question.

The rules (``/work/shared/domain.md``, "Informal workers: BPU"), each a pure function here:

- "Protection starts with the first contribution paid (a registered member who never paid is
  not protected)": ``registered`` until the first payment, ``active`` from its payment date.
- "more than 3 **consecutive** unpaid months ends the protection (lapsed); scattered missed
  months do not": counted from the first month due after protection started; protection ends
  on the due date of the month that makes the unpaid run longer than ``max_arrears``
  (``coverage.max_arrears_months``), ``lapsed`` from the next day.
- "Arrears can be paid up to 3 months after protection ended, which restores it; past that
  window the membership ends": a payment made by ``window_months``
  (``coverage.arrears_window_months``) after the day protection ended that leaves no run longer
  than ``max_arrears`` makes the member ``active`` again; the day after the window the
  membership is ``ended``, and a payment made from then on is refused.
- "A paid death claim (JKM, or JKK death) ends the membership in the same step": ``deceased``;
  a JHT paid out, or a deregistration at the member's request: ``exited``. Those two come from
  the claims and the clerk, not from the payments; with ``ended`` no payment changes them.

The numbers (``max_arrears``, ``window_months``, the due day) are reference data read by the
caller for the day in question (``Rules``). ``replay`` is the status from a payment history
alone; ``daily_step`` is what the nightly task does to a stored ``Standing``: the property tests
check that the two always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import groupby

from models import ClaimType, MemberStatus

from .finding import Finding
from .months import add_months, due_date, month_start, same_day_months_later

S = MemberStatus

#: The benefit parameters of these rules.
MAX_ARREARS_KEY = "coverage.max_arrears_months"
WINDOW_KEY = "coverage.arrears_window_months"

#: Reason codes of a status change.
FIRST_PAYMENT = "first_payment"
ARREARS = "arrears"  # more than max_arrears consecutive due months unpaid
ARREARS_PAID = "arrears_paid"  # paid within the window: protection restored
WINDOW_PASSED = "window_passed"  # still in arrears the day after the window: ended
DEATH_CLAIM_PAID = "death_claim_paid"
JHT_PAID = "jht_paid"
DEREGISTERED = "deregistered"
REASONS = (
    FIRST_PAYMENT,
    ARREARS,
    ARREARS_PAID,
    WINDOW_PASSED,
    DEATH_CLAIM_PAID,
    JHT_PAID,
    DEREGISTERED,
)

#: Finding of ``payment_refusal``: ended (the day protection ended), window (its last day).
MEMBERSHIP_ENDED = "membership_ended"

#: Statuses no payment changes.
TERMINAL = frozenset({S.ENDED, S.DECEASED, S.EXITED})
#: Statuses for which no contribution is recorded whatever its payment date. An ended
#: membership takes none made from the day it ended (``payment_refusal``), but one made while
#: it ran, recorded late, still counts: the history, not the stored status, decides.
CONTRIBUTIONS_CLOSED = frozenset({S.DECEASED, S.EXITED})
#: Statuses for which no claim is registered (``claim_open`` names the one exception, a deceased
#: member's JHT). An ended member keeps their JHT savings ("arrears never refuse a JHT claim")
#: and the claims of events while covered: assumption, see README.
CLAIMS_CLOSED = frozenset({S.DECEASED, S.EXITED})


def claim_open(status: MemberStatus, claim_type: ClaimType | None, has_jht: bool) -> bool:
    """Whether a claim of ``claim_type`` (None: any claim at all) may still be registered for a
    member in ``status``. Once a death benefit is paid the membership is closed, but the JHT of
    a member who chose it is still their savings ("JHT is the member's own savings"), paid to
    the heirs on death: the heirs may claim it whether the JKM was paid first or not."""
    if status not in CLAIMS_CLOSED:
        return True
    return status is S.DECEASED and has_jht and claim_type in (None, ClaimType.JHT)


#: ``member.active`` is False for these.
INACTIVE = frozenset({S.ENDED, S.DECEASED, S.EXITED})


@dataclass(frozen=True)
class Rules:
    """The reference data of the lifecycle in force on the day in question."""

    max_arrears: int  # N: unpaid consecutive due months protection allows
    window_months: int  # W: months after protection ended in which arrears may be paid
    due_day: int  # a month's contribution is due by this day of the month


@dataclass(frozen=True)
class Paid:
    """The contribution of ``period`` (first day of its month) paid on ``paid_on``."""

    period: date
    paid_on: date


@dataclass(frozen=True)
class Change:
    day: date  # the first day of the new status
    before: MemberStatus
    after: MemberStatus
    reason: str


@dataclass(frozen=True)
class Standing:
    """Where a member stands from their payments, and what happens if nothing more is paid."""

    status: MemberStatus
    since: date | None = None  # first day of the status (None: registered)
    protected_from: date | None = None  # the first payment's date
    #: active: the last day protected if nothing more is paid; lapsed and ended: the day
    #: protection ended
    protection_ends: date | None = None
    #: the last day arrears may be paid (for an active member: should they lapse)
    window_ends: date | None = None

    @property
    def covered(self) -> bool:
        return self.status is S.ACTIVE

    @property
    def lapses_on(self) -> date | None:
        """The day an active member lapses if nothing more is paid."""
        if self.status is not S.ACTIVE or self.protection_ends is None:
            return None
        return self.protection_ends + timedelta(days=1)

    @property
    def ends_on(self) -> date | None:
        """The day the membership ends if no arrears are paid."""
        if self.status not in (S.ACTIVE, S.LAPSED) or self.window_ends is None:
            return None
        return self.window_ends + timedelta(days=1)


def first_month_due(protected_from: date, due_day: int) -> date:
    """The first month whose contribution counts for arrears: the first due on or after the
    day protection started (months before it were never protected, so never in arrears)."""
    month = month_start(protected_from)
    return month if protected_from.day <= due_day else add_months(month, 1)


def protection_end(first: date, paid: set[date], rules: Rules) -> date:
    """The last day protected with ``paid`` and nothing more: the due date of the month that
    makes a run of consecutive unpaid months from ``first`` longer than ``max_arrears``."""
    month, unpaid = first, 0
    # Past the last month paid every month is unpaid: at most max_arrears + 1 more steps.
    while True:
        unpaid = 0 if month in paid else unpaid + 1
        if unpaid > rules.max_arrears:
            return due_date(month, rules.due_day)
        month = add_months(month, 1)


def window_end(protection_ends: date, rules: Rules) -> date:
    """The last day arrears may be paid: ``window_months`` after protection ended."""
    return same_day_months_later(protection_ends, rules.window_months)


def unpaid_run(first: date | None, paid: set[date], on: date, due_day: int) -> list[date]:
    """The consecutive unpaid months due on ``on`` that end with the last month due (the
    arrears a payment would clear first)."""
    if first is None:
        return []
    run: list[date] = []
    month = first
    while due_date(month, due_day) < on:
        run = [] if month in paid else [*run, month]
        month = add_months(month, 1)
    return run


def replay(payments: Iterable[Paid], on: date, rules: Rules) -> tuple[Standing, list[Change]]:
    """The status on ``on`` from the payments made by then alone (a payment counts from its
    payment date), and every change on the way, oldest first.

    Day by day: the lapse and the end of a day come first (the nightly task), then the day's
    payments; payments on or after the day the membership ended change nothing (they are
    refused: ``payment_refusal``).
    """
    status, since = S.REGISTERED, None
    paid: set[date] = set()
    first: date | None = None
    protected_from: date | None = None
    ended: date | None = None  # the day protection ended (lapsed)
    window: date | None = None
    changes: list[Change] = []

    def advance(until: date) -> None:
        """The lapses and ends due by ``until`` with the payments known."""
        nonlocal status, since, ended, window
        if status is S.ACTIVE:
            assert first is not None
            last = protection_end(first, paid, rules)
            if last < until:
                status, since = S.LAPSED, last + timedelta(days=1)
                ended, window = last, window_end(last, rules)
                changes.append(Change(since, S.ACTIVE, S.LAPSED, ARREARS))
        if status is S.LAPSED:
            assert window is not None
            if window < until:
                status, since = S.ENDED, window + timedelta(days=1)
                changes.append(Change(since, S.LAPSED, S.ENDED, WINDOW_PASSED))

    made = sorted((p for p in payments if p.paid_on <= on), key=lambda p: p.paid_on)
    for day, group in groupby(made, key=lambda p: p.paid_on):
        advance(day)
        if status is S.ENDED:
            break
        paid.update(month_start(p.period) for p in group)
        if status is S.REGISTERED:
            protected_from, first = day, first_month_due(day, rules.due_day)
            status, since = S.ACTIVE, day
            changes.append(Change(day, S.REGISTERED, S.ACTIVE, FIRST_PAYMENT))
        elif status is S.LAPSED:
            assert first is not None
            if protection_end(first, paid, rules) >= day:
                status, since = S.ACTIVE, day
                changes.append(Change(day, S.LAPSED, S.ACTIVE, ARREARS_PAID))
    advance(on)
    if status is S.ACTIVE:
        assert first is not None
        ended = protection_end(first, paid, rules)
        window = window_end(ended, rules)
    return Standing(status, since, protected_from, ended, window), changes


def standing_on(payments: Iterable[Paid], on: date, rules: Rules) -> Standing:
    return replay(payments, on, rules)[0]


def daily_step(standing: Standing, day: date) -> tuple[Standing, list[Change]]:
    """What the nightly task of ``day`` does to a stored standing: an active member whose
    protection ended before ``day`` lapses, a lapsed one whose window closed before it ends
    (both on one night when the task did not run for a while)."""
    changes = []
    lapses_on = standing.lapses_on
    if lapses_on is not None and lapses_on <= day:
        standing = replace(standing, status=S.LAPSED, since=lapses_on)
        changes.append(Change(lapses_on, S.ACTIVE, S.LAPSED, ARREARS))
    ends_on = standing.ends_on
    if standing.status is S.LAPSED and ends_on is not None and ends_on <= day:
        standing = replace(standing, status=S.ENDED, since=ends_on)
        changes.append(Change(ends_on, S.LAPSED, S.ENDED, WINDOW_PASSED))
    return standing, changes


def payment_refusal(before: Standing) -> Finding | None:
    """Why a payment made on a day is refused, from the standing on that day before it: a
    membership ended past the window for arrears takes no more contributions."""
    if before.status is S.ENDED:
        return Finding(
            MEMBERSHIP_ENDED, {"ended": before.protection_ends, "window": before.window_ends}
        )
    return None


def closed_by_claim(
    payments: Iterable[Paid], on: date, rules: Rules, closing: Change | None
) -> tuple[Standing, list[Change]]:
    """``replay``, then the change a paid claim or a deregistration made on ``closing.day``
    (deceased, exited: no payment changes the status after it). ``closing.before`` is
    ignored: the status the payments gave that day is the one it changed."""
    if closing is None or closing.day > on:
        return replay(payments, on, rules)
    standing, changes = replay(payments, closing.day, rules)
    if standing.status is closing.after:
        return standing, changes
    change = Change(closing.day, standing.status, closing.after, closing.reason)
    return replace(standing, status=closing.after, since=closing.day), [*changes, change]


def stored_dates(standing: Standing) -> tuple[date | None, date | None]:
    """The member's ``lapses_on`` and ``ends_on`` columns: the first day without protection
    (active: if nothing more is paid; lapsed and ended: the day it lapsed) and the day the
    membership ends if no arrears are paid; None once deceased or exited."""
    if standing.status in (S.DECEASED, S.EXITED) or standing.protection_ends is None:
        return None, None
    assert standing.window_ends is not None
    one = timedelta(days=1)
    return standing.protection_ends + one, standing.window_ends + one


def from_stored(
    status: MemberStatus, since: date | None, lapses_on: date | None, ends_on: date | None
) -> Standing:
    """The standing the member's columns keep (``stored_dates``' inverse, for the task)."""
    one = timedelta(days=1)
    return Standing(
        status,
        since,
        None,
        lapses_on - one if lapses_on is not None else None,
        ends_on - one if ends_on is not None else None,
    )
