"""Service calls as the app's callers make them (a view, a command, a task): one unit of work."""

from __future__ import annotations

import csv
import io
from typing import Any

from backoffice.transaction import unit_of_work


def done(session: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(session, *args, **kwargs)`` committed, or rolled back when it raises."""
    with unit_of_work(session):
        return call(session, *args, **kwargs)


def export_rows(response: Any) -> list[list[str]]:
    """The rows of a list's CSV export (a UTF-8 BOM, then ``;``-separated cells)."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "the CSV export starts with a BOM"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
