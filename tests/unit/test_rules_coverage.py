"""Protection from the months paid: months due, arrears, the day protection ends; working days."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.rules.coverage import (
    add_months,
    coverage_on,
    due_date,
    month_start,
    months_due,
    protection_ends,
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


def test_protection_holds_with_at_most_the_allowed_arrears() -> None:
    paid = months(date(2026, 1, 1), 2)  # January and February
    on = date(2026, 5, 16)  # March, April and May due and unpaid
    cover = coverage_on(START, paid, on, max_arrears=3, due_day=15)
    assert (cover.started, cover.paid_months, cover.arrears_months) == (True, 2, 3)
    assert cover.covered and cover.protection_ends == date(2026, 6, 15)
    later = coverage_on(START, paid, date(2026, 6, 16), max_arrears=3, due_day=15)
    assert later.arrears_months == 4 and not later.covered


def test_before_the_start_nobody_is_covered() -> None:
    cover = coverage_on(START, [], date(2026, 1, 9), max_arrears=3, due_day=15)
    assert not cover.started and not cover.covered and cover.arrears_months == 0


@pytest.mark.parametrize("due_day", [1, 15, 28])
def test_protection_ends_on_a_due_date(due_day: int) -> None:
    paid = set(months(date(2026, 1, 1), 6))
    assert protection_ends(START, paid, max_arrears=3, due_day=due_day) == date(2026, 10, due_day)
    assert protection_ends(START, set(), max_arrears=0, due_day=due_day) == date(2026, 1, due_day)


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
