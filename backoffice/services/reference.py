"""Reference data in force on a date, read for the rules: income levels, contribution rates,
discounts and the benefit parameters (amounts, limits, ages, the due day, payment periods).

The rules themselves (``backoffice.rules``) are pure functions of the values read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models import (
    BenefitParameter,
    ContributionRate,
    CoverageTarget,
    HolidayCorrection,
    IncomeLevel,
    JhtReturnRate,
    KemendagriRegency,
    Programme,
    Regency,
    Sector,
)

from ..errors import DomainError
from ..rules import contributions, eligibility, lifecycle, regencies, working_days
from ..rules.sectors import SectorTerms


def _in_force(model: type, day: date):  # noqa: ANN202 - an SQL condition
    return and_(model.valid_from <= day, or_(model.valid_to.is_(None), model.valid_to >= day))


def kemendagri_codes(session: Session) -> frozenset[str]:
    """The four-digit province+regency codes of every regency and city of Indonesia: a NIK may
    start with any of them (where it was first issued, not where its holder lives)."""
    return frozenset(session.scalars(select(KemendagriRegency.code)))


def kemendagri_code_of(session: Session, regency: Regency | None) -> str | None:
    """The Kemendagri code of an office's regency, when the list has it (a member's domicile
    by default)."""
    if regency is None or session.get(KemendagriRegency, regency.code) is None:
        return None
    return regency.code


def domicile_lookup(session: Session) -> dict[str, str]:
    """``rules.regencies.regency_lookup`` of the Kemendagri list: a domicile by code or name."""
    return regencies.regency_lookup(
        session.execute(select(KemendagriRegency.code, KemendagriRegency.name)).all()
    )


def days_off(session: Session, first: date, years: int = 2) -> frozenset[date]:
    """The days off from the year of ``first`` on (``years`` years): Indonesia's public holidays
    (the ``holidays`` library) with the administrator's corrections (cuti bersama added, a
    moved holiday removed)."""
    span = range(first.year, first.year + years)
    corrections = session.execute(
        select(HolidayCorrection.day, HolidayCorrection.kind).where(
            HolidayCorrection.day >= date(span[0], 1, 1),
            HolidayCorrection.day <= date(span[-1], 12, 31),
        )
    ).all()
    return working_days.days_off(
        working_days.public_holidays(span), [(day, kind.value) for day, kind in corrections]
    )


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
        raise missing_parameter(key) from None


def missing_parameter(key: str) -> DomainError:
    """The error of a reference value not in force, said in the user's language."""
    return DomainError(
        _l("The reference value %(key)s is missing; ask the administrator.", key=key)
    )


#: Benefit parameters of registration and payment (migration 0013).
MIN_AGE_KEY = "registration.min_age"
MAX_AGE_KEY = "registration.max_age_exclusive"
DUE_DAY_KEY = "contribution.due_day"
#: One parameter per payment period, its value the months a payment may cover at once
#: (``contribution.payment_period.3`` = 3): a period is added or ended like any dated rule.
PAYMENT_PERIOD_PREFIX = "contribution.payment_period."


def registration_ages(params: Mapping[str, Any]) -> eligibility.AgeBounds:
    """The ages at which a BPU worker registers, from ``parameters_on``."""
    return eligibility.AgeBounds(
        int(parameter(params, MIN_AGE_KEY)), int(parameter(params, MAX_AGE_KEY))
    )


def registration_ages_on(session: Session, day: date) -> eligibility.AgeBounds:
    return registration_ages(parameters_on(session, day))


def due_day(params: Mapping[str, Any]) -> int:
    """The day of the month by which a month's contribution is due, from ``parameters_on``."""
    return int(parameter(params, DUE_DAY_KEY))


def lifecycle_rules(params: Mapping[str, Any]) -> lifecycle.Rules:
    """The arrears limit, the window for arrears and the due day, from ``parameters_on``."""
    return lifecycle.Rules(
        max_arrears=int(parameter(params, lifecycle.MAX_ARREARS_KEY)),
        window_months=int(parameter(params, lifecycle.WINDOW_KEY)),
        due_day=due_day(params),
    )


def lifecycle_rules_on(session: Session, day: date) -> lifecycle.Rules:
    return lifecycle_rules(parameters_on(session, day))


def payment_periods(params: Mapping[str, Any]) -> tuple[int, ...]:
    """The numbers of months one payment may cover, from ``parameters_on`` (1, 3, 6, 12)."""
    periods = sorted({int(v) for k, v in params.items() if k.startswith(PAYMENT_PERIOD_PREFIX)})
    if not periods:
        raise missing_parameter(PAYMENT_PERIOD_PREFIX + "*")
    return tuple(periods)


def payment_periods_on(session: Session, day: date) -> tuple[int, ...]:
    return payment_periods(parameters_on(session, day))


def income_levels_on(session: Session, day: date) -> frozenset[int]:
    """The income levels a member may declare on ``day``."""
    return frozenset(session.scalars(select(IncomeLevel.amount).where(_in_force(IncomeLevel, day))))


def rates_on(session: Session, day: date) -> dict[Programme, contributions.Rate]:
    """The contribution rate of each programme in force on ``day``."""
    rows = session.scalars(select(ContributionRate).where(_in_force(ContributionRate, day)))
    return {
        row.programme: contributions.Rate(row.programme, row.percent, row.flat_amount)
        for row in rows
    }


def contribution_of(
    income: int, programmes: Iterable[str], rates: Mapping[Programme, contributions.Rate]
) -> contributions.Contribution:
    """The rule's monthly contribution; a rate not in force is an error the administrator can
    fix, said in the user's language."""
    try:
        return contributions.monthly_contribution(income, programmes, rates)
    except contributions.MissingRates as missing:
        raise DomainError(
            _l(
                "No contribution rate is in force for %(programmes)s; ask the administrator.",
                programmes=", ".join(missing.programmes),
            )
        ) from None


def jht_return_rates(session: Session) -> dict[int, Decimal]:
    """Every declared yearly return on JHT balances: ``{year: percent}``."""
    return {
        row.year: row.percent
        for row in session.scalars(select(JhtReturnRate).order_by(JhtReturnRate.year))
    }


def jht_rate_year_taken(session: Session, obj: JhtReturnRate) -> bool:
    """Is a rate already declared for ``obj``'s year (another row)?"""
    stmt = select(JhtReturnRate.id).where(JhtReturnRate.year == obj.year)
    if obj.id is not None:
        stmt = stmt.where(JhtReturnRate.id != obj.id)
    with session.no_autoflush:
        return session.scalar(stmt.limit(1)) is not None


#: The benefit parameters of the discount on the JKK and JKM contributions, in percent, one per
#: sector: ``contribution.discount.jkk_jkm_percent.transport`` (PP 50/2025: 50 for the contribution
#: months January 2026 - March 2027 for transport, April - December 2026 for the other sectors;
#: migration 0016). Their validity dates are contribution months.
DISCOUNT_KEY = "contribution.discount.jkk_jkm_percent"


def discount_key(sector: str) -> str:
    return f"{DISCOUNT_KEY}.{sector}"


def discounts(session: Session) -> list[contributions.Discount]:
    """Every discount rule of every sector, the newest first (a newer rule wins where two are
    in force)."""
    rows = session.scalars(
        select(BenefitParameter)
        .where(BenefitParameter.key.startswith(DISCOUNT_KEY + ".", autoescape=True))
        .order_by(BenefitParameter.valid_from.desc(), BenefitParameter.id.desc())
    )
    return [
        contributions.Discount(
            row.value, row.valid_from, row.valid_to, row.key.removeprefix(DISCOUNT_KEY + ".")
        )
        for row in rows
    ]


def sectors(session: Session) -> list[SectorTerms]:
    """The sectors in their order, each with the words an occupation names it by."""
    rows = session.scalars(select(Sector).order_by(Sector.sort_order, Sector.code))
    return [
        SectorTerms(row.code, (row.name, row.name_en, *(a for a in row.aliases.split(",") if a)))
        for row in rows
    ]


def overlapping(
    session: Session, obj: IncomeLevel | ContributionRate | BenefitParameter | CoverageTarget
) -> bool:
    """Would ``obj`` be in force on a day another row for the same level, programme,
    parameter or target (year and place) is?"""
    model = type(obj)
    if isinstance(obj, IncomeLevel):
        key = IncomeLevel.amount == obj.amount
    elif isinstance(obj, ContributionRate):
        key = ContributionRate.programme == obj.programme
    elif isinstance(obj, CoverageTarget):
        key = and_(
            *(
                getattr(CoverageTarget, name).is_(None)
                if getattr(obj, name) is None
                else getattr(CoverageTarget, name) == getattr(obj, name)
                for name in ("region_id", "regency_id", "department_id", "sector")
            ),
            CoverageTarget.year == obj.year,
        )
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
