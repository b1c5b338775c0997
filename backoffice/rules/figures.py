"""How the dashboards write large figures: "2,62 jt" workers, "Rp1,2 M" collected.

Babel's compact forms of the CLDR (Indonesian: rb, jt, M, T; English: K, M, B, T); rupiah
keep the ``Rp`` the back-office writes everywhere (never ``IDR``)."""

from __future__ import annotations

from babel.numbers import format_compact_decimal, format_decimal


def compact_number(value: int | float | None, locale: str = "id", digits: int = 2) -> str:
    """``2620000`` -> ``2,62 jt`` (``2.62M`` in English); below a thousand the number itself."""
    if value is None:
        return ""
    return format_compact_decimal(value, format_type="short", locale=locale, fraction_digits=digits)


def compact_rupiah(value: int | float | None, locale: str = "id", digits: int = 1) -> str:
    """``1200000000`` -> ``Rp1,2 M`` (``Rp1.2B`` in English)."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    return f"{sign}Rp{compact_number(abs(value), locale, digits)}"


def percent(value: float | None, locale: str = "id") -> str:
    """``12.345`` -> ``12,3%``; below 0,1 two decimals (a big target is reached slowly)."""
    if value is None:
        return ""
    pattern = "#,##0.0#" if value < 0.1 else "#,##0.0"
    return f"{format_decimal(value, format=pattern, locale=locale)}%"
