"""NIK checks of the importer: the rule's findings (``rules.nik``) in a clerk's words.

What a spreadsheet does to a NIK (a number in scientific notation, a decimal tail, a leading
apostrophe) is the importer's to recognise; the NIK's structure and its agreement with the birth
date and sex are the rule's. A NIK is never "repaired": missing digits are not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from datetime import date
from typing import Any

from ..rules import nik as rule
from ..rules.nik import is_nik_shaped
from .messages import Message
from .messages import lazy_message as _l
from .parsers import quote

# What a spreadsheet makes of a 16-digit number: 3.60401E+15 (any locale's
# decimal mark), or the full digits with a decimal tail 3604014101900001.0.
# Excel keeps only 15 significant digits, so the last digit is already lost:
# the only fix is to format the column as text and type the NIK again.
_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+")
_DECIMAL_TAIL = re.compile(r"[0-9]+[.,]0+")


def _whole_digits(value: Any) -> str | None:
    """The digits of a number cell (or of its text with a decimal tail), when it is a whole
    number: 3604011708900001.0 -> "3604011708900001"; None for 3.60401E+15 and the like."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and value < 1e16 else None
    if isinstance(value, int):
        return str(value)
    text = str(value).strip()
    if _DECIMAL_TAIL.fullmatch(text):
        return re.split(r"[.,]", text, maxsplit=1)[0]
    return None


def numeric_nik_message(value: Any) -> Message:
    """A NIK a spreadsheet stored as a number. Excel keeps 15 significant digits, so a 16-digit
    number whose last digit is not 0 still has all of them (its value is quoted); with fewer
    digits, or a 0 last (what Excel's rounding leaves), digits may be lost."""
    digits = _whole_digits(value)
    if digits is not None and len(digits) == rule.NIK_LENGTH and not digits.endswith("0"):
        return _l(
            "The spreadsheet stored this NIK as a number (%(value)s). Its 16 digits are all "
            "there, but a number cell can lose the last one: format the NIK column as Text and "
            "upload the file again.",
            value=quote(digits),
        )
    return _l(
        "The spreadsheet turned this NIK into a number (%(value)s) and its last digits are lost. "
        "Format the NIK column as Text, type the NIKs again and upload the file again.",
        value=quote(value),
    )


def _strip(text: str) -> str:
    text = text.strip()
    # A leading apostrophe is what people type to force a cell to text; it
    # is not part of the NIK.
    if text.startswith("'"):
        text = text[1:].strip()
    return text


def nik_text(value: Any) -> str | None:
    """The NIK as 16-digit text, or None when it is not even that.

    Used to compare NIKs (duplicates, already registered) independently of
    the other checks.
    """
    if not isinstance(value, str):
        return None
    text = _strip(value)
    return text if is_nik_shaped(text) else None


def check_nik(
    nik: Any,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    known_regencies: Container[str],
) -> list[Message]:
    """Every problem of a NIK, as messages a clerk understands; [] when it is fine.

    ``nik`` is the cell as read: text, or a number when a spreadsheet stored
    it as one. ``birth_date`` and ``sex`` ("L"/"P") are the registrant's
    stated values when they are valid, else None (then they are not compared).
    ``known_regencies`` holds the 4-digit province+regency codes.
    """
    return checked_nik(nik, birth_date=birth_date, sex=sex, known_regencies=known_regencies)[1]


def checked_nik(
    nik: Any,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    known_regencies: Container[str],
) -> tuple[str | None, list[Message]]:
    """check_nik, also returning nik_text(nik): one pass for the validator."""
    if not isinstance(nik, str):
        return None, _not_text(nik)
    text = _strip(nik)
    if not is_nik_shaped(text):
        return None, _malformed(text)

    findings = rule.nik_findings(
        text, birth_date=birth_date, sex=sex, known_regencies=known_regencies
    )
    return text, [_MESSAGES[f.code](f.params) for f in findings]


_MESSAGES: dict[str, Callable[[Any], Message]] = {
    rule.UNKNOWN_REGENCY: lambda p: _l(
        "The NIK starts with %(code)s, which is not a known province and regency code.",
        code=p["code"],
    ),
    rule.DISTRICT_00: lambda p: _l("Digits 5-6 of the NIK (district code) cannot be 00."),
    rule.NOT_A_BIRTH_DAY: lambda p: _l(
        "Digits 7-8 of the NIK (%(digits)s) are not a birth day: 01-31 for men, 41-71 for women.",
        digits=p["digits"],
    ),
    rule.NOT_A_BIRTH_MONTH: lambda p: _l(
        "Digits 9-10 of the NIK (%(digits)s) are not a birth month (01-12).", digits=p["digits"]
    ),
    rule.NOT_A_REAL_DATE: lambda p: _l(
        "The birth date in the NIK (%(date)s) is not a real calendar date.", date=p["date"]
    ),
    rule.BIRTH_DATE_DIFFERS: lambda p: _l(
        "The NIK encodes the birth date %(nik_date)s, but Tanggal Lahir is %(birth_date)s.",
        nik_date=p["nik_date"],
        birth_date=p["birth_date"].strftime("%d/%m/%Y"),
    ),
    rule.WOMAN_BUT: lambda p: _l(
        "The NIK is a woman's (birth day + 40), but Jenis Kelamin is %(sex)s.", sex=p["sex"]
    ),
    rule.MAN_BUT: lambda p: _l(
        "The NIK is a man's (birth day 01-31), but Jenis Kelamin is %(sex)s.", sex=p["sex"]
    ),
    rule.SERIAL_0000: lambda p: _l("The last 4 digits of the NIK (serial number) cannot be 0000."),
}


def _not_text(nik: Any) -> list[Message]:
    if nik is None:
        return [_l("The NIK is empty.")]
    if isinstance(nik, int | float) and not isinstance(nik, bool):
        return [numeric_nik_message(nik)]
    return _malformed(_strip(str(nik)))


def _malformed(text: str) -> list[Message]:
    """The message for a NIK that is not 16 ASCII digits.

    Its structure cannot be read reliably with digits missing or extra, so
    this is the only message.
    """
    if not text:
        return [_l("The NIK is empty.")]
    if _SCIENTIFIC.fullmatch(text) or _DECIMAL_TAIL.fullmatch(text):
        return [numeric_nik_message(text)]
    if not (text.isdigit() and text.isascii()):
        return [_l("The NIK may contain only the digits 0-9, found %(value)s.", value=quote(text))]
    return [_l("The NIK must have 16 digits, found %(n)s.", n=len(text))]
