"""Notifications (issue #20) on a real database and a real SMTP server the tests start
(aiosmtpd on a free port): whoever must act next is told in the app and by email, in the
transaction of the decision (a rolled-back decision sends nothing), with retries and a dead
letter; the bell, the inbox scoped to its recipient, and members' reminders once a month."""

from __future__ import annotations

import email
import io
import json
import socket
from datetime import date
from email import policy
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.extensions import db as _db
from backoffice.services import batch_intake, batches, notifications, reminders
from backoffice.transaction import unit_of_work
from models import (
    BatchState,
    Member,
    MemberReminder,
    MemberStatus,
    Notification,
    OutboxMessage,
    OutboxState,
    Role,
)
from tests.conftest import _TEMPLATE_CACHE, _app_config
from tests.factories import make_department, make_member, make_payment, make_user
from tests.steps import done as committed
from tests.test_member_batches import TODAY, csv_bytes, person

LIAISON = "dinas.pertanian.serang"
CLERK = "petugas.serang"
OTHER_CLERK = "petugas2.serang"
BASE_URL = "https://backoffice.test"
RETRIES = 2


class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts; refuses them while ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused = 0
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            self.refused += 1
            return "451 Requested action aborted: local error in processing"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Any:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


@pytest.fixture
def app(database_url: str, tmp_path: Path, smtp: Mailbox) -> Any:
    """The app sending real email to the test's SMTP server."""
    app = create_app(
        _app_config(
            database_url,
            UPLOAD_DIR=str(tmp_path / "uploads"),
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp.port,
            MAIL_TIMEOUT=10,
            MAIL_RETRIES=RETRIES,
            NOTIFY_RETRY_DELAY=0,
            BACKOFFICE_URL=BASE_URL,
            MEMBER_GATEWAY=f"file:{tmp_path / 'gateway.jsonl'}",
        )
    )
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def settings(app: Any, tmp_path: Path) -> batch_intake.Settings:
    config = {**app.config, "UPLOAD_DIR": str(tmp_path / "uploads")}
    return batch_intake.Settings.from_config(config, app.instance_path)


@pytest.fixture
def people(session: Any, user: Any) -> dict[str, Any]:
    """The demo's clerks and liaison with an email address (the liaison reads English)."""
    found = {name: user(name) for name in (CLERK, OTHER_CLERK, LIAISON, "kepala.serang")}
    for name, u in found.items():
        u.email = f"{name}@bpjs.test"
    found[LIAISON].locale = "en"
    session.commit()
    return found


ROWS = [person(1, "Budi Santoso"), person(2, "Siti Aminah", sex="P")]


def draft(session: Any, user: Any, settings: Any) -> Any:
    up = committed(
        session,
        batch_intake.upload_batch,
        user(LIAISON),
        csv_bytes(ROWS),
        "peserta.csv",
        settings=settings,
        today=TODAY,
    )
    with unit_of_work(session):
        batch = batch_intake.process_batch(session, up.batch.id, settings)
    assert batch.state is BatchState.DRAFT
    return batch


def notifications_of(session: Any, u: Any) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == u.id)))


def assert_no_personal_data(message: email.message.EmailMessage) -> None:
    text = message["Subject"] + message.get_body().get_content()
    for row in ROWS:
        assert row["NIK"] not in text
        assert row["Nama Lengkap"] not in text
        assert row["No HP"] not in text


def test_a_submitted_batch_reaches_the_clerks_in_the_app_and_by_email(
    session, user, settings, people, smtp
):
    batch = draft(session, user, settings)
    committed(session, batches.decide, user(LIAISON), batch.id, "submit")

    [note] = notifications_of(session, people[CLERK])
    assert (note.kind, note.record_id, note.read_at) == ("batch_submitted", batch.id, None)
    assert len(notifications_of(session, people[OTHER_CLERK])) == 1  # the office's clerks
    assert notifications_of(session, people["kepala.serang"]) == []  # not a clerk
    assert notifications_of(session, people[LIAISON]) == []  # who did it is not told

    [message] = smtp.to(f"{CLERK}@bpjs.test")
    body = message.get_body().get_content()
    # Indonesian, a link to the notification, the item's number, nothing personal.
    assert message["Subject"] == f"Batch peserta no. {batch.id} menunggu keputusan Anda"
    assert f"{BASE_URL}/admin/notifications/open/?id={note.id}" in body
    assert "Dinas Pertanian" in body
    assert_no_personal_data(message)
    sent = session.scalar(select(OutboxMessage).where(OutboxMessage.notification_id == note.id))
    assert (sent.state, sent.attempts) == (OutboxState.SENT, 1)


def test_the_liaison_hears_when_the_batch_is_decided(session, user, settings, people, smtp):
    batch = draft(session, user, settings)
    committed(session, batches.decide, user(LIAISON), batch.id, "submit")
    assert smtp.to(f"{LIAISON}@bpjs.test") == []
    decided = committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert decided.state is BatchState.COMPLETED

    [note] = notifications_of(session, people[LIAISON])
    assert (note.kind, note.endpoint) == ("batch_decided", "batch")
    [message] = smtp.to(f"{LIAISON}@bpjs.test")
    assert message["Subject"] == f"Your member batch no. {batch.id} was decided"  # locale en
    assert "2 rows accepted, 0 rejected" in message.get_body().get_content()
    assert_no_personal_data(message)


def test_a_rolled_back_decision_sends_nothing(session, user, settings, people, smtp):
    batch = draft(session, user, settings)
    with pytest.raises(RuntimeError), unit_of_work(session):
        batches.decide(session, user(LIAISON), batch.id, "submit")
        assert session.scalar(select(func.count()).select_from(Notification)) == 2
        raise RuntimeError("the request failed after the decision")
    session.expire_all()
    assert session.get(type(batch), batch.id).state is BatchState.DRAFT
    assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert smtp.messages == []


def test_a_failing_smtp_server_is_retried_then_dead_lettered(
    session, user, settings, people, smtp, login
):
    smtp.refuse = True
    batch = draft(session, user, settings)
    committed(session, batches.decide, user(LIAISON), batch.id, "submit")
    session.expire_all()
    dead = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert len(dead) == 2  # both clerks
    for message in dead:
        assert (message.state, message.attempts) == (OutboxState.DEAD, 1 + RETRIES)
        assert "451" in message.last_error
    assert smtp.refused == 2 * (1 + RETRIES)
    # The in-app notification is there all the same.
    assert len(notifications_of(session, people[CLERK])) == 1

    # The administrator sees them and sends them again once the server works.
    admin = login("admin")
    page = admin.get("/admin/outbox/").get_data(as_text=True)
    assert f'id="message-{dead[0].id}"' in page and "451" in page
    assert login(CLERK).get("/admin/outbox/").status_code == 403
    smtp.refuse = False
    response = admin.post("/admin/outbox/retry", {"id": [str(m.id) for m in dead]})
    assert response.status_code == 302
    session.expire_all()
    assert {m.state for m in session.scalars(select(OutboxMessage))} == {OutboxState.SENT}
    assert len(smtp.to(f"{CLERK}@bpjs.test")) == 1


def test_the_bell_counts_unread_and_the_inbox_marks_read(session, user, settings, people, login):
    batch = draft(session, user, settings)
    committed(session, batches.decide, user(LIAISON), batch.id, "submit")
    clerk = login(CLERK)
    page = clerk.get("/admin/").get_data(as_text=True)
    assert 'id="unread-count">1<' in page
    inbox = clerk.get("/admin/notifications/").get_data(as_text=True)
    [note] = notifications_of(session, people[CLERK])
    assert f"Batch peserta no. {batch.id} menunggu keputusan Anda" in inbox
    # Opening it marks it read and leads to the batch in the registration queue.
    opened = clerk.get(f"/admin/notifications/open/?id={note.id}")
    assert opened.status_code == 302
    assert opened.location.endswith(f"/admin/registration_queue/details/?id={batch.id}")
    assert 'id="unread-count"' not in clerk.get("/admin/").get_data(as_text=True)
    # Mark all read (CSRF-protected).
    committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    liaison = login(LIAISON)
    assert 'id="unread-count">1<' in liaison.get("/admin/").get_data(as_text=True)
    assert liaison.post("/admin/notifications/read-all", csrf=False).status_code == 400
    assert liaison.post("/admin/notifications/read-all").status_code == 302
    assert 'id="unread-count"' not in liaison.get("/admin/").get_data(as_text=True)


def test_another_users_notification_is_not_found(session, user, settings, people, login):
    batch = draft(session, user, settings)
    committed(session, batches.decide, user(LIAISON), batch.id, "submit")
    [note] = notifications_of(session, people[CLERK])
    other = login(OTHER_CLERK)
    assert other.get(f"/admin/notifications/open/?id={note.id}").status_code == 404
    assert other.post("/admin/notifications/read/", {"id": str(note.id)}).status_code == 404
    assert f"notification-{note.id}" not in other.get("/admin/notifications/").get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(Notification, note.id).read_at is None
    assert login(CLERK).get(f"/admin/notifications/open/?id={note.id}").status_code == 302


def test_a_digest_user_gets_one_email_a_day(session, user, settings, people, smtp):
    with unit_of_work(session):
        notifications.set_preference(session, people[CLERK], "digest", people[CLERK])
        notifications.set_preference(session, people[OTHER_CLERK], "none", people[OTHER_CLERK])
    batch = draft(session, user, settings)
    committed(session, batches.decide, user(LIAISON), batch.id, "submit")
    assert smtp.messages == []  # held for the digest; the other clerk wants none
    assert len(notifications_of(session, people[OTHER_CLERK])) == 1  # but sees it in the app
    assert committed(session, notifications.send_digests) == 1
    [message] = smtp.to(f"{CLERK}@bpjs.test")
    assert (
        f"Batch peserta no. {batch.id} menunggu keputusan Anda" in message.get_body().get_content()
    )
    assert committed(session, notifications.send_digests) == 0


# --- members' reminders --------------------------------------------------------------------


def gateway_lines(app: Any) -> list[dict[str, str]]:
    path = Path(app.config["MEMBER_GATEWAY"][len("file:") :])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_reminders_before_the_15th_go_once_per_member_and_month(app, empty_db):
    session = empty_db
    unpaid = make_member(session, phone="081234567001", start_date=date(2026, 11, 1))
    paid = make_member(session, phone="081234567002", start_date=date(2026, 11, 1))
    make_member(session, phone=None, start_date=date(2026, 11, 1))
    for m in (unpaid, paid):
        m.status, m.status_since = MemberStatus.ACTIVE, date(2026, 11, 1)
    make_payment(session, paid, date(2026, 12, 1), paid_on=date(2026, 12, 2))
    session.commit()
    gateway = reminders.gateway_from(app.config)
    # Too early: nothing.
    assert committed(session, reminders.send_reminders, gateway, date(2026, 12, 5)).due == 0
    run = committed(session, reminders.send_reminders, gateway, date(2026, 12, 12))
    assert run.due == 1
    [line] = gateway_lines(app)
    assert line["to"] == "081234567001"
    assert unpaid.kpj in line["text"] and "15/12/2026" in line["text"]
    assert "iuran" in line["text"].lower()  # Indonesian
    # The next day, and the command line, send nothing more this month.
    assert committed(session, reminders.send_reminders, gateway, date(2026, 12, 13)).due == 0
    result = CliRunner().invoke(
        app.cli, ["member-reminders", "--day", "2026-12-14", "--no-department-lists"]
    )
    assert result.exit_code == 0, result.output
    assert "0 due reminders" in result.output
    assert len(gateway_lines(app)) == 1
    assert session.scalar(select(func.count()).select_from(MemberReminder)) == 1
    # Next month, again once.
    assert committed(session, reminders.send_reminders, gateway, date(2027, 1, 12)).due >= 1


def test_two_unpaid_months_remind_and_list_the_department(app, empty_db, smtp):
    session = empty_db
    department = make_department(session)
    member = make_member(
        session,
        office=department.office,
        department_id=department.id,
        phone="081234567003",
        start_date=date(2026, 9, 1),
    )
    member.status, member.status_since = MemberStatus.ACTIVE, date(2026, 9, 1)
    make_payment(session, member, date(2026, 9, 1))
    session.commit()
    gateway = reminders.gateway_from(app.config)
    run = committed(session, reminders.send_reminders, gateway, date(2026, 11, 20))
    assert run.arrears == 1
    assert committed(session, reminders.send_reminders, gateway, date(2026, 11, 21)).arrears == 0
    assert len([x for x in gateway_lines(app) if member.kpj in x["text"]]) == 1

    content = reminders.arrears_workbook(session, department, date(2026, 11, 20))
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    assert cells[1][0] == "Nomor KPJ"
    assert [member.kpj, member.name] == cells[2][:2]
    assert session.scalar(select(func.count()).select_from(Member)) == 1

    # On the 1st the department's liaison gets the list by email, attached.
    make_user(session, Role.LIAISON, department=department, email="liaison@dinas.test")
    session.commit()
    assert reminders.send_department_lists(session, date(2026, 12, 1)) == 1
    [message] = smtp.to("liaison@dinas.test")
    assert message["Subject"] == "Peserta menunggak, 12/2026"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"tunggakan-{department.id}-2026-12.xlsx"
    sent = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert [c.value for c in next(sent.active.iter_rows(min_row=3))][0] == member.kpj


def test_each_user_chooses_their_email_notifications(session, user, login):
    clerk = login(CLERK)
    page = clerk.get("/account/password").get_data(as_text=True)
    assert 'id="notification-settings"' in page and "Sekali sehari (ringkasan)" in page
    url = "/account/notifications"
    assert clerk.post(url, {"email_notifications": "digest"}, csrf=False).status_code == 400
    assert clerk.post(url, {"email_notifications": "hourly"}).status_code == 400
    assert clerk.post(url, {"email_notifications": "digest"}).status_code == 302
    session.expire_all()
    assert user(CLERK).email_notifications == "digest"
    assert user(OTHER_CLERK).email_notifications == "immediate"
