from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from backoffice.clock import today_in_jakarta
from backoffice.rules import benefits, contributions
from backoffice.rules.eligibility import age_on, registration_age_finding
from backoffice.rules.kpj import kpj_is_valid
from backoffice.rules.nik import nik_findings
from backoffice.seed.bulk import seed_bulk
from backoffice.seed.demo import DEMO_MEMBERS, PEOPLE, USERS, seed_demo
from backoffice.services import reference
from models import (
    Claim,
    ClaimType,
    ContributionPayment,
    Department,
    JhtReason,
    Member,
    Office,
    OfficeType,
    Regency,
    Region,
    User,
)


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


SEEDED = (Region, Regency, Office, Department, User, Member, ContributionPayment)


def test_seeding_twice_changes_nothing(session):
    before = {m: session.scalar(select(func.count()).select_from(m)) for m in SEEDED}
    report = seed_demo(session)
    session.commit()
    assert report.total == 0
    after = {m: session.scalar(select(func.count()).select_from(m)) for m in SEEDED}
    assert before == after


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
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert "petugas.cilegon" in result.output


def test_seed_command_refuses_production(app):
    app.config["BACKOFFICE_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output


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
