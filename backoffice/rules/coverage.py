"""Protection from the contributions paid: months due, arrears, the day protection ends.

Pure functions of the member's start date and the months paid: a month's contribution is due by
``due_day`` of that month, and protection holds while at most ``max_arrears`` due months are
unpaid (both reference data, read by the caller on the day in question).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def due_date(month: date, due_day: int) -> date:
    """The day by which the contribution of ``month`` is paid."""
    return month.replace(day=due_day)


def months_due(start: date, on: date, due_day: int) -> list[date]:
    """The months whose contribution is due on ``on`` (the first of each month)."""
    first = month_start(start)
    last = month_start(on) if on.day > due_day else add_months(month_start(on), -1)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Coverage:
    on: date
    started: bool
    paid_months: int  # months paid for up to ``on``
    arrears_months: int  # due months unpaid on ``on``
    max_arrears: int
    protection_ends: date | None  # the last day covered, assuming no further payment

    @property
    def covered(self) -> bool:
        return self.started and self.arrears_months <= self.max_arrears


def coverage_on(
    start: date, paid: Iterable[date], on: date, *, max_arrears: int, due_day: int
) -> Coverage:
    paid_set = {month_start(p) for p in paid}
    due = months_due(start, on, due_day)
    arrears = sum(1 for m in due if m not in paid_set)
    paid_until_on = sum(1 for m in paid_set if m <= month_start(on))
    return Coverage(
        on=on,
        started=start <= on,
        paid_months=paid_until_on,
        arrears_months=arrears,
        max_arrears=max_arrears,
        protection_ends=protection_ends(start, paid_set, max_arrears=max_arrears, due_day=due_day),
    )


def protection_ends(start: date, paid: set[date], *, max_arrears: int, due_day: int) -> date:
    """The last day of protection if nothing more is paid: the due date on which the unpaid
    months would become more than ``max_arrears``."""
    month = month_start(start)
    unpaid = 0
    # Past the last paid month every month is unpaid: the loop ends at most max_arrears + 1
    # months after it.
    while True:
        if month not in paid:
            unpaid += 1
            if unpaid > max_arrears:
                return due_date(month, due_day)
        month = add_months(month, 1)
