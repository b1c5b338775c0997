"""The secured base view: every screen inherits its scoping, access checks and formats, and
reads its list through ``backoffice.listing`` (counts, estimates, far pages, searches)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, Select, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload
from werkzeug.utils import secure_filename

from backoffice import authz, exports
from backoffice.clock import JAKARTA, as_utc, utcnow
from backoffice.exports import neutralise_formula
from backoffice.extensions import db
from backoffice.i18n import format_number
from backoffice.listing.bounds import last_page
from backoffice.listing.pages import FAR_PAGE, Limits, ListQuery, read_page
from backoffice.listing.search import (
    MAX_SEARCH_CHARS,
    MAX_SEARCH_WORDS,
    Condition,
    apply_search,
    search_within_bounds,
)
from backoffice.listing.words import WordIndex
from backoffice.services import personal_data
from backoffice.transaction import unit_of_work

from .filters import never_failing, scoped_choices, with_scoped_options
from .formats import EXPORT_FORMATTERS, LIST_FORMATTERS, ListCount, masked
from .lean_list import LeanRows
from .saving import AuditedForm, SavingErrors

#: Rows stream out of a CSV export this many at a time (never the whole list in memory).
EXPORT_BATCH = 2_000


def deny_access() -> Any:
    """Not signed in: to the login page, back here afterwards. Signed in: 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


def _select(query: Any) -> Select:
    """A Flask-Admin query as a ``select()``, its columns labelled as the query labels them."""
    return query.statement.set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)


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
    #: Flask-Admin's list page with each row built once in Python (``views.lean_list``).
    list_template = "admin/list.html"
    #: False renders the rows by Flask-Admin's per-cell macros (the lean rows' tests compare).
    lean_list = True
    details_template = "admin/details.html"
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = LIST_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    # Beside the CSV (semicolon, BOM, Indonesian amounts) an XLSX with typed cells.
    export_types = ["csv", "xlsx"]
    #: Columns of amounts in rupiah: numbers in the Rupiah format in XLSX, ``16.800`` in CSV.
    money_columns: tuple[str, ...] = ()

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
            # The page's own get_one (details, edit) takes this row instead of reading it again.
            g.row_in_scope = (self.endpoint, row_id, self.get_one(row_id))
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

    def _get_filter_groups(self) -> Any:
        groups = super()._get_filter_groups()
        return with_scoped_options(groups, self._filters) if has_request_context() else groups

    # --- scoped data access ------------------------------------------------------------------
    def get_query(self) -> Any:
        return authz.scope(current_user, super().get_query(), self.model)

    def get_count_query(self) -> Any:
        return authz.scope(current_user, super().get_count_query(), self.model)

    # --- lists at scale (backoffice.listing) ---------------------------------------------------
    #: A person's NIK, phone or address columns (UU 27/2022; ``rules.personal_data.MASKS``
    #: names the field): masked in every export, whose every download is audited first. (An
    #: office's address is no personal data.)
    personal_columns: tuple[str, ...] = ()

    #: The screen's table of name words on PostgreSQL, for searches that return ``NameSearch``.
    word_index: WordIndex | None = None

    def search_condition(self, search: str) -> Condition | None:
        """The condition of a search, routed by the shape of the term (a number to the KPJ/NIK
        columns, words to a name); None keeps Flask-Admin's search (small tables only)."""
        return None

    def name_text(self) -> Any:
        """The text a ``NameSearch`` looks in, as SQL (the row's name)."""
        raise NotImplementedError

    def _get_list_extra_args(self) -> Any:
        """The list's arguments from the URL, a search beyond the bounds dropped with a message
        (before Flask-Admin builds anything of it). Filter values: ``filters.never_failing``."""
        args = super()._get_list_extra_args()
        # No database stores a NUL in text (PostgreSQL refuses it): a search never has one.
        args.search = (args.search or "").replace("\x00", "") or None
        if args.search:
            max_chars = current_app.config.get("LIST_SEARCH_MAX_CHARS", MAX_SEARCH_CHARS)
            max_words = current_app.config.get("LIST_SEARCH_MAX_WORDS", MAX_SEARCH_WORDS)
            if not search_within_bounds(args.search, max_chars, max_words):
                flash(
                    gettext(
                        "A search is at most %(chars)s characters and %(words)s words: the "
                        "list is shown unsearched.",
                        chars=format_number(max_chars),
                        words=format_number(max_words),
                    ),
                    "warning",
                )
                args.search = None
        return args

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
        """Flask-Admin's, with its search, filters and order, read by ``backoffice.listing``."""
        joins: dict[Any, Any] = {}
        count_joins: dict[Any, Any] = {}
        rows = _select(self.get_query())
        count = None if self.simple_list_pager else _select(self.get_count_query())
        term = search.strip() if self._search_supported and search else ""
        condition = self.search_condition(term) if term else None
        names = None
        if term and condition is None:
            rows, count, joins, count_joins = self._apply_search(
                rows, count, joins, count_joins, search
            )
        elif condition is not None:
            rows, count, names = apply_search(db.session, condition, rows, count, self.name_text)
        if filters and self._filters:
            rows, count, joins, count_joins = self._apply_filters(
                rows, count, joins, count_joins, filters
            )

        def order(statement: Select) -> Select:
            return self._apply_sorting(statement, {}, sort_column, sort_desc)[0]

        in_default_order = sort_column is None
        found = read_page(
            db.session,
            ListQuery(
                self.model,
                rows,
                count,
                base=_select(self.get_query()),
                order=order,
                options=[joinedload(join) for join in self._auto_joins],
                word_index=self.word_index,
                name_text=self.name_text,
                default_order=tuple(self.column_default_sort or ()) if in_default_order else None,
            ),
            page=page,
            page_size=self.page_size if page_size is None else page_size,
            searched=bool(term),
            names=names,
            execute=execute,
            limits=Limits.from_config(current_app.config),
        )
        if found.notice == FAR_PAGE:
            g.list_page_shown = found.page
            flash(
                gettext(
                    "Only the first %(pages)s pages of a list are shown: narrow it with a "
                    "filter or a search.",
                    pages=format_number(found.page + 1),
                ),
                "warning",
            )
        return ListCount.of(found.count), found.rows

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

    def render(self, template: str, **kwargs: Any) -> Any:
        page_size = kwargs.get("page_size")
        if template == self.list_template and page_size:
            last = last_page(page_size, Limits.from_config(current_app.config).max_offset)
            if kwargs.get("num_pages") is not None:
                kwargs["num_pages"] = min(kwargs["num_pages"], last + 1)
            if "list_page_shown" in g:
                kwargs["page"] = g.list_page_shown
        lean = ("data", "list_columns", "list_row_actions", "return_url")
        if template == self.list_template and all(key in kwargs for key in lean):
            if self.lean_list and not self.column_editable_list:
                kwargs["lean_row"] = LeanRows(
                    self,
                    list_columns=kwargs["list_columns"],
                    row_actions=kwargs["list_row_actions"],
                    return_url=kwargs["return_url"],
                    actions=kwargs.get("actions"),
                )
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(self.details_context(model))
        return super().render(template, **kwargs)

    def details_context(self, model: Any) -> dict[str, Any]:
        """What a screen's details template shows besides the columns (workflow, history...)."""
        return {}

    def get_one(self, id: Any) -> Any:
        checked = g.pop("row_in_scope", None) if has_request_context() else None
        if checked is not None and checked[:2] == (self.endpoint, id) and checked[2] in db.session:
            return checked[2]  # read in scope by _handle_view, moments ago in this request
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
        count, statement = self.get_list(
            0,
            sort[0] if sort is not None else None,
            args.sort_desc,
            args.search,
            args.filters,
            execute=False,
            page_size=self.export_max_rows,
        )
        personal = self.personal_export_columns()
        if personal:
            # UU 27/2022: the trail knows of the export, its rows and its personal data columns
            # before the first row leaves (committed here; the rows stream afterwards).
            rows = db.session.scalar(
                select(func.count()).select_from(statement.order_by(None).subquery())
            )
            export = personal_data.ExportOf(
                list=self.screen,
                rows=rows or 0,
                columns=personal,
                masked=True,
                search=args.search,
                filters=[(name, value) for _idx, name, value in args.filters or ()],
            )
            with unit_of_work(db.session):
                personal_data.audit_export(db.session, current_user, export, ip=request.remote_addr)
        return count, db.session.scalars(statement.execution_options(yield_per=EXPORT_BATCH))

    @expose("/export/<export_type>/")
    def export(self, export_type: str) -> Any:
        """The list as CSV or XLSX: typed cells (``export_cell``), masked personal data, the
        export audited before its first row (``_export_data``), named in Jakarta time."""
        if not self.can_export or export_type not in self.export_types:
            abort(403)
        _count, data = self._export_data()
        titles = [str(label) for _name, label in self._export_columns]
        titles = [
            f"{title} (Rp)" if name in self.money_columns and "Rp" not in title else title
            for (name, _label), title in zip(self._export_columns, titles, strict=True)
        ]
        rows = ([self.export_cell(row, name) for name, _ in self._export_columns] for row in data)
        filename = secure_filename(self.get_export_name(export_type))
        headers = {"Content-Disposition": f"attachment;filename={filename}"}
        if export_type == "xlsx":
            body = exports.xlsx_bytes(titles, rows, sheet_title=str(self.name))
            return Response(body, headers=headers, mimetype=exports.XLSX_MIMETYPE)
        return Response(
            stream_with_context(exports.csv_lines(titles, rows)),
            headers=headers,
            mimetype="text/csv",
            content_type="text/csv; charset=utf-8",
        )

    def get_export_name(self, export_type: str = "csv") -> str:
        """``Klaim_2026-12-03_19-30-05.xlsx``: the screen's name and the time in Jakarta."""
        moment = as_utc(utcnow()).astimezone(JAKARTA)
        return f"{self.name}_{moment:%Y-%m-%d_%H-%M-%S}.{export_type}"

    def export_cell(self, model: Any, name: str) -> Any:
        """An export's cell as a typed value: an amount (``money_columns``), a number, a date
        or a time (in Jakarta) when the column shows the stored value; else the text the
        export's formatters give (formula-safe); personal data always masked."""
        if name in self.personal_columns:
            return self.get_export_value(model, name)
        raw: Any = model
        for part in name.split("."):
            raw = None if raw is None else getattr(raw, part, None)
        number = isinstance(raw, int | Decimal | float) and not isinstance(raw, bool)
        if name in self.money_columns and number:
            return exports.Money(raw)
        if name not in (self.column_formatters_export or {}):
            if number:
                return raw
            if isinstance(raw, datetime):
                return as_utc(raw).astimezone(JAKARTA).replace(tzinfo=None)
            if isinstance(raw, date):
                return raw
        return self.get_export_value(model, name)

    def personal_export_columns(self) -> list[str]:
        """The export's NIK, phone and address columns (always masked: ``get_export_value``)."""
        return [name for name, _label in self._export_columns if name in self.personal_columns]

    def get_export_value(self, model: Any, name: Any) -> Any:
        """Every cell of an export through the one formula neutraliser, whatever gave it: a
        column formatter, a type formatter, or a related record (written as its text); a NIK,
        phone or address column masked."""
        if name in self.personal_columns:
            # Masked whatever the screen's formatters say: an export never has them in full.
            return neutralise_formula(masked(self, None, model, name))
        value = super().get_export_value(model, name)
        if value is not None and not isinstance(value, str | int | float | Decimal | date):
            value = str(value)
        return neutralise_formula(value)
