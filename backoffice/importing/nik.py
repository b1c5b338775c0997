"""NIK (Nomor Induk Kependudukan) checks.

A NIK is 16 digits: province (2) + regency (2) + district (2) + birth date
DDMMYY, with 40 added to DD for women, + a serial 0001-9999. There is no
checksum, so the only checks are structural and the agreement with the
stated birth date and sex. The two-digit year is resolved with the stated
birth date; a NIK is never "repaired": missing digits are not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import date
from typing import Any

from .messages import Message
from .messages import lazy_message as _l
from .parsers import quote

NIK_LENGTH = 16
#: Women's birth day is stored as day + 40 (41-71).
WOMEN_DAY_OFFSET = 40

# What a spreadsheet makes of a 16-digit number: 3.60401E+15 (any locale's
# decimal mark), or the full digits with a decimal tail 3604014101900001.0.
# Excel keeps only 15 significant digits, so the last digit is already lost:
# the only fix is to format the column as text and type the NIK again.
_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+")
_DECIMAL_TAIL = re.compile(r"[0-9]+[.,]0+")
#: "00".."99" -> int: a dict lookup is several times cheaper than int().
_TWO_DIGITS: dict[str, int] = {f"{n:02d}": n for n in range(100)}


def numeric_nik_message(value: Any) -> Message:
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


def _is_nik_shaped(text: str) -> bool:
    # isdigit() alone accepts Arabic-Indic and superscript digits.
    return len(text) == NIK_LENGTH and text.isdigit() and text.isascii()


def nik_text(value: Any) -> str | None:
    """The NIK as 16-digit text, or None when it is not even that.

    Used to compare NIKs (duplicates, already registered) independently of
    the other checks.
    """
    if not isinstance(value, str):
        return None
    text = _strip(value)
    return text if _is_nik_shaped(text) else None


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
    if not _is_nik_shaped(text):
        return None, _malformed(text)

    problems: list[Message] = []
    regency = text[:4]
    if regency not in known_regencies:
        problems.append(
            _l(
                "The NIK starts with %(code)s, which is not a known province and regency code.",
                code=regency,
            )
        )
    if text[4:6] == "00":
        problems.append(_l("Digits 5-6 of the NIK (district code) cannot be 00."))

    encoded_day = _TWO_DIGITS[text[6:8]]
    month = _TWO_DIGITS[text[8:10]]
    year2 = _TWO_DIGITS[text[10:12]]
    encoded_sex: str | None
    if 1 <= encoded_day <= 31:
        encoded_sex, day = "L", encoded_day
    elif WOMEN_DAY_OFFSET + 1 <= encoded_day <= WOMEN_DAY_OFFSET + 31:
        encoded_sex, day = "P", encoded_day - WOMEN_DAY_OFFSET
    else:
        encoded_sex, day = None, 0
        problems.append(
            _l(
                "Digits 7-8 of the NIK (%(digits)s) are not a birth day: 01-31 for men, 41-71 for women.",
                digits=text[6:8],
            )
        )
    month_ok = 1 <= month <= 12
    if not month_ok:
        problems.append(
            _l(
                "Digits 9-10 of the NIK (%(digits)s) are not a birth month (01-12).",
                digits=text[8:10],
            )
        )

    if encoded_sex is not None and month_ok:
        agrees = (
            birth_date is not None
            and day == birth_date.day
            and month == birth_date.month
            and year2 == birth_date.year % 100
        )
        # Agreeing with a real birth date makes it a real date: the usual
        # case costs no more than the comparison.
        if not agrees:
            problems.extend(_date_problems(day, month, year2, birth_date))

    if encoded_sex is not None and sex in ("L", "P") and sex != encoded_sex:
        if encoded_sex == "P":
            problems.append(
                _l("The NIK is a woman's (birth day + 40), but Jenis Kelamin is %(sex)s.", sex=sex)
            )
        else:
            problems.append(
                _l("The NIK is a man's (birth day 01-31), but Jenis Kelamin is %(sex)s.", sex=sex)
            )

    if text[12:] == "0000":
        problems.append(_l("The last 4 digits of the NIK (serial number) cannot be 0000."))
    return text, problems


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


def _date_problems(day: int, month: int, year2: int, birth_date: date | None) -> list[Message]:
    encoded = f"{day:02d}/{month:02d}/{year2:02d}"
    if birth_date is not None and birth_date.year % 100 == year2:
        # The stated birth date tells the century.
        years: tuple[int, ...] = (birth_date.year,)
    else:
        years = (1900 + year2, 2000 + year2)
    if not any(_is_real_date(year, month, day) for year in years):
        return [
            _l("The birth date in the NIK (%(date)s) is not a real calendar date.", date=encoded)
        ]
    if birth_date is not None:
        return [
            _l(
                "The NIK encodes the birth date %(nik_date)s, but Tanggal Lahir is %(birth_date)s.",
                nik_date=encoded,
                birth_date=birth_date.strftime("%d/%m/%Y"),
            )
        ]
    return []


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
