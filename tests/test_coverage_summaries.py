"""The dashboards' summary tables agree with a full recount after every kind of change
(issue #19): the demo as seeded, payments recorded one by one and together, the nightly lapse
and end, a paid death claim, a member moved to another department and sector, and a row
deleted. SQLite and PostgreSQL: the triggers of migration 0019 are written for each."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update

from backoffice.rules.coverage import add_months
from backoffice.services import batches, claim_decisions, coverage, ledger, lifecycle
from models import (
    Claim,
    ClaimState,
    ContributionPayment,
    CoverageActive,
    CoverageClaims,
    CoverageMembers,
    CoveragePayments,
    Department,
    Member,
    MemberStatus,
)
from tests import factories
from tests import test_member_batches as batch_tests
from tests.fixtures import claim_world as world
from tests.steps import done
from tests.test_lifecycle import CLERK, _paid_claim, member_paying, month

settings = batch_tests.settings  # the fixture: where uploaded files go
M = world.today().replace(day=1)


def _members(session: Any, **where: Any) -> int:
    stmt = select(func.coalesce(func.sum(CoverageMembers.members), 0))
    for name, value in where.items():
        stmt = stmt.where(getattr(CoverageMembers, name) == value)
    return session.scalar(stmt)


def _active_changes(session: Any, member: Member, **where: Any) -> int:
    """The changes into and out of 'active' kept at the member's place (coverage_active)."""
    a = CoverageActive
    stmt = select(func.coalesce(func.sum(a.change), 0)).where(
        a.office_id == member.office_id,
        a.department_id == (member.department_id or 0),
        a.sector == member.sector,
        a.regency_code == (member.domicile_regency_code or ""),
    )
    for name, value in where.items():
        stmt = stmt.where(getattr(a, name) == value)
    return session.scalar(stmt)


def test_the_trend_counts_the_members_active_at_the_end_of_each_month(
    session: Any, user: Any
) -> None:
    """Active at the end of a month = active now less the changes of the months after it: a
    member active from a year ago who lapsed last month counts in every month before."""
    clerk = user(CLERK)
    place = coverage.Place(office_id=clerk.office_id)
    before = coverage.figures(session, clerk, place, world.today())
    late = member_paying(session, clerk, [month(n) for n in range(-12, -4)])
    done(session, lifecycle.run_daily, world.today())
    session.refresh(late)
    assert late.status is MemberStatus.LAPSED and late.status_since.replace(day=1) == month(-1)
    after = coverage.figures(session, clerk, place, world.today())
    assert [t["month"] for t in after.trend] == [month(n) for n in range(-11, 1)]
    grown = [a["active"] - b["active"] for a, b in zip(after.trend, before.trend, strict=True)]
    assert grown == [1] * 10 + [0, 0]
    assert after.trend[-1]["active"] == after.active
    assert coverage.differences(session) == []


def test_the_seeded_demo_agrees_with_a_recount(session: Any) -> None:
    """The demo went through the services (batches accepted, payments, paid claims)."""
    assert session.scalar(select(func.count()).select_from(Member)) > 40
    assert coverage.differences(session) == []
    assert _members(session) == session.scalar(select(func.count()).select_from(Member))
    paid = session.scalar(
        select(
            func.sum(ContributionPayment.jkk + ContributionPayment.jkm + ContributionPayment.jht)
        )
    )
    assert session.scalar(select(func.sum(CoveragePayments.amount))) == paid
    assert session.scalar(
        select(func.coalesce(func.sum(CoverageClaims.claims), 0))
    ) == session.scalar(select(func.count()).select_from(Claim))


def test_services_keep_the_summaries_equal_to_a_recount(session: Any, user: Any, app: Any) -> None:
    clerk = user(CLERK)
    # A new member, registered: then paying at the counter, active from the first payment.
    member = factories.make_member(session, office=clerk.office, start_date=M)
    session.commit()
    registered = _members(session, status="registered")
    active = _members(session, status="active")
    done(
        session,
        ledger.record_payment,
        clerk,
        member,
        period=M,
        months=3,
        paid_on=world.today(),
        channel="counter",
    )
    assert member.status is MemberStatus.ACTIVE
    assert _members(session, status="registered") == registered - 1
    assert _members(session, status="active") == active + 1
    assert coverage.differences(session) == []

    # A member six months in arrears: the nightly task lapses them (a set-based UPDATE).
    late = member_paying(session, clerk, [month(n) for n in range(-12, -4)])
    assert coverage.differences(session) == []  # eight payments recorded, one by one
    paying = _active_changes(session, late)
    this_month = _active_changes(session, late, month=M)
    done(session, lifecycle.run_daily, world.today())
    session.refresh(late)
    assert late.status is MemberStatus.LAPSED
    assert coverage.differences(session) == []
    assert _active_changes(session, late) == paying - 1  # out of active

    # Arrears paid: the payment restores the lapsed member (lapsed -> active, today).
    for period in (month(-4), month(-3)):
        done(
            session,
            ledger.record_payment,
            clerk,
            late,
            period=period,
            months=1,
            paid_on=world.today(),
            channel="counter",
        )
    session.refresh(late)
    assert late.status is MemberStatus.ACTIVE
    assert _active_changes(session, late) == paying
    assert _active_changes(session, late, month=M) == this_month + 1  # back in, this month
    assert coverage.differences(session) == []

    # A paid death claim: the claim moves through its states, the member becomes deceased.
    dying = world.paid_member(session)
    died = world.today() - timedelta(days=3)
    claim = _paid_claim(session, user, app, world.jkm_data(dying, event_date=died, children=()))
    done(
        session,
        claim_decisions.decide,
        clerk,
        claim.id,
        "pay",
        payment_reference="TRF-9",
        paid_on=world.today(),
    )
    assert session.get(Claim, claim.id).state is ClaimState.PAID
    assert coverage.differences(session) == []
    paid_month = session.scalar(
        select(func.sum(CoverageClaims.claims)).where(
            CoverageClaims.state == "paid", CoverageClaims.paid_month == M
        )
    )
    assert paid_month and paid_month >= 1

    # The member moves to a department of another sector: their payments move with them.
    department = session.scalars(select(Department).order_by(Department.id)).first()
    session.execute(
        update(Member)
        .where(Member.id == member.id)
        .values(
            department_id=department.id,
            sector="fisheries",
            domicile_regency_code="3672",
            contribution_jkm=Member.contribution_jkm + 1_000,
            monthly_contribution=Member.monthly_contribution + 1_000,
        )
    )
    session.commit()
    assert coverage.differences(session) == []
    moved = session.scalar(
        select(func.sum(CoveragePayments.payments)).where(
            CoveragePayments.department_id == department.id,
            CoveragePayments.sector == "fisheries",
            CoveragePayments.regency_code == "3672",
        )
    )
    assert moved == 3
    # ... and their changes into 'active' (coverage_active) too.
    moved_active = session.scalar(
        select(func.sum(CoverageActive.change)).where(
            CoverageActive.department_id == department.id,
            CoverageActive.sector == "fisheries",
            CoverageActive.regency_code == "3672",
        )
    )
    assert moved_active == 1

    # Rows removed (a correction of the ledger by hand): the summaries follow.
    session.execute(
        ContributionPayment.__table__.delete().where(ContributionPayment.member_id == member.id)
    )
    session.commit()
    assert coverage.differences(session) == []


def test_a_difference_is_reported_and_rebuild_repairs_it(session: Any, app: Any) -> None:
    member = factories.make_member(session, start_date=add_months(M, -2))
    session.commit()
    key = dict(region_id=member.region_id, office_id=member.office_id, status="registered")
    session.execute(
        update(CoverageMembers)
        .where(*(getattr(CoverageMembers, k) == v for k, v in key.items()))
        .where(CoverageMembers.start_month == add_months(M, -2))
        .values(members=CoverageMembers.members + 5)
    )
    session.commit()
    found = coverage.differences(session)
    # coverage_status follows coverage_members through its triggers: both now disagree.
    assert [d.table for d in found] == ["coverage_members", "coverage_status"]
    assert found[0].stored[0] == found[0].recounted[0] + 5

    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-summaries"])
    assert result.exit_code == 1 and "coverage_members" in result.output

    done(session, coverage.rebuild)
    assert coverage.differences(session) == []
    result = runner.invoke(args=["verify-summaries"])
    assert result.exit_code == 0, result.output


def test_months_are_jakarta_months(session: Any) -> None:
    """A member starting on the last day of a month counts in that month."""
    member = factories.make_member(session, start_date=date(2026, 1, 31))
    session.commit()
    assert _members(session, office_id=member.office_id, start_month=date(2026, 1, 1)) >= 1
    assert coverage.differences(session) == []


def test_batch_acceptance_counts_the_new_members_in_their_department(
    session: Any, user: Any, settings: Any
) -> None:
    liaison = user(batch_tests.LIAISON)
    before = _members(session, department_id=liaison.department_id, status="registered")
    rows = [batch_tests.person(n) for n in (1, 2, 3)]
    batch = batch_tests.submitted(session, user, settings, batch_tests.csv_bytes(rows))
    done(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert _members(session, department_id=liaison.department_id, status="registered") == before + 3
    assert coverage.differences(session) == []


def test_seed_bulk_leaves_the_summaries_equal_to_a_recount(session: Any, backend: str) -> None:
    """SQLite: the triggers count each row; PostgreSQL's fast load turns them off for the load
    and rebuilds the summaries after it."""
    from backoffice.seed.bulk import seed_bulk

    report = seed_bulk(session, 300, 30, seed=19, fast_load=backend == "postgresql")
    session.commit()
    assert report.members == 300
    assert coverage.differences(session) == []
    assert _members(session) == session.scalar(select(func.count()).select_from(Member))
    # The members' status history fills coverage_active: its changes add up to the members
    # active today, and some of them changed within the trend's twelve months.
    active = session.scalar(
        select(func.count()).select_from(Member).where(Member.status == MemberStatus.ACTIVE)
    )
    assert session.scalar(select(func.sum(CoverageActive.change))) == active
    recent = session.scalar(
        select(func.count())
        .select_from(CoverageActive)
        .where(CoverageActive.month > add_months(M, -12), CoverageActive.change != 0)
    )
    assert recent > 0
