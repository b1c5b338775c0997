"""Protection from the months paid: months due, arrears, the day protection ends; working days."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.rules.coverage import (
    Paid,
    Rules,
    add_months,
    coverage_on,
    due_date,
    month_start,
    months_due,
)
from backoffice.rules.working_days import add_working_days

START = date(2026, 1, 10)


def months(first: date, n: int) -> list[date]:
    return [add_months(first, i) for i in range(n)]


def test_month_arithmetic_crosses_years() -> None:
    assert month_start(date(2026, 3, 31)) == date(2026, 3, 1)
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)


def test_a_month_is_due_on_the_due_day() -> None:
    assert due_date(date(2026, 4, 1), 15) == date(2026, 4, 15)
    assert months_due(START, date(2026, 4, 15), 15) == months(date(2026, 1, 1), 3)
    assert months_due(START, date(2026, 4, 16), 15) == months(date(2026, 1, 1), 4)
    assert months_due(START, date(2026, 4, 16), 20) == months(date(2026, 1, 1), 3)


RULES = Rules(max_arrears=3, window_months=3, due_day=15)


def on_time(paid: list[date]) -> list[Paid]:
    return [Paid(m, m.replace(day=10)) for m in paid]


def test_protection_holds_with_at_most_the_allowed_consecutive_arrears() -> None:
    """domain.md: "more than 3 consecutive unpaid months ends the protection (lapsed)"."""
    paid = on_time(months(date(2026, 1, 1), 2))  # January and February
    on = date(2026, 5, 16)  # March, April and May due and unpaid
    cover = coverage_on(paid, on, RULES)
    assert (cover.started, cover.paid_months, cover.arrears_months) == (True, 2, 3)
    assert cover.unpaid_run == months(date(2026, 3, 1), 3)
    assert cover.covered and cover.protection_ends == date(2026, 6, 15)
    later = coverage_on(paid, date(2026, 6, 16), RULES)
    assert later.arrears_months == 4 and not later.covered
    assert later.protection_ends == date(2026, 6, 15) and later.window_ends == date(2026, 9, 15)


def test_scattered_unpaid_months_are_not_arrears() -> None:
    """domain.md: "scattered missed months do not" end the protection."""
    paid = on_time([m for m in months(date(2026, 1, 1), 12) if m.month not in (2, 4, 7, 9)])
    cover = coverage_on(paid, date(2026, 12, 20), RULES)
    assert cover.covered and cover.arrears_months == 0


def test_before_the_first_payment_nobody_is_covered() -> None:
    """domain.md: "Protection starts with the first contribution paid"."""
    cover = coverage_on(on_time([date(2026, 2, 1)]), date(2026, 2, 9), RULES)
    assert not cover.started and not cover.covered and cover.arrears_months == 0
    assert cover.protection_ends is None


@pytest.mark.parametrize("due_day", [1, 15, 28])
def test_protection_ends_on_a_due_date(due_day: int) -> None:
    paid = [Paid(m, date(2026, 1, 1)) for m in months(date(2026, 1, 1), 6)]
    rules = Rules(max_arrears=3, window_months=3, due_day=due_day)
    assert coverage_on(paid, date(2026, 1, 1), rules).protection_ends == date(2026, 10, due_day)
    none = Rules(max_arrears=0, window_months=3, due_day=due_day)
    assert coverage_on(paid[:1], date(2026, 1, 1), none).protection_ends == date(2026, 2, due_day)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 20), 3, date(2026, 11, 25)),  # Friday + 3 -> Wednesday
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday + 1 -> Monday
        (date(2026, 11, 16), 5, date(2026, 11, 23)),  # Monday + 5 -> next Monday
        (date(2026, 11, 16), 0, date(2026, 11, 16)),
    ],
)
def test_working_days_skip_the_weekend(start: date, days: int, due: date) -> None:
    assert add_working_days(start, days) == due
