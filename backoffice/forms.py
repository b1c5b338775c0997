"""The base of the app's own forms (screens and sign-in alike), and their rupiah field."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.widgets import TextInput

from .i18n import wtforms_translations
from .importing.parsers import ParseError, group_thousands, parse_rupiah

#: What every rupiah input says under itself.
RUPIAH_HINT = _l("Write it in rupiah, e.g. 45.000.000.")
#: The largest value a PostgreSQL INTEGER column (income levels, flat rates) holds.
INTEGER_COLUMN_MAX = 2**31 - 1


class AppForm(FlaskForm):
    """Base of the app's own forms: CSRF from Flask-WTF, messages in the user's language."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> object:
            return wtforms_translations


class RupiahInput(TextInput):
    """A text input (``45.000.000`` is not a number to the browser) that brings up the digit
    keyboard and that static/rupiah.js groups in thousands as the clerk types."""

    def __call__(self, field: Field, **kwargs: Any) -> Any:
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("data-rupiah", "")
        return super().__call__(field, **kwargs)


class RupiahField(Field):
    """An amount in whole rupiah, typed as a clerk writes it: ``45.000.000``, ``45000000``,
    ``Rp 45.000.000``; read by the spreadsheets' parser (``parse_rupiah``), so a cost on a form
    and an income in an upload accept the same text. Cents, negative amounts and amounts above
    ``maximum`` are refused with the reason; an empty input is None (``Optional()`` or
    ``InputRequired()`` decide whether that may be). The value is shown grouped again
    (``45.000.000``) when the page comes back with an error."""

    widget = RupiahInput()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        maximum: int = INTEGER_COLUMN_MAX,
        **kwargs: Any,
    ) -> None:
        # Flask-Admin passes description=None when the view gives none.
        if not kwargs.get("description"):
            kwargs["description"] = RUPIAH_HINT
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = parse_rupiah(valuelist[0], maximum=self.maximum)
        except ParseError as error:
            self.data = None
            raise ValueError(str(error.message)) from None

    def _value(self) -> str:
        if self.data is not None:
            return group_thousands(int(self.data))
        if self.raw_data:
            return str(self.raw_data[0])
        return ""
