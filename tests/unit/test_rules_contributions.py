"""The contribution rules: the monthly contribution from rates, the discount of a month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backoffice.errors import DomainError
from backoffice.rules.contributions import (
    Contribution,
    Discount,
    MissingRates,
    Rate,
    discount_on,
    discounted,
    month_contribution,
    month_discount,
    monthly_contribution,
)
from models import PaymentChannel, Programme

RATES = {
    Programme.JKK: Rate(Programme.JKK, Decimal("1"), None),
    Programme.JKM: Rate(Programme.JKM, None, 6_800),
    Programme.JHT: Rate(Programme.JHT, Decimal("2"), None),
}


@pytest.mark.parametrize(
    ("income", "programmes", "expected"),
    [
        (1_000_000, ["JKK", "JKM"], (10_000, 6_800, 0, 16_800)),
        (1_000_000, ["JKK", "JKM", "JHT"], (10_000, 6_800, 20_000, 36_800)),
        (1_000_000, ["JKM", "JHT", "JKK"], (10_000, 6_800, 20_000, 36_800)),
        (20_700_000, ["JKK", "JKM"], (207_000, 6_800, 0, 213_800)),
        (20_700_000, ["JKK", "JKM", "JHT"], (207_000, 6_800, 414_000, 627_800)),
    ],
)
def test_monthly_contribution(income, programmes, expected):
    c = monthly_contribution(income, programmes, RATES)
    assert (c.jkk, c.jkm, c.jht, c.total) == expected


@pytest.mark.parametrize(
    ("percent", "flat", "income", "amount"),
    [
        (Decimal("1"), None, 1_000_000, 10_000),
        (Decimal("0.24"), None, 1_000_000, 2_400),
        (Decimal("1.5"), None, 1_000_100, 15_002),  # 15.001,5 rounds half up
        (Decimal("0.5"), None, 1_000_001, 5_000),  # 5.000,005 rounds down
        (None, 6_800, 20_700_000, 6_800),  # a flat amount ignores the income
    ],
)
def test_rate_amount(percent, flat, income, amount):
    assert Rate(Programme.JKK, percent, flat).amount(income) == amount


@pytest.mark.parametrize(
    ("rates", "programmes"),
    [
        ({Programme.JKM: RATES[Programme.JKM]}, ["JKK", "JKM"]),
        ({Programme.JKK: RATES[Programme.JKK]}, ["JKK", "JKM"]),
        ({p: RATES[p] for p in (Programme.JKK, Programme.JKM)}, ["JKK", "JKM", "JHT"]),
        ({}, ["JKK", "JKM"]),
    ],
)
def test_missing_rate_is_a_domain_error(rates, programmes):
    with pytest.raises(DomainError):
        monthly_contribution(1_000_000, programmes, rates)


def test_a_discount_rounds_to_the_rupiah_and_leaves_jht_whole():
    contribution = Contribution(jkk=10_001, jkm=6_801, jht=20_002)
    assert discounted(contribution, Decimal(50)) == Contribution(5_001, 3_401, 20_002)
    assert discounted(contribution, Decimal("12.5")) == Contribution(8_751, 5_951, 20_002)
    assert discounted(contribution, Decimal(0)) == contribution
    rules = [
        Discount(Decimal(30), date(2026, 6, 1), None),
        Discount(Decimal(50), date(2025, 12, 22), date(2026, 12, 31)),
    ]
    assert discount_on(rules, date(2025, 12, 21)) == 0
    assert discount_on(rules, date(2026, 1, 15)) == 50
    assert discount_on(rules, date(2026, 6, 15)) == 30  # the newer rule wins


PP_50_2025 = [Discount(Decimal(50), date(2025, 12, 22), None)]


@pytest.mark.parametrize(
    ("month", "due_day", "percent"),
    [
        (date(2025, 11, 1), 15, 0),  # due 15/11/2025: before PP 50/2025
        (date(2025, 12, 1), 15, 0),  # due 15/12/2025: before 22 December
        (date(2025, 12, 1), 25, 50),  # a later due day falls in the period
        (date(2026, 1, 1), 15, 50),
    ],
)
def test_the_discount_of_a_month_is_the_one_in_force_on_its_due_date(month, due_day, percent):
    for channel in (PaymentChannel.COUNTER, PaymentChannel.BANK, PaymentChannel.ONLINE):
        assert month_discount(month, channel, PP_50_2025, due_day) == percent
    # A government budget (a department) pays the whole contribution.
    assert month_discount(month, PaymentChannel.PAYER, PP_50_2025, due_day) == 0


def test_what_a_month_costs_is_the_contribution_less_its_discount():
    standard = Contribution(jkk=15_000, jkm=6_800, jht=30_000)
    paid = month_contribution(standard, date(2026, 2, 1), PaymentChannel.COUNTER, PP_50_2025, 15)
    assert paid == Contribution(7_500, 3_400, 30_000) and paid.total == 40_900
    by_department = month_contribution(
        standard, date(2026, 2, 1), PaymentChannel.PAYER, PP_50_2025, 15
    )
    assert by_department == standard and by_department.total == 51_800


def test_a_missing_rate_names_the_programmes():
    with pytest.raises(MissingRates) as raised:
        monthly_contribution(
            1_000_000, ["JKK", "JKM", "JHT"], {Programme.JKK: RATES[Programme.JKK]}
        )
    assert raised.value.programmes == ["JKM", "JHT"]
