"""Protection on a day from the contributions paid: covered or not, the current arrears, the
day protection ends.

A pure function of the payments (each month with its payment date) and the lifecycle's
reference data (``lifecycle.Rules``: the arrears limit, the window for arrears, the due day,
read by the caller for the day in question). Covered means ``active`` in the membership
lifecycle (``rules.lifecycle``): protection starts with the first contribution paid and ends
after more than ``max_arrears`` consecutive unpaid due months, not with scattered ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from models import MemberStatus

from . import lifecycle
from .lifecycle import Paid, Rules, Standing
from .months import add_months, due_date, month_start, months_due, same_day_months_later

__all__ = [
    "Coverage",
    "Paid",
    "Rules",
    "add_months",
    "coverage_on",
    "due_date",
    "month_start",
    "months_due",
    "same_day_months_later",
]


@dataclass(frozen=True)
class Coverage:
    on: date
    standing: Standing
    paid_months: int  # months paid for up to the month of ``on`` (ahead not counted)
    max_arrears: int
    #: the consecutive unpaid months due on ``on`` that end with the last month due
    unpaid_run: list[date] = field(default_factory=list)

    @property
    def started(self) -> bool:
        """Protection started: a contribution was paid by ``on``."""
        return self.standing.status is not MemberStatus.REGISTERED

    @property
    def covered(self) -> bool:
        return self.standing.covered

    @property
    def arrears_months(self) -> int:
        return len(self.unpaid_run)

    @property
    def protection_ends(self) -> date | None:
        """Covered: the last day protected if nothing more is paid; otherwise the day it ended
        (None before the first payment)."""
        return self.standing.protection_ends

    @property
    def window_ends(self) -> date | None:
        return self.standing.window_ends


def coverage_on(payments: Iterable[Paid], on: date, rules: Rules) -> Coverage:
    """Protection on ``on`` from the payments made by then."""
    made = [p for p in payments if p.paid_on <= on]
    standing = lifecycle.standing_on(made, on, rules)
    paid = {month_start(p.period) for p in made}
    first = (
        lifecycle.first_month_due(standing.protected_from, rules.due_day)
        if standing.protected_from is not None
        else None
    )
    return Coverage(
        on=on,
        standing=standing,
        paid_months=sum(1 for m in paid if m <= month_start(on)),
        max_arrears=rules.max_arrears,
        unpaid_run=lifecycle.unpaid_run(first, paid, on, rules.due_day),
    )
