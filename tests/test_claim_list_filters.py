"""The claims list filtered as the dashboards count (issue #19): received in a month of
Jakarta's calendar, paid in a month, and open claims past their service target, each within
the user's scope (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from backoffice.clock import today_in_jakarta
from models import ClaimState, Office
from tests.factories import make_claim, make_member

CLAIM_NUMBER = re.compile(r"\b(?:JKK|JKM|JHT)-(\d{6})\b")
#: The claims list's filters, in the order of ``ClaimView.column_filters``.
RECEIVED, PAID, OVERDUE = 3, 4, 5


def _listed(client: Any, query: str) -> set[int]:
    response = client.get(f"/admin/claim/?{query}&page_size=100")
    assert response.status_code == 200, response.status_code
    return {int(n) for n in CLAIM_NUMBER.findall(response.get_data(as_text=True))}


def _serang(session: Any) -> Office:
    return session.scalar(select(Office).where(Office.code == "B01"))


def test_overdue_lists_the_open_claims_past_their_target_in_scope(login, session):
    today = today_in_jakarta()
    serang = _serang(session)
    late = make_claim(session, member=make_member(session, office=serang))
    late.due_date = today - timedelta(days=1)
    due_today = make_claim(session, member=make_member(session, office=serang))
    due_today.due_date = today
    paid_late = make_claim(
        session, member=make_member(session, office=serang), state=ClaimState.PAID
    )
    paid_late.due_date = today - timedelta(days=30)
    no_target = make_claim(session, member=make_member(session, office=serang))
    elsewhere = make_claim(session, member=make_member(session))
    elsewhere.due_date = today - timedelta(days=5)
    session.commit()

    clerk = login("petugas.serang")
    listed = _listed(clerk, f"flt0_{OVERDUE}=yes")
    assert late.id in listed
    assert not listed & {due_today.id, paid_late.id, no_target.id, elsewhere.id}
    page = clerk.get(f"/admin/claim/?flt0_{OVERDUE}=yes").get_data(as_text=True)
    assert "Lewat tenggat" in page
    # A value the filter does not know is ignored, never a 500.
    assert clerk.get(f"/admin/claim/?flt0_{OVERDUE}=maybe").status_code == 200


def test_received_in_a_month_follows_jakartas_calendar(login, session):
    serang = _serang(session)
    # 30 November 18:00 UTC is 1 December 01:00 in Jakarta: a December claim.
    december = make_claim(
        session,
        member=make_member(session, office=serang),
        submitted_at=datetime(2026, 11, 30, 18, 0, tzinfo=UTC),
    )
    november = make_claim(
        session,
        member=make_member(session, office=serang),
        submitted_at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC),
    )
    session.commit()
    clerk = login("petugas.serang")
    in_december = _listed(clerk, f"flt0_{RECEIVED}=2026-12")
    in_november = _listed(clerk, f"flt0_{RECEIVED}=2026-11")
    assert december.id in in_december and december.id not in in_november
    assert november.id in in_november and november.id not in in_december
    assert clerk.get(f"/admin/claim/?flt0_{RECEIVED}=2026-13").status_code == 200


def test_paid_in_a_month(login, session):
    serang = _serang(session)
    claim = make_claim(session, member=make_member(session, office=serang), state=ClaimState.PAID)
    session.commit()
    month = f"{claim.paid_on:%Y-%m}"
    clerk = login("petugas.serang")
    assert claim.id in _listed(clerk, f"flt0_{PAID}={month}")
    assert claim.id not in _listed(clerk, f"flt0_{PAID}=2001-01")
