"""How values read on the screens: the type formatters of lists, details and exports, a list's
count (exact, or an estimate shown as such) and the counts of menu badges."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_admin.model import typefmt
from flask_babel import gettext
from markupsafe import Markup, escape

from backoffice.i18n import format_date, format_number
from backoffice.labels import label
from backoffice.listing.counts import Count
from backoffice.rules.personal_data import mask


def _bool(view: Any, value: bool, name: str) -> str:
    return gettext("Yes") if value else gettext("No")


def _enum(view: Any, value: enum.Enum, name: str) -> str:
    return label(value)


def _date(view: Any, value: date, name: str) -> str:
    return format_date(value)


def _decimal(view: Any, value: Decimal, name: str) -> str:
    return format_number(value)


# Order matters: Flask-Admin takes the first isinstance match (bool before int, datetime
# before date).
LIST_FORMATTERS = {
    type(None): typefmt.empty_formatter,
    bool: _bool,
    datetime: _date,
    date: _date,
    enum.Enum: _enum,
    Decimal: _decimal,
    list: typefmt.list_formatter,
}
EXPORT_FORMATTERS = {
    type(None): typefmt.empty_formatter,
    bool: _bool,
    datetime: _date,
    date: _date,
    enum.Enum: _enum,
    list: typefmt.list_formatter,
}


def personal_value(model: Any, name: str) -> tuple[str, str | None]:
    """The personal data field a column shows (``member.nik`` is ``nik``) and its value."""
    value: Any = model
    for part in name.split("."):
        value = None if value is None else getattr(value, part, None)
    return name.rsplit(".", 1)[-1], None if value is None else str(value)


def masked(view: Any, context: Any, model: Any, name: str) -> str:
    """A list's, a search result's or an export's NIK, phone or address column: masked
    (UU 27/2022; ``backoffice.rules.personal_data``). The full value is revealed on the
    record's page only (``views.personal_data``)."""
    field, value = personal_value(model, name)
    return mask(field, value) or ""


def format_count(value: int, estimated: bool = False) -> str:
    """``12.345`` exactly; an estimate ``≈ 1,2 jt`` / ``≈ 45 rb`` (Indonesian number style)."""
    if not estimated:
        return format_number(value)
    if value >= 1_000_000:
        number = value / 1_000_000
        text = f"{number:.1f}" if number < 10 else f"{number:.0f}"
        return gettext("≈ %(number)s million", number=text.replace(".", ",").replace(",0", ""))
    if value >= 1_000:
        number = value / 1_000
        text = f"{number:.1f}" if number < 10 else f"{number:.0f}"
        return gettext("≈ %(number)s thousand", number=text.replace(".", ",").replace(",0", ""))
    return f"≈ {format_number(value)}"


class ListCount(int):
    """The number of rows of a list: an int for Flask-Admin's pager, text for the page."""

    estimated: bool

    def __new__(cls, value: int, estimated: bool = False) -> ListCount:
        count = super().__new__(cls, value)
        count.estimated = estimated
        return count

    @classmethod
    def of(cls, count: Count | None) -> ListCount | None:
        return None if count is None else cls(count.rows, count.estimated)

    def __str__(self) -> str:
        return format_count(int(self), self.estimated)

    def __html__(self) -> Markup:
        text = escape(str(self))
        if self.estimated:
            title = escape(gettext("An estimate: the list is too long to count exactly."))
            return Markup('<span class="estimated-count" title="{}">{}</span>').format(title, text)
        return Markup(text)


class BadgeCount(int):
    """A count in a menu badge, shown on every page: counted up to ``LIMIT + 1``, "99+" then."""

    LIMIT = 99

    def __str__(self) -> str:
        return f"{self.LIMIT}+" if self > self.LIMIT else str(int(self))

    def __html__(self) -> Markup:
        return Markup(escape(str(self)))


def menu_name_with_badge(name: str, count: int, element_id: str) -> Markup:
    """A menu entry's name with the number of items waiting (nothing when none wait)."""
    if not count:
        return Markup(escape(name))
    return Markup(
        '{} <span class="badge badge-pill badge-warning badge-count" id="{}">{}</span>'
    ).format(escape(name), element_id, count)
