"""Registration ages, the due day and the payment periods are dated reference data (0013)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError
from backoffice.rules import contributions
from backoffice.rules.coverage import add_months, month_start
from backoffice.rules.eligibility import AgeBounds
from backoffice.seed.demo import DEMO_MEMBERS
from backoffice.services import ledger, reference
from models import BenefitParameter, Member


def test_the_parameters_in_force_today(session):
    params = reference.parameters_on(session, today_in_jakarta())
    assert reference.registration_ages(params) == AgeBounds(15, 65)
    assert reference.due_day(params) == 15
    assert reference.payment_periods(params) == (1, 3, 6, 12)


def test_before_they_were_in_force_they_are_missing(session):
    params = reference.parameters_on(session, date(2015, 6, 30))  # the rows start 1 July 2015
    for read in (reference.registration_ages, reference.due_day, reference.payment_periods):
        with pytest.raises(DomainError), force_locale("en"):
            read(params)


def test_a_period_added_by_the_administrator_is_accepted_from_its_date(session, user):
    today = today_in_jakarta()
    member = session.scalar(select(Member).where(Member.nik == DEMO_MEMBERS["serang_recent"]))
    first = add_months(month_start(today), 1)  # paid to date: the next month is free
    clerk = user("petugas.serang")
    with pytest.raises(DomainError) as refused, force_locale("en"):
        ledger.record_payment(
            session, clerk, member, period=first, paid_on=today, channel="counter", months=2
        )
    with force_locale("en"):
        assert str(refused.value) == "A payment covers 1, 3, 6 or 12 months, not 2."
    session.add(
        BenefitParameter(
            key=reference.PAYMENT_PERIOD_PREFIX + "2", value=Decimal(2), valid_from=today
        )
    )
    session.flush()
    assert reference.payment_periods_on(session, today) == (1, 2, 3, 6, 12)
    assert reference.payment_periods_on(session, today - timedelta(days=1)) == (1, 3, 6, 12)
    paid = ledger.record_payment(
        session, clerk, member, period=first, paid_on=today, channel="counter", months=2
    )
    assert [p.period for p in paid] == [first, add_months(first, 1)]
    standard = ledger.member_contribution(member)
    expected = contributions.month_contribution(
        standard, first, paid[0].channel, reference.discounts(session), member.sector
    )
    assert (paid[0].jkk, paid[0].jkm, paid[0].jht) == (expected.jkk, expected.jkm, expected.jht)


def test_the_registration_ages_in_force_on_the_registration_date_apply(session):
    today = today_in_jakarta()
    old = session.scalar(
        select(BenefitParameter).where(
            BenefitParameter.key == reference.MIN_AGE_KEY, BenefitParameter.valid_to.is_(None)
        )
    )
    old.valid_to = today - timedelta(days=1)
    session.add(BenefitParameter(key=reference.MIN_AGE_KEY, value=Decimal(18), valid_from=today))
    session.flush()
    assert reference.registration_ages_on(session, today) == AgeBounds(18, 65)
    assert reference.registration_ages_on(session, today - timedelta(days=1)) == AgeBounds(15, 65)
