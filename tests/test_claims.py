"""Benefit claims on a real database (SQLite and PostgreSQL): intake and eligibility from the
contributions ledger, documents, verification, approval with limits and escalation, payment.

On the empty database with the small organisation of tests/fixtures/org.py (KC Serang and its
KCP Lebak, KC Cilegon, Kanwil Banten and DKI Jakarta, their staff); every member is built here
(tests/fixtures/claim_world.py) with its own ledger. Service calls run outside a web request,
where messages are Indonesian (the default language). The screens are covered in
tests/test_claim_screens.py.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backoffice import authz, benefit_texts
from backoffice.audit import history, verify_chain
from backoffice.clock import jakarta_day
from backoffice.errors import DomainError, Forbidden, NotFound
from backoffice.rules import benefits, coverage
from backoffice.rules.working_days import add_working_days
from backoffice.services import claim_decisions, claim_documents, ledger, reference
from backoffice.services import claims as service
from models import (
    AuditEvent,
    BenefitParameter,
    Claim,
    ClaimDocument,
    ClaimState,
    ClaimType,
    HolidayCorrection,
    HolidayKind,
    JhtReason,
    Member,
    Relationship,
    Role,
    User,
)
from tests import factories
from tests.fixtures import claim_world as world
from tests.fixtures.org import Org, make_org
from tests.steps import done

C = ClaimState
CLERK, SECOND_CLERK, HEAD = "petugas.serang", "petugas2.serang", "kepala.serang"
OTHER_OFFICE_CLERK, REGIONAL_HEAD, OTHER_REGION_HEAD = (
    "petugas.cilegon",
    "kanwil.banten",
    "kanwil.jakarta",
)
STALE = "Data ini baru saja diubah oleh orang lain"
NO_LONGER = "tidak dapat dilakukan lagi"


@pytest.fixture(autouse=True)
def org(empty_db: Any) -> Org:
    return make_org(empty_db)


@pytest.fixture
def settings(app: Any) -> claim_documents.DocumentSettings:
    return claim_documents.DocumentSettings.from_config(app.config, app.instance_path)


# --- steps -------------------------------------------------------------------------------------


def register(session: Any, user: Any, data: service.ClaimData, by: str = CLERK) -> Claim:
    return done(session, service.register_claim, user(by), data)


def upload_all(
    session: Any,
    user: Any,
    claim: Claim,
    settings: claim_documents.DocumentSettings,
    *,
    by: str = CLERK,
    check: bool = True,
    skip: tuple[str, ...] = (),
) -> None:
    """Upload every document of the claim's checklist (but ``skip``), and check them."""
    actor = user(by)
    for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
        if requirement.code in skip:
            continue
        data, filename = world.document_bytes(index)
        document = done(
            session,
            claim_documents.upload_document,
            actor,
            claim,
            requirement.id,
            data,
            filename,
            settings=settings,
        )
        if check:
            done(session, claim_documents.check_document, actor, document)


def decide(session: Any, user: Any, claim: Claim | int, action: str, by: str, **kwargs: Any):
    claim_id = claim if isinstance(claim, int) else claim.id
    return done(session, claim_decisions.decide, user(by), claim_id, action, **kwargs)


def verified_claim(
    session: Any,
    user: Any,
    settings: claim_documents.DocumentSettings,
    data: service.ClaimData,
    *,
    by: str = CLERK,
    verifier: str | None = None,
) -> Claim:
    claim = register(session, user, data, by=by)
    upload_all(session, user, claim, settings, by=by)
    return decide(session, user, claim, "verify", verifier or by)


def approved_claim(
    session: Any, user: Any, settings: claim_documents.DocumentSettings, data: service.ClaimData
) -> Claim:
    claim = verified_claim(session, user, settings, data)
    return decide(session, user, claim, "approve", SECOND_CLERK)


def pay(session: Any, user: Any, claim: Claim, reference: str, by: str = CLERK, **kwargs: Any):
    kwargs.setdefault("paid_on", world.today())
    return decide(session, user, claim, "pay", by, payment_reference=reference, **kwargs)


def waiting_for(session: Any, user: Any, username: str) -> set[int]:
    """The claims in ``username``'s work queue (their scope and their step)."""
    actor = user(username)
    stmt = select(Claim.id).where(
        claim_decisions.queue_condition(actor), authz.row_condition(actor, Claim)
    )
    return set(session.scalars(stmt))


def actions(session: Any, claim: Claim) -> list[str]:
    return [event.action for event in history(session, "claim", claim.id)]


def working_days_after(day: date, n: int, off: frozenset[date] = frozenset()) -> date:
    """Counted here on its own: ``n`` Mondays-to-Fridays not in ``off`` after ``day``."""
    current = day
    while n:
        current += timedelta(days=1)
        if current.isoweekday() <= 5 and current not in off:
            n -= 1
    return current


# --- 1. the JKM claim from intake to payment ---------------------------------------------------


def test_jkm_claim_with_two_children_in_school_is_registered_verified_approved_and_paid(
    session, user, settings
):
    member = world.paid_member(session, years=4)
    claim = register(session, user, world.jkm_data(member))
    assert claim.state is C.SUBMITTED and claim.registered_by.username == CLERK
    assert (claim.office.code, claim.region_id) == ("B01", member.region_id)
    upload_all(session, user, claim, settings)
    decide(session, user, claim, "verify", CLERK)
    assert claim.state is C.VERIFIED and claim.approval_level is Role.BRANCH_CLERK
    assert claim.id in waiting_for(session, user, SECOND_CLERK)
    decide(session, user, claim, "approve", SECOND_CLERK)
    assert claim.state is C.APPROVED and claim.approved_by.username == SECOND_CLERK
    paid = pay(session, user, claim, "TRF-20260001")
    assert paid.state is C.PAID and paid.payment_reference == "TRF-20260001"
    assert paid.paid_on == world.today() and paid.paid_by.username == CLERK and paid.paid_at

    lines = {line["code"]: line["amount"] for line in paid.breakdown["lines"]}
    year = world.school_year(claim.event_date)
    # PP 82/2019: the scholarship of this school year is paid now, per child (TK-SD, SMP).
    assert lines == {
        "jkm.lump_sum": 20_000_000,
        "jkm.periodic": 12_000_000,
        "jkm.funeral": 10_000_000,
        f"scholarship.child_1.{year}": 1_500_000,
        f"scholarship.child_2.{year}": 2_000_000,
    }
    assert paid.amount == paid.breakdown["total"] == 45_500_000
    shown, notes = service.shown_breakdown(paid)
    assert [str(line.label) for line in shown][-2:] == [
        f"Beasiswa, Anak 1 (anak ke-1, TK/SD), tahun ajaran {year}/{year + 1}",
        f"Beasiswa, Anak 2 (anak ke-2, SMP), tahun ajaran {year}/{year + 1}",
    ]
    assert str(shown[-1].detail) == "Rp2.000.000 per tahun, paling lama 3 tahun"
    # The children are records of the claim; the later school years are a schedule.
    assert [(c.position, c.name, c.school_level) for c in paid.children] == [
        (1, "Anak 1", "tk_sd"),
        (2, "Anak 2", "smp"),
    ]
    schedule = service.shown_schedule(paid)
    assert [(y["school_year"], y["child"]) for y in schedule if y["paid_now"]] == [
        (year, 1),
        (year, 2),
    ]
    # Each moves up a level after its years, until 23: from TK at 6, 8 + 3 + 3 years and 3 of
    # university (63 M); from SMP at 13, 3 + 3 years and 4 of university (63 M).
    assert sum(y["amount"] for y in schedule) == 63_000_000 + 63_000_000
    # every step is in the claim's history, and the chain holds
    assert actions(session, claim) == (
        ["create"]
        + ["document_upload", "document_check"] * len(world.JKM_DOCUMENTS)
        + ["verify", "approve", "pay"]
    )
    events = history(session, "claim", claim.id)
    assert [e.actor_username for e in events[-3:]] == [CLERK, SECOND_CLERK, CLERK]
    assert [(e.from_state, e.to_state) for e in events[-3:]] == [
        ("submitted", "verified"),
        ("verified", "approved"),
        ("approved", "paid"),
    ]
    assert {e.office_id for e in events} == {claim.office_id}
    assert verify_chain(session).ok


def test_neither_the_registrar_nor_the_verifier_may_approve(session, user, settings):
    member = world.paid_member(session)
    claim = verified_claim(
        session, user, settings, world.jkm_data(member), by=CLERK, verifier=SECOND_CLERK
    )
    assert claim.verified_by.username == SECOND_CLERK
    for maker in (CLERK, SECOND_CLERK):
        with pytest.raises(Forbidden, match="orang lain yang harus memutuskannya"):
            decide(session, user, claim, "approve", maker)
    # Both clerks of the office made it: the branch head, a level above, decides it (no
    # deadlock), although it does not wait in the head's queue.
    assert claim.id not in waiting_for(session, user, HEAD)
    decide(session, user, claim, "approve", HEAD)
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state is C.APPROVED and claim.approved_by.username == HEAD


def test_a_clerk_of_another_office_neither_registers_nor_sees_the_claim(session, user, settings):
    member = world.paid_member(session)
    with pytest.raises(Forbidden, match="kantor tempat peserta terdaftar"):
        done(session, service.register_claim, user(OTHER_OFFICE_CLERK), world.jkm_data(member))
    session.rollback()
    claim = verified_claim(session, user, settings, world.jkm_data(member))
    for action in ("approve", "return", "reject"):
        with pytest.raises(NotFound):
            decide(session, user, claim, action, OTHER_OFFICE_CLERK, comment="bukan kantor kami")
    assert claim.id not in waiting_for(session, user, OTHER_OFFICE_CLERK)
    document = session.scalars(select(ClaimDocument).where(ClaimDocument.claim_id == claim.id))
    with pytest.raises(Forbidden):
        done(
            session, claim_documents.check_document, user(OTHER_OFFICE_CLERK), next(iter(document))
        )


def test_a_branch_head_registers_claims_for_the_kc_and_its_kcps_only(session, user):
    cilegon = world.paid_member(session, office_code="B02")
    with pytest.raises(Forbidden, match="kantor tempat peserta terdaftar"):
        done(session, service.register_claim, user(HEAD), world.jkm_data(cilegon))
    session.rollback()
    lebak = world.paid_member(session, office_code="B0101")  # KCP Lebak, under KC Serang
    claim = register(session, user, world.jkm_data(lebak), by=HEAD)
    assert claim.office.code == "B0101" and claim.registered_by.username == HEAD
    with pytest.raises(Forbidden):  # KCP Lebak's claims are not KC Serang's clerks' work
        done(session, service.register_claim, user(CLERK), world.jkm_data(lebak))


# --- 2. approval limits and escalation ---------------------------------------------------------


def test_above_the_clerk_limit_approve_sends_the_claim_to_the_branch_head(session, user, settings):
    member = world.paid_member(session, income=2_000_000)
    claim = verified_claim(session, user, settings, world.jkk_data(member, death=True))
    assert {line["code"]: line["amount"] for line in claim.breakdown["lines"]} == {
        "jkk.death.lump_sum": 96_000_000,  # 48 x Rp2.000.000
        "jkk.death.funeral": 10_000_000,
        "jkk.death.periodic": 12_000_000,
    }
    assert claim.amount == 118_000_000
    with pytest.raises(Forbidden):  # the registrar may not even send it on
        decide(session, user, claim, "approve", CLERK)

    sent = decide(session, user, claim, "approve", SECOND_CLERK)
    assert sent.state is C.VERIFIED and sent.approval_level is Role.BRANCH_HEAD
    assert sent.approved_by_id is None
    assert claim.id in waiting_for(session, user, HEAD)
    assert claim.id not in waiting_for(session, user, SECOND_CLERK)
    assert claim.id not in waiting_for(session, user, CLERK)
    with pytest.raises(DomainError, match="menunggu persetujuan Kepala Kantor Cabang"):
        decide(session, user, claim, "approve", SECOND_CLERK)

    approved = decide(session, user, claim, "approve", HEAD)
    assert approved.state is C.APPROVED and approved.approved_by.username == HEAD
    assert claim.id not in waiting_for(session, user, HEAD)
    assert claim.id in waiting_for(session, user, CLERK)  # to pay
    events = history(session, "claim", claim.id)
    assert [e.action for e in events[-3:]] == ["verify", "escalate", "approve"]
    assert events[-2].actor_username == SECOND_CLERK
    assert json.loads(events[-2].details) == {"amount": 118_000_000, "escalated_to": "branch_head"}
    assert (events[-2].from_state, events[-2].to_state) == ("verified", "verified")
    assert verify_chain(session).ok


def test_above_the_branch_head_limit_the_regional_head_approves(session, user, settings):
    member = world.paid_member(session, income=5_000_000)
    claim = verified_claim(session, user, settings, world.jkk_data(member, death=True))
    assert claim.amount == 262_000_000  # 48 x Rp5.000.000 + 10 M + 12 M
    decide(session, user, claim, "approve", SECOND_CLERK)
    sent = decide(session, user, claim, "approve", HEAD)
    assert sent.state is C.VERIFIED and sent.approval_level is Role.REGIONAL_HEAD
    assert claim.id in waiting_for(session, user, REGIONAL_HEAD)
    assert claim.id not in waiting_for(session, user, HEAD)
    assert claim.id not in waiting_for(session, user, OTHER_REGION_HEAD)
    with pytest.raises(NotFound):
        decide(session, user, claim, "approve", OTHER_REGION_HEAD)
    with pytest.raises(DomainError, match="menunggu persetujuan Kepala Kantor Wilayah"):
        decide(session, user, claim, "approve", HEAD)

    approved = decide(session, user, claim, "approve", REGIONAL_HEAD)
    assert approved.state is C.APPROVED and approved.approved_by.username == REGIONAL_HEAD
    assert actions(session, claim)[-4:] == ["verify", "escalate", "escalate", "approve"]
    paid = pay(session, user, claim, "TRF-KANWIL-01")
    assert paid.state is C.PAID
    assert verify_chain(session).ok


def test_a_clerk_cannot_reject_a_claim_waiting_at_a_higher_level(session, user, settings):
    member = world.paid_member(session, income=5_000_000)
    claim = verified_claim(session, user, settings, world.jkk_data(member, death=True))
    decide(session, user, claim, "approve", SECOND_CLERK)
    decide(session, user, claim, "approve", HEAD)
    assert claim.approval_level is Role.REGIONAL_HEAD
    with pytest.raises(DomainError):
        decide(session, user, claim, "reject", SECOND_CLERK, comment="tidak layak")


# --- 3. eligibility ----------------------------------------------------------------------------


def test_a_member_in_arrears_on_the_event_date_is_refused_with_the_unpaid_months(session, user):
    member = world.member_in_arrears(session)
    event = world.today() - timedelta(days=3)
    # Paid up to six months ago: protection ended on the due date (the 15th) of the fourth
    # consecutive month unpaid, and the member lapsed the day after.
    last_paid = coverage.add_months(world.today().replace(day=1), -6)
    ended = coverage.add_months(last_paid, 4).replace(day=15)
    assert ended < event
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, user(CLERK), world.jkm_data(member, event_date=event))
    assert str(refused.value) == (
        f"Peserta tidak terlindungi pada {event:%d/%m/%Y}: nonaktif sejak "
        f"{ended + timedelta(days=1):%d/%m/%Y}, perlindungan berakhir pada {ended:%d/%m/%Y} "
        "setelah lebih dari 3 bulan berturut-turut iuran tidak dibayar."
    )
    assert refused.value.field == "eligibility"
    session.rollback()
    claims = select(func.count()).select_from(Claim).where(Claim.member_id == member.id)
    assert session.scalar(claims) == 0
    # eight months ago the same member was covered: a death then is claimable
    earlier = coverage.add_months(world.today().replace(day=1), -8).replace(day=20)
    claim = register(session, user, world.jkm_data(member, event_date=earlier, children=()))
    assert claim.amount == 42_000_000


def test_a_work_accident_claim_six_years_after_the_accident_is_refused(session, user):
    member = world.paid_member(session, years=8)
    today = world.today()
    accident = date(today.year - 6, today.month, min(today.day, 28))
    with pytest.raises(DomainError) as refused:
        done(
            session,
            service.register_claim,
            user(CLERK),
            world.jkk_data(member, event_date=accident, treatment_cost=1),
        )
    assert str(refused.value) == (
        "Klaim kecelakaan kerja harus diajukan paling lama 5 tahun setelah kecelakaan; "
        f"kecelakaan terjadi pada {accident:%d/%m/%Y}."
    )
    session.rollback()
    within = date(today.year - 4, today.month, min(today.day, 28))
    claim = register(
        session, user, world.jkk_data(member, event_date=within, treatment_cost=2_750_000)
    )
    assert claim.amount == 2_750_000


def test_jht_for_age_is_refused_under_56_and_paid_from_the_balance_at_57(session, user):
    young = world.aged_member(session, age=40)
    event = world.today() - timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, user(CLERK), world.jht_data(young, event_date=event))
    assert str(refused.value) == (
        f"Usia peserta 40 tahun pada {event:%d/%m/%Y}; JHT karena usia dibayarkan mulai usia "
        "56 tahun."
    )
    session.rollback()
    old = world.aged_member(session, age=57)
    claim = register(session, user, world.jht_data(old, event_date=event))
    assert claim.jht_reason is JhtReason.AGE
    # domain.md: "JHT: balance of contributions plus returns" - one line per year.
    statement = ledger.jht_statement(session, old.id, event)
    assert claim.amount == statement.balance == 120 * 20_000 + statement.returns
    assert statement.returns > 0
    assert [line["code"] for line in claim.breakdown["lines"]] == [
        f"jht.year.{y.year}" for y in statement.years
    ]
    assert [line["amount"] for line in claim.breakdown["lines"]] == [
        y.contributions + y.returns for y in statement.years
    ]
    assert [r.code for r in claim_documents.requirements_for(session, claim)] == [
        "card",
        "id_member",
    ]


def test_a_death_benefit_claimed_by_the_member_themself_is_refused(session, user):
    member = world.paid_member(session)
    data = world.jkm_data(member, relationship=Relationship.SELF)
    with pytest.raises(DomainError, match="^Santunan kematian diajukan oleh ahli waris, bukan"):
        done(session, service.register_claim, user(CLERK), data)


def test_a_second_jkm_claim_is_refused_until_the_first_is_rejected(session, user):
    member = world.paid_member(session)
    first = register(session, user, world.jkm_data(member))
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, user(SECOND_CLERK), world.jkm_data(member))
    assert str(refused.value) == (
        f"Peserta ini sudah memiliki klaim JKM (no. {first.id}) yang tidak ditolak."
    )
    session.rollback()
    decide(session, user, first, "reject", SECOND_CLERK, comment="Ahli waris keliru")
    second = register(session, user, world.jkm_data(member), by=SECOND_CLERK)
    assert second.id != first.id and second.state is C.SUBMITTED


def test_two_clerks_registering_the_same_jkm_at_once_give_one_claim(session, user, monkeypatch):
    # Both pass the service's own check (as two transactions at the same instant would): the
    # database's unique partial index keeps the second out, with the same message.
    member = world.paid_member(session)
    first = register(session, user, world.jkm_data(member))
    original = service._duplicate_refusals
    calls = []

    def checked_before_the_first_was_saved(*args, **kwargs):
        calls.append(args)
        return [] if len(calls) == 1 else original(*args, **kwargs)

    monkeypatch.setattr(service, "_duplicate_refusals", checked_before_the_first_was_saved)
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, user(SECOND_CLERK), world.jkm_data(member))
    assert str(refused.value) == (
        f"Peserta ini sudah memiliki klaim JKM (no. {first.id}) yang tidak ditolak."
    )
    session.rollback()
    jkm = session.scalars(
        select(Claim).where(Claim.member_id == member.id, Claim.claim_type == ClaimType.JKM)
    ).all()
    assert [c.id for c in jkm] == [first.id]
    # A rejected claim does not count: the member can be registered again.
    decide(session, user, first, "reject", SECOND_CLERK, comment="Ahli waris keliru")
    second = register(session, user, world.jkm_data(member), by=SECOND_CLERK)
    assert second.id != first.id


def test_ten_clerks_registering_one_jkm_at_the_same_moment_register_it_once(
    app, session, postgres_only
):
    # Real transactions on PostgreSQL, released together: whichever way each one loses (the
    # service's check, or the unique index while the winner commits), one claim is registered.
    from backoffice.extensions import db

    member_id = world.paid_member(session).id
    session.commit()
    barrier = threading.Barrier(10)
    outcomes: list[Any] = []

    def register_at_once() -> None:
        with app.app_context():
            try:
                clerk = db.session.scalar(select(User).where(User.username == CLERK))
                member = db.session.get(Member, member_id)
                data = world.jkm_data(member)
                barrier.wait()
                claim = done(db.session, service.register_claim, clerk, data)
                db.session.commit()
                outcomes.append(claim.id)
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register_at_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    registered = [o for o in outcomes if isinstance(o, int)]
    assert len(outcomes) == 10 and len(registered) == 1, outcomes
    refusal = f"Peserta ini sudah memiliki klaim JKM (no. {registered[0]}) yang tidak ditolak."
    assert [o for o in outcomes if o != registered[0]] == [refusal] * 9
    stored = session.scalars(select(Claim.id).where(Claim.member_id == member_id)).all()
    assert stored == registered
    assert verify_chain(session).ok


def test_the_event_date_cannot_be_in_the_future_nor_before_the_protection(session, user):
    member = world.paid_member(session, years=1)
    tomorrow = world.today() + timedelta(days=1)
    with pytest.raises(DomainError, match="^Tanggal kejadian tidak boleh di masa depan."):
        done(
            session,
            service.register_claim,
            user(CLERK),
            world.jkm_data(member, event_date=tomorrow),
        )
    session.rollback()
    before = member.start_date - timedelta(days=1)
    with pytest.raises(DomainError, match="^Perlindungan peserta dimulai pada"):
        done(
            session, service.register_claim, user(CLERK), world.jkm_data(member, event_date=before)
        )


# --- 4. transitions and their guards -----------------------------------------------------------


def _names(session: Any, codes: tuple[str, ...], *, english: bool = False) -> str:
    from models import DocumentRequirement

    name = DocumentRequirement.name_en if english else DocumentRequirement.name
    rows = session.execute(
        select(DocumentRequirement.code, name).where(
            DocumentRequirement.claim_type == ClaimType.JKM
        )
    )
    names = {code: name for code, name in rows}
    return ", ".join(names[code] for code in codes)


def test_verify_is_refused_while_documents_are_missing_or_unchecked(session, user, settings):
    member = world.paid_member(session)
    claim = register(session, user, world.jkm_data(member))
    with pytest.raises(DomainError) as refused:
        decide(session, user, claim, "verify", CLERK)
    assert str(refused.value) == f"Dokumen belum lengkap: {_names(session, world.JKM_DOCUMENTS)}."
    with force_locale("en"):  # the documents too are named in the reader's language
        assert str(refused.value) == (
            f"Documents are missing: {_names(session, world.JKM_DOCUMENTS, english=True)}."
        )
    upload_all(session, user, claim, settings, check=False, skip=("marriage_book",))
    with pytest.raises(DomainError, match="^Dokumen belum lengkap: Buku nikah.$"):
        decide(session, user, claim, "verify", CLERK)
    upload_all(session, user, claim, settings, check=False)
    with pytest.raises(DomainError) as refused:
        decide(session, user, claim, "verify", CLERK)
    assert str(refused.value) == (
        f"Dokumen belum diperiksa: {_names(session, world.JKM_DOCUMENTS)}."
    )
    for document in session.scalars(
        select(ClaimDocument).where(ClaimDocument.claim_id == claim.id)
    ):
        if document.requirement.code != "id_heirs":
            done(session, claim_documents.check_document, user(CLERK), document)
    with pytest.raises(DomainError, match="^Dokumen belum diperiksa: KTP ahli waris.$") as refused:
        decide(session, user, claim, "verify", CLERK)
    with force_locale("en"):
        assert str(refused.value) == (
            f"Documents are not checked yet: {_names(session, ('id_heirs',), english=True)}."
        )
    assert session.get(Claim, claim.id).state is C.SUBMITTED
    assert "verify" not in actions(session, claim)


def test_whoever_changes_a_claims_payee_or_documents_may_not_approve_it(session, user, settings):
    """The adversarial review's finding: a second clerk changed the bank account of a claim to
    their own and, once the first clerk had verified it, approved it. A change of the claim's
    decisive data makes its author one of the claim's makers, whatever screen they used."""
    member = world.paid_member(session)
    claim = register(session, user, world.jkm_data(member))
    done(
        session,
        service.update_claim,
        user(SECOND_CLERK),
        claim,
        replace(world.jkm_data(member), bank_account="9990001112"),
    )
    upload_all(session, user, claim, settings)
    decide(session, user, claim, "verify", CLERK)
    with pytest.raises(Forbidden, match="orang lain yang harus memutuskannya"):
        decide(session, user, claim, "approve", SECOND_CLERK)
    with pytest.raises(Forbidden):
        decide(session, user, claim, "reject", SECOND_CLERK, comment="-")
    offered = claim_decisions.options(session, user(SECOND_CLERK), claim)
    assert not any(o.decision.allowed for o in offered if o.transition.permission.name == "approve")
    # A document uploaded by a third person makes them a maker too.
    other = register(session, user, world.jkm_data(world.paid_member(session)))
    upload_all(session, user, other, settings, by=HEAD)
    decide(session, user, other, "verify", CLERK)
    with pytest.raises(Forbidden):
        decide(session, user, other, "approve", HEAD)
    assert decide(session, user, other, "approve", SECOND_CLERK).state is C.APPROVED


def test_a_returned_claim_is_corrected_resubmitted_and_verified_again(session, user, settings):
    member = world.paid_member(session)
    claim = verified_claim(session, user, settings, world.jkm_data(member))
    with pytest.raises(DomainError, match="Alasan wajib diisi untuk Kembalikan ke penerimaan"):
        decide(session, user, claim, "return", SECOND_CLERK, comment="  ")
    with pytest.raises(DomainError, match="Klaim hanya dapat diubah sebelum diverifikasi"):
        done(session, service.update_claim, user(CLERK), claim, world.jkm_data(member))
    session.rollback()
    reason = "Anak kedua sudah SMA menurut KK terbaru."
    returned = decide(session, user, claim, "return", SECOND_CLERK, comment=reason)
    assert returned.state is C.RETURNED and returned.decision_comment == reason
    assert returned.verified_by_id is None and returned.approval_level is None
    assert claim.id in waiting_for(session, user, CLERK)

    done(
        session,
        service.update_claim,
        user(CLERK),
        claim,
        world.jkm_data(member, children=("tk_sd", "sma")),
    )
    session.commit()
    assert claim.amount == 20_000_000 + 12_000_000 + 10_000_000 + 1_500_000 + 3_000_000
    with pytest.raises(DomainError, match="tidak dapat diubah"):  # the type stays
        done(
            session,
            service.update_claim,
            user(CLERK),
            claim,
            world.jkk_data(member, treatment_cost=1),
        )
    session.rollback()
    resubmitted = decide(session, user, claim, "resubmit", CLERK)
    assert resubmitted.state is C.SUBMITTED
    verified = decide(session, user, claim, "verify", CLERK)
    assert verified.state is C.VERIFIED and verified.approval_level is Role.BRANCH_CLERK
    approved = decide(session, user, claim, "approve", SECOND_CLERK)
    assert approved.state is C.APPROVED and approved.amount == 46_500_000
    assert actions(session, claim)[-6:] == [
        "verify",
        "return",
        "edit",
        "resubmit",
        "verify",
        "approve",
    ]
    assert verify_chain(session).ok


def test_reject_needs_a_reason_and_ends_the_claim(session, user, settings):
    member = world.paid_member(session)
    claim = register(session, user, world.jkm_data(member))
    with pytest.raises(Forbidden):  # the registrar may not decide it
        decide(session, user, claim, "reject", CLERK, comment="Berkas palsu")
    with pytest.raises(DomainError, match="^Alasan wajib diisi untuk Tolak.$"):
        decide(session, user, claim, "reject", SECOND_CLERK)
    rejected = decide(session, user, claim, "reject", SECOND_CLERK, comment="Akta kematian palsu")
    assert rejected.state is C.REJECTED and rejected.decided_by_id == user(SECOND_CLERK).id
    assert rejected.decision_comment == "Akta kematian palsu"
    for action in ("verify", "approve", "pay", "resubmit"):
        with pytest.raises(DomainError, match=f"^Data ini sudah ditolak: tindakan .* {NO_LONGER}"):
            decide(session, user, claim, action, SECOND_CLERK, payment_reference="X")
    assert claim.id not in waiting_for(session, user, CLERK)


def test_payment_needs_a_reference_and_a_date_neither_future_nor_before_the_approval(
    session, user, settings
):
    member = world.paid_member(session)
    claim = verified_claim(session, user, settings, world.jkm_data(member))
    with pytest.raises(DomainError, match="tindakan Catat pembayaran"):  # not approved yet
        pay(session, user, claim, "TRF-1")
    decide(session, user, claim, "approve", SECOND_CLERK)
    today = world.today()
    refusals = [
        ({"reference": " "}, "Isi nomor referensi transfer."),
        ({"reference": "R" * 65}, "Referensi transfer paling panjang 64 karakter."),
        ({"reference": "TRF-1", "paid_on": None}, "Isi tanggal transfer."),
        (
            {"reference": "TRF-1", "paid_on": today + timedelta(days=1)},
            "Tanggal transfer tidak boleh di masa depan.",
        ),
        (
            {"reference": "TRF-1", "paid_on": today - timedelta(days=1)},
            "Tanggal transfer tidak boleh sebelum persetujuan.",
        ),
    ]
    for kwargs, message in refusals:
        with pytest.raises(DomainError) as refused:
            pay(session, user, claim, **kwargs)
        assert str(refused.value) == message
    session.expire_all()
    assert session.get(Claim, claim.id).state is C.APPROVED
    assert "pay" not in actions(session, claim)
    paid = pay(session, user, claim, "  TRF-1  ")
    assert paid.payment_reference == "TRF-1" and paid.state is C.PAID
    with pytest.raises(
        DomainError, match=f"^Data ini sudah dibayar: tindakan Catat pembayaran {NO_LONGER}"
    ):
        pay(session, user, claim, "TRF-2")
    assert session.get(Claim, claim.id).payment_reference == "TRF-1"
    assert actions(session, claim).count("pay") == 1


def test_the_same_transfer_reference_is_refused_on_another_claim(session, user, settings):
    first = approved_claim(session, user, settings, world.jkm_data(world.paid_member(session)))
    pay(session, user, first, "BRI-2026-000777")
    second = approved_claim(session, user, settings, world.jkm_data(world.paid_member(session)))
    with pytest.raises(DomainError) as refused:
        pay(session, user, second, "BRI-2026-000777")
    assert str(refused.value) == (
        f"Referensi transfer BRI-2026-000777 sudah tercatat untuk klaim {first}."
    )
    session.expire_all()
    assert session.get(Claim, second.id).state is C.APPROVED
    assert pay(session, user, second, "BRI-2026-000778").state is C.PAID


def test_a_transfer_reference_used_outside_the_users_scope_does_not_name_that_claim(
    session, user, settings
):
    elsewhere = factories.make_claim(
        session, state=C.PAID, payment_reference="BRI-2026-000999"
    )  # a new office's claim: outside the clerk's scope
    session.commit()
    second = approved_claim(session, user, settings, world.jkm_data(world.paid_member(session)))
    with pytest.raises(DomainError) as refused:
        pay(session, user, second, "BRI-2026-000999")
    assert str(refused.value) == "Referensi transfer BRI-2026-000999 sudah dipakai."
    assert str(elsewhere.id) not in str(refused.value)
    session.expire_all()
    assert session.get(Claim, second.id).state is C.APPROVED


def test_a_decision_on_a_stale_version_is_refused(session, user, settings):
    member = world.paid_member(session)
    claim = verified_claim(session, user, settings, world.jkm_data(member))
    seen = claim.version
    with pytest.raises(DomainError, match=STALE):
        decide(session, user, claim, "approve", SECOND_CLERK, expected_version=seen - 1)
    assert session.get(Claim, claim.id).state is C.VERIFIED
    approved = decide(session, user, claim, "approve", SECOND_CLERK, expected_version=seen)
    assert approved.state is C.APPROVED and approved.version == seen + 1
    with pytest.raises(DomainError, match=STALE):
        pay(session, user, claim, "TRF-9", expected_version=seen)


def test_the_database_holds_the_claim_invariants(session, user, settings):
    """Raw updates that skip the service: each is refused by a CHECK constraint."""
    member = world.paid_member(session)
    claim = verified_claim(
        session, user, settings, world.jkm_data(member), by=CLERK, verifier=SECOND_CLERK
    )
    clerk, verifier, head = (user(name).id for name in (CLERK, SECOND_CLERK, HEAD))
    approved = {"approved_by_id": head, "approved_at": claim.verified_at}
    cases = [
        ({"approved_by_id": clerk, "approved_at": claim.verified_at}, "approver_is_checker"),
        ({"approved_by_id": verifier, "approved_at": claim.verified_at}, "approver_is_checker"),
        ({"state": "approved"}, "approved_has_approver"),
        ({"state": "paid", **approved}, "paid_has_payment"),
        ({"state": "returned", "decision_comment": None}, "refusal_has_reason"),
        ({"state": "verified", "approval_level": None}, "verified_has_level"),
        ({"verified_by_id": None}, "verified_has_verifier"),
        ({"amount": -1}, "amount_not_negative"),
    ]
    table = Claim.__table__
    for values, constraint in cases:
        with pytest.raises(IntegrityError) as refused:
            session.execute(table.update().where(table.c.id == claim.id).values(**values))
            session.flush()
        session.rollback()
        assert constraint in str(refused.value), values
    # the same values through a legal path are accepted: approved by the head of the office
    session.execute(
        table.update().where(table.c.id == claim.id).values(state="approved", **approved)
    )
    session.commit()
    assert session.get(Claim, claim.id).state is C.APPROVED


# --- 5. documents ------------------------------------------------------------------------------


def _upload(
    session: Any, user: Any, claim: Claim, settings: Any, code: str, data: bytes, name: str
):
    requirement_id = world.requirement_ids(session, claim.claim_type)[code]
    return done(
        session,
        claim_documents.upload_document,
        user(CLERK),
        claim,
        requirement_id,
        data,
        name,
        settings=settings,
    )


def _stored_files(settings: claim_documents.DocumentSettings, claim: Claim) -> list[Path]:
    folder = settings.storage_dir / "claims" / str(claim.id)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_document_is_judged_by_its_bytes_and_stored_outside_the_web_root(
    app, session, user, settings
):
    claim = register(session, user, world.jkm_data(world.paid_member(session)))
    document = _upload(session, user, claim, settings, "card", world.PDF, "C:\\Scan\\kartu.png")
    assert document.content_type == "application/pdf" and document.storage_name.endswith(".pdf")
    assert document.filename == "kartu.png" and document.size == len(world.PDF)
    assert document.uploaded_by.username == CLERK and document.checked_at is None
    path = settings.path_of(document)
    assert path == Path(app.config["UPLOAD_DIR"]) / "claims" / str(claim.id) / document.storage_name
    assert path.read_bytes() == world.PDF
    for web_root in (app.static_folder, app.root_path):
        assert not path.resolve().is_relative_to(Path(web_root).resolve())
    image = _upload(session, user, claim, settings, "id_member", world.JPEG, "ktp.pdf")
    assert (image.content_type, image.storage_name[-4:]) == ("image/jpeg", ".jpg")
    png = _upload(session, user, claim, settings, "id_heirs", world.PNG, "ktp-ahli-waris")
    assert (png.content_type, png.storage_name[-4:]) == ("image/png", ".png")

    refusals = [
        ("death_certificate", world.TEXT, "akta.pdf", "Hanya berkas PDF, JPEG dan PNG"),
        ("death_certificate", b"<html><script>x</script>", "akta.jpg", "Hanya berkas PDF"),
        ("death_certificate", b"", "kosong.pdf", "Berkas kosong."),
    ]
    for code, data, name, message in refusals:
        with pytest.raises(DomainError, match=message):
            _upload(session, user, claim, settings, code, data, name)
    jkk_card = world.requirement_ids(session, ClaimType.JKK)["accident_report"]
    with pytest.raises(DomainError, match="tidak ada dalam daftar dokumen klaim"):
        done(
            session,
            claim_documents.upload_document,
            user(CLERK),
            claim,
            jkk_card,
            world.PDF,
            "laporan.pdf",
            settings=settings,
        )
    session.rollback()
    assert len(_stored_files(settings, claim)) == 3
    assert (
        session.scalar(
            select(func.count())
            .select_from(ClaimDocument)
            .where(ClaimDocument.claim_id == claim.id)
        )
        == 3
    )
    assert actions(session, claim).count("document_upload") == 3


def test_a_document_over_the_size_limit_is_refused(app, session, user):
    app.config["CLAIM_DOCUMENT_MAX_BYTES"] = len(world.PDF)
    settings = claim_documents.DocumentSettings.from_config(app.config, app.instance_path)
    claim = register(session, user, world.jkm_data(world.paid_member(session)))
    assert _upload(session, user, claim, settings, "card", world.PDF, "kartu.pdf").size == len(
        world.PDF
    )
    with pytest.raises(DomainError, match="^Berkas lebih besar dari 1 MB.$"):
        _upload(session, user, claim, settings, "id_member", world.PDF + b"\n", "ktp.pdf")
    session.rollback()
    assert len(_stored_files(settings, claim)) == 1


def test_uploading_again_replaces_the_document_and_removes_the_old_file(session, user, settings):
    claim = register(session, user, world.jkm_data(world.paid_member(session)))
    first = _upload(session, user, claim, settings, "family_card", world.PDF, "kk.pdf")
    done(session, claim_documents.check_document, user(CLERK), first)
    old_path, old_name = settings.path_of(first), first.storage_name
    second = _upload(session, user, claim, settings, "family_card", world.PNG, "kk-jelas.png")
    assert not old_path.exists()
    assert settings.path_of(second).read_bytes() == world.PNG
    assert _stored_files(settings, claim) == [settings.path_of(second)]
    assert second.storage_name != old_name
    assert second.checked_at is None  # the new file must be checked again
    rows = session.scalars(select(ClaimDocument).where(ClaimDocument.claim_id == claim.id)).all()
    assert [(d.filename, d.content_type) for d in rows] == [("kk-jelas.png", "image/png")]


def test_documents_cannot_change_after_verification_until_returned(session, user, settings):
    claim = verified_claim(session, user, settings, world.jkm_data(world.paid_member(session)))
    files = _stored_files(settings, claim)
    document = session.scalars(
        select(ClaimDocument).where(ClaimDocument.claim_id == claim.id)
    ).first()
    with pytest.raises(DomainError, match="^Dokumen hanya dapat diubah sebelum klaim diverifikasi"):
        _upload(session, user, claim, settings, "card", world.JPEG, "kartu-baru.jpg")
    session.rollback()
    with pytest.raises(DomainError, match="^Dokumen hanya dapat diubah sebelum klaim diverifikasi"):
        done(session, claim_documents.check_document, user(SECOND_CLERK), document)
    session.rollback()
    assert _stored_files(settings, claim) == files
    decide(session, user, claim, "return", SECOND_CLERK, comment="Kartu tidak terbaca")
    replaced = _upload(session, user, claim, settings, "card", world.JPEG, "kartu-baru.jpg")
    assert replaced.content_type == "image/jpeg"


def test_the_service_clock_starts_when_the_last_required_document_arrives(session, user, settings):
    claim = register(session, user, world.jkm_data(world.paid_member(session)))
    upload_all(session, user, claim, settings, check=False, skip=("heir_statement",))
    assert claim.complete_at is None and claim.due_date is None
    _upload(session, user, claim, settings, "heir_statement", world.PDF, "ahli-waris.pdf")
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.complete_at is not None
    complete_day = jakarta_day(claim.complete_at)
    off = reference.days_off(session, complete_day)  # public holidays and cuti bersama
    assert claim.due_date == working_days_after(complete_day, 3, off)  # sla.JKM.working_days
    assert claim.due_date.isoweekday() <= 5
    # a document uploaded again does not restart the clock
    started = claim.complete_at
    _upload(session, user, claim, settings, "card", world.PNG, "kartu.png")
    session.expire_all()
    assert session.get(Claim, claim.id).complete_at == started

    jkk = register(
        session, user, world.jkk_data(world.paid_member(session), treatment_cost=900_000)
    )
    upload_all(session, user, jkk, settings, check=False)
    session.expire_all()
    jkk = session.get(Claim, jkk.id)
    jkk_day = jakarta_day(jkk.complete_at)
    assert jkk.due_date == working_days_after(jkk_day, 5, reference.days_off(session, jkk_day))


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 20), 3, date(2026, 11, 25)),  # Friday + 3 -> Wednesday
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday + 1 -> Monday
        (date(2026, 11, 16), 5, date(2026, 11, 23)),  # Monday + 5 -> next Monday
    ],
)
def test_working_days_skip_the_weekend(start, days, due):  # no holiday in these weeks
    assert add_working_days(start, days) == due == working_days_after(start, days)


def test_a_claim_is_overdue_after_its_due_date_until_paid_or_rejected(session, user, settings):
    claim = verified_claim(session, user, settings, world.jkm_data(world.paid_member(session)))
    today = world.today()
    assert not claim_decisions.is_overdue(claim, today)
    claim.due_date = today - timedelta(days=1)
    session.commit()
    assert claim_decisions.is_overdue(claim, today)
    decide(session, user, claim, "approve", SECOND_CLERK)
    assert claim_decisions.is_overdue(claim, today)
    pay(session, user, claim, "TRF-LATE")
    assert not claim_decisions.is_overdue(claim, today)


# --- 6. the computation ------------------------------------------------------------------------


def test_the_amount_is_the_pure_computation_with_the_parameters_of_the_event_date(session, user):
    member = world.paid_member(session, years=3)
    data = world.jkm_data(member, children=("smp", "pt", "tk_sd"))
    claim = register(session, user, data)
    params = service.parameters_on(session, data.event_date)
    paid = service.member_coverage(session, member, data.event_date).paid_months
    assert paid >= 36
    expected = benefits.jkm_benefit(
        params,
        children=data.children,
        contribution_months=paid,
        event_date=data.event_date,
        today=world.today(),
    )
    assert (
        claim.amount
        == expected.total
        == 20_000_000 + 12_000_000 + 10_000_000 + 2_000_000 + 12_000_000
    )
    assert {line["code"]: line["amount"] for line in claim.breakdown["lines"]} == expected.amounts()
    assert [n["msgid"] for n in claim.breakdown["notes"]] == [
        benefit_texts.note_text(n)._args[0] for n in expected.notes
    ]

    worker = world.paid_member(session, income=3_000_000)
    details = {
        "treatment_cost": 7_500_000,
        "transport_mode": "sea",
        "transport_cost": 3_000_000,
        "stmb_days": 400,
        "disability_percent": "12.5",
    }
    accident = world.jkk_data(worker, **details)
    jkk = register(session, user, accident)
    expected = benefits.jkk_benefit(
        service.parameters_on(session, accident.event_date),
        income=3_000_000,
        treatment_cost=7_500_000,
        transport_mode="sea",
        transport_cost=3_000_000,
        stmb_days=400,
        disability_percent=Decimal("12.5"),
    )
    assert jkk.amount == expected.total
    assert {line["code"]: line["amount"] for line in jkk.breakdown["lines"]} == expected.amounts()
    assert expected.amounts()["jkk.transport"] == 2_000_000  # capped for sea


def test_a_new_parameter_row_changes_only_claims_with_a_later_event_date(session, user):
    today = world.today()
    change = today - timedelta(days=10)
    old = session.scalar(
        select(BenefitParameter).where(
            BenefitParameter.key == "jkm.lump_sum", BenefitParameter.valid_to.is_(None)
        )
    )
    old.valid_to = change - timedelta(days=1)
    session.add(
        BenefitParameter(
            key="jkm.lump_sum",
            value=Decimal(25_000_000),
            valid_from=change,
            note="JKM lump sum raised (test)",
        )
    )
    session.commit()
    assert service.parameters_on(session, change - timedelta(days=1))["jkm.lump_sum"] == 20_000_000
    assert service.parameters_on(session, change)["jkm.lump_sum"] == 25_000_000

    day_before = register(
        session,
        user,
        world.jkm_data(
            world.paid_member(session), event_date=change - timedelta(days=1), children=()
        ),
    )
    on_the_day = register(
        session,
        user,
        world.jkm_data(world.paid_member(session), event_date=change, children=()),
    )
    later = register(
        session,
        user,
        world.jkm_data(
            world.paid_member(session), event_date=today - timedelta(days=2), children=()
        ),
    )
    assert day_before.amount == 42_000_000
    assert on_the_day.amount == later.amount == 47_000_000
    lump = {c.id: c.breakdown["lines"][0] for c in (day_before, on_the_day)}
    assert (
        lump[day_before.id]["amount"] == 20_000_000 and lump[on_the_day.id]["amount"] == 25_000_000
    )


# --- 7. concurrency (PostgreSQL: real connections and row locks) -------------------------------


def _at_once(
    app: Any, user: Any, claim_id: int, calls: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """Each user takes the action of ``calls[username]`` on the claim, all at the same moment."""
    from backoffice.extensions import db
    from models import User

    ids = {username: user(username).id for username in calls}
    barrier = threading.Barrier(len(calls))
    results: dict[str, str] = {}

    def act(username: str) -> None:
        with app.app_context():
            actor = db.session.get(User, ids[username])
            kwargs = dict(calls[username])
            action = kwargs.pop("action")
            barrier.wait()
            try:
                done(db.session, claim_decisions.decide, actor, claim_id, action, **kwargs)
                results[username] = "ok"
            except DomainError as exc:
                results[username] = str(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(username,)) for username in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _events(session: Any, claim_id: int, action: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.record_type == "claim",
            AuditEvent.record_id == str(claim_id),
            AuditEvent.action == action,
        )
    )


def test_two_clerks_approving_at_once_yield_one_approval(
    app, session, user, settings, postgres_only
):
    # registered and verified by the branch head: both clerks may approve it
    claim = verified_claim(
        session, user, settings, world.jkm_data(world.paid_member(session)), by=HEAD
    )
    results = _at_once(
        app, user, claim.id, {CLERK: {"action": "approve"}, SECOND_CLERK: {"action": "approve"}}
    )
    assert list(results.values()).count("ok") == 1, results
    refused = next(r for r in results.values() if r != "ok")
    assert NO_LONGER in refused or "orang lain" in refused
    session.expire_all()
    approved = session.get(Claim, claim.id)
    winner = next(username for username, r in results.items() if r == "ok")
    assert approved.state is C.APPROVED and approved.approved_by.username == winner
    assert _events(session, claim.id, "approve") == 1
    assert verify_chain(session).ok


def test_two_clerks_paying_at_once_pay_once(app, session, user, settings, postgres_only):
    claim = approved_claim(session, user, settings, world.jkm_data(world.paid_member(session)))
    today = world.today()
    results = _at_once(
        app,
        user,
        claim.id,
        {
            CLERK: {"action": "pay", "payment_reference": "TRF-A", "paid_on": today},
            SECOND_CLERK: {"action": "pay", "payment_reference": "TRF-B", "paid_on": today},
        },
    )
    assert list(results.values()).count("ok") == 1, results
    session.expire_all()
    paid = session.get(Claim, claim.id)
    winner = next(username for username, r in results.items() if r == "ok")
    assert paid.state is C.PAID and paid.paid_by.username == winner
    assert paid.payment_reference == {CLERK: "TRF-A", SECOND_CLERK: "TRF-B"}[winner]
    assert _events(session, claim.id, "pay") == 1
    assert verify_chain(session).ok


def test_a_due_date_skips_public_holidays_and_cuti_bersama(session, user, settings, monkeypatch):
    """Domain: working days skip Indonesian public holidays and cuti bersama. A JKM file complete
    on Wednesday 24/12/2025 is due 3 working days later: not 25/12 (Christmas), not 26/12 (cuti
    bersama, reference data), not the weekend: 31/12/2025."""
    session.add(
        HolidayCorrection(day=date(2025, 12, 26), name="Cuti bersama Natal", kind=HolidayKind.ADD)
    )
    claim = register(session, user, world.jkm_data(world.paid_member(session)))
    upload_all(session, user, claim, settings, check=False, skip=("heir_statement",))

    class ChristmasEve(datetime):
        @classmethod
        def now(cls, tz=None):  # 10:00 in Jakarta
            return datetime(2025, 12, 24, 3, 0, tzinfo=UTC)

    monkeypatch.setattr(claim_documents, "datetime", ChristmasEve)
    _upload(session, user, claim, settings, "heir_statement", world.PDF, "ahli-waris.pdf")
    session.expire_all()
    assert session.get(Claim, claim.id).due_date == date(2025, 12, 31)


def test_transport_costs_without_a_mode_are_refused_in_the_clerks_words(session, user):
    """The transport benefit is capped by mode (land, sea, air): costs without one cannot be
    computed, and the clerk is told which field to fill, in Indonesian."""
    member = world.paid_member(session)
    session.commit()
    data = world.jkk_data(member, transport_cost=750_000)
    with pytest.raises(DomainError) as refused:
        done(session, service.register_claim, user(CLERK), data)
    assert str(refused.value) == (
        "Pilih moda transportasi pekerja (darat, laut atau udara) untuk biaya transportasi."
    )
    assert refused.value.field == "transport_mode"
    session.rollback()
    with_mode = world.jkk_data(member, transport_cost=750_000, transport_mode="land")
    claim = done(session, service.register_claim, user(CLERK), with_mode)
    assert any(line["code"] == "jkk.transport" for line in claim.breakdown["lines"])
