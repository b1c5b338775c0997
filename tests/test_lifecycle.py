"""The membership lifecycle on a real database (SQLite and PostgreSQL): payments, claims, the
nightly task and migration 0015 (``backoffice.services.lifecycle``).

Each test is one "Done means" item of issue #17. Dates are relative to today in Jakarta (the
claims service judges events against it): ``M`` is this month.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backoffice.audit import verify_chain
from backoffice.errors import DomainError
from backoffice.rules import lifecycle as rule
from backoffice.rules.coverage import add_months, same_day_months_later
from backoffice.services import claim_decisions, claim_documents, ledger, lifecycle
from backoffice.services import claims as service
from models import (
    AuditEvent,
    Claim,
    ClaimState,
    ClaimType,
    ContributionPayment,
    JhtReason,
    Member,
    MemberStatus,
    MemberStatusChange,
    Office,
    Relationship,
)
from tests import factories
from tests.fixtures import claim_world as world
from tests.fixtures.org import Org, make_org
from tests.html_page import Page
from tests.steps import done

S = MemberStatus
CLERK, SECOND_CLERK = "petugas.serang", "petugas2.serang"
M = world.today().replace(day=1)


@pytest.fixture(autouse=True)
def org(empty_db: Any) -> Org:
    return make_org(empty_db)


def month(n: int) -> date:
    """The month ``n`` months from this one."""
    return add_months(M, n)


def record(session: Any, clerk: Any, member: Member, months: list[date]) -> None:
    """Each month paid at the counter on its 11th and recorded that day, as the clerk would."""
    for period in months:
        day = min(period.replace(day=11), world.today())
        done(
            session,
            ledger.record_payment,
            clerk,
            member,
            period=period,
            paid_on=day,
            channel="counter",
            today=day,
        )


def member_paying(session: Any, clerk: Any, months: list[date], **kwargs: Any) -> Member:
    member = factories.make_member(
        session,
        office=_serang(session),
        start_date=months[0],
        **kwargs,
    )
    session.commit()
    record(session, clerk, member, months)
    return member


def _serang(session: Any) -> Office:
    return session.scalar(select(Office).where(Office.code == "B01"))


def changes(session: Any, member: Member) -> list[tuple[S, S, str]]:
    return [(c.from_status, c.to_status, c.reason) for c in lifecycle.timeline(session, member)]


def nightly(session: Any, day: date | None = None) -> lifecycle.DailyRun:
    return done(session, lifecycle.run_daily, day or world.today())


# --- scattered months: covered ----------------------------------------------------------------


def test_scattered_missed_months_keep_the_member_covered(session, user):
    """domain.md: "scattered missed months do not" end the protection: four months missed
    over the year, never two in a row."""
    clerk = user(CLERK)
    months = [month(n) for n in range(-12, 0) if n not in (-11, -8, -5, -2)]
    member = member_paying(session, clerk, months)
    nightly(session)
    session.refresh(member)
    assert member.status is S.ACTIVE and member.active
    assert changes(session, member) == [(S.REGISTERED, S.ACTIVE, rule.FIRST_PAYMENT)]
    claim = done(session, service.register_claim, clerk, world.jkm_data(member, children=()))
    assert claim.amount == 42_000_000


# --- four consecutive months: lapsed, claim refused; arrears within the window: active -------


def test_four_consecutive_unpaid_months_lapse_refuse_claims_and_arrears_restore(session, user):
    """domain.md: "more than 3 consecutive unpaid months ends the protection (lapsed)"; "Arrears
    can be paid up to 3 months after protection ended, which restores it"."""
    clerk = user(CLERK)
    member = member_paying(session, clerk, [month(n) for n in range(-12, -4)])
    ended = month(-1).replace(day=15)  # the fourth month unpaid is last month
    assert nightly(session).lapsed == 1
    session.refresh(member)
    assert (member.status, member.status_since) == (S.LAPSED, ended + timedelta(days=1))
    assert member.active and member.ends_on == same_day_months_later(ended, 3) + timedelta(days=1)

    event = world.today() - timedelta(days=3)
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, clerk, world.jkm_data(member, event_date=event))
    assert str(refused.value) == (
        f"Peserta tidak terlindungi pada {event:%d/%m/%Y}: nonaktif sejak "
        f"{ended + timedelta(days=1):%d/%m/%Y}, perlindungan berakhir pada {ended:%d/%m/%Y} "
        "setelah lebih dari 3 bulan berturut-turut iuran tidak dibayar."
    )

    # Two months of arrears paid today, within the window: three unpaid months at most remain.
    done(
        session,
        ledger.record_payment,
        clerk,
        member,
        period=month(-4),
        months=1,
        paid_on=world.today(),
        channel="counter",
    )
    done(
        session,
        ledger.record_payment,
        clerk,
        member,
        period=month(-3),
        months=1,
        paid_on=world.today(),
        channel="counter",
    )
    session.refresh(member)
    assert (member.status, member.status_since) == (S.ACTIVE, world.today())
    assert changes(session, member)[-2:] == [
        (S.ACTIVE, S.LAPSED, rule.ARREARS),
        (S.LAPSED, S.ACTIVE, rule.ARREARS_PAID),
    ]
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == "member", AuditEvent.action == "status")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert (event.from_state, event.to_state, event.actor_id) == ("lapsed", "active", clerk.id)
    assert json.loads(event.details)["reason"] == rule.ARREARS_PAID
    assert verify_chain(session).ok


# --- past the window: refused, ended ----------------------------------------------------------


def test_past_the_window_the_payment_is_refused_and_the_membership_ended(session, user, login):
    """domain.md: "past that window the membership ends"."""
    clerk = user(CLERK)
    member = member_paying(session, clerk, [month(n) for n in range(-14, -7)])
    protection_ended = month(-4).replace(day=15)
    window = month(-1).replace(day=15)
    run = nightly(session)
    assert (run.lapsed, run.ended) == (1, 1)  # both caught up in one night
    session.refresh(member)
    assert (member.status, member.status_since) == (S.ENDED, window + timedelta(days=1))
    assert not member.active
    before = session.scalar(select(func.count()).select_from(ContributionPayment))
    with pytest.raises(DomainError) as refused:
        done(
            session,
            ledger.record_payment,
            clerk,
            member,
            period=month(-7),
            months=3,
            paid_on=world.today(),
            channel="counter",
        )
    assert str(refused.value) == (
        f"Kepesertaan berakhir pada {window + timedelta(days=1):%d/%m/%Y}: perlindungan "
        f"berakhir pada {protection_ended:%d/%m/%Y} dan tunggakan tidak dibayar dalam 3 bulan "
        f"(paling lambat {window:%d/%m/%Y}). Iuran yang dibayar pada "
        f"{world.today():%d/%m/%Y} tidak dapat dicatat."
    )
    assert session.scalar(select(func.count()).select_from(ContributionPayment)) == before
    page = Page(login(CLERK).get(f"/admin/member/details/?id={member.id}"))
    assert page.status == 200
    assert "berakhir" in page.text("member-status")
    assert (
        f"Kepesertaan berakhir pada {window + timedelta(days=1):%d/%m/%Y}: hanya iuran yang "
        "dibayar sebelum tanggal itu"
    ) in page.text("protection")


# --- a paid death claim: deceased in the same step -------------------------------------------


def _paid_claim(session: Any, user: Any, app: Any, data: service.ClaimData) -> Claim:
    settings = claim_documents.DocumentSettings.from_config(app.config, app.instance_path)
    claim = done(session, service.register_claim, user(CLERK), data)
    for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
        content, filename = world.document_bytes(index)
        document = done(
            session,
            claim_documents.upload_document,
            user(CLERK),
            claim,
            requirement.id,
            content,
            filename,
            settings=settings,
        )
        done(session, claim_documents.check_document, user(CLERK), document)
    done(session, claim_decisions.decide, user(CLERK), claim.id, "verify")
    for by in (SECOND_CLERK, "kepala.serang", "kanwil.banten"):  # up to the level of its amount
        if claim.state is ClaimState.VERIFIED:
            done(session, claim_decisions.decide, user(by), claim.id, "approve")
    assert claim.state is ClaimState.APPROVED
    return claim


def test_a_paid_death_claim_makes_the_member_deceased_in_the_same_step(session, user, app, login):
    """domain.md: "A paid death claim (JKM, or JKK death) ends the membership in the same
    step; contributions paid for later months are refunded"."""
    member = world.paid_member(session)
    factories.make_payments(session, member, month(0), 3)  # this month and two ahead
    session.commit()
    died = world.today() - timedelta(days=3)
    claim = _paid_claim(session, user, app, world.jkm_data(member, event_date=died, children=()))
    claim_decisions.decide(
        session, user(CLERK), claim.id, "pay", payment_reference="TRF-1", paid_on=world.today()
    )
    session.refresh(member)
    assert (claim.state, member.status, member.active) == (ClaimState.PAID, S.DECEASED, False)
    session.rollback()  # one transaction: the payment of the claim and the death go together
    session.refresh(member)
    assert member.status is not S.DECEASED and session.get(Claim, claim.id).state is not (
        ClaimState.PAID
    )

    done(
        session,
        claim_decisions.decide,
        user(CLERK),
        claim.id,
        "pay",
        payment_reference="TRF-1",
        paid_on=world.today(),
    )
    session.refresh(member)
    assert (member.status, member.status_since) == (S.DECEASED, world.today())
    [change] = [c for c in lifecycle.timeline(session, member) if c.to_status is S.DECEASED]
    assert (change.reason, change.claim_id) == (rule.DEATH_CLAIM_PAID, claim.id)
    later = [month(n) for n in range(0 if died.month == M.month else -1, 3)][1:]
    refunds = lifecycle.refunds(session, member)
    assert [p.period for p in refunds] == later and later
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "status", AuditEvent.to_state == "deceased")
    ).one()
    assert json.loads(event.details)["refund_total"] == sum(p.total for p in refunds)

    # The member page offers neither a contribution nor a claim, and lists the refunds.
    page = Page(login(CLERK).get(f"/admin/member/details/?id={member.id}"))
    assert not page.has_id("register-claim") and not page.has_id("record-contribution")
    assert "meninggal dunia" in page.text("member-status")
    assert page.has_id("refunds") and later[-1].strftime("%m/%Y") in page.text("refunds")
    assert "manfaat kematian dibayar" in page.text("status-timeline")
    # ... and the services refuse them too.
    with pytest.raises(DomainError):
        done(
            session,
            ledger.record_payment,
            user(CLERK),
            member,
            period=month(3),
            paid_on=world.today(),
            channel="counter",
        )
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, user(CLERK), world.jkk_data(member))
    assert "meninggal dunia" in str(refused.value)


def test_a_paid_work_accident_death_makes_the_member_deceased(session, user, app):
    member = world.paid_member(session)
    claim = _paid_claim(session, user, app, world.jkk_data(member, death=True))
    done(
        session,
        claim_decisions.decide,
        user(CLERK),
        claim.id,
        "pay",
        payment_reference="TRF-2",
        paid_on=world.today(),
    )
    session.refresh(member)
    assert member.status is S.DECEASED


# --- JHT ---------------------------------------------------------------------------------------


def test_a_jht_claim_of_a_member_in_arrears_is_accepted_and_its_payment_exits(session, user, app):
    """domain.md: "JHT is the member's own savings: arrears never refuse a JHT claim"."""
    born = add_months(M, -12 * 57 - 1).replace(day=10)
    member = world.make_member(
        session, paid_months=100, last_paid_months_ago=9, born=born, jht=True
    )
    # Its payments were written by the factories: brought to the status of its history.
    done(session, lifecycle.sync, [member], today=add_months(M, -3))
    nightly(session)
    session.refresh(member)
    assert member.status is S.ENDED  # nine months unpaid: past the window
    claim = _paid_claim(session, user, app, world.jht_data(member, reason=JhtReason.AGE))
    # The whole balance: the 100 contributions plus the declared returns, one line a year.
    statement = ledger.jht_statement(session, member.id, claim.event_date)
    assert statement.contributions == 100 * member.contribution_jht
    assert claim.amount == statement.balance > statement.contributions
    years = [line["code"] for line in claim.breakdown["lines"]]
    assert years == [f"jht.year.{y.year}" for y in statement.years]
    done(
        session,
        claim_decisions.decide,
        user(CLERK),
        claim.id,
        "pay",
        payment_reference="TRF-3",
        paid_on=world.today(),
    )
    session.refresh(member)
    assert member.status is S.EXITED and not member.active
    assert changes(session, member)[-1] == (S.ENDED, S.EXITED, rule.JHT_PAID)


def test_a_member_without_jht_cannot_claim_it(session, user):
    """domain.md: "only a member who chose JHT has a balance"."""
    member = world.paid_member(session)
    with pytest.raises(DomainError) as refused:
        done(
            session,
            service.register_claim,
            user(CLERK),
            world.jht_data(member, reason=JhtReason.STOPPED_WORKING),
        )
    assert str(refused.value) == (
        "Peserta tidak memilih program JHT: tidak ada saldo JHT yang dapat diklaim."
    )


def test_after_the_death_benefit_the_heirs_still_claim_the_jht(session, user, app, login):
    """domain.md: "JHT is the member's own savings": a paid JKM closes the membership, but the
    heirs of a member who chose JHT may still claim the balance; nothing else."""
    member = world.paid_member(session, jht=True)
    session.commit()
    died = world.today() - timedelta(days=3)
    jkm = _paid_claim(session, user, app, world.jkm_data(member, event_date=died, children=()))
    done(
        session,
        claim_decisions.decide,
        user(CLERK),
        jkm.id,
        "pay",
        payment_reference="TRF-9",
        paid_on=world.today(),
    )
    session.refresh(member)
    assert member.status is S.DECEASED
    page = Page(login(CLERK).get(f"/admin/member/details/?id={member.id}"))
    assert page.has_id("register-claim") and not page.has_id("record-contribution")
    heirs = dataclasses.replace(
        world.jht_data(member, event_date=died, reason=JhtReason.DEATH),
        claimant_name="Siti Rahmah",
        claimant_nik=world.jkm_data(member).claimant_nik,
        claimant_relationship=Relationship.SPOUSE,
        account_holder="Siti Rahmah",
    )
    jht = _paid_claim(session, user, app, heirs)
    done(
        session,
        claim_decisions.decide,
        user(CLERK),
        jht.id,
        "pay",
        payment_reference="TRF-10",
        paid_on=world.today(),
    )
    session.refresh(member)
    assert jht.state is ClaimState.PAID and member.status is S.DECEASED
    with pytest.raises(DomainError):
        done(
            session,
            service.register_claim,
            user(CLERK),
            world.jkk_data(member, death=True),
        )


def test_a_member_who_never_paid_is_not_protected(session, user, login):
    """domain.md: "a registered member who never paid is not protected"."""
    member = factories.make_member(session, office=_serang(session), start_date=month(-3))
    session.commit()
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, user(CLERK), world.jkm_data(member, children=()))
    assert "belum ada iuran yang dibayar" in str(refused.value)
    page = Page(login(CLERK).get(f"/admin/member/details/?id={member.id}"))
    assert "terdaftar, belum membayar" in page.text("member-status")
    assert "Perlindungan dimulai sejak iuran pertama dibayar." in page.text("protection")
    assert page.has_id("record-contribution") and page.has_id("register-claim")


# --- deregistration ---------------------------------------------------------------------------


def test_deregistration_at_the_members_request_exits(session, user):
    member = world.paid_member(session)
    with pytest.raises(DomainError):
        done(session, lifecycle.deregister, member, user(CLERK), "  ")
    done(session, lifecycle.deregister, member, user(CLERK), "Pindah ke luar negeri")
    session.refresh(member)
    assert (member.status, member.active) == (S.EXITED, False)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "status", AuditEvent.to_state == "exited")
    ).one()
    assert event.comment == "Pindah ke luar negeri"
    assert json.loads(event.details)["reason"] == rule.DEREGISTERED


# --- the nightly task ---------------------------------------------------------------------------


def test_the_nightly_task_reaches_the_status_of_each_history(session, user):
    """Set-based lapses and ends: each member ends where the rule, from their history alone,
    puts them; a second run changes nothing; every change is audited by the system."""
    clerk = user(CLERK)
    members = [
        member_paying(session, clerk, [month(n) for n in range(-12, stop)])
        for stop in (-1, -3, -4, -5, -8, -9)
    ]
    first = nightly(session)
    assert (first.lapsed, first.ended) == (4, 2)
    rules = lifecycle.rules_on(session, world.today())
    histories = lifecycle.histories(session, [m.id for m in members])
    for member in members:
        session.refresh(member)
        expected = rule.standing_on(histories[member.id], world.today(), rules)
        assert (member.status, member.status_since) == (expected.status, expected.since)
        assert (member.lapses_on, member.ends_on) == rule.stored_dates(expected)
    assert [m.status for m in members] == [S.ACTIVE, S.ACTIVE] + [S.LAPSED] * 2 + [S.ENDED] * 2
    again = nightly(session)
    assert (again.lapsed, again.ended) == (0, 0)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "status", AuditEvent.actor_id.is_(None))
    ).all()
    assert len(events) == 4 + 2  # four lapses, two of them ended too
    assert verify_chain(session).ok


def test_the_nightly_task_runs_at_half_past_midnight_in_jakarta(session, user):
    assert lifecycle.nightly_at(datetime(2026, 12, 2, 17, 30))  # 00:30 WIB, naive UTC
    assert not lifecycle.nightly_at(datetime(2026, 12, 2, 0, 30))
    member = member_paying(session, user(CLERK), [month(n) for n in range(-12, -5)])
    lifecycle.nightly_task.call_local()  # the huey task's body, as one unit of work
    session.expire_all()
    assert session.get(Member, member.id).status is S.LAPSED


# --- migration 0015 -------------------------------------------------------------------------------


def test_the_migration_brings_members_to_the_status_of_their_history(app, db, session, user):
    from flask_migrate import downgrade, upgrade

    office = _serang(session)
    never = factories.make_member(session, office=office)
    paying = world.paid_member(session)
    lapsed = world.make_member(session, paid_months=12, last_paid_months_ago=5)
    ended = world.make_member(session, paid_months=12, last_paid_months_ago=9)
    dead = world.paid_member(session)
    factories.make_claim(
        session,
        member=dead,
        claim_type=ClaimType.JKM,
        state=ClaimState.PAID,
        paid_on=world.today() - timedelta(days=1),
        event_date=world.today() - timedelta(days=5),
    )
    session.commit()
    ids = [m.id for m in (never, paying, lapsed, ended, dead)]
    db.session.remove()
    downgrade(revision="0014")
    upgrade()
    got = {
        m.id: (m.status, m.active)
        for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))
    }
    assert [got[i] for i in ids] == [
        (S.REGISTERED, True),
        (S.ACTIVE, True),
        (S.LAPSED, True),
        (S.ENDED, False),
        (S.DECEASED, False),
    ]
    reasons = db.session.scalars(
        select(MemberStatusChange.reason)
        .where(MemberStatusChange.member_id == ids[-1])
        .order_by(MemberStatusChange.day, MemberStatusChange.id)
    ).all()
    assert reasons == [rule.FIRST_PAYMENT, rule.DEATH_CLAIM_PAID]


# --- the member list: status badge and filter ----------------------------------------------------


def test_the_member_list_shows_each_status_and_filters_by_it(session, user, login):
    clerk = user(CLERK)
    active = member_paying(session, clerk, [month(n) for n in range(-6, 0)])
    lapsed = member_paying(session, clerk, [month(n) for n in range(-12, -5)])
    nightly(session)
    client = login(CLERK)
    page = Page(client.get("/admin/member/"))
    assert page.status == 200
    assert 'class="badge badge-warning">nonaktif (menunggak)' in page.html
    assert 'class="badge badge-success">aktif' in page.html
    filtered = client.get("/admin/member/?flt0_1=lapsed").get_data(as_text=True)
    assert lapsed.kpj in filtered and active.kpj not in filtered
    assert "Status kepesertaan" in filtered


# --- property: the nightly task on the database reaches the status of the history ---------------

FIRST_DAY = world.today() - timedelta(days=800)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payments=st.lists(
        st.tuples(st.integers(0, 780), st.integers(-6, 1), st.sampled_from([1, 1, 3])),
        max_size=10,
    ),
    nights=st.sets(st.integers(0, 800), max_size=25),
)
def test_the_nightly_task_on_the_database_agrees_with_the_history(session, user, payments, nights):
    """Random payment histories recorded through the ledger on their days (those it refuses
    are left out), the nightly task run on random nights (never on the others): after each
    run the stored status is the one the history alone gives that day."""
    clerk = user(CLERK)
    member = factories.make_member(session, office=_serang(session), start_date=FIRST_DAY)
    session.commit()
    by_day: dict[int, list[tuple[int, int]]] = {}
    for day, offset, months in payments:
        by_day.setdefault(day, []).append((offset, months))
    rules = lifecycle.rules_on(session, world.today())
    for offset in sorted(set(by_day) | nights):
        day = FIRST_DAY + timedelta(days=offset)
        if offset in nights:
            nightly(session, day)
            session.refresh(member)
            history = lifecycle.histories(session, [member.id]).get(member.id, [])
            expected = rule.standing_on([p for p in history if p.paid_on <= day], day, rules)
            assert (member.status, member.status_since) == (expected.status, expected.since)
        for first, count in by_day.get(offset, []):
            try:
                done(
                    session,
                    ledger.record_payment,
                    clerk,
                    member,
                    period=add_months(day.replace(day=1), first),
                    months=count,
                    paid_on=day,
                    channel="counter",
                    today=day,
                )
            except DomainError:
                pass
