"""Working days skip weekends, Indonesia's public holidays and the cuti bersama."""

from __future__ import annotations

from datetime import date

from backoffice.rules.working_days import (
    ADD,
    REMOVE,
    add_working_days,
    days_off,
    is_working_day,
    public_holidays,
)

CHRISTMAS_2025 = date(2025, 12, 25)
CUTI_BERSAMA_NATAL_2025 = date(2025, 12, 26)


def test_the_library_knows_christmas_but_not_the_cuti_bersama():
    public = public_holidays([2025])
    assert CHRISTMAS_2025 in public and date(2025, 8, 17) in public  # Hari Kemerdekaan
    assert CUTI_BERSAMA_NATAL_2025 not in public  # decreed yearly: reference data


def test_three_working_days_from_christmas_eve_2025_end_on_new_years_eve():
    """Domain: working days skip Indonesian public holidays and cuti bersama. Wednesday
    24/12/2025 + 3: 25/12 Christmas (the library), 26/12 cuti bersama (the table), the weekend,
    then 29, 30 and 31 December."""
    off = days_off(public_holidays([2025, 2026]), [(CUTI_BERSAMA_NATAL_2025, ADD)])
    assert add_working_days(date(2025, 12, 24), 3, off) == date(2025, 12, 31)
    # Without the days off only the weekend is skipped.
    assert add_working_days(date(2025, 12, 24), 3) == date(2025, 12, 29)


def test_a_removed_holiday_is_a_working_day_again():
    off = days_off(public_holidays([2025]), [(CHRISTMAS_2025, REMOVE)])
    assert is_working_day(CHRISTMAS_2025, off)
    assert not is_working_day(date(2025, 12, 27), off)  # a Saturday stays off
    assert add_working_days(date(2025, 12, 24), 1, off) == CHRISTMAS_2025
