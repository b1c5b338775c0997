"""Searches routed by the shape of the term: a screen's ``search_condition`` reads the term and
answers with a condition on an indexed column (a number, a code), a ``NameSearch`` (words of a
person's name: ``backoffice.listing.names``), or ``text_has_words`` (words of a free text such
as a note, by a trigram index on PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_
from sqlalchemy.orm import Session

from .counts import is_postgresql
from .names import search_terms, sqlite_condition

_SEPARATORS = re.compile(r"[\s.\-/]+")


class NameSearch:
    """A search by a person's name: the typed words. SQLite asks ``name_match`` of each row;
    PostgreSQL reads the list's table of name words (``backoffice.listing.name_search``)."""

    def __init__(self, search: str) -> None:
        self.search = search
        self.terms = search_terms(search)


#: The longest search a list reads, in characters and in words (``LIST_SEARCH_MAX_CHARS``,
#: ``LIST_SEARCH_MAX_WORDS``): each distinct number of words builds statements of its own.
MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 8


def search_within_bounds(
    search: str, max_chars: int = MAX_SEARCH_CHARS, max_words: int = MAX_SEARCH_WORDS
) -> bool:
    """Whether a typed search is short enough to be read (its length, its number of words)."""
    return len(search) <= max_chars and len(search.split()) <= max_words


def search_digits(search: str) -> str | None:
    """The digits of a search that is a number (KPJ, NIK, claim number; separators allowed)."""
    compact = _SEPARATORS.sub("", search)
    return compact if compact.isdigit() else None


def starts_with(column: Any, digits: str) -> ColumnElement[bool]:
    """A prefix of a number column (a ``varchar_pattern_ops`` index on PostgreSQL)."""
    return column.like(f"{digits}%")


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_has_words(column: Any, search: str) -> ColumnElement[bool]:
    """Words of a free text (not the name rule): every typed word of three letters or more
    somewhere in the text (a trigram index on PostgreSQL answers it); only shorter words: the
    text starts with them."""
    words = search.split()
    long = [w for w in words if len(w) >= 3]
    if long:
        return and_(*(column.ilike(f"%{_like_escaped(w)}%", escape="\\") for w in long))
    return column.ilike(f"{_like_escaped(' '.join(words))}%", escape="\\")


Condition = ColumnElement[bool] | NameSearch


def apply_search(
    session: Session,
    condition: Condition,
    rows: Select,
    count: Select | None,
    name_text: Callable[[], Any],
) -> tuple[Select, Select | None, NameSearch | None]:
    """A search's condition on a list's statements (``count`` None: the list is not counted).

    A name search of a counted list on PostgreSQL is returned instead, for ``read_page`` to
    read from the list's table of name words; on SQLite each row's name (``name_text()``) is
    asked."""
    if isinstance(condition, NameSearch):
        if count is not None and is_postgresql(session):
            return rows, count, condition
        condition = sqlite_condition(name_text(), condition.search)
    return rows.where(condition), (count.where(condition) if count is not None else None), None
