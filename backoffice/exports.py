"""Formula-safe values for every export (CSV, XLSX, error reports): one rule for the whole app."""

from __future__ import annotations

from backoffice.importing.exports import safe_cell as neutralise_formula

__all__ = ["neutralise_formula"]
