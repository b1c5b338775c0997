"""The JHT balance year by year: contributions plus the yearly returns (hasil pengembangan).

domain.md: "JHT balance = contributions + yearly returns (hasil pengembangan, a rate declared
each year: reference data)". The caller passes the JHT contributions paid (the payment date and
the amount) and the declared rates (``{year: percent}``, read by the service from the reference
table ``jht_return_rate``); nothing here reads a database.

The convention of this statement (the agency's own day-count is not published):

- A year's returns are the year's rate applied to the opening balance for the whole year, and
  to each contribution paid in the year for the whole months left after the month it was paid
  (paid in March: April to December, 9/12 of the rate; paid in December: nothing that year).
  Contributions are dated by their payment date (money earns from when it arrives, also when a
  payment covers months ahead).
- Returns are credited at the end of each year (compounded yearly) and rounded half up to whole
  rupiah, year by year.
- The year of ``until`` (today, or a claim's event date) runs for the whole months before
  ``until``'s month, its returns credited on ``until``: a statement in June counts January to May.
- A year whose rate is not declared yet uses the last declared rate before it, and says so in a
  note (``jht.rate_assumed``); a year before any declared rate earns nothing, with a note
  (``jht.no_rate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

MONTHS = 12
_HUNDRED = Decimal(100)
RATE_ASSUMED = "jht.rate_assumed"
NO_RATE = "jht.no_rate"


@dataclass(frozen=True)
class JhtContribution:
    """A JHT contribution: the day it was paid and the amount (whole rupiah)."""

    paid_on: date
    amount: int


@dataclass(frozen=True)
class JhtYear:
    """One year of the statement (whole rupiah; ``rate`` in percent)."""

    year: int
    opening: int
    contributions: int
    returns: int
    closing: int
    rate: Decimal
    #: the year whose declared rate was applied (None: no rate declared yet, nothing earned)
    rate_year: int | None
    #: whole months of the year that earn returns (12, fewer in the year of ``until``)
    months: int

    @property
    def assumed(self) -> bool:
        """The year's own rate is not declared: the last declared one (or none) was used."""
        return self.rate_year != self.year


@dataclass(frozen=True)
class JhtNote:
    code: str
    facts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class JhtStatement:
    years: tuple[JhtYear, ...]
    notes: tuple[JhtNote, ...] = ()

    @property
    def contributions(self) -> int:
        return sum(y.contributions for y in self.years)

    @property
    def returns(self) -> int:
        return sum(y.returns for y in self.years)

    @property
    def balance(self) -> int:
        return self.years[-1].closing if self.years else 0


def _rupiah(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rates(rates: Mapping[int, Decimal | int]) -> dict[int, Decimal]:
    checked: dict[int, Decimal] = {}
    for year, percent in rates.items():
        if isinstance(year, bool) or not isinstance(year, int):
            raise TypeError(f"a rate's year must be an int, got {year!r}")
        if isinstance(percent, bool) or not isinstance(percent, int | Decimal):
            raise TypeError(f"the rate of {year} must be an int or a Decimal, got {percent!r}")
        value = Decimal(percent)
        if not value.is_finite() or value < 0:
            raise ValueError(f"the rate of {year} must be a non-negative percent, got {percent}")
        checked[year] = value
    return checked


def _contributions(items: Iterable[JhtContribution], until: date) -> list[JhtContribution]:
    kept = []
    for item in items:
        if isinstance(item.amount, bool) or not isinstance(item.amount, int):
            raise TypeError(f"a contribution must be whole rupiah, got {item.amount!r}")
        if item.amount < 0:
            raise ValueError(f"a contribution cannot be negative, got {item.amount}")
        if item.paid_on <= until:  # paid later: not in the balance on ``until``
            kept.append(item)
    return kept


def rate_for(rates: Mapping[int, Decimal], year: int) -> tuple[Decimal, int | None]:
    """The rate applied to ``year``: its own, else the last declared before it, else none."""
    if year in rates:
        return rates[year], year
    earlier = [y for y in rates if y < year]
    if not earlier:
        return Decimal(0), None
    last = max(earlier)
    return rates[last], last


def jht_statement(
    contributions: Iterable[JhtContribution],
    rates: Mapping[int, Decimal | int],
    until: date,
) -> JhtStatement:
    """The balance year by year, from the year of the first contribution to ``until``'s year.

    Each year: ``closing = opening + contributions + returns``; the next year opens with it.
    No contribution paid by ``until``: an empty statement (balance 0).
    """
    declared = _rates(rates)
    paid = _contributions(contributions, until)
    if not paid:
        return JhtStatement(())
    by_year: dict[int, list[JhtContribution]] = {}
    for item in paid:
        by_year.setdefault(item.paid_on.year, []).append(item)

    years: list[JhtYear] = []
    notes: list[JhtNote] = []
    balance = 0
    for year in range(min(by_year), until.year + 1):
        months = MONTHS if year < until.year else until.month - 1
        rate, rate_year = rate_for(declared, year)
        if rate_year is None:
            notes.append(JhtNote(NO_RATE, MappingProxyType({"year": year})))
        elif rate_year != year:
            notes.append(
                JhtNote(
                    RATE_ASSUMED,
                    MappingProxyType({"year": year, "rate": rate, "rate_year": rate_year}),
                )
            )
        items = by_year.get(year, [])
        month_amounts = Decimal(balance * months) + sum(
            (Decimal(i.amount * max(0, months - i.paid_on.month)) for i in items), Decimal(0)
        )
        returns = _rupiah(month_amounts * rate / _HUNDRED / MONTHS)
        added = sum(i.amount for i in items)
        closing = balance + added + returns
        years.append(JhtYear(year, balance, added, returns, closing, rate, rate_year, months))
        balance = closing
    return JhtStatement(tuple(years), tuple(notes))
