"""The audit trail is append-only and tamper-evident, on SQLite and PostgreSQL.

Tampering is done the way an attacker with direct database access would: through its own
connection, with PostgreSQL's append-only trigger switched off (``session_replication_role =
replica``, which the superuser may set).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.audit import append_event, compute_hash, history, verify_chain
from backoffice.audit_keys import AuditKey, current_keyring
from models import GENESIS_HASH, AuditChainHead, AuditEvent, User

events_table = AuditEvent.__table__
head_table = AuditChainHead.__table__


def signing_key() -> AuditKey:
    """The key the app signs new events with (derived from the test SECRET_KEY)."""
    return current_keyring().current


def load_user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


@pytest.fixture
def chain(session) -> list[int]:
    """Six committed events by two users and the system; returns their ids in order."""
    clerk = load_user(session, "petugas.serang")
    head = load_user(session, "kepala.serang")
    office = clerk.office_id
    steps = [
        (clerk, "create", "office_proposal", 1, None, "draft", None),
        (clerk, "submit", "office_proposal", 1, "draft", "submitted", "Mohon ditinjau"),
        (head, "approve", "office_proposal", 1, "submitted", "approved", "Lokasi sesuai"),
        (clerk, "register", "claim", 7, None, "registered", None),
        (head, "approve", "claim", 7, "registered", "approved", "Dokumen lengkap"),
        (None, "expire", "claim", 8, "registered", "expired", "Lewat batas waktu"),
    ]
    ids = []
    for actor, action, record_type, record_id, from_state, to_state, comment in steps:
        event = append_event(
            session,
            actor=actor,
            action=action,
            record_type=record_type,
            record_id=record_id,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
            ip="10.1.2.3",
            details={"amount": 1_500_000, "documents": ["KTP", "KK"]}
            if record_type == "claim"
            else None,
            office_id=office,
        )
        ids.append(event.id)
    session.commit()
    return ids


@contextmanager
def attacker(db, backend: str) -> Iterator[sa.Connection]:
    """A direct connection that bypasses the append-only trigger, in its own transaction."""
    with db.engine.begin() as conn:
        if backend == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield conn


def tamper_event(db, backend: str, event_id: int, **values) -> None:
    with attacker(db, backend) as conn:
        conn.execute(update(events_table).where(events_table.c.id == event_id).values(**values))


# --- appending -------------------------------------------------------------------------------


def test_untouched_trail_verifies(session, chain):
    result = verify_chain(session)
    assert result.ok
    assert result.checked == 6
    assert result.first_bad_id is None
    assert result.head_hash == session.get(AuditEvent, chain[-1]).hash
    assert str(result) == "Audit trail intact: 6 events checked."


def test_empty_trail_verifies(session):
    result = verify_chain(session)
    assert result.ok and result.checked == 0
    assert result.head_hash == GENESIS_HASH


def test_each_event_links_to_the_previous_one_and_the_head_follows(session, chain):
    events = [session.get(AuditEvent, event_id) for event_id in chain]
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    head = session.get(AuditChainHead, 1)
    assert (head.last_event_id, head.last_hash, head.event_count) == (
        chain[-1],
        events[-1].hash,
        6,
    )


def test_a_list_of_events_is_chained_in_its_order_after_the_existing_ones(session, chain):
    clerk = load_user(session, "petugas.serang")
    fields = [
        audit.event_fields(
            actor=clerk, action="contribution", record_type="member", record_id=n, details={"n": n}
        )
        for n in range(250)
    ]
    ids = audit.append_events(session, fields)
    session.commit()
    events = [session.get(AuditEvent, event_id) for event_id in ids]
    assert [e.record_id for e in events] == [str(n) for n in range(250)]
    # The ids follow the chain: each event links to the one with the id before it.
    assert ids == sorted(ids) and ids[0] > chain[-1]
    previous = session.get(AuditEvent, chain[-1])
    for event in events:
        assert event.prev_hash == previous.hash
        assert event.hash == compute_hash(
            {name: getattr(event, name) for name in audit.CONTENT_FIELDS},
            previous.hash,
            signing_key(),
        )
        previous = event
    head = session.get(AuditChainHead, 1)
    assert (head.last_event_id, head.last_hash, head.event_count) == (ids[-1], events[-1].hash, 256)
    result = verify_chain(session)
    assert result.ok and result.checked == 256
    # The single append continues the same chain, after the ids the list drew.
    one = append_event(session, actor=None, action="expire", record_type="claim", record_id=9)
    session.commit()
    assert one.id > ids[-1] and one.prev_hash == events[-1].hash
    assert verify_chain(session).checked == 257


def test_an_empty_list_appends_nothing(session, chain):
    assert audit.append_events(session, []) == []
    session.commit()
    assert session.get(AuditChainHead, 1).event_count == 6 and verify_chain(session).ok


def test_event_keeps_a_snapshot_of_the_actor_and_canonical_details(session, chain):
    approval = session.get(AuditEvent, chain[2])
    kepala = load_user(session, "kepala.serang")
    assert (approval.actor_id, approval.actor_username, approval.actor_role) == (
        kepala.id,
        "kepala.serang",
        "branch_head",
    )
    assert approval.actor is kepala
    system = session.get(AuditEvent, chain[5])
    assert (system.actor_id, system.actor_username, system.actor_role) == (None, None, None)
    claim = session.get(AuditEvent, chain[3])
    assert claim.details == '{"amount":1500000,"documents":["KTP","KK"]}'
    assert claim.record_id == "7"


def test_hash_is_recomputable_from_the_stored_fields(session, chain):
    event = session.get(AuditEvent, chain[1])
    fields = {name: getattr(event, name) for name in audit.CONTENT_FIELDS}
    key = signing_key()
    assert event.key_id == key.id
    assert compute_hash(fields, event.prev_hash, key) == event.hash
    assert compute_hash({**fields, "comment": "lain"}, event.prev_hash, key) != event.hash
    assert compute_hash(fields, GENESIS_HASH, key) != event.hash
    assert compute_hash(fields, event.prev_hash, AuditKey(key.id, b"x" * 32)) != event.hash
    with pytest.raises(ValueError, match="missing"):
        compute_hash({k: v for k, v in fields.items() if k != "ip"}, event.prev_hash, key)


TRICKY_VALUES = [
    None,
    0,
    -7,
    10**30,
    "",
    "petugas.serang",
    'kutip " dan \\ garis miring',
    "baris\nbaru\ttab\r\x00\x1f\x7f",
    "é ñ 中文 🙂 \u2028\u2029",
    '{"amount":1500000,"note":"Rp1.500.000"}',
    datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Jakarta")),
    datetime(2026, 11, 22, 2, 30, tzinfo=UTC),
    datetime(2026, 11, 22, 2, 30),  # SQLite's: UTC without its zone
    # Values events never hold: written by canonical_json itself, as before.
    True,
    1.5,
    Decimal("12.50"),
    date(2026, 1, 2),
]


@pytest.mark.parametrize("value", TRICKY_VALUES, ids=repr)
def test_the_hashed_text_is_the_canonical_json_of_the_payload(value):
    # compute_hash writes the payload itself (fast): the text must be canonical_json's, byte
    # for byte, or every stored hash would stop matching.
    names = (*audit.CONTENT_FIELDS, "prev_hash", "key_id")
    for name in names:
        payload = {n: f"v-{n}" for n in names}
        payload[name] = value
        expected = audit.canonical_json(
            {n: audit._iso_utc(v) if isinstance(v, datetime) else v for n, v in payload.items()}
        )
        assert audit._payload_json(payload) == expected
    fields = dict.fromkeys(audit.CONTENT_FIELDS, value)
    key = AuditKey("k1", b"s" * 32)
    text = audit.canonical_json(
        {
            **{n: audit._iso_utc(v) if isinstance(v, datetime) else v for n, v in fields.items()},
            "prev_hash": GENESIS_HASH,
            "key_id": "k1",
        }
    )
    expected = hmac.new(b"s" * 32, text.encode(), hashlib.sha256).hexdigest()
    assert compute_hash(fields, GENESIS_HASH, key) == expected


def test_time_given_in_jakarta_time_is_stored_in_utc_and_verifies(session):
    jakarta = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Jakarta"))
    event = append_event(
        session,
        actor=load_user(session, "petugas.serang"),
        action="submit",
        record_type="member_batch",
        record_id="B-2026-0001",
        occurred_at=jakarta,
        details={"rows": 120, "received": jakarta, "note": "Pekerja bukan penerima upah"},
    )
    session.commit()
    session.expire_all()
    stored = session.get(AuditEvent, event.id).occurred_at
    assert stored.replace(tzinfo=stored.tzinfo or UTC) == jakarta
    assert verify_chain(session).ok


def test_time_without_zone_is_refused(session):
    with pytest.raises(ValueError, match="time zone"):
        append_event(
            session,
            actor=None,
            action="x",
            record_type="user",
            record_id=1,
            occurred_at=datetime(2026, 1, 1),
        )


def test_history_lists_one_records_events_oldest_first(session, chain):
    events = history(session, "office_proposal", 1)
    assert [e.action for e in events] == ["create", "submit", "approve"]
    assert [e.id for e in events] == chain[:3]
    assert [e.action for e in history(session, "claim", "7")] == ["register", "approve"]
    assert history(session, "claim", 99) == []


def test_event_cannot_be_changed_or_removed_through_the_orm(session, chain):
    event = session.get(AuditEvent, chain[0])
    event.comment = "diubah"
    with pytest.raises(ValueError, match="append-only"):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEvent, chain[0]))
    with pytest.raises(ValueError, match="append-only"):
        session.flush()
    session.rollback()
    assert verify_chain(session).ok


def test_failed_transaction_leaves_no_event_and_the_chain_continues(session, chain):
    append_event(session, actor=None, action="import", record_type="member_batch", record_id=3)
    session.rollback()
    assert verify_chain(session).checked == 6
    append_event(session, actor=None, action="import", record_type="member_batch", record_id=3)
    session.commit()
    result = verify_chain(session)
    assert result.ok and result.checked == 7


# --- the command ------------------------------------------------------------------------------


def test_verify_audit_command_reports_an_intact_trail(app, chain):
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert "Audit trail intact: 6 events checked." in result.output
    assert "Head hash: " in result.output


def test_verify_audit_command_names_the_first_bad_event_and_exits_1(app, db, backend, chain):
    tamper_event(db, backend, chain[2], comment="Lokasi tidak sesuai")
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert (
        f"Audit trail BROKEN at event {chain[2]}: hash does not match its content" in result.output
    )


def test_verify_message_is_translatable(app, session, chain):
    with app.test_request_context(), force_locale("en"):
        assert str(verify_chain(session).message) == "Audit trail intact: 6 events checked."
        for reason, message in audit._REASON_MESSAGES.items():
            assert str(message) == reason


# --- tampering --------------------------------------------------------------------------------


EDITS = {
    "comment": lambda users: {"comment": "Lokasi tidak sesuai"},
    "actor": lambda users: {
        "actor_id": users["petugas.serang"].id,
        "actor_username": "petugas.serang",
        "actor_role": "branch_clerk",
    },
    "to_state": lambda users: {"to_state": "rejected"},
    "occurred_at": lambda users: {"occurred_at": datetime(2026, 1, 1, tzinfo=UTC)},
    "details": lambda users: {"details": '{"amount":150000000,"documents":["KTP","KK"]}'},
    "scope": lambda users: {"office_id": None},
    "prev_hash": lambda users: {"prev_hash": "f" * 64},
}


@pytest.mark.parametrize("field", sorted(EDITS))
def test_editing_an_event_is_detected_at_that_event(session, db, backend, chain, field):
    users = {name: load_user(session, name) for name in ("petugas.serang", "kepala.serang")}
    target = chain[4]  # an approval of the claim, by the branch head
    tamper_event(db, backend, target, **EDITS[field](users))
    result = verify_chain(session)
    assert not result.ok
    assert result.first_bad_id == target
    assert result.reason == audit.REASON_HASH
    assert result.checked == 4


def test_editing_an_event_and_its_hash_is_detected_at_the_next_event(session, db, backend, chain):
    event = session.get(AuditEvent, chain[2])
    fields = {name: getattr(event, name) for name in audit.CONTENT_FIELDS}
    fields["to_state"] = "rejected"
    tamper_event(
        db,
        backend,
        chain[2],
        to_state="rejected",
        hash=compute_hash(fields, event.prev_hash, signing_key()),
    )
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (False, chain[3], audit.REASON_LINK)


def test_deleting_an_event_in_the_middle_is_detected_at_the_next_event(session, db, backend, chain):
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table).where(events_table.c.id == chain[2]))
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (False, chain[3], audit.REASON_LINK)


def test_deleting_the_first_event_is_detected(session, db, backend, chain):
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table).where(events_table.c.id == chain[0]))
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (False, chain[1], audit.REASON_LINK)


def test_deleting_the_newest_event_is_detected(session, db, backend, chain):
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table).where(events_table.c.id == chain[-1]))
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (
        False,
        chain[-1],
        audit.REASON_NEWEST_REMOVED,
    )
    assert result.checked == 5


def test_deleting_every_event_is_detected(session, db, backend, chain):
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table))
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (
        False,
        chain[-1],
        audit.REASON_NEWEST_REMOVED,
    )


def test_swapping_two_events_is_detected(session, db, backend, chain):
    first, second = chain[1], chain[2]
    with attacker(db, backend) as conn:
        column = events_table.c.id
        conn.execute(update(events_table).where(column == first).values(id=-1))
        conn.execute(update(events_table).where(column == second).values(id=first))
        conn.execute(update(events_table).where(column == -1).values(id=second))
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (False, first, audit.REASON_LINK)


def test_swapping_two_events_contents_but_not_their_hashes_is_detected(session, db, backend, chain):
    first, second = (session.get(AuditEvent, event_id) for event_id in chain[1:3])
    contents = [{name: getattr(e, name) for name in audit.CONTENT_FIELDS} for e in (first, second)]
    tamper_event(db, backend, first.id, **contents[1])
    tamper_event(db, backend, second.id, **contents[0])
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (False, first.id, audit.REASON_HASH)


HEAD_FORGERIES = {
    "hash": (lambda ids: {"last_hash": "a" * 64}, audit.REASON_HEAD_HASH),
    "count": (lambda ids: {"event_count": 5}, audit.REASON_HEAD_COUNT),
    "points_back": (lambda ids: {"last_event_id": ids[-2]}, audit.REASON_HEAD_BEHIND),
    "emptied": (
        lambda ids: {"last_event_id": None, "last_hash": GENESIS_HASH, "event_count": 0},
        audit.REASON_HEAD_BEHIND,
    ),
}


@pytest.mark.parametrize("forgery", sorted(HEAD_FORGERIES))
def test_forged_head_is_detected(session, db, backend, chain, forgery):
    values, reason = HEAD_FORGERIES[forgery]
    with attacker(db, backend) as conn:
        conn.execute(update(head_table).values(**values(chain)))
    result = verify_chain(session)
    assert (result.ok, result.reason) == (False, reason)
    assert result.first_bad_id == chain[-1]


def test_deleted_head_is_detected(session, db, backend, chain):
    with attacker(db, backend) as conn:
        conn.execute(delete(head_table))
    result = verify_chain(session)
    assert (result.ok, result.reason) == (False, audit.REASON_HEAD_MISSING)


def test_removing_the_newest_event_and_setting_the_head_back_is_detected(
    session, db, backend, chain
):
    """The adversarial review's finding: this rewrite passed verify-audit. The head's MAC is
    under the audit key, which the database does not hold."""
    previous = session.get(AuditEvent, chain[-2])
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table).where(events_table.c.id == chain[-1]))
        conn.execute(
            update(head_table).values(
                last_event_id=previous.id, last_hash=previous.hash, event_count=5
            )
        )
    result = verify_chain(session)
    assert (result.ok, result.reason) == (False, audit.REASON_HEAD_MAC)
    assert result.first_bad_id == previous.id


def test_verification_walks_in_batches(session, chain, db, backend):
    assert verify_chain(session, batch_size=4).ok
    assert verify_chain(session, batch_size=1).checked == 6
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table).where(events_table.c.id == chain[4]))
    result = verify_chain(session, batch_size=2)
    assert (result.first_bad_id, result.reason) == (chain[5], audit.REASON_LINK)


# --- PostgreSQL: the database itself refuses changes ---------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET comment = 'diubah'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ],
)
def test_database_refuses_to_change_or_remove_events(session, postgres_only, chain, statement):
    with pytest.raises(sa.exc.DBAPIError, match="audit_event is append-only"):
        session.execute(sa.text(statement))
    session.rollback()
    assert verify_chain(session).ok


def test_database_keeps_the_head_updatable(session, postgres_only, chain):
    append_event(session, actor=None, action="login", record_type="user", record_id=1)
    session.commit()
    assert session.scalar(select(AuditChainHead.event_count)) == 7


# --- concurrency --------------------------------------------------------------------------------


@pytest.fixture
def own_engine(db) -> Iterator[sa.Engine]:
    """Connections of their own, as separate web workers would have."""
    engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def test_append_waits_for_another_open_append_and_links_to_it(app, session, own_engine, chain):
    clerk_id = load_user(session, "petugas.serang").id
    session.commit()
    first = Session(own_engine)
    held = append_event(
        first, actor=first.get(User, clerk_id), action="a", record_type="claim", record_id=1
    ).hash
    linked_to: list[str] = []

    def second() -> None:
        with app.app_context(), Session(own_engine) as s:
            event = append_event(
                s, actor=s.get(User, clerk_id), action="b", record_type="claim", record_id=1
            )
            linked_to.append(event.prev_hash)
            s.commit()

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=0.5)
    assert worker.is_alive(), "the second append did not wait for the first transaction"
    first.commit()
    worker.join(timeout=30)
    first.close()
    assert linked_to == [held]
    result = verify_chain(session)
    assert result.ok and result.checked == 8


def test_concurrent_appends_do_not_fork_the_chain(app, session, own_engine, postgres_only):
    threads, per_thread = 8, 25
    usernames = ["petugas.serang", "petugas2.serang", "kepala.serang", "petugas.cilegon"]
    user_ids = [load_user(session, name).id for name in usernames]
    session.commit()
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with app.app_context(), Session(own_engine) as s:
                actor = s.get(User, user_ids[n % len(user_ids)])
                start.wait()
                for i in range(per_thread):
                    append_event(
                        s,
                        actor=actor,
                        action="register",
                        record_type="batch_row",
                        record_id=f"{n}-{i}",
                        occurred_at=datetime(2026, 11, 22, tzinfo=UTC) + timedelta(seconds=i),
                    )
                    s.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    result = verify_chain(session)
    assert result.ok, str(result)
    assert result.checked == threads * per_thread
    # no fork: no two events claim the same predecessor
    assert session.scalar(select(func.count(func.distinct(AuditEvent.prev_hash)))) == 200


# --- migration --------------------------------------------------------------------------------


def test_migration_downgrades_and_upgrades_with_the_head_row(app, db, backend):
    from flask_migrate import downgrade, upgrade

    db.session.remove()
    downgrade(revision="0001")
    tables = set(sa.inspect(db.engine).get_table_names())
    assert not {"audit_event", "audit_chain_head"} & tables
    if backend == "postgresql":
        with db.engine.connect() as conn:
            functions = conn.execute(
                sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_event_append_only'")
            ).scalar_one()
        assert functions == 0
    upgrade()
    session = db.session
    head = session.get(AuditChainHead, 1)
    assert (head.last_event_id, head.last_hash, head.event_count) == (None, GENESIS_HASH, 0)
    append_event(session, actor=None, action="migrate", record_type="user", record_id=0)
    session.commit()
    assert verify_chain(session).ok
    if backend == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            session.execute(sa.text("DELETE FROM audit_event"))
        session.rollback()
