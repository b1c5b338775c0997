"""Parsers for the cells of an upload: one value in, a normalised value or ParseError out.

Cells arrive as the reader found them: text from a CSV (maybe with spaces
around it), or str / int / float / datetime from an XLSX. The parsers are
pure and cheap on the happy path: no message is built unless the value is
refused, because most rows of a real file are valid.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from .messages import Message
from .messages import lazy_message as _l

#: How much of a refused value is quoted back in a message: enough to recognise it.
_QUOTE_LIMIT = 40


class ParseError(ValueError):
    """A cell value that cannot be used; ``message`` says why, for a clerk."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def quote(value: Any) -> str:
    """A value as shown inside a message: stripped, one line, not too long."""
    text = " ".join(str(value).split())
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 1] + "…"
    return text


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- dates -----------------------------------------------------------------

# [0-9], not \d: \d also matches Arabic-Indic and other Unicode digits.
_DMY = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]+)")
_YMD = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00)?)?")


def parse_date(value: Any) -> date:
    """A birth date from a date cell or from text.

    Accepted text: ``dd/mm/yyyy``, ``dd-mm-yyyy``, ``dd.mm.yyyy`` (also without
    leading zeros) and ISO ``yyyy-mm-dd`` (what many exports write). Day first,
    always: that is how Indonesia writes dates. A two-digit year is refused
    rather than guessed, and so is a bare number (an Excel serial or 17081990
    would both be guesses).
    """
    # datetime is a subclass of date: test it first.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None:
        raise ParseError(_l("The date is empty."))
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ParseError(
                _l(
                    "%(value)s is a number, not a date. Format the cell as a date or write it as dd/mm/yyyy.",
                    value=quote(value),
                )
            )
        raise ParseError(_not_a_date(value))
    text = value.strip()
    if not text:
        raise ParseError(_l("The date is empty."))
    # Fast path for the usual dd/mm/yyyy (the regex below handles the rest).
    if len(text) == 10 and text[2] == text[5] and text[2] in "/-.":
        day_text, month_text, year_text = text[:2], text[3:5], text[6:]
        if (day_text + month_text + year_text).isdigit() and text.isascii():
            return _real_date(int(year_text), int(month_text), int(day_text), text)
    match = _DMY.fullmatch(text)
    if match:
        day, month, year_text = match.group(1), match.group(3), match.group(4)
        if len(year_text) != 4:
            if len(year_text) <= 2:
                raise ParseError(
                    _l(
                        "%(value)s has a two-digit year; write the year with 4 digits (dd/mm/yyyy).",
                        value=quote(text),
                    )
                )
            raise ParseError(_not_a_date(text))
        return _real_date(int(year_text), int(month), int(day), text)
    match = _YMD.fullmatch(text)
    if match:
        return _real_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)
    raise ParseError(_not_a_date(text))


def _not_a_date(value: Any) -> Message:
    return _l(
        "%(value)s is not a date; write it as dd/mm/yyyy, e.g. 17/08/1990.", value=quote(value)
    )


def _real_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError(_l("%(value)s is not a real calendar date.", value=quote(text))) from None


# --- phone numbers ---------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s().\-/]+")
_MOBILE = re.compile(r"08[0-9]{8,11}")


def parse_phone(value: Any) -> str:
    """An Indonesian mobile number in national form, ``08123456789``.

    ``+62 812-...``, ``62812...`` and ``0812 3456 789`` are the same number.
    A bare ``812...`` is the number without its trunk 0 (what a spreadsheet
    leaves of a phone stored as a number); it is the national significant
    number, so adding the 0 back is not a guess.
    """
    if type(value) is str:
        text = value.strip()
    elif isinstance(value, bool) or value is None:
        text = ""
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise ParseError(_invalid_phone(value))
        text = str(int(value))
    else:
        text = str(value).strip()
    if not text:
        raise ParseError(_l("The phone number is empty."))
    # Most cells are plain digits: skip the regex for them.
    digits = text if text.isdigit() else _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("+62"):
        digits = "0" + digits[3:]
    elif digits.startswith("62"):
        digits = "0" + digits[2:]
    elif digits.startswith("8"):
        digits = "0" + digits
    if _MOBILE.fullmatch(digits):
        return digits
    raise ParseError(_invalid_phone(text))


def _invalid_phone(value: Any) -> Message:
    return _l(
        "%(value)s is not an Indonesian mobile number: write 08 followed by 8 to 11 digits, e.g. 081234567890.",
        value=quote(value),
    )


# --- rupiah amounts (incomes in a spreadsheet, costs on a form) -------------

_CURRENCY = re.compile(r"^(?:rp|idr)\.?", re.IGNORECASE)
_BLANKS = re.compile(r"[\s\u00a0\u202f]+")
# Indonesian grouping 1.000.000(,00), international grouping 1,000,000(.00),
# no grouping 1000000(,00 or .00). Decimals are allowed only as zeros: rupiah
# are whole (reference levels, costs and benefits alike).
_INCOME_FORMS = (
    re.compile(r"(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+)(?:,(?P<cents>[0-9]{1,2}))?"),
    re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<cents>[0-9]{1,2}))?"),
    re.compile(r"(?P<whole>[0-9]+)(?:[.,](?P<cents>[0-9]{1,2}))?"),
)
#: Far above any amount (a form's maximum says "too large" below this); also keeps int() away
#: from pathological input.
_MAX_RUPIAH_DIGITS = 24


def group_thousands(amount: int) -> str:
    """``45000000`` as a clerk writes it: ``45.000.000`` (no currency sign)."""
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(amount):,}".replace(",", ".")


def parse_income(value: Any) -> int:
    """A monthly income in whole rupiah.

    Accepts numeric cells and text such as ``1000000``, ``1.000.000``,
    ``Rp1.000.000``, ``Rp 1.000.000,00``, ``Rp 1.000.000,-`` and ``1,000,000``.
    """
    if isinstance(value, bool) or is_blank(value):
        raise ParseError(_l("The income is empty."))
    amount = _whole_rupiah(value)
    if amount < 0:
        raise ParseError(_l("The income cannot be negative (%(value)s).", value=quote(value)))
    return amount


def parse_rupiah(value: Any, *, maximum: int | None = None) -> int:
    """An amount in whole rupiah typed on a form (or found in a cell), read like
    :func:`parse_income`: ``45.000.000``, ``45000000``, ``Rp 45.000.000``, ``Rp45.000.000``.

    Refused with a message a clerk can act on: an empty value, cents (``45.000.000,50``,
    ``45,5``: rupiah are whole), a negative amount and one above ``maximum``.
    """
    if isinstance(value, bool) or is_blank(value):
        raise ParseError(_l("Enter the amount in rupiah, e.g. 45.000.000."))
    amount = _whole_rupiah(value)
    if amount < 0:
        raise ParseError(_l("%(value)s: the amount cannot be negative.", value=quote(value)))
    if maximum is not None and amount > maximum:
        raise ParseError(
            _l(
                "%(value)s is too large: at most Rp%(maximum)s.",
                value=quote(value),
                maximum=group_thousands(maximum),
            )
        )
    return amount


def _has_cents(value: Any) -> Message:
    return _l(
        "%(value)s has cents, but rupiah are whole: write it without them, e.g. 45.000.000.",
        value=quote(value),
    )


def _whole_rupiah(value: Any) -> int:
    """The signed whole amount in a cell or a typed text (the callers refuse what they must)."""
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParseError(_not_rupiah(value))
        if not value.is_integer():
            raise ParseError(_has_cents(value))
        return int(value)
    return _rupiah_from_text(str(value))


def _rupiah_from_text(value: str) -> int:
    text = value.strip()
    if text.isdigit() and text.isascii() and len(text) <= _MAX_RUPIAH_DIGITS:
        return int(text)
    text = _BLANKS.sub("", _CURRENCY.sub("", text))
    # "Rp 1.000.000,-" is the usual way to write a round amount on paper.
    if text.endswith((",-", ".-")):
        text = text[:-2]
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    for form in _INCOME_FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        whole = match.group("whole").replace(".", "").replace(",", "")
        cents = match.group("cents")
        if cents and cents.strip("0"):
            raise ParseError(_has_cents(value))
        if len(whole) > _MAX_RUPIAH_DIGITS:
            break
        return -int(whole) if negative else int(whole)
    raise ParseError(_not_rupiah(value))


def _not_rupiah(value: Any) -> Message:
    return _l(
        "%(value)s is not an amount in rupiah; write it like 1000000 or 1.000.000.",
        value=quote(value),
    )


# --- sex -------------------------------------------------------------------

# Keys without spaces, hyphens and dots: "Laki-laki", "laki laki", "Laki - Laki"
# and "L." are all "lakilaki" / "l".
_SEX_WORDS: dict[str, str] = {
    "l": "L",
    "lk": "L",
    "lakilaki": "L",
    "laki": "L",
    "pria": "L",
    "p": "P",
    "pr": "P",
    "perempuan": "P",
    "wanita": "P",
}
_SEX_NOISE = re.compile(r"[\s.\-]+")


def parse_sex(value: Any) -> str:
    """``"L"`` (laki-laki, male) or ``"P"`` (perempuan, female)."""
    if is_blank(value):
        raise ParseError(_l("The sex is empty; write L or P."))
    key = _SEX_NOISE.sub("", str(value).casefold())
    try:
        return _SEX_WORDS[key]
    except KeyError:
        raise ParseError(
            _l(
                "%(value)s is not a valid Jenis Kelamin: write L (laki-laki) or P (perempuan).",
                value=quote(value),
            )
        ) from None


# --- programmes ------------------------------------------------------------

_PROGRAMME_SEPARATORS = re.compile(r"[\s,;/+&.]+")
#: Joining words people write between codes ("JKK dan JKM").
_JOINING_WORDS = frozenset({"DAN", "AND"})


def parse_programmes(value: Any) -> frozenset[str]:
    """The programme codes in a cell, upper-cased: ``"jkk, jkm"`` -> {"JKK", "JKM"}.

    Which codes are allowed is the validator's business (it names the
    unknown ones); this only splits the cell.
    """
    if is_blank(value):
        raise ParseError(_l("No programme is given; write e.g. JKK, JKM."))
    codes = frozenset(
        code
        for code in _PROGRAMME_SEPARATORS.split(str(value).upper())
        if code and code not in _JOINING_WORDS
    )
    if not codes:
        raise ParseError(
            _l("%(value)s does not name a programme; write e.g. JKK, JKM.", value=quote(value))
        )
    return codes


#: Zero-width and bidirectional control characters: invisible, they would make "Ah\u200bmad" a
#: name that a search for Ahmad does not find, or show a name reversed.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(value: Any) -> str | None:
    """A text cell as kept: NFC, zero-width and bidi controls removed, trimmed, inner
    whitespace collapsed; None when empty.

    Nothing else is changed: markup or a leading "=" stays as typed (it is escaped or
    neutralised wherever it is shown or exported).
    """
    if value is None:
        return None
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", str(value)))
    return " ".join(text.split()) or None
