"""Working days, which the service targets count (``sla.<type>.working_days``)."""

from __future__ import annotations

from datetime import date, timedelta


def add_working_days(day: date, n: int) -> date:
    """``n`` working days (Monday to Friday) after ``day``."""
    current = day
    added = 0
    while added < n:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current
