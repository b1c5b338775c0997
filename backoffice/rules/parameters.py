"""Reading the benefit parameters a rule is given (``"jkm.lump_sum" -> 20_000_000``).

The caller passes the parameters in force on the day in question as a plain mapping (the
service reads them with ``services.reference.parameters_on``); a rule reads only the keys its
case needs, so a parameter missing for one case does not stop another.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..errors import DomainError

Params = Mapping[str, int | Decimal]


class MissingParameter(DomainError):
    """A reference parameter the rule needs is not in force (absent from the mapping); the
    caller says so in the user's words."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"The reference parameter {key} is missing for this date; ask the administrator."
        )
        self.key = key


def number(params: Params, key: str) -> Decimal:
    """A non-negative amount, percent or factor."""
    try:
        value = params[key]
    except KeyError:
        raise MissingParameter(key) from None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"reference parameter {key!r} must be an int or a Decimal, got {value!r}")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise ValueError(f"reference parameter {key!r} must be a non-negative number, got {value}")
    return value


def count(params: Params, key: str, *, positive: bool = False) -> int:
    """A whole number (of months, years, children ...)."""
    value = number(params, key)
    if value != value.to_integral_value() or (positive and value == 0):
        kind = "a positive" if positive else "a whole"
        raise ValueError(f"reference parameter {key!r} must be {kind} number, got {value}")
    return int(value)
