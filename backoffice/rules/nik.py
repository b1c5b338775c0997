"""NIK (Nomor Induk Kependudukan), the national ID number: its layout and what it must agree with.

Sixteen digits: province (2) + regency (2) where it was first issued, district (2), the birth date
DDMMYY with 40 added to DD for women (41-71), and a serial 0001-9999. There is no checksum, so a
NIK is judged by its structure and by its agreement with the stated birth date and sex. The
two-digit year is resolved with the stated birth date; a NIK is never "repaired".
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date

from .finding import Finding

NIK_LENGTH = 16
#: Women's birth day is written as day + 40 (41-71).
WOMEN_DAY_OFFSET = 40

#: Codes of ``nik_findings``, with the figures each states.
UNKNOWN_REGENCY = "unknown_regency"  # code: the four digits
DISTRICT_00 = "district_00"
NOT_A_BIRTH_DAY = "not_a_birth_day"  # digits: digits 7-8
NOT_A_BIRTH_MONTH = "not_a_birth_month"  # digits: digits 9-10
NOT_A_REAL_DATE = "not_a_real_date"  # date: "DD/MM/YY" as encoded
BIRTH_DATE_DIFFERS = "birth_date_differs"  # nik_date: "DD/MM/YY"; birth_date: the stated date
WOMAN_BUT = "woman_but"  # sex: the stated sex (a woman's NIK)
MAN_BUT = "man_but"  # sex: the stated sex (a man's NIK)
SERIAL_0000 = "serial_0000"

#: "00".."99" -> int: a dict lookup is several times cheaper than int() (the importer checks
#: hundreds of thousands of NIKs a file).
_TWO_DIGITS: dict[str, int] = {f"{n:02d}": n for n in range(100)}


def make_nik(regency: str, district: int, born: date, sex: str, serial: int) -> str:
    """The NIK of a person born on ``born`` of sex ``sex`` ("L"/"P"), issued in ``regency`` (the
    four-digit province+regency code) and ``district`` (1-99), with the ``serial`` (1-9999)."""
    day = born.day + (WOMEN_DAY_OFFSET if sex == "P" else 0)
    return f"{regency}{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def is_nik_shaped(text: str) -> bool:
    """Sixteen ASCII digits (``isdigit`` alone accepts Arabic-Indic and superscript digits)."""
    return len(text) == NIK_LENGTH and text.isdigit() and text.isascii()


def nik_findings(
    text: str,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    known_regencies: Container[str],
) -> list[Finding]:
    """Every problem of a NIK of sixteen digits (``is_nik_shaped``), in the order of its digits;
    [] when it is fine.

    ``birth_date`` and ``sex`` ("L"/"P") are the person's stated values, or None (then they are
    not compared); ``known_regencies`` holds the four-digit province+regency codes.
    """
    findings: list[Finding] = []
    regency = text[:4]
    if regency not in known_regencies:
        findings.append(Finding(UNKNOWN_REGENCY, {"code": regency}))
    if text[4:6] == "00":
        findings.append(Finding(DISTRICT_00))

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
        findings.append(Finding(NOT_A_BIRTH_DAY, {"digits": text[6:8]}))
    month_ok = 1 <= month <= 12
    if not month_ok:
        findings.append(Finding(NOT_A_BIRTH_MONTH, {"digits": text[8:10]}))

    if encoded_sex is not None and month_ok:
        agrees = (
            birth_date is not None
            and day == birth_date.day
            and month == birth_date.month
            and year2 == birth_date.year % 100
        )
        # Agreeing with a real birth date makes it a real date: the usual case costs no more
        # than the comparison.
        if not agrees:
            findings.extend(_date_findings(day, month, year2, birth_date))

    if encoded_sex is not None and sex in ("L", "P") and sex != encoded_sex:
        code = WOMAN_BUT if encoded_sex == "P" else MAN_BUT
        findings.append(Finding(code, {"sex": sex}))

    if text[12:] == "0000":
        findings.append(Finding(SERIAL_0000))
    return findings


def birth_years(year2: int, stated: date | None) -> tuple[int, ...]:
    """The years a NIK's two-digit year may be: the stated birth date's when it ends so (it tells
    the century), else that year in either century."""
    if stated is not None and stated.year % 100 == year2:
        return (stated.year,)
    return (1900 + year2, 2000 + year2)


def _date_findings(day: int, month: int, year2: int, birth_date: date | None) -> list[Finding]:
    encoded = f"{day:02d}/{month:02d}/{year2:02d}"
    if not any(_is_real_date(year, month, day) for year in birth_years(year2, birth_date)):
        return [Finding(NOT_A_REAL_DATE, {"date": encoded})]
    if birth_date is not None:
        return [Finding(BIRTH_DATE_DIFFERS, {"nik_date": encoded, "birth_date": birth_date})]
    return []


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
