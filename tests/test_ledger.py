"""The contributions ledger on a real database (SQLite and PostgreSQL): recording payments and
the summary of where a member stands.

On the empty database with the small organisation of tests/fixtures/org.py; each test makes its
members with the factories. The demo members and their histories are tested in test_seed.py.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, func, select

from backoffice.audit import history, verify_chain
from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError, Forbidden
from backoffice.rules.coverage import add_months
from backoffice.seed import demo
from backoffice.services import ledger, reference
from backoffice.services.ledger import (
    Payment,
    PaymentRefused,
    member_ledger,
    record_payment,
    record_payments,
)
from models import (
    AuditEvent,
    BenefitParameter,
    ContributionPayment,
    Department,
    JhtReturnRate,
    Member,
    MemberStatus,
    Office,
    PaymentChannel,
    Programme,
)
from tests import factories
from tests.fixtures.org import Org, make_org
from tests.html_page import get

TODAY = date(2026, 11, 22)
START = date(2026, 1, 10)


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def org(empty_db) -> Org:
    return make_org(empty_db)


def make_member(
    session, office_code: str = "B01", *, start: date = START, jht: bool = True, nik: str = ""
) -> Member:
    """A member registered at the counter on ``start``, Rp1.500.000 (Rp21.800 or Rp51.800), an
    online driver (transport: PP 50/2025 halves JKK and JKM from January 2026 to March 2027)."""
    office = session.scalar(select(Office).where(Office.code == office_code))
    return factories.make_member(
        session,
        office=office,
        name="Siti Rohmah",
        birth_date=date(1985, 12, 12),
        sex="P",
        income_level=1_500_000,
        programmes="JKK,JKM,JHT" if jht else "JKK,JKM",
        start_date=start,
        occupation="Ojek online",
        sector="transport",
        **({"nik": nik} if nik else {}),
    )


def pay(session, actor, member, period: date, months: int = 1, **kwargs):
    kwargs.setdefault("paid_on", period.replace(day=10))
    kwargs.setdefault("channel", PaymentChannel.COUNTER)
    kwargs.setdefault("today", TODAY)
    return record_payment(session, actor, member, period=period, months=months, **kwargs)


def periods(session, member) -> list[date]:
    return list(
        session.scalars(
            select(ContributionPayment.period)
            .where(ContributionPayment.member_id == member.id)
            .order_by(ContributionPayment.period)
        )
    )


def months_from(first: date, n: int) -> list[date]:
    return [add_months(first, i) for i in range(n)]


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


def test_a_list_of_payments_is_recorded_together_with_one_event_each(session, user):
    clerk = user("petugas.serang")
    members = [make_member(session, nik=f"36042952128500{n:02d}") for n in range(5)]
    session.commit()
    events = count(session, AuditEvent)
    payments = [
        Payment(m, date(2026, 3, 1), date(2026, 3, 5), months=3 if n % 2 else 1, reference="X/1")
        for n, m in enumerate(members)
    ]
    recorded = record_payments(session, clerk, payments, channel="counter", today=TODAY)
    session.commit()
    assert len(recorded) == 1 + 3 + 1 + 3 + 1
    assert [periods(session, m) for m in members[:2]] == [
        [date(2026, 3, 1)],
        months_from(date(2026, 3, 1), 3),
    ]
    new_events = session.scalars(
        select(AuditEvent).where(AuditEvent.id > 0).order_by(AuditEvent.id).offset(events)
    ).all()
    # Each payment, then each member's status from the history (``services.lifecycle``).
    statuses = [e for e in new_events if e.action == "status"]
    new_events = [e for e in new_events if e.action == "contribution"]
    # Recorded on TODAY, paid in March: March alone lapsed in July and ended past the window
    # (15 October); March to May lapsed in September, the window still open.
    for n, m in enumerate(members):
        mine = [e.to_state for e in statuses if e.record_id == str(m.id)]
        assert mine == (["active", "lapsed"] if n % 2 else ["active", "lapsed", "ended"])
    assert [e.record_id for e in new_events] == [str(m.id) for m in members]
    assert [json.loads(e.details)["months"] for e in new_events] == [1, 3, 1, 3, 1]
    # March to May 2026, paid by the members: the PP 50/2025 discount (half of JKK and JKM).
    assert json.loads(new_events[1].details)["total"] == 3 * (7_500 + 3_400 + 30_000)
    assert verify_chain(session).ok


@pytest.mark.parametrize("second", ["already paid", "twice in the list", "not active"])
def test_one_refused_payment_of_a_list_records_none_and_names_it(
    session, user, monkeypatch, second
):
    # One member per chunk: the month already paid is found in the second chunk.
    monkeypatch.setattr(ledger, "CHUNK", 1)
    clerk = user("petugas.serang")
    first, other = (
        make_member(session, nik="3604295212850101"),
        make_member(session, nik="3604295212850102"),
    )
    if second == "already paid":
        # Recorded when it was paid: the member is active then (by TODAY they would have
        # lapsed and their membership ended).
        pay(session, clerk, other, date(2026, 4, 1), today=date(2026, 4, 10))
    if second == "not active":
        other.status, other.status_since, other.active = MemberStatus.EXITED, TODAY, False
    session.commit()
    before = (count(session, ContributionPayment), count(session, AuditEvent))
    payments = [
        Payment(first, date(2026, 3, 1), date(2026, 3, 5), months=3),
        Payment(other, date(2026, 3, 1), date(2026, 3, 5), months=3),
    ]
    if second == "twice in the list":
        payments[1] = Payment(first, date(2026, 5, 1), date(2026, 3, 5))
    with pytest.raises(PaymentRefused) as refused:
        record_payments(session, clerk, payments, channel="counter", today=TODAY)
    session.rollback()
    assert refused.value.index == 1
    with force_locale("en"):
        message = str(refused.value)
    expected = {
        "already paid": "The contribution for 04/2026 is already paid; nothing was recorded.",
        "twice in the list": "The contribution for 05/2026 is already paid; nothing was recorded.",
        "not active": "The membership is exited since 22/11/2026: no contribution can be recorded.",
    }[second]
    assert message == expected
    assert (count(session, ContributionPayment), count(session, AuditEvent)) == before


def test_clerk_records_one_month_with_the_members_own_amounts(session, user):
    clerk = user("petugas.serang")
    member = make_member(session)
    [payment] = pay(session, clerk, member, date(2026, 1, 1), paid_on=date(2026, 1, 12))
    session.commit()
    # The member's contribution (Rp51.800), January 2026 with the PP 50/2025 discount: half of
    # JKK and JKM, JHT whole.
    assert member.monthly_contribution == 51_800
    assert (payment.jkk, payment.jkm, payment.jht) == (7_500, 3_400, 30_000)
    assert payment.total == 40_900
    assert payment.recorded_by_id == clerk.id and payment.channel is PaymentChannel.COUNTER
    assert payment.payer_department_id is None and payment.paid_on == date(2026, 1, 12)
    summary = member_ledger(session, member, date(2026, 1, 20))
    assert summary.paid_months == 1 and summary.arrears_months == 0 and summary.covered
    assert summary.totals == {Programme.JKK: 7_500, Programme.JKM: 3_400, Programme.JHT: 30_000}
    assert summary.jht_balance == 30_000 and summary.total == 40_900


@pytest.mark.parametrize("months", [3, 6, 12])
def test_several_months_at_once_are_consecutive_and_paid_the_same_day(session, user, months):
    member = make_member(session, jht=False)
    first = date(2026, 3, 1)
    payments = pay(
        session,
        user("petugas2.serang"),
        member,
        first,
        months,
        paid_on=date(2026, 3, 9),
        channel="bank",
        reference="  BNI-260309-001122 ",
    )
    session.commit()
    assert [p.period for p in payments] == months_from(first, months)
    assert {(p.paid_on, p.channel, p.reference) for p in payments} == {
        (date(2026, 3, 9), PaymentChannel.BANK, "BNI-260309-001122")
    }
    assert {p.total for p in payments} == {10_900}  # Rp21.800 less the discount
    assert periods(session, member) == months_from(first, months)


def test_a_year_ahead_then_the_ledger_counts_only_months_up_to_the_day(session, user):
    clerk = user("petugas.serang")
    member = make_member(session)
    pay(session, clerk, member, date(2026, 1, 1), 3, paid_on=date(2026, 1, 12))
    pay(session, clerk, member, date(2026, 4, 1), 12, paid_on=date(2026, 4, 5), channel="online")
    session.commit()
    summary = member_ledger(session, member, TODAY)
    assert [p.period for p in summary.payments] == months_from(date(2026, 1, 1), 15)
    assert summary.paid_months == 11  # January to November; the months ahead are not counted
    assert summary.paid_through == date(2027, 3, 1)
    assert summary.arrears_months == 0 and summary.unpaid_months == [] and summary.covered
    # Nothing more paid: March 2027 is the last month paid, protection ends on the fourth
    # unpaid due date (July 2027).
    assert summary.protection_ends == date(2027, 7, 15)
    assert summary.jht_balance == 15 * 30_000
    assert summary.first_unpaid == date(2027, 4, 1)


def test_a_branch_head_records_for_the_kcps_under_the_office(session, user):
    member = make_member(session, "B0102")  # KCP Cikande, under KC Serang
    [payment] = pay(session, user("kepala.serang"), member, date(2026, 1, 1))
    assert payment.recorded_by_id == user("kepala.serang").id


# --- the PP 50/2025 discount (a dated benefit parameter per sector, migration 0016) -----------


def _amounts(payments) -> list[tuple[str, int, int, int]]:
    return [(p.period.strftime("%m/%Y"), p.jkk, p.jkm, p.jht) for p in payments]


def test_the_discount_applies_to_the_months_due_while_it_is_in_force(session, user):
    """PP 50/2025: transport from the contribution month January 2026."""
    member = make_member(session, start=date(2025, 10, 3))
    payments = pay(
        session, user("petugas.serang"), member, date(2025, 10, 1), 6, paid_on=date(2026, 1, 5)
    )
    full, half = (15_000, 6_800, 30_000), (7_500, 3_400, 30_000)
    assert _amounts(payments) == [
        ("10/2025", *full),
        ("11/2025", *full),
        ("12/2025", *full),
        ("01/2026", *half),
        ("02/2026", *half),
        ("03/2026", *half),
    ]
    [event] = [e for e in history(session, "member", member.id) if e.action == "contribution"]
    assert json.loads(event.details)["total"] == 3 * 51_800 + 3 * 40_900


def test_the_discount_ends_with_the_end_date_the_administrator_gives_it(session, user):
    rule = session.scalar(
        select(BenefitParameter).where(BenefitParameter.key == reference.discount_key("transport"))
    )
    assert (rule.value, rule.valid_from, rule.valid_to) == (50, date(2026, 1, 1), date(2027, 3, 31))
    rule.valid_to = date(2026, 2, 20)  # the contribution months up to February
    member = make_member(session)
    payments = pay(session, user("petugas.serang"), member, date(2026, 1, 1), 3)
    assert [p.total for p in payments] == [40_900, 40_900, 51_800]


def test_without_a_discount_rule_the_members_contribution_is_paid(session, user):
    session.execute(
        delete(BenefitParameter).where(BenefitParameter.key == reference.discount_key("transport"))
    )
    member = make_member(session)
    payments = pay(session, user("petugas.serang"), member, date(2026, 1, 1), 3)
    assert {p.total for p in payments} == {51_800}


def test_a_department_pays_as_payer(session, user):
    member = make_member(session)
    department = session.scalar(select(Department).where(Department.name == demo.DISTAN))
    payments = pay(
        session,
        user("petugas.serang"),
        member,
        date(2026, 1, 1),
        6,
        channel=PaymentChannel.PAYER,
        payer_department=department,
        reference="SP2D/DISTAN/2026/014",
    )
    assert {p.payer_department_id for p in payments} == {department.id}
    # A government budget pays the whole contribution: no discount.
    assert {(p.jkk, p.jkm, p.jht) for p in payments} == {(15_000, 6_800, 30_000)}
    with pytest.raises(DomainError) as missing:
        pay(session, user("petugas.serang"), member, date(2026, 7, 1), channel="payer")
    assert missing.value.field == "payer_department"
    with pytest.raises(DomainError) as extra:
        pay(session, user("petugas.serang"), member, date(2026, 7, 1), payer_department=department)
    assert extra.value.field == "payer_department"


def test_recording_writes_one_audit_event_in_the_same_transaction(session, user):
    clerk = user("petugas.serang")
    before = count(session, AuditEvent), count(session, ContributionPayment)
    member = make_member(session)
    pay(session, clerk, member, date(2026, 2, 1), 3, paid_on=date(2026, 2, 7))
    # The payment, and the member's status it changed (registered -> active -> lapsed ->
    # ended by TODAY).
    assert count(session, AuditEvent) == before[0] + 1 + 3
    session.rollback()  # the service does not commit: payments and event go together
    assert (count(session, AuditEvent), count(session, ContributionPayment)) == before

    member = make_member(session)
    pay(session, clerk, member, date(2026, 2, 1), 3, paid_on=date(2026, 2, 7), ip="10.0.0.7")
    session.commit()
    event, *statuses = history(session, "member", member.id)
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in statuses] == [
        ("status", "registered", "active", clerk.id),
        ("status", "active", "lapsed", clerk.id),
        ("status", "lapsed", "ended", clerk.id),
    ]
    assert event.action == "contribution" and event.actor_id == clerk.id
    assert event.ip == "10.0.0.7"
    assert (event.office_id, event.region_id) == (member.office_id, member.region_id)
    details = json.loads(event.details)
    assert details["months"] == 3
    assert details["first_period"] == "2026-02-01" and details["last_period"] == "2026-04-01"
    assert details["total"] == 3 * 40_900 and details["channel"] == "counter"
    assert verify_chain(session).ok


# --------------------------------------------------------------------------------------------
# Refusals: nothing recorded
# --------------------------------------------------------------------------------------------


def test_a_month_already_paid_is_named_and_nothing_is_recorded(session, user):
    clerk = user("petugas.serang")
    member = make_member(session)
    pay(session, clerk, member, date(2026, 2, 1), 3)
    session.commit()
    events = count(session, AuditEvent)
    with pytest.raises(DomainError) as refused:
        pay(session, clerk, member, date(2026, 1, 1), 12)
    with force_locale("en"):  # the message is in the user's language
        assert "02/2026, 03/2026, 04/2026 is already paid" in str(refused.value)
    with pytest.raises(DomainError, match="04/2026"):
        pay(session, clerk, member, date(2026, 4, 1), 3)
    session.rollback()
    assert periods(session, member) == months_from(date(2026, 2, 1), 3)
    assert count(session, AuditEvent) == events


def test_months_before_the_start_are_refused(session, user):
    member = make_member(session)
    with pytest.raises(DomainError) as refused:
        pay(session, user("petugas.serang"), member, date(2025, 12, 1), 3)
    assert refused.value.field == "period" and "01/2026" in str(refused.value)
    assert periods(session, member) == []


def test_a_payment_date_in_the_future_is_refused(session, user):
    member = make_member(session)
    with pytest.raises(DomainError) as refused:
        pay(session, user("petugas.serang"), member, date(2026, 11, 1), paid_on=date(2026, 11, 23))
    assert refused.value.field == "paid_on"
    # without ``today`` the service takes today in Jakarta
    tomorrow = date.fromordinal(today_in_jakarta().toordinal() + 1)
    with pytest.raises(DomainError):
        record_payment(
            session,
            user("petugas.serang"),
            member,
            period=date(2026, 1, 1),
            paid_on=tomorrow,
            channel="counter",
        )
    assert periods(session, member) == []


def test_more_than_twelve_months_ahead_is_refused(session, user):
    member = make_member(session)
    with pytest.raises(DomainError) as refused:
        pay(session, user("petugas.serang"), member, date(2026, 6, 1), 12, paid_on=date(2026, 1, 5))
    assert "05/2027" in str(refused.value)
    # twelve months ahead is the limit
    pay(session, user("petugas.serang"), member, date(2026, 2, 1), 12, paid_on=date(2026, 1, 5))


@pytest.mark.parametrize("months", [0, 2, 4, 24, -1])
def test_only_1_3_6_or_12_months_at_a_time(session, user, months):
    member = make_member(session)
    with pytest.raises(DomainError) as refused:
        pay(session, user("petugas.serang"), member, date(2026, 1, 1), months)
    assert refused.value.field == "months"
    assert periods(session, member) == []


def test_an_unknown_channel_is_refused(session, user):
    with pytest.raises(DomainError) as refused:
        pay(session, user("petugas.serang"), make_member(session), date(2026, 1, 1), channel="cash")
    assert refused.value.field == "channel"


def test_a_deceased_member_is_refused(session, user):
    member = make_member(session)
    member.status, member.status_since, member.active = MemberStatus.DECEASED, START, False
    with pytest.raises(DomainError) as refused:
        pay(session, user("petugas.serang"), member, date(2026, 1, 1))
    assert "meninggal dunia" in str(refused.value)


def test_a_clerk_of_another_office_is_forbidden(session, user):
    member = make_member(session)  # KC Serang
    for username in ("petugas.cilegon", "petugas.salemba"):
        with pytest.raises(Forbidden):
            pay(session, user(username), member, date(2026, 1, 1))
    kcp_member = make_member(session, "B0102", nik="3604295212850078")
    with pytest.raises(Forbidden):  # a KC clerk does not record for its KCPs
        pay(session, user("petugas.serang"), kcp_member, date(2026, 1, 1))
    cilegon_member = make_member(session, "B02", nik="3672295212850079")
    with pytest.raises(Forbidden):  # nor a branch head for another KC
        pay(session, user("kepala.serang"), cilegon_member, date(2026, 1, 1))
    assert count(session, ContributionPayment, ContributionPayment.member_id == member.id) == 0


@pytest.mark.parametrize(
    "username",
    [
        "dinas.pertanian.serang",
        "diskoumperindag.serang",
        "admin",
        "kanwil.banten",
        "auditor.banten",
    ],
)
def test_other_roles_are_forbidden(session, user, username):
    member = make_member(session)
    with pytest.raises(Forbidden):
        pay(session, user(username), member, date(2026, 1, 1))
    assert periods(session, member) == []


def test_the_member_page_says_what_the_next_month_costs(session, login, user):
    member = make_member(session)  # protected from January 2026, nothing paid yet
    session.commit()
    page = get(login("petugas.serang"), f"/admin/member/details/?id={member.id}")
    assert " ".join(page.text("next-month").split()) == (
        "Iuran bulan 01/2026: Rp40.900 (potongan 50% iuran JKK dan JKM selama potongan "
        "berlaku; Rp51.800 bila dibayar anggaran pemerintah)."
    )
    # Once the discount has ended, the month costs the member's contribution, said plainly.
    rule = session.scalar(
        select(BenefitParameter).where(BenefitParameter.key == reference.discount_key("transport"))
    )
    session.delete(rule)
    session.commit()
    page = get(login("petugas.serang"), f"/admin/member/details/?id={member.id}")
    assert " ".join(page.text("next-month").split()) == "Iuran bulan 01/2026: Rp51.800"


# --------------------------------------------------------------------------------------------
# The JHT statement
# --------------------------------------------------------------------------------------------


def test_the_jht_statement_credits_each_year_with_its_declared_return(session):
    """domain.md: JHT balance = contributions + yearly returns (a rate declared each year)."""
    member = make_member(session, start=date(2024, 1, 10))  # JHT Rp30.000 a month
    factories.make_payments(session, member, date(2024, 1, 1), 24)  # paid on the 11th
    session.commit()
    statement = ledger.jht_statement(session, member.id, date(2026, 3, 20))
    y2024, y2025, y2026 = statement.years
    # 2024 at 6,2% (migration 0017): each month earns for the months after it, 66 in all
    assert (y2024.contributions, y2024.rate, y2024.returns) == (360_000, Decimal("6.2"), 10_230)
    # 2025 at 6%: 370.230 the whole year = 22.213,8, and 30.000 x 66 / 12 x 6% = 9.900
    assert (y2025.opening, y2025.returns, y2025.closing) == (370_230, 32_114, 762_344)
    # 2026 is not declared yet: 2025's 6%, for January and February, on the opening balance
    assert (y2026.rate_year, y2026.months, y2026.returns) == (2025, 2, 7_623)
    assert statement.balance == 720_000 + 10_230 + 32_114 + 7_623
    # A rate the administrator declares for 2026 is used from then on.
    session.add(JhtReturnRate(year=2026, percent=Decimal("7.5")))
    session.commit()
    again = ledger.jht_statement(session, member.id, date(2026, 3, 20))
    assert (again.years[-1].rate_year, again.years[-1].returns) == (2026, 9_529)
    assert again.notes == ()


def test_the_member_page_shows_the_jht_statement_year_by_year(session, login):
    member = make_member(session, start=date(2024, 1, 10))
    factories.make_payments(session, member, date(2024, 1, 1), 24)
    without = make_member(session, jht=False, nik="3604295212850077")
    factories.make_payments(session, without, date(2024, 1, 1), 24)
    session.commit()
    statement = ledger.jht_statement(session, member.id, today_in_jakarta())
    page = get(login("petugas.serang"), f"/admin/member/details/?id={member.id}")
    rows = page.table("jht-statement")
    assert [row[0] for row in rows] == [str(y.year) for y in statement.years]
    assert rows[0][1:] == ["Rp0", "Rp360.000", "6.2%", "Rp10.230", "Rp370.230"]
    assert rows[1][2:] == ["Rp360.000", "6%", "Rp32.114", "Rp762.344"]
    assert f"Rp{statement.balance:,}".replace(",", ".") in page.text("jht-balance")
    # The current year is not declared yet: the last declared rate, and a note saying so.
    assert "Belum ada hasil pengembangan JHT yang ditetapkan untuk tahun" in page.html
    # A member without JHT has no JHT balance, so no statement.
    page = get(login("petugas.serang"), f"/admin/member/details/?id={without.id}")
    assert not page.has_id("jht-statement") and "Saldo JHT" not in page.html
