"""Working days, which the service targets count (``sla.<type>.working_days``): Monday to Friday
except the days off, Indonesia's public holidays and the cuti bersama decreed each year.

The public holidays come from the ``holidays`` library (``holidays.Indonesia``); the cuti bersama
and any correction of the library are reference data (``holiday_correction``): a day added is off,
a day removed is a working day after all.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import date, timedelta

import holidays

ADD = "add"
REMOVE = "remove"


def public_holidays(years: Iterable[int]) -> frozenset[date]:
    """Indonesia's public holidays of ``years`` as the ``holidays`` library knows them."""
    return frozenset(holidays.Indonesia(years=list(years)))


def days_off(public: Iterable[date], corrections: Iterable[tuple[date, str]]) -> frozenset[date]:
    """The public holidays with the corrections applied: (day, "add") is a day off too,
    (day, "remove") is not one."""
    off = set(public)
    for day, kind in corrections:
        if kind == ADD:
            off.add(day)
        elif kind == REMOVE:
            off.discard(day)
    return frozenset(off)


def is_working_day(day: date, off: Container[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in off


def add_working_days(day: date, n: int, off: Container[date] = frozenset()) -> date:
    """``n`` working days after ``day``: Monday to Friday, not in ``off`` (the days off,
    ``days_off``)."""
    current = day
    added = 0
    while added < n:
        current += timedelta(days=1)
        if is_working_day(current, off):
            added += 1
    return current
