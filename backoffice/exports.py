"""Formula-safe values for every export (CSV, XLSX, error reports)."""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with ``'`` so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
