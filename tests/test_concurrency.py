"""Many clerks deciding the same items at once, through the screens (PostgreSQL only).

Fifty clerks of KC Serang, each signed in with their own browser session (a test client in its
own thread, its own database connection from a pool of fifty), decide 200 items at the same
time: 100 claims ready to approve (registered and verified by two other clerks) and 100 submitted
member batches of one row each (accept all). They work in teams of ten: the ten clerks of a team
go through the same 40 items in the same order, so that each item is raced for by ten clerks at
the same moment (CONTENDERS = CLERKS makes all fifty race for every item: 10,000 requests, about
a minute). Every clerk sends the version of the item their page showed, as the form does. Every
item ends with exactly one decision and one audit event for it, the audit chain is intact, every
member is registered once, and no request fails (each answers with a redirect and a message). A
double click (the same form posted twice at once from one browser) is one decision.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import has_app_context
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from backoffice import create_app
from backoffice.audit import verify_chain
from backoffice.extensions import db
from backoffice.rules import benefits
from backoffice.rules.kpj import kpj_is_valid
from backoffice.services import claims as claim_service
from backoffice.services.numbering import reserve_kpj
from models import (
    AuditEvent,
    BatchRow,
    BatchState,
    Claim,
    ClaimState,
    ClaimType,
    Department,
    Member,
    MemberBatch,
    Office,
    Relationship,
    Role,
    RowState,
    User,
)
from tests.conftest import _TEMPLATE_CACHE, Client, _app_config

CLERKS = 50
CONTENDERS = 10  # clerks trying each item at the same moment
CLAIMS = 100
BATCHES = 100
PASSWORD = "rahasia-panjang-1"
TODAY = date.today()


@pytest.fixture
def busy_app(database_url: str, postgres_only: None, tmp_path: Path) -> Iterator[Any]:
    """The app with a connection pool large enough for every clerk at once."""
    engine = {
        "pool_pre_ping": True,
        "pool_size": CLERKS + 2,
        "max_overflow": 0,
        "pool_timeout": 120,
    }
    app = create_app(
        _app_config(
            database_url, UPLOAD_DIR=str(tmp_path / "uploads"), SQLALCHEMY_ENGINE_OPTIONS=engine
        )
    )
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _one(model: type, **where: Any) -> Any:
    return db.session.scalar(select(model).filter_by(**where))


def make_clerks(office: Office) -> list[str]:
    """Fifty clerks of the office (a quick hash: signing fifty people in is not the point)."""
    fast = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    names = [f"petugas{n:02d}.beban" for n in range(1, CLERKS + 1)]
    db.session.add_all(
        User(
            username=name,
            full_name=f"Petugas Beban {name[7:9]}",
            password_hash=fast,
            role=Role.BRANCH_CLERK,
            office_id=office.id,
        )
        for name in names
    )
    db.session.commit()
    return names


def make_claims(office: Office, registrar: User, verifier: User, count: int = CLAIMS) -> list[int]:
    """JKM claims of Rp45.500.000 (within a clerk's limit), verified, one member each."""
    parameters = claim_service.parameters_on(db.session, TODAY)
    children = [
        benefits.Child("Putri", date(2018, 2, 1), "tk_sd"),
        benefits.Child("Bagas", date(2012, 2, 1), "smp"),
    ]
    event = TODAY - timedelta(days=3)
    breakdown = benefits.jkm_benefit(
        parameters, children=children, contribution_months=48, event_date=event, today=event
    )
    record = claim_service.breakdown_record(breakdown)
    now = datetime.now(UTC)
    claims = []
    for n, kpj in enumerate(reserve_kpj(db.session, count)):
        member = Member(
            kpj=kpj,
            nik=f"3604011203{80 + n % 10:02d}{7000 + n:04d}",
            name=f"Peserta Beban {n}",
            birth_date=date(1980 + n % 10, 3, 12),
            sex="L",
            income_level=1_000_000,
            programmes="JKK,JKM",
            start_date=TODAY - timedelta(days=1500),
            contribution_jkk=10_000,
            contribution_jkm=6_800,
            monthly_contribution=16_800,
            office_id=office.id,
            region_id=office.region_id,
        )
        claims.append(
            Claim(
                state=ClaimState.VERIFIED,
                claim_type=ClaimType.JKM,
                member=member,
                office_id=office.id,
                region_id=office.region_id,
                event_date=event,
                claimant_name="Siti Rahmawati",
                claimant_nik="3604015203820001",
                claimant_relationship=Relationship.SPOUSE,
                bank_name="BRI",
                bank_account="0123-01-000123-50-1",
                account_holder="Siti Rahmawati",
                amount=breakdown.total,
                breakdown=record,
                registered_by_id=registrar.id,
                submitted_at=now,
                complete_at=now,
                due_date=TODAY + timedelta(days=3),
                verified_by_id=verifier.id,
                verified_at=now,
                approval_level=Role.BRANCH_CLERK,
            )
        )
    db.session.add_all(claims)
    db.session.commit()
    assert breakdown.total == 45_500_000
    return [c.id for c in claims]


def make_batches(department: Department, liaison: User, count: int = BATCHES) -> list[int]:
    """Submitted batches of one valid row each, as the importer leaves them."""
    now = datetime.now(UTC)
    made = []
    for n in range(count):
        nik = f"3604011708{90 + n % 10:02d}{7200 + n:04d}"
        batch = MemberBatch(
            state=BatchState.SUBMITTED,
            department_id=department.id,
            office_id=department.office_id,
            region_id=department.office.region_id,
            uploaded_by_id=liaison.id,
            submitted_by_id=liaison.id,
            submitted_at=now,
            filename=f"peserta-{n:03d}.csv",
            checksum=f"{n:064x}",
            file_format="csv",
            file_size=200,
            registration_date=TODAY,
            row_count=1,
            valid_count=1,
        )
        name = f"Pekerja Beban {n}"
        born = date(1990 + n % 10, 8, 17)
        batch_row = BatchRow(
            batch=batch,
            number=2,
            state=RowState.PENDING,
            nik=nik,
            name=name,
            data={
                "nik": nik,
                "name": name,
                "birth_date": born.isoformat(),
                "sex": "L",
                "address": "Kp. Cibeber RT 001/RW 002",
                "phone": "081234567890",
                "occupation": "Petani",
                "income": 1_000_000,
                "programmes": ["JKK", "JKM"],
            },
            original=[nik, name, born.strftime("%d/%m/%Y"), "L"],
        )
        db.session.add_all([batch, batch_row])
        made.append(batch)
    db.session.commit()
    return [b.id for b in made]


def registrar_and_verifier() -> tuple[User, User]:
    """Two other clerks of the office: they registered and verified the claims."""
    return _one(User, username="petugas.serang"), _one(User, username="petugas2.serang")


def signed_in(app: Any, username: str) -> Any:
    client = Client(app)
    assert client.login(username, PASSWORD).status_code == 302
    client.token = client.csrf_token()
    return client


def at_once(jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run each job in its own thread, all released at the same moment; their exceptions."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            if has_app_context():  # a job that pushed a context of its own: end its session
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client never finished"
    return errors


def events(record_type: str, action: str) -> Counter:
    rows = db.session.scalars(
        select(AuditEvent.record_id).where(
            AuditEvent.record_type == record_type, AuditEvent.action == action
        )
    )
    return Counter(int(r) for r in rows)


def test_fifty_clerks_deciding_the_same_200_items_at_once_decide_each_exactly_once(busy_app):
    app = busy_app
    office = _one(Office, code="B01")
    clerks = make_clerks(office)
    claim_ids = make_claims(office, *registrar_and_verifier())
    batch_ids = make_batches(
        _one(Department, name="Dinas Pertanian Kab. Serang"),
        _one(User, username="dinas.pertanian.serang"),
    )
    clients = {name: signed_in(app, name) for name in clerks}  # each sign-in is an event
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    members_before = db.session.scalar(select(func.count()).select_from(Member))
    db.session.remove()

    # Teams of CONTENDERS clerks: a team's clerks go through the same items in the same order
    # and so reach each of them at the same moment. Every clerk opened the queue before anyone
    # decided: their forms carry version 1.
    items = [("/admin/claim/decide/", i, "approve") for i in claim_ids] + [
        ("/admin/batch/decide/", i, "accept_all") for i in batch_ids
    ]
    random.Random(7).shuffle(items)  # claims and batches mixed
    teams = CLERKS // CONTENDERS
    answers: list[int] = []  # status codes (list.extend is atomic; a Counter's += is not)

    def clerk(number: int, name: str) -> Callable[[], None]:
        mine = items[number % teams :: teams]

        def work() -> None:
            client, mine_answered = clients[name], []
            with app.app_context():
                for url, item_id, action in mine:
                    form = {
                        "id": item_id,
                        "action": action,
                        "version": 1,
                        "csrf_token": client.token,
                    }
                    mine_answered.append(client.post(url, data=form).status_code)
            answers.extend(mine_answered)

        return work

    errors = at_once([clerk(number, name) for number, name in enumerate(clerks)])
    assert errors == []
    # Every request was answered with a redirect back (and a message), none failed.
    assert Counter(answers) == {302: CONTENDERS * (CLAIMS + BATCHES)}

    clerk_ids = set(db.session.scalars(select(User.id).where(User.username.in_(clerks))))
    claims = db.session.scalars(select(Claim).where(Claim.id.in_(claim_ids))).all()
    assert {c.state for c in claims} == {ClaimState.APPROVED}
    assert {c.approved_by_id for c in claims} <= clerk_ids
    assert {c.version for c in claims} == {2}
    assert events("claim", "approve") == Counter({i: 1 for i in claim_ids})

    found = db.session.scalars(select(MemberBatch).where(MemberBatch.id.in_(batch_ids))).all()
    assert {(b.state, b.accepted_count, b.version) for b in found} == {(BatchState.COMPLETED, 1, 2)}
    assert events("member_batch", "accept_all") == Counter({i: 1 for i in batch_ids})
    rows = db.session.scalars(select(BatchRow).where(BatchRow.batch_id.in_(batch_ids))).all()
    assert {r.state for r in rows} == {RowState.ACCEPTED}
    assert {r.decided_by_id for r in rows} <= clerk_ids
    # one member per row, each with its own KPJ: nobody registered twice
    registered = db.session.scalars(select(Member).where(Member.batch_id.in_(batch_ids))).all()
    assert sorted(m.nik for m in registered) == sorted(r.nik for r in rows)
    assert len({m.kpj for m in registered}) == BATCHES and all(
        kpj_is_valid(m.kpj) for m in registered
    )
    assert db.session.scalar(select(func.count()).select_from(Member)) == members_before + BATCHES

    # exactly the 200 decisions were audited, and each member registered once ("create"), in
    # one unbroken chain
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent))
        == events_before + 200 + BATCHES
    )
    assert events("member", "create") == Counter({m.id: 1 for m in registered})
    assert verify_chain(db.session).ok
    # the work was shared: many clerks won some item (they really raced)
    winners = {c.approved_by_id for c in claims} | {r.decided_by_id for r in rows}
    assert len(winners) > 1


def test_a_double_click_sends_the_same_form_twice_and_decides_once(busy_app):
    app = busy_app
    office = _one(Office, code="B01")
    make_clerks(office)
    [claim_id] = make_claims(office, *registrar_and_verifier(), count=1)
    [batch_id] = make_batches(
        _one(Department, name="Dinas Pertanian Kab. Serang"),
        _one(User, username="dinas.pertanian.serang"),
        count=1,
    )
    client = signed_in(app, "petugas01.beban")
    db.session.remove()
    answers: list[Any] = []

    def submit(url: str, form: dict[str, Any]) -> Callable[[], None]:
        def work() -> None:
            with app.app_context():
                answers.append(client.post(url, data={**form, "csrf_token": client.token}))

        return work

    for url, form in (
        ("/admin/claim/decide/", {"id": claim_id, "action": "approve", "version": 1}),
        ("/admin/batch/decide/", {"id": batch_id, "action": "accept_all", "version": 1}),
    ):
        assert at_once([submit(url, form), submit(url, form)]) == []
    assert [r.status_code for r in answers] == [302] * 4

    assert _one(Claim, id=claim_id).state is ClaimState.APPROVED
    assert events("claim", "approve") == Counter({claim_id: 1})
    batch = _one(MemberBatch, id=batch_id)
    assert (batch.state, batch.accepted_count) == (BatchState.COMPLETED, 1)
    assert events("member_batch", "accept_all") == Counter({batch_id: 1})
    assert (
        db.session.scalar(
            select(func.count()).select_from(Member).where(Member.batch_id == batch_id)
        )
        == 1
    )
    assert verify_chain(db.session).ok
