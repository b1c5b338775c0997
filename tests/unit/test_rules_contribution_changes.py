"""A corrected contribution applies from the month after the correction; earlier months keep theirs.

Domain rule (issue #17): a change of the income level or of JHT is approved in one month and
changes the monthly contribution from the NEXT month; every earlier month, paid or in arrears, is
owed what it was owed before.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from backoffice.rules.contributions import Contribution, PastAmount, owed_for_month
from backoffice.rules.coverage import add_months

LOW = Contribution(10_000, 6_800, 0)  # Rp1.000.000, JKK and JKM
WITH_JHT = Contribution(10_000, 6_800, 20_000)  # the same with JHT
HIGH = Contribution(20_000, 6_800, 40_000)  # Rp2.000.000 with JHT


def test_without_a_change_every_month_owes_the_current_contribution():
    assert owed_for_month(LOW, [], date(2020, 1, 1)) == LOW
    assert owed_for_month(LOW, [], date(2030, 1, 1)) == LOW


def test_the_months_up_to_the_change_owe_the_old_amount_the_next_month_the_new_one():
    past = [PastAmount(date(2026, 12, 1), LOW)]  # approved in December 2026
    assert owed_for_month(WITH_JHT, past, date(2026, 6, 1)) == LOW  # an arrears month
    assert owed_for_month(WITH_JHT, past, date(2026, 12, 1)) == LOW  # this month
    assert owed_for_month(WITH_JHT, past, date(2027, 1, 1)) == WITH_JHT  # from next month


def test_two_changes_each_month_owes_what_was_in_force_then():
    past = [PastAmount(date(2026, 3, 1), LOW), PastAmount(date(2026, 8, 1), WITH_JHT)]
    assert owed_for_month(HIGH, past, date(2026, 2, 1)) == LOW
    assert owed_for_month(HIGH, past, date(2026, 4, 1)) == WITH_JHT
    assert owed_for_month(HIGH, past, date(2026, 8, 1)) == WITH_JHT
    assert owed_for_month(HIGH, past, date(2026, 9, 1)) == HIGH
    # the order the rows are given in does not matter
    assert owed_for_month(HIGH, list(reversed(past)), date(2026, 2, 1)) == LOW


@given(
    st.lists(st.integers(min_value=0, max_value=120), unique=True, max_size=6),
    st.integers(min_value=-12, max_value=140),
)
def test_a_month_after_every_change_owes_the_current_amount_and_one_before_a_past_one(
    untils, offset
):
    base = date(2020, 1, 1)
    past = [
        PastAmount(add_months(base, n), Contribution(10_000 + n, 6_800, 0)) for n in sorted(untils)
    ]
    month = add_months(base, offset)
    owed = owed_for_month(HIGH, past, month)
    later = [p for p in past if p.until >= month]
    if not later:
        assert owed == HIGH
    else:
        assert owed == later[0].contribution
