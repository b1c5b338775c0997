"""The administrator keeps the cuti bersama and corrections of the public holidays; working days
skip them."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from backoffice.audit import history
from backoffice.rules.working_days import add_working_days
from backoffice.services import reference
from models import HolidayCorrection, HolidayKind

NEW_YEARS_EVE = date(2026, 12, 31)


def test_the_demo_has_the_cuti_bersama_of_2025_and_2026(session):
    days = set(session.scalars(select(HolidayCorrection.day)))
    assert {date(2025, 12, 26), date(2026, 3, 20), date(2026, 12, 24)} <= days
    off = reference.days_off(session, date(2025, 12, 24))
    assert date(2025, 12, 25) in off and date(2025, 12, 26) in off  # library + table
    assert add_working_days(date(2025, 12, 24), 3, off) == date(2025, 12, 31)


def test_the_administrator_adds_a_day_off_and_it_is_audited(session, login):
    admin = login("admin")
    page = admin.get("/admin/holiday_correction/").get_data(as_text=True)
    assert "Cuti bersama Natal" in page
    response = admin.post(
        "/admin/holiday_correction/new/",
        data={"day": NEW_YEARS_EVE.isoformat(), "name": "Cuti bersama tahun baru", "kind": "add"},
    )
    assert response.status_code == 302
    session.expire_all()
    row = session.scalar(select(HolidayCorrection).where(HolidayCorrection.day == NEW_YEARS_EVE))
    assert row.kind is HolidayKind.ADD
    assert NEW_YEARS_EVE in reference.days_off(session, NEW_YEARS_EVE)
    (event,) = history(session, "holiday_correction", row.id)
    assert json.loads(event.details)["changes"]["name"] == "Cuti bersama tahun baru"
    # The same date twice is refused on the field, not a 500.
    again = admin.post(
        "/admin/holiday_correction/new/",
        data={"day": NEW_YEARS_EVE.isoformat(), "name": "Lagi", "kind": "add"},
    )
    assert again.status_code == 200 and "Sudah ada." in again.get_data(as_text=True)


def test_a_removed_holiday_is_a_working_day(session, login):
    christmas = date(2026, 12, 25)
    assert christmas in reference.days_off(session, christmas)
    session.add(HolidayCorrection(day=christmas, name="Natal dipindahkan", kind=HolidayKind.REMOVE))
    session.flush()
    assert christmas not in reference.days_off(session, christmas)


def test_a_clerk_reads_the_days_off_but_cannot_add_one(session, login):
    clerk = login("petugas.serang")
    assert clerk.get("/admin/holiday_correction/").status_code == 200
    response = clerk.post(
        "/admin/holiday_correction/new/",
        data={"day": NEW_YEARS_EVE.isoformat(), "name": "X", "kind": "add"},
    )
    assert response.status_code in (302, 403)
    assert (
        session.scalar(select(HolidayCorrection).where(HolidayCorrection.day == NEW_YEARS_EVE))
        is None
    )
