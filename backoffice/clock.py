"""The clock: instants in UTC, calendar days in Jakarta.

At the bottom of the layering: anyone may import it. Stored timestamps are UTC (``utcnow``,
``as_utc`` come from the models, which know no Flask); registration dates, start dates, due dates
and the audit trail's days are Jakarta days.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from models.base import as_utc, utcnow

__all__ = ["JAKARTA", "as_utc", "jakarta_day", "today_in_jakarta", "utcnow"]

JAKARTA = ZoneInfo("Asia/Jakarta")


def jakarta_day(moment: datetime) -> date:
    """The calendar day in Jakarta of an instant (naive instants are UTC, as SQLite returns them)."""
    return as_utc(moment).astimezone(JAKARTA).date()


def today_in_jakarta() -> date:
    return jakarta_day(utcnow())
