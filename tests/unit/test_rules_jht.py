"""The JHT statement (domain.md: "JHT balance = contributions + yearly returns (hasil
pengembangan, a rate declared each year: reference data)"; "JHT: balance of contributions plus
returns", PP 82/2019). No database.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.rules.jht import (
    NO_RATE,
    RATE_ASSUMED,
    JhtContribution,
    jht_statement,
    rate_for,
)

FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def paid(day: date, amount: int = 100_000) -> JhtContribution:
    return JhtContribution(day, amount)


def test_no_contribution_no_statement() -> None:
    statement = jht_statement([], {2025: Decimal(6)}, date(2026, 6, 1))
    assert statement.years == () and statement.balance == 0


def test_opening_balance_earns_the_full_year_at_the_declared_rate() -> None:
    # Rp1.000.000 paid in December 2024 earns nothing in 2024; the whole of 2025 at 6%.
    statement = jht_statement(
        [paid(date(2024, 12, 10), 1_000_000)],
        {2024: Decimal(6), 2025: Decimal(6)},
        date(2026, 1, 5),
    )
    y2024, y2025, y2026 = statement.years
    assert (y2024.opening, y2024.contributions, y2024.returns, y2024.closing) == (
        0,
        1_000_000,
        0,
        1_000_000,
    )
    assert (y2025.opening, y2025.returns, y2025.closing) == (1_000_000, 60_000, 1_060_000)
    # January 2026: no whole month before the statement's month, nothing earned yet
    assert (y2026.months, y2026.returns, y2026.closing) == (0, 0, 1_060_000)


def test_a_contribution_earns_for_the_months_after_the_month_it_was_paid() -> None:
    # Paid in March: April to December, 9/12 of 8% of 1.200.000 = 72.000
    statement = jht_statement(
        [paid(date(2025, 3, 14), 1_200_000)], {2025: Decimal(8)}, date(2025, 12, 31)
    )
    # the year of ``until`` counts the whole months before December: 11, of which 8 after March
    (year,) = statement.years
    assert year.months == 11
    assert year.returns == 64_000  # 1.200.000 x 8% x (11 - 3) / 12
    full = jht_statement([paid(date(2025, 3, 14), 1_200_000)], {2025: Decimal(8)}, date(2026, 1, 1))
    assert full.years[0].returns == 72_000


def test_monthly_contributions_over_a_year() -> None:
    # Rp30.000 a month (2% of Rp1.500.000), paid each month of 2024, at 5.63%:
    # the months each earns: 11 + 10 + ... + 0 = 66 -> 30.000 x 66 / 12 x 5,63% = 9.289,5 -> 9.290
    statement = jht_statement(
        [paid(date(2024, m, 10), 30_000) for m in range(1, 13)],
        {2024: Decimal("5.63")},
        date(2025, 1, 2),
    )
    year = statement.years[0]
    assert (year.contributions, year.returns, year.closing) == (360_000, 9_290, 369_290)


def test_payments_after_until_are_not_in_the_balance() -> None:
    statement = jht_statement(
        [paid(date(2025, 1, 10)), paid(date(2025, 7, 10))], {2025: Decimal(5)}, date(2025, 6, 30)
    )
    assert statement.contributions == 100_000


def test_an_undeclared_year_uses_the_last_declared_rate_with_a_note() -> None:
    statement = jht_statement(
        [paid(date(2024, 12, 1), 1_000_000)],
        {2023: Decimal(7), 2024: Decimal(6)},
        date(2026, 7, 1),
    )
    y2025, y2026 = statement.years[1:]
    assert (y2025.rate, y2025.rate_year, y2025.assumed) == (Decimal(6), 2024, True)
    assert y2025.returns == 60_000
    # 2026: January to June at the last declared rate (2024's 6%), on 1.060.000
    assert (y2026.months, y2026.returns) == (6, 31_800)
    assert [(n.code, n.facts["year"], n.facts["rate_year"]) for n in statement.notes] == [
        (RATE_ASSUMED, 2025, 2024),
        (RATE_ASSUMED, 2026, 2024),
    ]


def test_a_year_before_any_declared_rate_earns_nothing_with_a_note() -> None:
    statement = jht_statement([paid(date(2014, 2, 1))], {2016: Decimal(7)}, date(2016, 1, 1))
    assert [y.returns for y in statement.years] == [0, 0, 0]
    assert [(n.code, n.facts["year"]) for n in statement.notes] == [
        (NO_RATE, 2014),
        (NO_RATE, 2015),
    ]


def test_rate_for_prefers_the_years_own_rate() -> None:
    rates = {2016: Decimal("7.19"), 2017: Decimal("7.83")}
    assert rate_for(rates, 2017) == (Decimal("7.83"), 2017)
    assert rate_for(rates, 2019) == (Decimal("7.83"), 2017)
    assert rate_for(rates, 2015) == (Decimal(0), None)


@pytest.mark.parametrize("rate", [Decimal(-1), Decimal("NaN"), 1.5, True])
def test_invalid_rates_are_refused(rate: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        jht_statement([paid(date(2025, 1, 1))], {2025: rate}, date(2025, 6, 1))  # type: ignore[dict-item]


def test_negative_or_fractional_contributions_are_refused() -> None:
    with pytest.raises(ValueError):
        jht_statement([paid(date(2025, 1, 1), -1)], {}, date(2025, 6, 1))
    with pytest.raises(TypeError):
        jht_statement([JhtContribution(date(2025, 1, 1), 1.5)], {}, date(2025, 6, 1))  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------------

days = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 12, 31))
contributions = st.lists(
    st.builds(JhtContribution, days, st.integers(min_value=0, max_value=500_000)), max_size=40
)
rates = st.dictionaries(
    st.integers(min_value=2015, max_value=2026),
    st.decimals(min_value=0, max_value=15, places=2, allow_nan=False, allow_infinity=False),
    max_size=12,
)


@FAST
@given(contributions, rates, days)
def test_each_year_closes_at_opening_plus_contributions_plus_returns(items, declared, until):
    statement = jht_statement(items, declared, until)
    previous_closing = 0
    for year in statement.years:
        assert year.closing == year.opening + year.contributions + year.returns
        assert year.opening == previous_closing
        previous_closing = year.closing
    assert statement.balance == statement.contributions + statement.returns
    assert statement.contributions == sum(i.amount for i in items if i.paid_on <= until)


@FAST
@given(contributions, rates, days)
def test_with_non_negative_rates_the_balance_never_falls_below_the_contributions(
    items, declared, until
):
    statement = jht_statement(items, declared, until)
    paid_so_far = 0
    for year in statement.years:
        paid_so_far += year.contributions
        assert year.returns >= 0
        assert year.closing >= paid_so_far
