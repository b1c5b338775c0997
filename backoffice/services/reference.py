"""Reference data read by the rules: income levels and contribution rates in force on a date.

The computations are pure functions of the rates they are given, so they can be tested without
a database and stay the same whoever calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models import BenefitParameter, ContributionRate, IncomeLevel, Programme

from .errors import DomainError


def _in_force(model: type, day: date):  # noqa: ANN202 - an SQL condition
    return and_(model.valid_from <= day, or_(model.valid_to.is_(None), model.valid_to >= day))


def parameters_on(session: Session, day: date) -> dict[str, int | Decimal]:
    """Every benefit parameter in force on ``day`` (whole numbers as int)."""
    params: dict[str, int | Decimal] = {}
    for row in session.scalars(select(BenefitParameter).where(_in_force(BenefitParameter, day))):
        value = row.value
        params[row.key] = int(value) if value == value.to_integral_value() else value
    return params


def parameter(params: Mapping[str, Any], key: str) -> Any:
    """One of ``parameters_on``; a missing one is an error the administrator can fix."""
    try:
        return params[key]
    except KeyError:
        raise DomainError(
            _l("The reference value %(key)s is missing; ask the administrator.", key=key)
        ) from None


def income_levels_on(session: Session, day: date) -> frozenset[int]:
    """The income levels a member may declare on ``day``."""
    return frozenset(session.scalars(select(IncomeLevel.amount).where(_in_force(IncomeLevel, day))))


@dataclass(frozen=True)
class Rate:
    programme: Programme
    percent: Decimal | None
    flat_amount: int | None

    def amount(self, income: int) -> int:
        if self.flat_amount is not None:
            return self.flat_amount
        assert self.percent is not None
        exact = Decimal(income) * self.percent / Decimal(100)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rates_on(session: Session, day: date) -> dict[Programme, Rate]:
    """The contribution rate of each programme in force on ``day``."""
    rows = session.scalars(select(ContributionRate).where(_in_force(ContributionRate, day)))
    return {row.programme: Rate(row.programme, row.percent, row.flat_amount) for row in rows}


@dataclass(frozen=True)
class Contribution:
    jkk: int
    jkm: int
    jht: int

    @property
    def total(self) -> int:
        return self.jkk + self.jkm + self.jht


def monthly_contribution(
    income: int, programmes: Iterable[str], rates: dict[Programme, Rate]
) -> Contribution:
    """JKK and JKM always, JHT when chosen, each from its rate (e.g. Rp16.800 at Rp1.000.000)."""
    chosen = {Programme(p) for p in programmes}
    missing = [p.value for p in (Programme.JKK, Programme.JKM) if p not in rates]
    if Programme.JHT in chosen and Programme.JHT not in rates:
        missing.append(Programme.JHT.value)
    if missing:
        raise DomainError(
            _l(
                "No contribution rate is in force for %(programmes)s; ask the administrator.",
                programmes=", ".join(missing),
            )
        )
    return Contribution(
        jkk=rates[Programme.JKK].amount(income),
        jkm=rates[Programme.JKM].amount(income),
        jht=rates[Programme.JHT].amount(income) if Programme.JHT in chosen else 0,
    )


def overlapping(session: Session, obj: IncomeLevel | ContributionRate) -> bool:
    """Would ``obj`` be in force on a day another row for the same level/programme is?"""
    model = type(obj)
    key = (
        IncomeLevel.amount == obj.amount
        if model is IncomeLevel
        else ContributionRate.programme == obj.programme
    )
    end = obj.valid_to or date.max
    stmt = select(model.id).where(
        key,
        model.valid_from <= end,
        or_(model.valid_to.is_(None), model.valid_to >= obj.valid_from),
    )
    if obj.id is not None:
        stmt = stmt.where(model.id != obj.id)
    # Without autoflush: a new row must not be flushed first and then overlap with itself.
    with session.no_autoflush:
        return session.scalar(stmt.limit(1)) is not None
