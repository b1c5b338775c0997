"""The Banten demo data (``seed-demo``), tested on its own: the organisation, the users the README
lists, the members with their histories, and seeding again, which changes nothing."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from backoffice.audit import history, verify_chain
from backoffice.clock import today_in_jakarta
from backoffice.importing import check_nik
from backoffice.rules import benefits, contributions
from backoffice.rules.coverage import add_months, month_start
from backoffice.rules.eligibility import age_on, registration_age_finding
from backoffice.rules.kpj import kpj_is_valid
from backoffice.rules.nik import nik_findings
from backoffice.seed import demo
from backoffice.seed.bulk import seed_bulk
from backoffice.seed.demo import (
    CUTI_BERSAMA,
    DEMO_MEMBERS,
    DEPARTMENTS,
    OFFICES,
    PEOPLE,
    REGENCIES,
    REGIONS,
    USERS,
    seed_demo,
)
from backoffice.seed.targets import DEPARTMENT_TARGETS, REGENCY_TARGETS
from backoffice.seed.work import DEMO_BATCHES, DEMO_CLAIMS
from backoffice.services import claims, ledger, reference
from backoffice.services.ledger import member_ledger, record_payment
from models import (
    AuditEvent,
    BatchRow,
    BatchState,
    Claim,
    ClaimDocument,
    ClaimState,
    ClaimType,
    ContributionPayment,
    Department,
    IncomeLevel,
    JhtReason,
    Member,
    MemberBatch,
    MemberStatus,
    Office,
    OfficeProposal,
    OfficeType,
    PaymentChannel,
    ProposalState,
    Regency,
    Region,
    Role,
    User,
)

ROOT = Path(__file__).resolve().parents[1]


def months_from(first: date, n: int) -> list[date]:
    return [add_months(first, i) for i in range(n)]


def test_demo_data_has_banten_and_a_second_region(session):
    regions = set(session.scalars(select(Region.name)))
    assert regions == {"Kanwil Banten", "Kanwil DKI Jakarta"}
    kcs = set(session.scalars(select(Office.name).where(Office.office_type == OfficeType.KC)))
    assert {
        "Serang",
        "Cilegon",
        "Tangerang Batuceper",
        "Tangerang Cikokol",
        "Jakarta Salemba",
    } <= kcs
    kcps = set(session.scalars(select(Office.name).where(Office.office_type == OfficeType.KCP)))
    assert kcps == {
        "Ciputat",
        "Pasarkemis",
        "Dadap",
        "Bintaro",
        "Cilegon",
        "Lebak",
        "Cikande",
        "Labuan",
    }
    banten_codes = set(
        session.scalars(select(Regency.code).join(Region).where(Region.code == "BTN"))
    )
    assert banten_codes == {"3601", "3602", "3603", "3604", "3671", "3672", "3673", "3674"}
    departments = session.scalars(select(Department)).all()
    assert {d.name for d in departments} == {
        "Diskoumperindag Kab. Serang",
        "Dinas Pertanian Kab. Serang",
        "Dinas PU Kab. Serang",
    }
    assert {d.regency.code for d in departments} == {"3604"}


def test_every_kcp_hangs_under_a_kc_of_its_region(session):
    for office in session.scalars(select(Office).where(Office.office_type == OfficeType.KCP)):
        assert office.parent.office_type is OfficeType.KC
        assert office.parent.region_id == office.region_id


def test_demo_users_exist_with_hashed_passwords(session):
    users = {u.username: u for u in session.scalars(select(User))}
    assert set(users) == {u[0] for u in USERS}
    for user in users.values():
        assert user.password_hash != "demo1234"
        assert check_password_hash(user.password_hash, "demo1234")


SEEDED = (
    Region,
    Regency,
    Office,
    Department,
    User,
    Member,
    ContributionPayment,
    Claim,
    ClaimDocument,
    MemberBatch,
    BatchRow,
    OfficeProposal,
)


def counts(session) -> dict[type, int]:
    return {m: session.scalar(select(func.count()).select_from(m)) for m in SEEDED}


#: What the first full run adds to the test database's demo (seeded without the work).
WORK = {
    "claim": 2 + len(DEMO_CLAIMS),
    "member_batch": len(DEMO_BATCHES),
    "office_proposal": 1,
    "member_history": len(PEOPLE),
}


def test_seeding_twice_changes_nothing(session):
    # The test database's demo is seeded without the waiting work: the first run adds only it.
    assert seed_demo(session).created == WORK
    session.commit()
    before = counts(session)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    report = seed_demo(session)
    session.commit()
    assert report.total == 0 and report.created == {}
    assert counts(session) == before
    # Nothing appended to the audit trail either.
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_seeding_an_empty_database_creates_everything_once(empty_db):
    first = seed_demo(empty_db)
    empty_db.commit()
    made = counts(empty_db)
    assert first.created == {
        "region": len(REGIONS),
        "regency": len(REGENCIES),
        "office": len(OFFICES),
        "department": len(DEPARTMENTS),
        "user": len(USERS),
        "holiday_correction": len(CUTI_BERSAMA),
        "member": len(PEOPLE),
        "contribution_payment": made[ContributionPayment],
        "member_correction": 1,
        **WORK,
        "member_history": len(PEOPLE),
        "coverage_target": 1 + len(REGENCY_TARGETS) + len(DEPARTMENT_TARGETS),
    }
    # The demo people, and those accepted from the demo's decided batch (not yet paying).
    accepted = sum(len(b.people) - len(b.rejected) for b in DEMO_BATCHES if b.outcome == "decided")
    assert made[Member] == len(PEOPLE) + accepted == len(PEOPLE) + 2
    assert made[ContributionPayment] > 1000
    # Everything is keyed by its natural key: a second run finds it all and adds nothing.
    second = seed_demo(empty_db)
    empty_db.commit()
    assert second.total == 0 and counts(empty_db) == made


def readme_logins() -> list[tuple[str, str, str]]:
    """(username, role, scope) of each row of the README's "Demo logins" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Demo logins", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in table.splitlines()[2:]:  # after the header and its rule
        names, role, scope = (cell.strip() for cell in line.strip("|").split("|"))
        rows += [(name, role, scope) for name in re.findall(r"`([^`]+)`", names)]
    return rows


#: How the README names each role (the first words of its "role" column).
README_ROLES = {
    "administrator": Role.ADMIN,
    "regional head": Role.REGIONAL_HEAD,
    "branch head": Role.BRANCH_HEAD,
    "branch clerk": Role.BRANCH_CLERK,
    "department liaison": Role.LIAISON,
    "auditor": Role.AUDITOR,
}


def scope_text(user: User) -> str:
    """The scope as the README writes it."""
    if user.region is not None:
        return user.region.name
    if user.office is not None:
        return f"{user.office.office_type.value} {user.office.name}"
    if user.department is not None:
        return user.department.name
    return "everything"


def test_every_readme_demo_login_exists_with_its_role_and_scope(session, login):
    logins = readme_logins()
    assert len(logins) == len(USERS) >= 10
    users = {u.username: u for u in session.scalars(select(User))}
    assert {name for name, _role, _scope in logins} == set(users)
    for username, role, scope in logins:
        user = users[username]
        assert user.active, username
        [expected] = [r for text, r in README_ROLES.items() if role.rstrip("s").startswith(text)]
        assert user.role is expected, username
        assert scope.startswith(scope_text(user)), (username, scope)
        assert login(username).get("/admin/").status_code == 200


def test_demo_members_with_their_contributions(session):
    members = {m.nik: m for m in session.scalars(select(Member))}
    assert set(members) == {p.nik for p in PEOPLE} and len(members) >= 40
    assert set(DEMO_MEMBERS.values()) <= set(members)
    paid = dict(
        session.execute(
            select(ContributionPayment.member_id, func.count()).group_by(
                ContributionPayment.member_id
            )
        ).all()
    )
    assert {m.id for m in members.values()} == set(paid)


def test_seed_command_is_idempotent_and_prints_logins(app):
    # The test database's demo has no work yet: the first run loads it, the second nothing.
    first = app.test_cli_runner().invoke(args=["seed-demo"])
    assert first.output.startswith(f"Demo data loaded: {WORK['claim']} claim,"), first.output
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert "petugas.cilegon" in result.output


def test_seed_command_refuses_production(app):
    app.config["BACKOFFICE_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output


# --------------------------------------------------------------------------------------------
# The demo members
# --------------------------------------------------------------------------------------------


def demo_member(session, key: str) -> Member:
    member = session.scalar(select(Member).where(Member.nik == demo.DEMO_MEMBERS[key]))
    assert member is not None, key
    return member


def last_paid_month(summary) -> date:
    """The month of the member's last payment."""
    return month_start(max(p.paid_on for p in summary.payments))


def age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_the_named_demo_members_are_in_their_situations(session):
    today = today_in_jakarta()
    long_paid = member_ledger(session, demo_member(session, "serang_long_paid"), today)
    assert long_paid.paid_months >= 36 and long_paid.covered and long_paid.arrears_months == 0
    assert long_paid.protection_ends > today

    for key in (
        "serang_in_arrears",
        "serang_lapsed",
        "serang_age_56_in_arrears",
        "serang_department_arrears",
        "cilegon_in_arrears",
        "salemba_in_arrears",
    ):
        summary = member_ledger(session, demo_member(session, key), today)
        assert not summary.covered, key
        assert summary.protection_ends < today, key
        assert summary.arrears_months == len(summary.unpaid_months) >= 4, key
        assert last_paid_month(summary) <= add_months(month_start(today), -5), key

    caught_up = demo_member(session, "serang_caught_up")
    summary = member_ledger(session, caught_up, today)
    assert summary.covered and summary.arrears_months == 0
    late = [p for p in summary.payments if month_start(p.paid_on) > p.period]
    assert len(late) == 5  # the five months of the gap, paid with the sixth
    gap = min(p.period for p in late)
    during = member_ledger(session, caught_up, add_months(gap, 4).replace(day=20))
    assert not during.covered and during.arrears_months == 5

    recent = member_ledger(session, demo_member(session, "serang_recent"), today)
    assert 2 <= len(recent.payments) <= 3 and recent.covered

    short = member_ledger(session, demo_member(session, "serang_short_arrears"), today)
    assert short.covered and 1 <= short.arrears_months <= 3 and short.protection_ends > today

    for key in ("serang_age_56", "cilegon_age_56"):
        member = demo_member(session, key)
        summary = member_ledger(session, member, today)
        assert age(member.birth_date, today) >= 56 and "JHT" in member.programmes, key
        assert summary.covered and summary.paid_months >= 36, key
        assert summary.jht_balance == member.contribution_jht * len(summary.payments) > 0, key

    jht = member_ledger(session, demo_member(session, "serang_jht_long"), today)
    assert jht.jht_balance > 0 and jht.paid_months >= 36 and jht.covered

    department = demo_member(session, "serang_department_paid")
    summary = member_ledger(session, department, today)
    assert department.department_id is not None and summary.covered
    assert {(p.channel, p.payer_department_id) for p in summary.payments} == {
        (PaymentChannel.PAYER, department.department_id)
    }

    for key in ("cilegon_paid", "kcp_cikande_paid", "salemba_paid"):
        assert member_ledger(session, demo_member(session, key), today).covered, key


def test_kc_serang_has_long_paid_and_lapsed_members(session):
    today = today_in_jakarta()
    serang = session.scalar(select(Office).where(Office.code == "B01"))
    summaries = [
        member_ledger(session, m, today)
        for m in session.scalars(select(Member).where(Member.office_id == serang.id))
    ]
    long_paid = [s for s in summaries if s.paid_months >= 36 and s.covered]
    assert len(long_paid) >= 3
    assert any(age(s.member.birth_date, today) >= 56 and s.jht_balance > 0 for s in long_paid)
    lapsed = [
        s
        for s in summaries
        if not s.covered and last_paid_month(s) <= add_months(month_start(today), -5)
    ]
    assert len(lapsed) >= 3


def test_the_ledger_agrees_with_the_claims_rules(session):
    today = today_in_jakarta()
    for member in session.scalars(select(Member).where(Member.batch_id.is_(None))):
        summary = member_ledger(session, member, today)
        cover = claims.member_coverage(session, member, today)
        assert (summary.covered, summary.arrears_months, summary.paid_months) == (
            cover.covered,
            cover.arrears_months,
            cover.paid_months,
        ), member.name
        assert summary.protection_ends == cover.protection_ends
        assert summary.jht_balance == claims.jht_balance(session, member.id, today)


def test_demo_members_are_valid_people(session):
    members = session.scalars(select(Member).where(Member.nik.in_([p.nik for p in demo.PEOPLE])))
    members = list(members)
    assert len(members) == len(demo.PEOPLE) >= 40
    assert set(demo.DEMO_MEMBERS.values()) <= {m.nik for m in members}
    regencies = frozenset(session.scalars(select(Regency.code)))
    levels = reference.income_levels_on(session, today_in_jakarta())
    clerks = {u.id: u for u in session.scalars(select(User).where(User.role == Role.BRANCH_CLERK))}
    for m in members:
        assert check_nik(m.nik, birth_date=m.birth_date, sex=m.sex, known_regencies=regencies) == []
        assert kpj_is_valid(m.kpj), m.kpj
        assert 20 <= age(m.birth_date, demo.DEMO_REFERENCE_DAY) <= 62, m.name
        assert 18 <= age(m.birth_date, m.start_date) < 65, m.name
        assert date(2019, 1, 1) <= m.start_date <= today_in_jakarta()
        assert m.income_level in levels and 1_000_000 <= m.income_level <= 3_000_000
        chosen = m.programmes.split(",")
        assert chosen[:2] == ["JKK", "JKM"]
        expected = contributions.monthly_contribution(
            m.income_level, chosen, reference.rates_on(session, m.start_date)
        )
        assert (m.contribution_jkk, m.contribution_jkm, m.contribution_jht) == (
            expected.jkk,
            expected.jkm,
            expected.jht,
        )
        # Active unless the membership ended (past the window for arrears).
        assert m.batch_id is None and m.active is (m.status.value != "ended")
        clerk = clerks[m.registered_by_id]
        assert clerk.office_id in (m.office_id, m.office.parent_id)
        if m.department_id is not None:
            assert m.department.office_id == m.office_id and m.nik.startswith("3604")
    assert len({m.kpj for m in members}) == len({m.nik for m in members}) == len(members)
    assert sum(age(m.birth_date, demo.DEMO_REFERENCE_DAY) >= 56 for m in members) >= 2
    with_jht = sum("JHT" in m.programmes for m in members)
    assert 0.35 <= with_jht / len(members) <= 0.65  # about half also JHT
    offices = Counter(m.office.code for m in members)
    assert offices["B01"] >= 20 and offices["B02"] >= 6 and offices["D21"] >= 3
    assert sum(n for code, n in offices.items() if code.startswith("B01") and code != "B01") >= 2
    assert all(m.office.office_type is OfficeType.KCP for m in members if len(m.office.code) > 3)
    assert sum(m.department_id is not None for m in members) >= 5
    assert len({m.start_date.year for m in members}) >= 6


def test_demo_payments_look_real(session):
    today = today_in_jakarta()
    rows = session.execute(
        select(ContributionPayment, Member).join(Member).where(Member.batch_id.is_(None))
    ).all()
    assert len(rows) > 1000
    discounts = reference.discounts(session)
    discounted: Counter[bool] = Counter()
    channels = Counter(p.channel for p, _m in rows)
    assert set(channels) == set(PaymentChannel)
    for payment, member in rows:
        assert payment.period.day == 1 and payment.period >= month_start(member.start_date)
        assert member.start_date <= payment.paid_on <= today
        assert payment.period <= add_months(month_start(payment.paid_on), 12)
        # The ledger's rule: the discount of the member's sector for the month, unless a
        # department pays.
        standard = ledger.member_contribution(member)
        expected = contributions.month_contribution(
            standard, payment.period, payment.channel, discounts, member.sector
        )
        assert (payment.jkk, payment.jkm, payment.jht) == (expected.jkk, expected.jkm, expected.jht)
        if payment.channel is PaymentChannel.PAYER:
            assert expected == standard
        discounted[expected.total < member.monthly_contribution] += 1
        assert payment.reference
        assert (payment.channel is PaymentChannel.PAYER) == (member.department_id is not None)
        if payment.channel is PaymentChannel.PAYER:
            assert payment.payer_department_id == member.department_id
    days = Counter(5 <= p.paid_on.day <= 15 for p, _m in rows)
    assert days[True] > 2 * days[False]
    assert discounted[True] > 100 and discounted[False] > 100


def test_recording_on_a_demo_member_in_arrears(session, user):
    """The month after the last one paid can be recorded today; its ledger moves on."""
    today = today_in_jakarta()
    member = demo_member(session, "serang_in_arrears")
    before = member_ledger(session, member, today)
    payments = record_payment(
        session,
        user("petugas.serang"),
        member,
        period=before.first_unpaid,
        months=3,
        paid_on=today,
        channel=PaymentChannel.COUNTER,
    )
    after = member_ledger(session, member, today)
    assert len(after.payments) == len(before.payments) + 3
    assert after.arrears_months == before.arrears_months - 3
    assert after.unpaid_months == before.unpaid_months[3:]
    assert payments[0].period == before.unpaid_months[0]


def test_demo_histories_end_on_the_day_of_seeding():
    """Pure: a history is placed relative to the day it is seeded."""
    person = next(p for p in demo.PEOPLE if p.key == "serang_caught_up")
    for end in (date(2026, 11, 1), date(2028, 3, 1)):
        blocks = demo._history(person, add_months(end, -person.start_ago), end)
        months = [add_months(b.first, i) for b in blocks for i in range(b.months)]
        assert months == months_from(add_months(end, -person.start_ago), person.start_ago + 1)
        [catch_up] = [b for b in blocks if b.paid_in != b.first]
        assert (catch_up.first, catch_up.months) == (add_months(end, -20), 6)
    arrears = next(p for p in demo.PEOPLE if p.key == "serang_in_arrears")
    blocks = demo._history(arrears, date(2023, 7, 5), date(2026, 11, 1))
    assert add_months(blocks[-1].first, blocks[-1].months - 1) == date(2026, 4, 1)
    assert {b.months for b in blocks} <= {1, 3, 6, 12}


def test_income_levels_of_the_demo_exist(session):
    amounts = set(session.scalars(select(IncomeLevel.amount)))
    assert {p.income for p in demo.PEOPLE} <= amounts


# --- the bulk generator keeps the rules --------------------------------------------------------


def test_bulk_members_and_claims_keep_the_rules(session):
    report = seed_bulk(session, 80, 40, seed=4)
    session.commit()
    assert (report.members, report.claims) == (80, 40)
    today = today_in_jakarta()
    params = reference.parameters_on(session, today)
    ages = reference.registration_ages(params)
    rates = reference.rates_on(session, today)
    regencies = frozenset(session.scalars(select(Regency.code)))
    members = session.scalars(select(Member).order_by(Member.id.desc()).limit(80)).all()
    for m in members:
        assert kpj_is_valid(m.kpj)
        assert (
            nik_findings(m.nik, birth_date=m.birth_date, sex=m.sex, known_regencies=regencies) == []
        )
        if m.batch_id is None:  # a batch's members start on the day it was accepted
            assert registration_age_finding(m.birth_date, m.start_date, ages) is None
        expected = contributions.monthly_contribution(
            m.income_level, m.programmes.split(","), rates
        )
        assert (m.contribution_jkk, m.contribution_jkm, m.contribution_jht) == (
            expected.jkk,
            expected.jkm,
            expected.jht,
        )
    claims = session.scalars(select(Claim).where(Claim.member_id.in_([m.id for m in members])))
    kinds = set()
    for claim in claims:
        kinds.add(claim.claim_type)
        assert nik_findings(claim.claimant_nik, known_regencies=regencies) == [], claim.claimant_nik
        details = claim.details
        if claim.claim_type is ClaimType.JKM:
            assert claim.amount == benefits.jkm_benefit(params, contribution_months=0).total
        elif claim.claim_type is ClaimType.JKK:
            assert (
                claim.amount
                == benefits.jkk_benefit(
                    params,
                    income=claim.member.income_level,
                    treatment_cost=details["treatment_cost"],
                    transport_mode=details["transport_mode"],
                    transport_cost=details["transport_cost"],
                    stmb_days=details["stmb_days"],
                ).total
            )
        else:
            old_enough = (
                age_on(claim.member.birth_date, claim.event_date) >= params["jht.retirement_age"]
            )
            assert (claim.jht_reason is JhtReason.AGE) == old_enough
    assert kinds == set(ClaimType)


def test_bulk_members_stand_where_their_payments_put_them(session):
    """seed-bulk writes each member's payments and status history; the stored status, its
    day, lapses_on/ends_on and the history are what the lifecycle rule makes of the payments
    (so the nightly task changes nothing), and the members spread over sectors and domiciles."""
    from backoffice.rules import lifecycle
    from models import ContributionPayment, MemberStatusChange

    report = seed_bulk(session, 400, 0, seed=7)
    session.commit()
    assert report.payments > 400 and report.status_changes > 0
    today = today_in_jakarta()
    rules = reference.lifecycle_rules_on(session, today)
    members = session.scalars(select(Member).order_by(Member.id.desc()).limit(400)).all()
    ids = [m.id for m in members]
    by_id = {m.id: m for m in members}
    discounts = reference.discounts(session)
    paid: dict[int, list[lifecycle.Paid]] = {}
    discounted = 0
    for p in session.scalars(
        select(ContributionPayment).where(ContributionPayment.member_id.in_(ids))
    ):
        paid.setdefault(p.member_id, []).append(lifecycle.Paid(p.period, p.paid_on))
        m = by_id[p.member_id]
        standard = contributions.Contribution(
            jkk=m.contribution_jkk, jkm=m.contribution_jkm, jht=m.contribution_jht
        )
        # Each month what it cost through its channel (PP 50/2025 by sector; none for a
        # department's budget).
        cost = contributions.month_contribution(standard, p.period, p.channel, discounts, m.sector)
        assert (p.jkk, p.jkm, p.jht) == (cost.jkk, cost.jkm, cost.jht)
        assert (p.channel is PaymentChannel.PAYER) == (m.department_id is not None)
        discounted += cost.total < standard.total
    history: dict[int, list[tuple[Any, ...]]] = {}
    for row in session.execute(
        select(
            MemberStatusChange.member_id,
            MemberStatusChange.day,
            MemberStatusChange.from_status,
            MemberStatusChange.to_status,
            MemberStatusChange.reason,
        )
        .where(MemberStatusChange.member_id.in_(ids))
        .order_by(MemberStatusChange.member_id, MemberStatusChange.day)
    ):
        history.setdefault(row[0], []).append(tuple(row[1:]))
    statuses = Counter()
    for m in members:
        standing, changes = lifecycle.replay(paid.get(m.id, []), today, rules)
        assert (m.status, m.status_since) == (standing.status, standing.since), m.kpj
        assert (m.lapses_on, m.ends_on) == lifecycle.stored_dates(standing), m.kpj
        assert m.active == (m.status not in lifecycle.INACTIVE)
        assert history.get(m.id, []) == [(c.day, c.before, c.after, c.reason) for c in changes], (
            m.kpj
        )
        # The nightly task has nothing left to do for this member.
        assert lifecycle.daily_step(standing, today)[1] == []
        statuses[m.status] += 1
    assert {MemberStatus.REGISTERED, MemberStatus.ACTIVE, MemberStatus.LAPSED} <= set(statuses)
    assert statuses[MemberStatus.ACTIVE] > statuses[MemberStatus.REGISTERED]
    assert len({m.sector for m in members}) >= 4
    assert all(m.domicile_regency_code for m in members)
    assert discounted > 0  # the months of 2026 the PP 50/2025 discount covers
    with_department = [m for m in members if m.department_id is not None]
    sectors = {d.id: d.sector for d in session.scalars(select(Department))}
    assert all(
        m.sector == sectors[m.department_id]
        for m in with_department
        if sectors.get(m.department_id)
    )


def test_the_demo_jht_claim_pays_contributions_and_returns_year_by_year(session):
    """domain.md: "JHT balance = contributions + yearly returns"; one line per year."""
    seed_demo(session)
    member = demo_member(session, "serang_jht_long")
    (claim,) = session.scalars(select(Claim).where(Claim.member_id == member.id))
    assert claim.claim_type is ClaimType.JHT and claim.state is ClaimState.SUBMITTED
    statement = ledger.jht_statement(session, member.id, claim.event_date)
    assert len(statement.years) >= 6 and statement.returns > 0
    assert [line["code"] for line in claim.breakdown["lines"]] == [
        f"jht.year.{y.year}" for y in statement.years
    ]
    assert claim.amount == statement.balance == statement.contributions + statement.returns


def test_the_demo_jkk_death_claim_has_two_children_and_their_yearly_schedule(session):
    """PP 82/2019: the scholarship each school year for at most 2 children; JKK no minimum."""
    seed_demo(session)
    member = demo_member(session, "serang_jkk_death")
    (claim,) = session.scalars(select(Claim).where(Claim.member_id == member.id))
    assert claim.claim_type is ClaimType.JKK and claim.details["death"] is True
    assert [(c.name, c.school_level) for c in claim.children] == [
        (name, level) for name, _, level in demo.JKK_CHILDREN
    ]
    schedule = claims.shown_schedule(claim)
    assert {y["child"] for y in schedule} == {1, 2}
    now = [y for y in schedule if y["paid_now"]]
    assert len(now) == 2 and len({y["school_year"] for y in now}) == 1
    assert len(schedule) > 10  # the later school years, paid year by year
    lines = [line for line in claim.breakdown["lines"] if line["code"].startswith("scholarship")]
    assert [line["amount"] for line in lines] == [y["amount"] for y in now]


def test_a_driver_and_a_farmer_of_kc_serang_show_the_pp_50_2025_difference(session):
    """PP 50/2025: transport pays half of JKK and JKM from January 2026, the other sectors from
    April 2026 (both to December 2026 at least); JHT is never discounted."""
    driver, farmer = demo_member(session, "serang_transport"), demo_member(session, "serang_farmer")
    assert (driver.sector, farmer.sector) == ("transport", "agriculture")
    assert driver.office.code == farmer.office.code == "B01"

    def month(member, period):
        return session.scalar(
            select(ContributionPayment).where(
                ContributionPayment.member_id == member.id, ContributionPayment.period == period
            )
        )

    january, may = date(2026, 1, 1), date(2026, 5, 1)
    for member, whole_in_january in ((driver, False), (farmer, True)):
        jan, mid = month(member, january), month(member, may)
        half_jkk = round(member.contribution_jkk / 2)
        assert jan.jkk == (member.contribution_jkk if whole_in_january else half_jkk)
        assert mid.jkk == half_jkk and mid.jkm == member.contribution_jkm // 2
        assert jan.jht == mid.jht == member.contribution_jht


# --------------------------------------------------------------------------------------------
# The membership lifecycle in the demo (issue #17), as petugas.serang
# --------------------------------------------------------------------------------------------


def test_every_demo_member_has_the_status_of_their_history(session):
    from backoffice.rules import lifecycle as rule
    from backoffice.services import lifecycle

    today = today_in_jakarta()
    members = list(session.scalars(select(Member).where(Member.batch_id.is_(None))))
    histories = lifecycle.histories(session, [m.id for m in members])
    rules = lifecycle.rules_on(session, today)
    for member in members:
        expected = rule.standing_on(histories.get(member.id, []), today, rules)
        assert (member.status, member.status_since) == (expected.status, expected.since)
        assert member.active is (expected.status not in rule.INACTIVE), member.name
    statuses = Counter(m.status.value for m in members)
    assert statuses["active"] and statuses["lapsed"] and statuses["ended"], statuses


def test_the_lifecycle_demo_members_for_petugas_serang(session, user):
    from backoffice.errors import DomainError
    from backoffice.transaction import unit_of_work
    from models import MemberStatus
    from tests.fixtures import claim_world as world

    clerk = user("petugas.serang")
    today = today_in_jakarta()
    scattered = demo_member(session, "serang_scattered")
    summary = member_ledger(session, scattered, today)
    assert scattered.status is MemberStatus.ACTIVE and summary.covered
    paid = {p.period for p in summary.payments}
    this_month = month_start(today)
    assert {add_months(this_month, -k) for k in (10, 7, 4, 2)}.isdisjoint(paid)

    lapsed = demo_member(session, "serang_four_unpaid")
    summary = member_ledger(session, lapsed, today)
    assert lapsed.status is MemberStatus.LAPSED and summary.arrears_months == 4
    try:
        with unit_of_work(session):
            claims.register_claim(session, clerk, world.jkm_data(lapsed, children=()))
        raise AssertionError("the claim of a lapsed member was registered")
    except DomainError as refused:
        assert "nonaktif sejak" in str(refused)
    with unit_of_work(session):
        record_payment(
            session,
            clerk,
            lapsed,
            period=summary.unpaid_months[0],
            months=1,
            paid_on=today,
            channel="counter",
        )
        record_payment(
            session,
            clerk,
            lapsed,
            period=summary.unpaid_months[1],
            months=1,
            paid_on=today,
            channel="counter",
        )
    session.refresh(lapsed)
    assert (lapsed.status, lapsed.status_since) == (MemberStatus.ACTIVE, today)

    ended = demo_member(session, "serang_past_window")
    assert ended.status is MemberStatus.ENDED and not ended.active
    first_unpaid = member_ledger(session, ended, today).unpaid_months[0]
    try:
        with unit_of_work(session):
            record_payment(
                session, clerk, ended, period=first_unpaid, paid_on=today, channel="counter"
            )
        raise AssertionError("a payment past the window was recorded")
    except DomainError as refused:
        assert "Kepesertaan berakhir pada" in str(refused)


# --------------------------------------------------------------------------------------------
# The waiting work: made through the services, every record with its history
# --------------------------------------------------------------------------------------------


def recorded(session, record_type: str) -> set[str]:
    """The ids of the records of ``record_type`` that have at least one audit event."""
    return set(
        session.scalars(select(AuditEvent.record_id).where(AuditEvent.record_type == record_type))
    )


def test_every_record_the_demo_made_has_its_history_and_the_chain_verifies(session):
    seed_demo(session)
    session.commit()
    result = verify_chain(session)
    assert result.ok, result
    assert result.checked == session.scalar(select(func.count()).select_from(AuditEvent)) > 100
    for model, record_type in (
        (Claim, "claim"),
        (MemberBatch, "member_batch"),
        (OfficeProposal, "office_proposal"),
        (Member, "member"),
    ):
        ids = {str(i) for i in session.scalars(select(model.id))}
        assert ids and ids <= recorded(session, record_type), model.__name__
    # A member accepted from a batch: registered from the batch's row, by the clerk.
    member = session.scalar(select(Member).where(Member.batch_id.is_not(None)))
    [created] = history(session, "member", member.id)
    assert created.action == "create" and created.actor_username == "petugas.serang"
    assert json.loads(created.details)["batch"] == member.batch_id
    # A demo member's status has its history: registered, then each change of the ledger.
    lapsed = demo_member(session, "serang_four_unpaid")
    events = history(session, "member", lapsed.id)
    assert [e.action for e in events][0] == "create"
    assert events[-1].action == "status" and events[-1].to_state == MemberStatus.LAPSED.value


def test_work_waits_for_each_demo_role(session):
    seed_demo(session)
    session.commit()
    # The regional head: a KCP proposed and submitted by the branch head.
    [proposal] = session.scalars(select(OfficeProposal))
    assert proposal.state is ProposalState.SUBMITTED and proposal.office_type is OfficeType.KCP
    assert proposal.region.code == "BTN" and proposal.proposed_by.username == "kepala.serang"
    # The clerk's registration queue: two batches sent, one with a row the checks refused; the
    # liaisons: a decided batch with a rejected row, a draft never sent.
    states = {b.filename: b for b in session.scalars(select(MemberBatch))}
    waiting = [b for b in states.values() if b.state is BatchState.SUBMITTED]
    assert len(waiting) == 2 and sorted(b.invalid_count for b in waiting) == [0, 1]
    assert {b.state for b in states.values()} == {
        BatchState.SUBMITTED,
        BatchState.DRAFT,
        BatchState.PARTIALLY_ACCEPTED,
    }
    [decided] = [b for b in states.values() if b.state is BatchState.PARTIALLY_ACCEPTED]
    assert decided.rejected_count == 1 and decided.accepted_count == 2
    # Claims at every stage.
    limit = reference.parameters_on(session, today_in_jakarta())["approval.limit.branch_clerk"]
    by_stage = Counter()
    for claim in session.scalars(select(Claim)):
        if claim.state is ClaimState.SUBMITTED:
            by_stage["new" if claim.complete_at is None and not claim.documents else "missing"] += 1
        elif claim.state is ClaimState.VERIFIED and claim.approval_level is Role.BRANCH_CLERK:
            by_stage["waiting"] += 1
        elif claim.state is ClaimState.VERIFIED and claim.approval_level is Role.BRANCH_HEAD:
            assert claim.amount > limit
            by_stage["escalated"] += 1
        elif claim.state is ClaimState.RETURNED:
            assert claim.decision_comment
            by_stage["returned"] += 1
        elif claim.state is ClaimState.PAID:
            assert claim.payment_reference and claim.paid_by.username == "petugas.serang"
            by_stage["paid"] += 1
    assert by_stage == {
        "new": 2,
        "missing": 1,
        "waiting": 1,
        "escalated": 1,
        "returned": 1,
        "paid": 1,
    }
    # Members in arrears and lapsed.
    statuses = Counter(session.scalars(select(Member.status)))
    assert statuses[MemberStatus.LAPSED] and statuses[MemberStatus.ENDED]
