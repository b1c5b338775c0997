"""Contribution months: a month is its first day; its contribution is due by ``due_day``."""

from __future__ import annotations

import calendar
from datetime import date


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def same_day_months_later(day: date, n: int) -> date:
    """``day`` ``n`` months later; a day the month lacks becomes its last day."""
    month = add_months(month_start(day), n)
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(day.day, last))


def due_date(month: date, due_day: int) -> date:
    """The day by which the contribution of ``month`` is paid."""
    return month.replace(day=due_day)


def months_due(start: date, on: date, due_day: int) -> list[date]:
    """The months from ``start``'s whose contribution is due on ``on`` (their due date passed)."""
    first = month_start(start)
    last = month_start(on) if on.day > due_day else add_months(month_start(on), -1)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months
