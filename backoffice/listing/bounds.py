"""What bounds the reading of a list: the deepest row it pages to, and the time a page of a
searched list may take before it is read another way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: The deepest row a list pages to (``page * page_size``); beyond, the user narrows the list.
MAX_LIST_OFFSET = 10_000
#: A page of a long searched list that takes longer than this is read the other way round:
#: the matching ids first (the search's own index), then the page among them.
SEARCH_PAGE_TIMEOUT_MS = 300
#: PostgreSQL's SQLSTATE of a statement cancelled by ``statement_timeout`` (query_canceled).
QUERY_CANCELED = "57014"

T = TypeVar("T")


def last_page(page_size: int, max_offset: int = MAX_LIST_OFFSET) -> int:
    """The last page (counted from 0) shown of a list read ``page_size`` rows at a time."""
    return max(max_offset // page_size, 0)


def paginate(statement: Any, page: int, page_size: int) -> Any:
    """One page of ``statement`` (``page_size`` 0: every row)."""
    if page_size:
        statement = statement.limit(page_size)
        if page:
            statement = statement.offset(page * page_size)
    return statement


def within_time(session: Session, read: Callable[[], T], timeout_ms: int) -> T | None:
    """What ``read()`` returns, or None when its statements take longer than ``timeout_ms``
    (PostgreSQL's ``statement_timeout``, in a savepoint: the transaction goes on)."""
    try:
        with session.begin_nested():
            previous = session.execute(
                text(
                    "SELECT current_setting('statement_timeout'),"
                    " set_config('statement_timeout', :timeout, true)"
                ),
                {"timeout": f"{int(timeout_ms)}ms"},
            ).scalar()
            result = read()
            session.execute(
                text("SELECT set_config('statement_timeout', :previous, true)"),
                {"previous": previous},
            )
            return result
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != QUERY_CANCELED:
            raise
        log.info("a searched list page took over %s ms: read another way", timeout_ms)
        return None
