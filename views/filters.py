"""List filters and form choices that offer only the rows the current user may see, and filter
values that never end in a 500."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from backoffice import authz, caching
from backoffice.clock import JAKARTA, today_in_jakarta
from backoffice.extensions import db
from backoffice.labels import choices


def choice_query(model: type, *conditions: Any) -> Callable[[], Any]:
    """A ``query_factory`` offering only rows the current user may choose."""

    def factory() -> Any:
        return db.session.query(model).filter(authz.choosable(current_user, model), *conditions)

    factory.scoped = True  # type: ignore[attr-defined]  # scoped_choices keeps it as is
    return factory


def scoped_choices(form: Any, model: type) -> Any:
    """A form of ``model`` whose relationship fields offer only rows the user may see."""
    relationships = sa_inspect(model).relationships
    for field in form:
        if isinstance(field, QuerySelectField | QuerySelectMultipleField):
            field.blank_text = gettext("(none)")
            factory = getattr(field, "query_factory", None)
            if getattr(factory, "scoped", False):
                # Already scoped, with the view's own conditions (e.g. KC only): keep them.
                field.query = factory()
                continue
            rel = relationships.get(field.name)
            if rel is not None:
                remote = rel.mapper.class_
                field.query = db.session.query(remote).filter(authz.choosable(current_user, remote))
    return form


class EnumFilter(FilterEqual):
    """Equality filter on an enum column offering translated labels; other values are ignored."""

    def __init__(self, column: Any, name: Any, enum_cls: type[enum.Enum]) -> None:
        super().__init__(column, name, options=lambda: choices(enum_cls))
        self.enum_cls = enum_cls

    def scoped_options(self) -> list[tuple[str, str]]:
        # Read for each page: the labels in the user's language (Flask-Admin reads options once,
        # at start-up, outside any request, so they would stay in the default language).
        return choices(self.enum_cls)

    def validate(self, value: Any) -> bool:
        return value in {m.value for m in self.enum_cls}


class ScopedChoiceFilter(FilterEqual):
    """Equality on a foreign key, offering only the rows the current user may see.

    Flask-Admin reads filter options once at start-up; these are read for each list page.
    """

    def __init__(
        self,
        column: Any,
        name: Any,
        model: type,
        label: Callable[[Any], str],
        load: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(column, name, options=[("", "")])
        self.choice_model = model
        self.choice_label = label
        # Loader options for what the label reads (a department's regency): one statement.
        self.load = load

    def scoped_options(self) -> list[tuple[str, str]]:
        """The choices in the user's scope and language, kept briefly (``caching``): every
        list page shows them, they change with the reference data."""

        def read() -> list[tuple[str, str]]:
            rows = db.session.scalars(
                select(self.choice_model)
                .where(authz.row_condition(current_user, self.choice_model))
                .options(*self.load)
            )
            return sorted(
                ((str(r.id), str(self.choice_label(r))) for r in rows), key=lambda o: o[1]
            )

        return caching.remembered(
            "options",
            caching.REFERENCE,
            (self.choice_model.__name__, self.column, current_user.id, get_locale()),
            read,
            caching.OPTIONS_SECONDS,
        )

    def validate(self, value: Any) -> bool:
        return str(value).isdigit()

    def clean(self, value: Any) -> int:
        return int(value)


class ReferenceChoiceFilter(FilterEqual):
    """Equality on a column holding a code of a reference list (a sector, a regency), offering
    the list's entries read for each list page (``options`` a function of no arguments)."""

    def __init__(self, column: Any, name: Any, options: Callable[[], list[tuple[str, str]]]):
        super().__init__(column, name, options=[("", "")])
        self.read_options = options

    def scoped_options(self) -> list[tuple[str, str]]:
        """The list's entries in the user's language, kept briefly (``caching``)."""
        return caching.remembered(
            "reference-options",
            caching.REFERENCE,
            (
                self.column,
                self.read_options.__module__,
                self.read_options.__qualname__,
                get_locale(),
            ),
            self.read_options,
            caching.OPTIONS_SECONDS,
        )

    def validate(self, value: Any) -> bool:
        return any(value == code for code, _label in self.scoped_options())


#: The largest integer a filter compares with (a signed 64-bit column: BIGINT, SQLite INTEGER).
MAX_FILTER_INT = 2**63 - 1
#: The longest value a filter reads (a value longer than any column it could match).
MAX_FILTER_CHARS = 200


def _within_range(value: Any) -> bool:
    """Whether a cleaned filter value can be sent to the database at all."""
    values = value if isinstance(value, list | tuple) else [value]
    for one in values:
        if isinstance(one, int) and not isinstance(one, bool) and abs(one) > MAX_FILTER_INT:
            return False
        if isinstance(one, float) and not math.isfinite(one):
            return False
    return True


def never_failing(filters: Iterable[Any]) -> None:
    """A hand-written URL with a bad filter value must not end in a 500 (Flask-Admin's enum
    filter raises KeyError, an integer beyond 64 bits overflows the driver): an invalid value
    is not applied, and Flask-Admin says so."""
    for flt in filters:
        if not getattr(flt, "_safe_validate", False):
            original = flt.validate

            def validate(value: Any, _original: Any = original, _flt: Any = flt) -> bool:
                if len(str(value)) > MAX_FILTER_CHARS or "\x00" in str(value):
                    return False
                try:
                    return bool(_original(value)) and _within_range(_flt.clean(value))
                except (LookupError, TypeError, ValueError, OverflowError):
                    return False

            flt.validate = validate
            flt._safe_validate = True


def with_scoped_options(groups: Any, filters: list[Any]) -> Any:
    """Flask-Admin's filter groups, the options of each choice filter read now (in scope, in
    the user's language)."""
    for items in (groups or {}).values():
        for item in items:
            flt = filters[item["index"]]
            if isinstance(
                flt, ScopedChoiceFilter | ReferenceChoiceFilter | EnumFilter | OverdueFilter
            ):
                item["options"] = flt.scoped_options()
    return groups


class StartMonthFilter(FilterEqual):
    """Dates within one month, written ``2026-12`` (the dashboards' "registered this month")."""

    def __init__(self, column: Any, name: Any) -> None:
        super().__init__(column, name)

    def validate(self, value: Any) -> bool:
        text = str(value)
        if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
            return False
        return 1 <= int(text[5:]) <= 12 and int(text[:4]) >= 1900

    def clean(self, value: Any) -> date:
        return date(int(value[:4]), int(value[5:]), 1)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        first = value if isinstance(value, date) else self.clean(value)
        column = self.get_column(alias)
        return query.filter(column >= first, column < _month_after(first))

    def operation(self) -> Any:
        return _l("in")


def _month_after(first: date) -> date:
    year, month = divmod(first.month, 12)
    return date(first.year + year, month + 1, 1)


class JakartaMonthFilter(StartMonthFilter):
    """Instants (stored in UTC) within one month of Jakarta's calendar, written ``2026-12``
    (the dashboards' "claims received this month")."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        first = value if isinstance(value, date) else self.clean(value)

        def instant(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=JAKARTA).astimezone(UTC)

        column = self.get_column(alias)
        return query.filter(column >= instant(first), column < instant(_month_after(first)))


class OverdueFilter(FilterEqual):
    """Open claims whose service target (due date) has passed, in Jakarta's today (the
    dashboards' "claims overdue"); one value, ``yes``."""

    def __init__(self, column: Any, name: Any, open_condition: Any) -> None:
        super().__init__(column, name, options=lambda: [("yes", gettext("Overdue"))])
        self.open_condition = open_condition

    def scoped_options(self) -> list[tuple[str, str]]:
        return [("yes", gettext("Overdue"))]

    def validate(self, value: Any) -> bool:
        return value == "yes"

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        column = self.get_column(alias)
        return query.filter(self.open_condition, column < today_in_jakarta())

    def operation(self) -> Any:
        return _l("is")
