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
    carried_credit,
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
        Discount(Decimal(30), date(2026, 6, 1), None, "trade"),
        Discount(Decimal(50), date(2026, 4, 1), date(2026, 12, 31), "trade"),
    ]
    assert discount_on(rules, date(2026, 3, 1), "trade") == 0
    assert discount_on(rules, date(2026, 4, 15), "trade") == 50  # any day of the month
    assert discount_on(rules, date(2026, 6, 1), "trade") == 30  # the newer rule wins
    assert discount_on(rules, date(2026, 6, 1), "agriculture") == 0  # another sector's rule


# PP 50/2025 as migration 0016 loads it: one dated rule per sector.
OTHER_SECTORS = ("trade", "agriculture", "construction", "fisheries", "other")
PP_50_2025 = [
    Discount(Decimal(50), date(2026, 1, 1), date(2027, 3, 31), "transport"),
    *(Discount(Decimal(50), date(2026, 4, 1), date(2026, 12, 31), s) for s in OTHER_SECTORS),
]
# At the lowest income level, Rp1.000.000: JKK 1% + JKM Rp6.800 (domain notes).
LOWEST = Contribution(jkk=10_000, jkm=6_800, jht=0)


def test_pp_50_2025_halves_transport_from_january_2026_and_a_farmer_from_april():
    """PP 50/2025: 50% off JKK and JKM for BPU; the transport sector (ojek, online drivers,
    couriers, drivers) for the contribution months January 2026 - March 2027, the other sectors
    April - December 2026."""
    counter = PaymentChannel.COUNTER
    january, may = date(2026, 1, 1), date(2026, 5, 1)
    # January 2026: the driver pays half of JKK and JKM, the farmer the whole month.
    assert month_contribution(LOWEST, january, counter, PP_50_2025, "transport").total == 8_400
    assert month_contribution(LOWEST, january, counter, PP_50_2025, "agriculture") == LOWEST
    # May 2026: both pay half.
    for sector in ("transport", "agriculture"):
        assert month_contribution(LOWEST, may, counter, PP_50_2025, sector) == Contribution(
            5_000, 3_400, 0
        )


@pytest.mark.parametrize(
    ("month", "transport", "others"),
    [
        (date(2025, 12, 1), 0, 0),  # before the regulation's months
        (date(2026, 1, 1), 50, 0),
        (date(2026, 3, 1), 50, 0),
        (date(2026, 4, 1), 50, 50),
        (date(2026, 12, 1), 50, 50),
        (date(2027, 1, 1), 50, 0),  # the other sectors' period ended with December 2026
        (date(2027, 3, 1), 50, 0),
        (date(2027, 4, 1), 0, 0),  # transport's ended with March 2027
    ],
)
def test_the_discount_periods_of_each_sector(month, transport, others):
    for channel in (PaymentChannel.COUNTER, PaymentChannel.BANK, PaymentChannel.ONLINE):
        assert month_discount(month, channel, PP_50_2025, "transport") == transport
        for sector in OTHER_SECTORS:
            assert month_discount(month, channel, PP_50_2025, sector) == others


def test_a_department_paid_month_is_never_discounted():
    """PP 50/2025: not when the contribution is paid from APBN/APBD (a department's budget)."""
    for month in (date(2026, 1, 1), date(2026, 5, 1), date(2027, 2, 1)):
        for sector in ("transport", *OTHER_SECTORS):
            assert month_discount(month, PaymentChannel.PAYER, PP_50_2025, sector) == 0
            paid = month_contribution(LOWEST, month, PaymentChannel.PAYER, PP_50_2025, sector)
            assert paid == LOWEST


def test_what_a_month_costs_is_the_contribution_less_its_discount():
    standard = Contribution(jkk=15_000, jkm=6_800, jht=30_000)
    month = date(2026, 2, 1)
    paid = month_contribution(standard, month, PaymentChannel.COUNTER, PP_50_2025, "transport")
    assert paid == Contribution(7_500, 3_400, 30_000) and paid.total == 40_900  # JHT whole
    by_department = month_contribution(
        standard, month, PaymentChannel.PAYER, PP_50_2025, "transport"
    )
    assert by_department == standard and by_department.total == 51_800


def test_what_was_paid_above_a_discounted_month_is_credit_for_the_next():
    """PP 50/2025: an amount already paid above the discounted one counts toward the next
    months. Paid in full (Rp16.800) for three months that cost Rp8.400 each: Rp25.200 of credit;
    a month paid short is not set against it."""
    assert carried_credit([(16_800, 8_400)] * 3) == 25_200
    assert carried_credit([(16_800, 8_400), (8_000, 8_400)]) == 8_400
    assert carried_credit([(8_400, 8_400)]) == 0
    assert carried_credit([]) == 0


def test_a_missing_rate_names_the_programmes():
    with pytest.raises(MissingRates) as raised:
        monthly_contribution(
            1_000_000, ["JKK", "JKM", "JHT"], {Programme.JKK: RATES[Programme.JKK]}
        )
    assert raised.value.programmes == ["JKM", "JHT"]
