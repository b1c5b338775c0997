"""Service calls as the app's callers make them (a view, a command, a task): one unit of work."""

from __future__ import annotations

from typing import Any

from backoffice.transaction import unit_of_work


def done(session: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(session, *args, **kwargs)`` committed, or rolled back when it raises."""
    with unit_of_work(session):
        return call(session, *args, **kwargs)
