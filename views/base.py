"""The secured base view: every screen inherits its scoping, access checks and formats."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext
from flask_login import current_user
from psycopg.errors import QueryCanceled
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.expression import ClauseElement, Executable

from backoffice import authz
from backoffice.exports import neutralise_formula
from backoffice.extensions import db
from backoffice.i18n import format_number
from backoffice.names import search_terms

from . import words
from .filters import never_failing, scoped_choices, with_scoped_options
from .formats import EXPORT_FORMATTERS, LIST_FORMATTERS, ListCount
from .saving import AuditedForm, SavingErrors

log = logging.getLogger(__name__)

#: Rows stream out of a CSV export this many at a time (never the whole list in memory).
EXPORT_BATCH = 2_000


def deny_access() -> Any:
    """Not signed in: to the login page, back here afterwards. Signed in: 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


# --------------------------------------------------------------------------------------------
# Lists at scale (README "Scale"): counts, deep pages and searches that stay fast with millions
# of rows on PostgreSQL, and behave plainly (exact counts) on SQLite.
# --------------------------------------------------------------------------------------------

#: Counted exactly up to this many rows; beyond, PostgreSQL's estimate is shown as such.
EXACT_COUNT_LIMIT = 1_000
#: The deepest row a list pages to (``page * page_size``); beyond, the user narrows the list.
MAX_LIST_OFFSET = 10_000
#: A list the planner expects to be this many times longer than ``EXACT_COUNT_LIMIT`` is not
#: probed for its ids: its estimate is shown straight away (a common word in a name would
#: otherwise read a trigram index's long posting lists only to find out the list is long).
ESTIMATE_FIRST_FACTOR = 10
#: A page of a long searched list that takes longer than this is read the other way round:
#: the matching ids first (the search's own index), then the page among them.
SEARCH_PAGE_TIMEOUT_MS = 300


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <select>``: PostgreSQL's row estimate, without running it."""

    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def estimated_rows(statement: Any) -> int:
    """The planner's estimate of the rows ``statement`` returns (PostgreSQL only)."""
    plan = db.session.connection().execute(_Explain(statement)).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


_SEPARATORS = re.compile(r"[\s.\-/]+")


def search_digits(search: str) -> str | None:
    """The digits of a search that is a number (KPJ, NIK, claim number; separators allowed)."""
    compact = _SEPARATORS.sub("", search)
    return compact if compact.isdigit() else None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_matches(column: Any, search: str) -> ColumnElement[bool]:
    """Every word of three letters or more somewhere in the name (a trigram index on
    PostgreSQL answers it); only shorter words: the name starts with them."""
    words = search.split()
    long = [w for w in words if len(w) >= 3]
    if long:
        return and_(*(column.ilike(f"%{_like_escaped(w)}%", escape="\\") for w in long))
    return column.ilike(f"{_like_escaped(' '.join(words))}%", escape="\\")


class NameSearch:
    """What a screen's ``search_condition`` returns for a search by a person's name: the typed
    words (``backoffice.names``). SQLite asks ``name_match`` of each row; PostgreSQL reads the
    screen's table of name words (``views/words.py``)."""

    def __init__(self, search: str) -> None:
        self.search = search
        self.terms = search_terms(search)


def starts_with(column: Any, digits: str) -> ColumnElement[bool]:
    """A prefix of a number column (a ``varchar_pattern_ops`` index on PostgreSQL)."""
    return column.like(f"{digits}%")


class SecuredModelView(AuditedForm, SavingErrors, ModelView):
    """A Flask-Admin model view whose every query, lookup and action is scoped by ``authz``;
    its forms are audited and saved with errors a user can act on (``views.saving``).

    Subclasses declare ``screen`` (a key of ``authz.SCREENS``) and their columns.
    """

    screen: str = ""
    page_size = 20
    can_set_page_size = True
    can_view_details = True
    can_delete = False  # records are deactivated, never deleted: the audit trail refers to them
    list_template = "admin/model/list.html"
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = LIST_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    export_types = ["csv"]

    def __init__(self, model: type, **kwargs: Any) -> None:
        super().__init__(model, db, **kwargs)

    # --- access ------------------------------------------------------------------------------
    def is_accessible(self) -> bool:
        return authz.may(current_user, self.screen, "view")

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return authz.may(current_user, self.screen, "create")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return authz.may(current_user, self.screen, "edit")

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return authz.may(current_user, self.screen, "export")

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        # Flask-Admin checks can_* flags itself on most endpoints; enforce them for every
        # state-changing endpoint anyway so that a forged request cannot slip through.
        result = super()._handle_view(name, **kwargs)
        if result is not None:
            return result
        # A row out of scope answers 404 whatever the action, exactly like a missing row.
        row_id = request.args.get("id") if name in ("edit_view", "details_view") else None
        if name == "delete_view":
            row_id = request.form.get("id")
        if row_id is not None:
            self.get_one(row_id)
        needed = {
            "create_view": "create",
            "edit_view": "edit",
            "ajax_update": "edit",
            "delete_view": "delete",
            "export": "export",
        }.get(name)
        if needed == "delete" and not self.can_delete:
            abort(403)
        if needed and needed != "delete" and not authz.may(current_user, self.screen, needed):
            abort(403)
        return None

    def get_filters(self) -> Any:
        filters = super().get_filters() or []
        never_failing(filters)
        return filters

    # --- scoped data access ------------------------------------------------------------------
    def get_query(self) -> Any:
        return authz.scope(current_user, super().get_query(), self.model)

    def get_count_query(self) -> Any:
        return authz.scope(current_user, super().get_count_query(), self.model)

    # --- lists at scale ----------------------------------------------------------------------
    #: The screen's table of name words on PostgreSQL, for searches that return ``NameSearch``.
    word_index: words.WordIndex | None = None

    def search_condition(self, search: str) -> ColumnElement[bool] | NameSearch | None:
        """The condition of a search, routed by the shape of the term (a number to the KPJ/NIK
        columns, words to a name); None keeps Flask-Admin's search (small tables only)."""
        return None

    def name_text(self) -> Any:
        """The text a ``NameSearch`` looks in, as SQL (the row's name)."""
        raise NotImplementedError

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str
    ) -> Any:
        condition = self.search_condition(search.strip()) if search.strip() else None
        return self._apply_search_condition(
            condition, query, count_query, joins, count_joins, search
        )

    def _apply_search_condition(
        self,
        condition: ColumnElement[bool] | NameSearch | None,
        query: Any,
        count_query: Any,
        joins: Any,
        count_joins: Any,
        search: str,
    ) -> Any:
        """The search's condition on both queries (None: Flask-Admin's own search)."""
        if condition is None:
            return super()._apply_search(query, count_query, joins, count_joins, search)
        if isinstance(condition, NameSearch):
            # SQLite (PostgreSQL reads the table of name words in get_list).
            condition = func.name_match(self.name_text(), condition.search) == 1
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def _apply_sorting(self, query: Any, joins: Any, sort_column: Any, sort_desc: bool) -> Any:
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        # Ties broken by the primary key in the same direction: pages neither overlap nor skip
        # rows, and the "(column, id)" indexes serve the whole ORDER BY.
        if sort_column is None:
            order = list(super(ModelView, self)._get_default_order() or [])
            if not order:
                return query, joins  # the view orders its own query (a work queue)
            sort_desc = bool(order[-1][1])
        pk = sa_inspect(self.model).primary_key[0]
        if sort_column is None or self._sortable_columns.get(sort_column) is not getattr(
            self.model, pk.key, None
        ):
            query = query.order_by(pk.desc() if sort_desc else pk.asc())
        return query, joins

    def _last_page(self, page_size: int) -> int:
        limit = current_app.config.get("LIST_MAX_OFFSET", MAX_LIST_OFFSET)
        return max(limit // page_size, 0)

    def _apply_pagination(self, query: Any, page: int | None, page_size: int | None) -> Any:
        if page_size is None:
            page_size = self.page_size
        page = max(page or 0, 0)
        if page and page_size and page > self._last_page(page_size):
            # OFFSET reads and throws away every row before the page: far pages are refused
            # (the last one allowed is shown) and the user asked to narrow the list.
            page = self._last_page(page_size)
            g.list_page_shown = page
            flash(
                gettext(
                    "Only the first %(pages)s pages of a list are shown: narrow it with a "
                    "filter or a search.",
                    pages=format_number(page + 1),
                ),
                "warning",
            )
        return super()._apply_pagination(query, page, page_size)

    def count_rows(
        self, count_query: Any, *, probe: int | None = None, estimate_first: bool = True
    ) -> tuple[ListCount, list[Any] | None]:
        """The number of rows of a list, and on PostgreSQL the ids of a list short enough.

        SQLite: ``count(*)``. PostgreSQL: first the planner's estimate (``EXPLAIN``); a list it
        expects to be much longer than ``LIST_EXACT_COUNT_LIMIT`` shows that estimate, marked
        as one. Otherwise the ids of up to ``LIST_EXACT_COUNT_LIMIT`` rows, or ``probe`` rows
        when more are wanted (one statement that stops there, no ordering: the planner uses
        the search's own index): when every id was read the count is exact and the page is
        read by those ids, so a rare search term never ends in a walk along the order index.
        A longer list shows the estimate.
        """
        if db.session.get_bind().dialect.name != "postgresql":
            return ListCount(count_query.scalar() or 0), None
        limit = current_app.config.get("LIST_EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT)
        rows = count_query.with_entities(literal_column("1")).statement
        estimate = estimated_rows(rows)
        if estimate_first:
            factor = current_app.config.get("LIST_ESTIMATE_FIRST_FACTOR", ESTIMATE_FIRST_FACTOR)
            if estimate >= limit * factor:
                return ListCount(estimate, estimated=True), None
        pk = getattr(self.model, sa_inspect(self.model).primary_key[0].key)
        wanted = max(probe or 0, limit)
        ids = [row[0] for row in count_query.with_entities(pk).limit(wanted + 1)]
        if len(ids) <= wanted:
            return ListCount(len(ids)), ids
        return ListCount(max(estimate, wanted + 1), estimated=True), None

    def _page_within_time(self, read: Callable[[], list[Any]]) -> list[Any] | None:
        """The rows of a page of a long searched list (``read()``), or None when reading them
        takes longer than ``SEARCH_PAGE_TIMEOUT_MS`` (``statement_timeout``, in a savepoint)."""
        session = db.session
        timeout = current_app.config.get("LIST_SEARCH_TIMEOUT_MS", SEARCH_PAGE_TIMEOUT_MS)
        try:
            with session.begin_nested():
                previous = session.execute(
                    text(
                        "SELECT current_setting('statement_timeout'),"
                        " set_config('statement_timeout', :timeout, true)"
                    ),
                    {"timeout": f"{int(timeout)}ms"},
                ).scalar()
                rows = read()
                session.execute(
                    text("SELECT set_config('statement_timeout', :previous, true)"),
                    {"previous": previous},
                )
                return rows
        except OperationalError as exc:
            if not isinstance(getattr(exc, "orig", None), QueryCanceled):
                raise
            log.info("a searched list page took over %s ms: read another way", timeout)
            return None

    def get_list(  # type: ignore[override]
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> tuple[int | None, Any]:
        """Flask-Admin's, with ``count_rows`` instead of ``count(*)`` (same statements), and
        name searches read by their words on PostgreSQL."""
        joins: dict[Any, Any] = {}
        count_joins: dict[Any, Any] = {}
        query = self.get_query()
        count_query = self.get_count_query() if not self.simple_list_pager else None
        searched = bool(self._search_supported and search and search.strip())
        postgres = db.session.get_bind().dialect.name == "postgresql"
        names = None
        if searched:
            condition = self.search_condition(search.strip())
            if isinstance(condition, NameSearch) and postgres and count_query is not None:
                names = condition
            else:
                query, count_query, joins, count_joins = self._apply_search_condition(
                    condition, query, count_query, joins, count_joins, search
                )
        if filters and self._filters:
            query, count_query, joins, count_joins = self._apply_filters(
                query, count_query, joins, count_joins, filters
            )
        if names is not None:
            found, query, count_query = self._name_search(
                names, query, count_query, page, sort_column, page_size, execute
            )
            if found is not None:
                count, ids, whole = found
                # The ids of the whole list, paged here, or of the page itself (a walk).
                shown = page if whole else 0
                page_query = self._page_query(query, ids, shown, sort_column, sort_desc, page_size)
                return count, (page_query.all() if execute else page_query)
        # A search reads up to LIST_MAX_OFFSET matching ids in the same statement: the search's
        # index is read once either way, and a page among those ids needs no second search.
        cap = current_app.config.get("LIST_MAX_OFFSET", MAX_LIST_OFFSET)
        count, ids = (
            self.count_rows(count_query, probe=cap if searched else None)
            if count_query is not None
            else (None, None)
        )
        page_query = self._page_query(query, ids, page, sort_column, sort_desc, page_size)
        if not execute:
            return count, page_query
        if ids is None and searched and postgres:
            # The planner expects many matches and walks the list's order until the page is
            # full; a term rarer than it thinks would make that walk long. Bounded in time,
            # then the other way round: the matching ids by the search's index, the page among
            # them (up to LIST_MAX_OFFSET of them; beyond, the walk is all that is left).
            rows = self._page_within_time(page_query.all)
            if rows is not None:
                return count, rows
            count, ids = self.count_rows(count_query, probe=cap, estimate_first=False)
            page_query = self._page_query(query, ids, page, sort_column, sort_desc, page_size)
        return count, page_query.all()

    def _name_search(
        self,
        names: NameSearch,
        query: Any,
        count_query: Any,
        page: int | None,
        sort_column: Any,
        page_size: int | None,
        execute: bool,
    ) -> tuple[tuple[ListCount, list[Any], bool] | None, Any, Any]:
        """A name search on PostgreSQL, by the screen's table of name words (``views/words``).

        Returns the count and the ids of the whole list (True) or of the page (False) when the
        words answered it (the page is then read by those ids), else None and the query and
        count query with the search's conditions, for the list's usual path."""
        pk = getattr(self.model, sa_inspect(self.model).primary_key[0].key)
        if not names.terms:
            return (ListCount(0), [], True), query, count_query
        index = self.word_index
        assert index is not None, f"{type(self).__name__} searches names without a word index"
        stats = sorted((words.measure(index, t) for t in names.terms), key=lambda s: s.entries)
        lead = stats[0]
        key = getattr(self.model, index.key)

        def conditions(covered: list[words.TermStats]) -> list[Any]:
            """The typed words the candidates are not known to have, checked on each."""
            return [
                words.has_term(index, s, key, pk, self.name_text())
                for s in stats
                if not any(s is c for c in covered)
            ]

        # Few candidates: all the entries of the rarest typed word, or of the rarest pair of
        # typed words; those in scope and filters with the other typed words are the list.
        found = (index.ids(lead.term), [lead]) if lead.counted else words.rare_pair(index, stats)
        if found is not None:
            candidates, covered = found
            ids = [
                row[0]
                for row in count_query.with_entities(pk).filter(
                    pk.in_(candidates), *conditions(covered)
                )
            ]
            return (ListCount(len(ids)), ids, True), query, count_query
        # Many: the walk (the list's order), else the list's usual path.
        if (
            execute
            and sort_column is None
            and lead.words is not None
            and tuple(self.column_default_sort or ()) == (index.key, True)
        ):
            walked = self._page_within_time(
                lambda: self._walk_page(index, lead, stats, count_query, page, page_size)
            )
            if walked is not None:
                count, ids = walked
                return (count, ids, False), query, count_query
        search = [pk.in_(index.ids(lead.term)), *conditions([lead])]
        return None, query.filter(*search), count_query.filter(*search)

    def _walk_page(
        self,
        index: words.WordIndex,
        lead: words.TermStats,
        stats: list[words.TermStats],
        count_query: Any,
        page: int | None,
        page_size: int | None,
    ) -> tuple[ListCount, list[Any]]:
        """One page of a long name search, in the list's default order: the typed words'
        entries newest first, merged, each row met by all of them checked until the page is
        full."""
        size = page_size if page_size is not None else self.page_size
        pk = getattr(self.model, sa_inspect(self.model).primary_key[0].key)
        key = getattr(self.model, index.key)
        others = [s for s in stats if s is not lead]
        # Typed words standing for few enough words are merged in order with the leading one;
        # the others (hundreds of words begin with them) are checked on the row's name.
        merged = [s.words for s in others if s.words is not None]
        on_row = [
            words.has_term(index, s, key, pk, self.name_text()) for s in others if s.words is None
        ]

        def row_check(row_id: Any, merged_ids: list[Any]) -> Any:
            same_row = [pk == merged_id for merged_id in merged_ids]
            return words.checked(count_query, pk, row_id, [*same_row, *on_row])

        statement = words.walk(index, lead.words or [], merged, row_check)
        statement = self._apply_pagination(statement, page, page_size)
        ids = [row_id for _key, row_id in db.session.execute(statement)]
        offset = max(g.get("list_page_shown", page or 0), 0) * size
        if len(ids) < size and (ids or not offset):
            return ListCount(offset + len(ids)), ids
        # How many there are is not read: the rows in scope and filters, times the share of
        # rows having each typed word (as if the words were independent), shown as an estimate.
        total = estimated_rows(count_query.with_entities(literal_column("1")).statement)
        rows = words.table_rows(self.model.__tablename__)
        estimate = float(total)
        for item in stats:
            estimate *= min(1.0, item.entries / rows)
        if not ids:
            return ListCount(min(round(estimate), offset), estimated=True), ids
        return ListCount(max(round(estimate), offset + len(ids)), estimated=True), ids

    def _page_query(
        self,
        query: Any,
        ids: list[Any] | None,
        page: int | None,
        sort_column: Any,
        sort_desc: bool,
        page_size: int | None,
    ) -> Any:
        """The statement reading one page: among ``ids`` when a short list's ids are known."""
        joins: dict[Any, Any] = {}
        pk = getattr(self.model, sa_inspect(self.model).primary_key[0].key)
        if ids is not None:
            # A short list: its rows by id (the ids came from the same scoped conditions; the
            # search and filters are not evaluated twice).
            query = self.get_query()
            query = query.filter(pk == any_(bindparam("list_ids", ids, type_=ARRAY(pk.type))))
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        if ids is not None:
            query = self._apply_pagination(query, page, page_size)
        elif page and (page_size if page_size is not None else self.page_size):
            # A later page of a long list: the ids of the page first (an index-only scan can
            # skip the rows before it), then those rows with their columns, in one statement.
            page_ids = self._apply_pagination(query.with_entities(pk), page, page_size).subquery()
            query = query.filter(pk.in_(select(page_ids.c[0]))).limit(
                page_size if page_size is not None else self.page_size
            )
        else:
            query = self._apply_pagination(query, page, page_size)
        for join in self._auto_joins:
            query = query.options(joinedload(join))
        return query

    def _get_filter_groups(self) -> Any:
        groups = super()._get_filter_groups()
        return with_scoped_options(groups, self._filters) if has_request_context() else groups

    def render(self, template: str, **kwargs: Any) -> Any:
        page_size = kwargs.get("page_size")
        if template == self.list_template and page_size:
            last = self._last_page(page_size)
            if kwargs.get("num_pages") is not None:
                kwargs["num_pages"] = min(kwargs["num_pages"], last + 1)
            if "list_page_shown" in g:
                kwargs["page"] = g.list_page_shown
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(self.details_context(model))
        return super().render(template, **kwargs)

    def details_context(self, model: Any) -> dict[str, Any]:
        """What a screen's details template shows besides the columns (workflow, history...)."""
        return {}

    def get_one(self, id: Any) -> Any:
        pk = sa_inspect(self.model).primary_key[0]
        try:
            key = pk.type.python_type(id)
        except (TypeError, ValueError):
            abort(404)
        obj = self.get_query().filter(pk == key).one_or_none()
        if obj is None:
            # Out of scope and non-existent look the same: no information leaks.
            abort(404)
        return obj

    def create_form(self, obj: Any = None) -> Any:
        return scoped_choices(super().create_form(obj), self.model)

    def edit_form(self, obj: Any = None) -> Any:
        return scoped_choices(super().edit_form(obj), self.model)

    def _export_data(self) -> tuple[int | None, Any]:
        """The rows of a CSV export as a stream (``yield_per``): an export of a million members
        or events never holds them all in memory."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        count, query = self.get_list(
            0,
            sort[0] if sort is not None else None,
            args.sort_desc,
            args.search,
            args.filters,
            execute=False,
            page_size=self.export_max_rows,
        )
        return count, query.yield_per(EXPORT_BATCH)

    def get_export_value(self, model: Any, name: Any) -> Any:
        return neutralise_formula(super().get_export_value(model, name))
