"""Failures: in the middle of a decision, and the database going away (SQLite and PostgreSQL).

- A failure injected in the middle of accepting a batch, approving a claim or recording its
  payment (the audit append raising, or the database refusing the member insert or the claim
  update) leaves nothing behind: every table is exactly as before, the user gets the error page
  (Indonesian, no trace of the exception) and the same form sent again succeeds.
- The database going away: while it is unreachable a request gets the same clear error page;
  once it is back the next request works, without restarting the app. On PostgreSQL the app's
  connections are also terminated (``pg_terminate_backend``) between requests and in the middle
  of one: the pool replaces them (``pool_pre_ping``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from backoffice import audit
from backoffice.audit import verify_chain
from backoffice.clock import today_in_jakarta
from backoffice.services import batch_intake, batches, claim_decisions, claim_documents
from backoffice.services import claims as claim_service
from backoffice.transaction import unit_of_work
from models import AuditEvent, Base, BatchState, Claim, ClaimState, Member, MemberBatch
from tests.fixtures import claim_world as world

ERROR_PAGE = "Terjadi kesalahan pada sistem. Kesalahan sudah dicatat."  # both error pages
FAILURE = "injected failure: the disk is full"


@pytest.fixture
def production_errors(app: Any) -> Any:
    """Errors answered as in production: the error page, not the exception in the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def database_state(session: Any) -> str:
    """A digest of every row of every table."""
    session.expire_all()
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in session.execute(select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
        digest.update(table.name.encode())
    return digest.hexdigest()


def assert_error_page(response: Any, *hidden: str) -> None:
    """The user's page: the fixed Indonesian message; no exception, trace or SQL."""
    body = response.get_data(as_text=True)
    assert response.status_code in (500, 503), response.status_code
    assert response.mimetype == "text/html"
    assert ERROR_PAGE in " ".join(body.split())
    for text in ("Traceback", "sqlalchemy", "OperationalError", "SELECT", "INSERT", "UPDATE"):
        assert text not in body
    for text in hidden:
        assert text not in body


def events(session: Any, record_type: str, record_id: int, action: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.record_type == record_type,
            AuditEvent.record_id == str(record_id),
            AuditEvent.action == action,
        )
    )


# --- injected failures ------------------------------------------------------------------------


@contextmanager
def failing_audit(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The audit append (the last step of every decision) fails."""
    calls: list[str] = []

    def fail(session: Any, **kwargs: Any) -> None:
        calls.append(kwargs["action"])
        raise RuntimeError(FAILURE)

    with monkeypatch.context() as patch:
        patch.setattr(audit, "append_event", fail)
        yield calls


@contextmanager
def failing_sql(engine: Any, prefix: str) -> Iterator[list[str]]:
    """Statements starting with ``prefix`` (``INSERT INTO member``) fail in the database itself:
    they are sent to a table that does not exist, a real error in the middle of the transaction."""
    table = prefix.split()[-1]
    calls: list[str] = []

    def rewrite(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        if statement.lstrip().startswith(prefix + " "):
            calls.append(statement)
            statement = statement.replace(f"{table} ", f"{table}_unavailable ", 1)
        return statement, parameters

    event.listen(engine, "before_cursor_execute", rewrite, retval=True)
    try:
        yield calls
    finally:
        event.remove(engine, "before_cursor_execute", rewrite)


def _csv(*rows: tuple[str, str]) -> bytes:
    lines = ["NIK;Nama Lengkap;Tanggal Lahir;Jenis Kelamin;Penghasilan;Program"]
    lines += [f"{nik};{name};17/08/1990;L;1000000;JKK, JKM" for nik, name in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def submitted_batch(app: Any, session: Any, user: Any) -> MemberBatch:
    settings = batch_intake.Settings.from_config(app.config, app.instance_path)
    liaison = user("dinas.pertanian.serang")
    data = _csv(("3604011708900101", "Budi Santoso"), ("3604011708900102", "Ujang Suryana"))
    with unit_of_work(session):
        up = batch_intake.upload_batch(
            session, liaison, data, "peserta.csv", settings=settings, today=today_in_jakarta()
        )
    with unit_of_work(session):
        batch = batch_intake.process_batch(session, up.batch.id, settings)
    assert batch is not None and batch.valid_count == 2
    with unit_of_work(session):
        batch = batches.decide(session, liaison, batch.id, "submit")
    session.refresh(batch)  # as committed
    return batch


def verified_claim(app: Any, session: Any, user: Any) -> Claim:
    """Registered by petugas2.serang, verified by kepala.serang: petugas.serang approves."""
    settings = claim_documents.DocumentSettings.from_config(app.config, app.instance_path)
    clerk = user("petugas2.serang")
    claim = claim_service.register_claim(session, clerk, world.jkm_data(world.paid_member(session)))
    session.commit()
    for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
        data, filename = world.document_bytes(index)
        document = claim_documents.upload_document(
            session, clerk, claim, requirement.id, data, filename, settings=settings
        )
        claim_documents.check_document(session, clerk, document)
    with unit_of_work(session):
        return claim_decisions.decide(session, user("kepala.serang"), claim.id, "verify")


INJECTIONS = {
    "audit append": lambda mp, engine, table: failing_audit(mp),
    "database refusing the write": lambda mp, engine, table: failing_sql(engine, table),
}


@pytest.mark.parametrize("injection", sorted(INJECTIONS))
def test_a_failure_while_accepting_a_batch_leaves_nothing_and_the_retry_succeeds(
    production_errors, db, session, login, user, monkeypatch, injection
):
    app = production_errors
    batch = submitted_batch(app, session, user)
    clerk = login("petugas.serang")
    form = {"id": batch.id, "action": "accept_all", "version": batch.version}
    members = session.scalar(select(func.count()).select_from(Member))
    before = database_state(session)

    with INJECTIONS[injection](monkeypatch, db.engine, "INSERT INTO member") as calls:
        response = clerk.post("/admin/batch/decide/", data=form)
    assert calls, "the failure was not reached"
    assert_error_page(response, FAILURE, "member_unavailable")
    # Nothing partial: no member, no row decided, no KPJ used up, no audit event.
    assert database_state(session) == before

    retry = clerk.post("/admin/batch/decide/", data=form)
    assert retry.status_code == 302
    session.expire_all()
    batch = session.get(MemberBatch, batch.id)
    assert (batch.state, batch.accepted_count) == (BatchState.COMPLETED, 2)
    assert session.scalar(select(func.count()).select_from(Member)) == members + 2
    assert events(session, "member_batch", batch.id, "accept_all") == 1
    assert verify_chain(session).ok


@pytest.mark.parametrize("injection", sorted(INJECTIONS))
def test_a_failure_while_approving_or_paying_a_claim_leaves_nothing_and_the_retry_succeeds(
    production_errors, db, session, login, user, monkeypatch, injection
):
    app = production_errors
    claim = verified_claim(app, session, user)
    clerk = login("petugas.serang")
    today = today_in_jakarta().isoformat()
    steps = [
        ("approve", {}, ClaimState.APPROVED),
        ("pay", {"payment_reference": "TRF-20260001", "paid_on": today}, ClaimState.PAID),
    ]
    for action, extra, after in steps:
        session.expire_all()
        form = {"id": claim.id, "action": action, "version": session.get(Claim, claim.id).version}
        before = database_state(session)
        with INJECTIONS[injection](monkeypatch, db.engine, "UPDATE claim") as calls:
            response = clerk.post("/admin/claim/decide/", data={**form, **extra})
        assert calls, f"{action}: the failure was not reached"
        assert_error_page(response, FAILURE, "claim_unavailable")
        assert database_state(session) == before, f"{action} left something behind"

        retry = clerk.post("/admin/claim/decide/", data={**form, **extra})
        assert retry.status_code == 302
        session.expire_all()
        assert session.get(Claim, claim.id).state is after
        assert events(session, "claim", claim.id, action) == 1
    assert session.get(Claim, claim.id).payment_reference == "TRF-20260001"
    assert verify_chain(session).ok


# --- the database going away ------------------------------------------------------------------


def unreachable(*args: Any, **kwargs: Any) -> Any:
    raise sa.exc.OperationalError(
        "SELECT 1", {}, ConnectionRefusedError("could not connect to server: Connection refused")
    )


def test_while_the_database_is_unreachable_users_get_the_clear_page_and_then_it_serves_again(
    production_errors, db, login, monkeypatch
):
    clerk = login("petugas.serang")
    assert clerk.get("/admin/claim/").status_code == 200
    token = clerk.csrf_token()
    db.session.remove()  # the test's own connection goes back to the pool too

    with monkeypatch.context() as outage:
        outage.setattr(db.engine, "connect", unreachable)
        for response in (
            clerk.get("/admin/claim/"),
            clerk.get("/admin/"),
            clerk.post(
                "/admin/claim/decide/",
                data={"id": "1", "action": "approve", "csrf_token": token},
            ),
        ):
            assert_error_page(response, "Connection refused", "could not connect")

    # Back: the same app serves again, no restart.
    page = clerk.get("/admin/claim/")
    assert page.status_code == 200 and "Klaim" in page.get_data(as_text=True)
    assert clerk.get("/admin/").status_code == 200


def test_signing_in_while_the_database_is_unreachable_gets_the_clear_page(
    production_errors, db, client, monkeypatch
):
    token = client.csrf_token()
    with monkeypatch.context() as outage:
        outage.setattr(db.engine, "connect", unreachable)
        response = client.post(
            "/login",
            data={"username": "petugas.serang", "password": "demo1234", "csrf_token": token},
        )
    assert_error_page(response, "Connection refused")
    assert client.login("petugas.serang").status_code == 302


@pytest.fixture
def terminate(database_url: str, postgres_only: None) -> Iterator[Any]:
    """``terminate(pid=None)``: end the test database's connections (or one), as a restart or
    an administrator would, through a connection of our own."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = sa.create_engine(
        url.set(database="postgres"), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )

    def _terminate(pid: int | None = None) -> int:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                        " WHERE datname = :db AND pid <> pg_backend_pid()"
                        " AND (CAST(:pid AS integer) IS NULL OR pid = :pid)"
                    ),
                    {"db": url.database, "pid": pid},
                ).all()
            )

    yield _terminate
    admin.dispose()


def test_connections_terminated_between_requests_are_replaced(
    production_errors, db, session, login, user, terminate
):
    clerk = login("petugas.serang")
    assert clerk.get("/admin/claim/").status_code == 200
    db.session.remove()
    assert terminate() >= 1  # every pooled connection of the app is gone

    page = clerk.get("/admin/claim/")
    assert page.status_code == 200
    # a decision works too, on a fresh connection
    batch = submitted_batch(production_errors, session, user)
    db.session.remove()
    assert terminate() >= 1
    response = clerk.post(
        "/admin/batch/decide/",
        data={"id": batch.id, "action": "accept_all", "version": batch.version},
    )
    assert response.status_code == 302
    assert session.get(MemberBatch, batch.id).state is BatchState.COMPLETED
    assert verify_chain(session).ok


def test_a_connection_terminated_in_the_middle_of_a_request_gives_the_clear_page_then_recovery(
    production_errors, db, session, login, terminate
):
    clerk = login("petugas.serang")
    assert clerk.get("/admin/claim/").status_code == 200
    db.session.remove()
    killed: list[int] = []

    def kill_mid_request(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        # The first query of the claim list, after the user was loaded: the server ends
        # the connection just before it arrives.
        if not killed and "FROM claim" in statement:
            killed.append(conn.connection.dbapi_connection.info.backend_pid)
            terminate(killed[0])

    event.listen(db.engine, "before_cursor_execute", kill_mid_request)
    try:
        response = clerk.get("/admin/claim/")
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_mid_request)
    assert killed
    assert_error_page(response, "terminating connection", "server closed")

    assert clerk.get("/admin/claim/").status_code == 200
    assert clerk.get("/admin/").status_code == 200
