"""The factories make valid rows (the database's constraints agree) and the empty database is empty."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.importing import check_nik
from backoffice.rules.kpj import kpj_is_valid
from models import (
    ROLE_SCOPE_COLUMN,
    BatchState,
    ClaimState,
    ClaimType,
    ContributionPayment,
    ContributionRate,
    Department,
    DocumentRequirement,
    IncomeLevel,
    Member,
    Office,
    OfficeType,
    Region,
    Role,
    User,
)
from tests.factories import (
    make_batch,
    make_claim,
    make_department,
    make_member,
    make_office,
    make_payment,
    make_payments,
    make_user,
)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_empty_database_has_the_reference_data_and_nothing_else(empty_db):
    for model in (Region, Office, Department, User, Member, ContributionPayment):
        assert count(empty_db, model) == 0, model.__name__
    for model in (ContributionRate, IncomeLevel, DocumentRequirement):
        assert count(empty_db, model) > 0, model.__name__


def test_a_member_has_a_nik_of_its_birth_date_and_sex_and_a_valid_kpj(empty_db):
    man = make_member(empty_db)
    woman = make_member(empty_db, birth_date=date(1990, 7, 25), sex="P")
    for member in (man, woman):
        assert kpj_is_valid(member.kpj)
        problems = check_nik(
            member.nik, birth_date=member.birth_date, sex=member.sex, known_regencies={"3604"}
        )
        assert problems == [], member.nik
    assert woman.nik[6:12] == "650790"  # the day plus 40 for a woman
    assert man.nik != woman.nik and man.kpj != woman.kpj


def test_a_member_pays_the_contribution_of_its_income_and_programmes(empty_db):
    assert make_member(empty_db).monthly_contribution == 16_800  # JKK 1% + JKM Rp6.800
    member = make_member(empty_db, income_level=2_000_000, programmes="JKK,JKM,JHT")
    assert (member.contribution_jkk, member.contribution_jkm, member.contribution_jht) == (
        20_000,
        6_800,
        40_000,
    )
    assert member.monthly_contribution == 66_800


def test_every_field_can_be_given_and_a_member_belongs_to_its_office(empty_db):
    office = make_office(empty_db, name="Serang", code="B01")
    member = make_member(empty_db, office=office, name="Siti Rohmah", phone=None)
    assert (member.name, member.phone, member.office, member.region) == (
        "Siti Rohmah",
        None,
        office,
        office.region,
    )


def test_a_kcp_hangs_under_its_kc_in_the_same_region(empty_db):
    kc = make_office(empty_db)
    kcp = make_office(empty_db, parent=kc)
    assert (kc.office_type, kcp.office_type) == (OfficeType.KC, OfficeType.KCP)
    assert kcp.parent is kc and kcp.region is kc.region


@pytest.mark.parametrize("role", list(Role))
def test_a_user_of_each_role_has_its_scope_and_signs_in(empty_db, login, role):
    user = make_user(empty_db, role)
    empty_db.commit()
    scope = ROLE_SCOPE_COLUMN[role]
    for column in ("region_id", "office_id", "department_id"):
        assert (getattr(user, column) is not None) == (column == scope)
    assert login(user.username).get("/admin/").status_code == 200


def test_a_liaison_is_of_the_department_given(empty_db):
    department = make_department(empty_db)
    liaison = make_user(empty_db, Role.LIAISON, department=department)
    assert liaison.department is department
    assert department.regency.region is department.office.region


def test_payments_are_consecutive_months_of_the_members_contribution(empty_db):
    member = make_member(empty_db, start_date=date(2024, 3, 20), programmes="JKK,JKM,JHT")
    payments = make_payments(empty_db, member, months=3)
    assert [p.period for p in payments] == [date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)]
    assert {p.total for p in payments} == {member.monthly_contribution}
    assert all(p.paid_on.day == 11 for p in payments)
    later = make_payment(empty_db, member, date(2024, 6, 1), jht=0)
    assert (later.period, later.jht) == (date(2024, 6, 1), 0)


@pytest.mark.parametrize("state", list(BatchState))
def test_a_batch_in_any_state_passes_the_constraints(empty_db, state):
    batch = make_batch(empty_db, state=state)
    empty_db.commit()
    assert batch.state is state
    assert batch.uploaded_by.department is batch.department
    assert batch.office is batch.department.office


@pytest.mark.parametrize("state", list(ClaimState))
def test_a_claim_in_any_state_passes_the_constraints(empty_db, state):
    claim = make_claim(empty_db, state=state)
    empty_db.commit()
    assert claim.state is state and claim.claim_type is ClaimType.JKK
    assert claim.office_id == claim.member.office_id
    assert claim.registered_by.office_id == claim.office_id


def test_a_jht_claim_has_its_reason(empty_db):
    member = make_member(empty_db, programmes="JKK,JKM,JHT")
    claim = make_claim(empty_db, member=member, claim_type=ClaimType.JHT)
    assert claim.jht_reason is not None and claim.details == {}
