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

from ..errors import DomainError


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


#: The benefit parameter of a discount on the JKK and JKM contributions, in percent (PP 50/2025:
#: 50 from 22 December 2025, for a limited period; migration 0011).
DISCOUNT_KEY = "contribution.discount.jkk_jkm_percent"


@dataclass(frozen=True)
class Discount:
    """Percent off the JKK and JKM contributions, in force from ``valid_from`` to ``valid_to``."""

    percent: Decimal
    valid_from: date
    valid_to: date | None

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def discounts(session: Session) -> list[Discount]:
    """Every discount rule, the newest first (a newer rule wins where two are in force)."""
    rows = session.scalars(
        select(BenefitParameter)
        .where(BenefitParameter.key == DISCOUNT_KEY)
        .order_by(BenefitParameter.valid_from.desc())
    )
    return [Discount(row.value, row.valid_from, row.valid_to) for row in rows]


def discount_on(rules: Iterable[Discount], day: date) -> Decimal:
    """The percent off in force on ``day`` (0 when none is)."""
    return next((rule.percent for rule in rules if rule.in_force(day)), Decimal(0))


def discounted(contribution: Contribution, percent: Decimal) -> Contribution:
    """``contribution`` with ``percent`` off JKK and JKM (rounded to the rupiah, half up); JHT,
    savings of the member's own, is never discounted."""
    if not percent:
        return contribution

    def off(amount: int) -> int:
        exact = Decimal(amount) * (Decimal(100) - percent) / Decimal(100)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    return Contribution(jkk=off(contribution.jkk), jkm=off(contribution.jkm), jht=contribution.jht)


def overlapping(session: Session, obj: IncomeLevel | ContributionRate | BenefitParameter) -> bool:
    """Would ``obj`` be in force on a day another row for the same level, programme or
    parameter is?"""
    model = type(obj)
    if isinstance(obj, IncomeLevel):
        key = IncomeLevel.amount == obj.amount
    elif isinstance(obj, ContributionRate):
        key = ContributionRate.programme == obj.programme
    else:
        key = BenefitParameter.key == obj.key
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
