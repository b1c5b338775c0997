"""One page of a list at scale (README "Scale"): counts, deep pages and searches that stay fast
with millions of rows on PostgreSQL, and behave plainly (exact counts) on SQLite.

A screen gives ``read_page`` its statements (scoped, the filters and the search's condition
applied), how to order them and which page; it gets back the page's rows (or the statement
reading them), the count, whether that is an estimate, and the page shown with a notice when
the one asked for was too far.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, LABEL_STYLE_DISAMBIGUATE_ONLY, Select, any_, bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from . import counts, words
from .bounds import MAX_LIST_OFFSET, SEARCH_PAGE_TIMEOUT_MS, last_page, paginate, within_time
from .counts import Count, count_rows, is_postgresql
from .name_search import NameList, search_names
from .search import NameSearch

#: ``Page.notice``: the page asked for is beyond ``Limits.max_offset``; the last page allowed
#: is shown and the user is to narrow the list (``Page.page``).
FAR_PAGE = "far_page"


@dataclass(frozen=True)
class Limits:
    """What bounds the reading of lists, from the application's configuration."""

    exact_count: int = counts.EXACT_COUNT_LIMIT
    estimate_first_factor: float = counts.ESTIMATE_FIRST_FACTOR
    max_offset: int = MAX_LIST_OFFSET
    search_timeout_ms: int = SEARCH_PAGE_TIMEOUT_MS
    word_candidates: int = words.WORD_CANDIDATES

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """``LIST_EXACT_COUNT_LIMIT``, ``LIST_ESTIMATE_FIRST_FACTOR``, ``LIST_MAX_OFFSET``,
        ``LIST_SEARCH_TIMEOUT_MS``, ``LIST_WORD_CANDIDATES``; the defaults above otherwise."""
        return cls(
            exact_count=config.get("LIST_EXACT_COUNT_LIMIT", cls.exact_count),
            estimate_first_factor=config.get(
                "LIST_ESTIMATE_FIRST_FACTOR", cls.estimate_first_factor
            ),
            max_offset=config.get("LIST_MAX_OFFSET", cls.max_offset),
            search_timeout_ms=config.get("LIST_SEARCH_TIMEOUT_MS", cls.search_timeout_ms),
            word_candidates=config.get("LIST_WORD_CANDIDATES", cls.word_candidates),
        )


@dataclass(frozen=True)
class ListQuery:
    """A screen's list as statements.

    ``rows`` selects the model's rows and ``count`` their ``count(*)`` (None: not counted),
    both scoped, filtered and searched; ``base`` the rows in scope only, for a page read by
    its ids. ``order`` adds the list's ORDER BY to a statement, ``options`` are the page's
    loader options. A screen searching names gives its table of name words (``word_index``),
    its name as SQL (``name_text``) and, when the list is in its default order, that order
    (``default_order``: a column name and descending)."""

    model: type
    rows: Select
    count: Select | None
    base: Select
    order: Callable[[Select], Select]
    options: Sequence[Any] = ()
    word_index: words.WordIndex | None = None
    name_text: Callable[[], Any] | None = None
    default_order: tuple[Any, ...] | None = None

    def name_list(self) -> NameList:
        """What a name search reads of this list."""
        index, model = self.word_index, self.model
        assert index is not None and self.name_text is not None, (
            f"{model.__name__} searches names without a word index"
        )
        key = getattr(model, index.key)
        return NameList(primary_key(model), key, model.__tablename__, index, self.name_text)


@dataclass(frozen=True)
class Page:
    """A page of a list: its rows (or, not executed, the statement reading them), the count
    (None: not counted), the page shown and a notice for the user (``FAR_PAGE``) or None."""

    rows: Any
    count: Count | None
    page: int
    notice: str | None = None


def read_page(
    session: Session,
    query: ListQuery,
    *,
    page: int | None,
    page_size: int,
    searched: bool = False,
    names: NameSearch | None = None,
    execute: bool = True,
    limits: Limits | None = None,
) -> Page:
    """The page ``page`` (from 0) of ``page_size`` rows (0: every row, as in an export).

    ``searched``: the list is searched (its matching ids are read up to ``max_offset`` in the
    count's statement, and its page is bounded in time). ``names``: a name search left to the
    list's table of name words (``search.apply_search``). ``execute`` False: ``Page.rows`` is
    the statement, e.g. for an export to stream."""
    limits = limits or Limits()
    page = max(page or 0, 0)
    notice = None
    if page and page_size and page > last_page(page_size, limits.max_offset):
        # OFFSET reads and throws away every row before the page: far pages are refused (the
        # last one allowed is shown) and the user asked to narrow the list.
        page, notice = last_page(page_size, limits.max_offset), FAR_PAGE
    pk = primary_key(query.model)
    rows, count = query.rows, query.count
    if names is not None and count is not None:
        name_list = query.name_list()
        found, rows, count = search_names(
            session,
            name_list,
            names.terms,
            rows,
            count,
            page=page,
            page_size=page_size,
            walk=execute and query.default_order == (name_list.index.key, True),
            candidates=limits.word_candidates,
            timeout_ms=limits.search_timeout_ms,
        )
        if found is not None:
            # The ids of the whole list, paged here, or of the page itself (a walk).
            statement = _page_statement(
                query, rows, found.ids, page if found.whole else 0, page_size
            )
            return _page(session, statement, found.count, page, notice, execute)
    # A search reads up to max_offset matching ids in the same statement: the search's index is
    # read once either way, and a page among those ids needs no second search.
    probe = limits.max_offset if searched else None
    total, ids = (None, None) if count is None else _count(session, count, pk, limits, probe)
    statement = _page_statement(query, rows, ids, page, page_size)
    if execute and ids is None and searched and count is not None and is_postgresql(session):
        # The planner expects many matches and walks the list's order until the page is full;
        # a term rarer than it thinks would make that walk long. Bounded in time, then the
        # other way round: the matching ids by the search's index, the page among them (up to
        # max_offset of them; beyond, the walk is all that is left).
        found_rows = within_time(
            session, lambda: _rows(session, statement), limits.search_timeout_ms
        )
        if found_rows is not None:
            return Page(found_rows, total, page, notice)
        total, ids = _count(session, count, pk, limits, limits.max_offset, estimate_first=False)
        statement = _page_statement(query, rows, ids, page, page_size)
    return _page(session, statement, total, page, notice, execute)


def primary_key(model: type) -> Any:
    return getattr(model, sa_inspect(model).primary_key[0].key)


def _count(
    session: Session,
    count: Any,
    pk: Any,
    limits: Limits,
    probe: int | None,
    estimate_first: bool = True,
) -> tuple[Count, list[Any] | None]:
    return count_rows(
        session,
        count,
        pk,
        limit=limits.exact_count,
        factor=limits.estimate_first_factor,
        probe=probe,
        estimate_first=estimate_first,
    )


def _page(
    session: Session,
    statement: Select,
    count: Count | None,
    page: int,
    notice: str | None,
    execute: bool,
) -> Page:
    return Page(_rows(session, statement) if execute else statement, count, page, notice)


def _rows(session: Session, statement: Select) -> list[Any]:
    return list(session.scalars(statement).unique())


def _page_statement(
    query: ListQuery, rows: Select, ids: list[Any] | None, page: int, page_size: int
) -> Select:
    """The statement reading one page: among ``ids`` when a short list's ids are known."""
    pk = primary_key(query.model)
    if ids is not None:
        # A short list: its rows by id (the ids came from the same scoped conditions; the
        # search and filters are not evaluated twice).
        rows = query.base.where(pk == any_(bindparam("list_ids", ids, type_=ARRAY(pk.type))))
    rows = query.order(rows)
    if ids is None and page and page_size:
        # A later page of a long list: the ids of the page first (an index-only scan can skip
        # the rows before it), then those rows with their columns, in one statement.
        ids_first = rows.with_only_columns(pk).set_label_style(LABEL_STYLE_DISAMBIGUATE_ONLY)
        page_ids = paginate(ids_first, page, page_size).subquery()
        rows = rows.where(pk.in_(select(page_ids.c[0]))).limit(page_size)
    else:
        rows = paginate(rows, page, page_size)
    return rows.options(*query.options) if query.options else rows
