"""The keyed audit chain: what someone with write access to the database, but without the audit
key, can no longer do; checkpoints kept outside the database; key rotation; the migration that
signed the plain chain again."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update

from backoffice import audit, create_app
from backoffice.audit import Checkpoint, append_event, verify_chain, write_checkpoint
from backoffice.audit_keys import AuditKey, AuditKeyError, Keyring, current_keyring, parse_keys
from models import GENESIS_HASH, AuditChainHead, AuditEvent, User

events_table = AuditEvent.__table__
head_table = AuditChainHead.__table__
SECRET_1 = "k1-" + "a" * 40
SECRET_2 = "k2-" + "b" * 40


@contextmanager
def attacker(db, backend: str):
    """Write access to the database, past the append-only trigger; no audit key."""
    with db.engine.begin() as conn:
        if backend == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield conn


def add_events(session, count: int, *, start: int = 0) -> list[int]:
    clerk = session.scalar(select(User).where(User.username == "petugas.serang"))
    ids = []
    for n in range(start, start + count):
        event = append_event(
            session,
            actor=clerk,
            action="approve",
            record_type="claim",
            record_id=n,
            from_state="verified",
            to_state="approved",
            office_id=clerk.office_id,
        )
        ids.append(event.id)
    session.commit()
    return ids


def plain_sha256(row, prev_hash: str) -> str:
    """What the chain was before it was keyed: anyone could compute it."""
    payload = {name: getattr(row, name) for name in audit.CONTENT_FIELDS}
    payload["occurred_at"] = audit._iso_utc(payload["occurred_at"])
    payload["prev_hash"] = prev_hash
    return hashlib.sha256(audit.canonical_json(payload).encode()).hexdigest()


def test_every_event_names_the_key_it_is_signed_with(session):
    ids = add_events(session, 3)
    key = current_keyring().current
    assert {session.get(AuditEvent, i).key_id for i in ids} == {key.id}
    head = session.get(AuditChainHead, 1)
    assert head.mac.startswith(f"{key.id}:")
    assert verify_chain(session).ok


def test_changing_who_approved_and_recomputing_every_hash_without_the_key_is_detected(
    session, db, backend
):
    """The finding: recomputing every hash (plain SHA-256, as the chain was) after changing who
    approved a claim passed verify-audit."""
    ids = add_events(session, 4)
    forged_prev = GENESIS_HASH
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    with attacker(db, backend) as conn:
        for row in rows:
            values = {"actor_username": "kepala.serang"} if row.id == ids[1] else {}
            for name, value in values.items():
                setattr(row, name, value)
            digest = plain_sha256(row, forged_prev)
            conn.execute(
                update(events_table)
                .where(events_table.c.id == row.id)
                .values(**values, prev_hash=forged_prev, hash=digest)
            )
            forged_prev = digest
        conn.execute(update(head_table).values(last_hash=forged_prev))
    session.expire_all()
    result = verify_chain(session)
    assert (result.ok, result.reason) == (False, audit.REASON_HASH)
    assert result.first_bad_id == rows[0].id


def test_a_key_the_keyring_does_not_hold_is_refused(session, db, backend):
    ids = add_events(session, 2)
    with attacker(db, backend) as conn:
        conn.execute(update(events_table).where(events_table.c.id == ids[0]).values(key_id="zz"))
    result = verify_chain(session)
    assert (result.ok, result.first_bad_id, result.reason) == (
        False,
        ids[0],
        audit.REASON_UNKNOWN_KEY,
    )


def test_keys_rotate_and_every_key_that_signed_must_stay_listed(app, session):
    first = add_events(session, 2)
    old = current_keyring()
    old_key = old.current
    new_key = AuditKey("k2", SECRET_2.encode())
    rotated = Keyring({old_key.id: old_key, "k2": new_key}, "k2")
    app.extensions["audit_keyring"] = rotated
    try:
        second = add_events(session, 2, start=10)
        assert session.get(AuditEvent, first[0]).key_id == old_key.id
        assert session.get(AuditEvent, second[0]).key_id == "k2"
        assert session.get(AuditChainHead, 1).mac.startswith("k2:")
        assert verify_chain(session).ok
        without_old = Keyring({"k2": new_key}, "k2")
        result = verify_chain(session, keys=without_old)
        assert (result.ok, result.reason) == (False, audit.REASON_UNKNOWN_KEY)
    finally:
        app.extensions["audit_keyring"] = old


# --- checkpoints ---------------------------------------------------------------------------


def test_a_checkpoint_is_extended_by_later_events(session):
    add_events(session, 3)
    checkpoint = write_checkpoint(session, now=datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    assert (checkpoint.event_count, checkpoint.key_id) == (3, current_keyring().current.id)
    add_events(session, 2, start=3)
    kept = Checkpoint.from_json(checkpoint.to_json())
    assert kept == checkpoint
    result = verify_chain(session, checkpoint=kept)
    assert result.ok and result.checked == 5


def test_events_removed_after_a_checkpoint_with_an_old_head_put_back_are_detected(
    session, db, backend
):
    """The one rewrite a keyed chain in one database cannot show by itself: the newest events
    removed and a copy of an older head (with its MAC) put back. The checkpoint shows it."""
    ids = add_events(session, 2)
    old_head = session.execute(select(head_table)).one()._asdict()
    add_events(session, 2, start=2)
    checkpoint = write_checkpoint(session)
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table).where(events_table.c.id > ids[-1]))
        conn.execute(update(head_table).values(**old_head))
    assert verify_chain(session).ok  # alone, the chain looks whole
    result = verify_chain(session, checkpoint=checkpoint)
    assert (result.ok, result.reason) == (False, audit.REASON_CHECKPOINT_MISSING)
    assert result.first_bad_id == checkpoint.last_event_id


def test_a_forged_checkpoint_is_refused(session):
    add_events(session, 2)
    checkpoint = write_checkpoint(session)
    data = json.loads(checkpoint.to_json())
    data["event_count"] = 1
    result = verify_chain(session, checkpoint=Checkpoint.from_json(json.dumps(data)))
    assert (result.ok, result.reason) == (False, audit.REASON_CHECKPOINT_SIGNATURE)


def test_a_checkpoint_naming_another_hash_at_its_event_is_a_divergence(session):
    ids = add_events(session, 3)
    key = current_keyring().current
    other = Checkpoint.sign(key, ids[1], "f" * 64, 2, datetime.now(UTC))
    result = verify_chain(session, checkpoint=other)
    assert (result.ok, result.first_bad_id, result.reason) == (
        False,
        ids[1],
        audit.REASON_CHECKPOINT_DIVERGED,
    )


def test_a_broken_trail_gets_no_checkpoint(session, db, backend):
    ids = add_events(session, 2)
    with attacker(db, backend) as conn:
        conn.execute(update(events_table).where(events_table.c.id == ids[0]).values(ip="1.1.1.1"))
    with pytest.raises(ValueError, match="BROKEN"):
        write_checkpoint(session)


@pytest.mark.parametrize("text", ["", "{}", "[]", '{"format": "x"}', "not json"])
def test_what_is_not_a_checkpoint_file_is_refused(text):
    with pytest.raises(ValueError, match="not an audit checkpoint"):
        Checkpoint.from_json(text)


# --- configuration -------------------------------------------------------------------------


def test_production_refuses_to_start_without_audit_keys(tmp_path):
    from backoffice import ConfigurationError

    config = {
        "BACKOFFICE_ENV": "production",
        "SECRET_KEY": "s" * 64,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
        "INSTANCE_PATH": str(tmp_path),
        "AUDIT_KEYS": None,
    }
    with pytest.raises(ConfigurationError, match="AUDIT_KEYS must be set in production"):
        create_app(config)
    app = create_app({**config, "AUDIT_KEYS": f"k1={SECRET_1},k2={SECRET_2}"})
    assert app.extensions["audit_keyring"].current.id == "k2"
    app = create_app({**config, "AUDIT_KEYS": f"k1={SECRET_1},k2={SECRET_2}", "AUDIT_KEY_ID": "k1"})
    assert app.extensions["audit_keyring"].current.id == "k1"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("k1", "id=secret"),
        ("k1=short", "shorter than 32"),
        (f"bad id={SECRET_1}", "id=secret"),
        (f"k1={SECRET_1},k1={SECRET_2}", "twice"),
    ],
)
def test_malformed_audit_keys_are_refused(spec, message):
    with pytest.raises(AuditKeyError, match=message):
        parse_keys(spec)


def test_an_unknown_current_key_is_refused():
    with pytest.raises(AuditKeyError, match="not among the keys"):
        Keyring(parse_keys(f"k1={SECRET_1}"), "k9")


# --- the migration that keyed the chain ------------------------------------------------------


def test_the_plain_chain_is_verified_and_signed_again_by_the_migration(app, db, backend):
    from flask_migrate import downgrade, upgrade

    add_events(db.session, 5)
    db.session.remove()
    downgrade(revision="0013")
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(events_table.c.id, events_table.c.hash)).all()
        plain = {row.id: row.hash for row in rows}
        columns = [c["name"] for c in sa.inspect(conn).get_columns("audit_event")]
    assert "key_id" not in columns and len(plain) == 5
    upgrade()
    result = verify_chain(db.session)
    assert result.ok and result.checked == 5
    keyed = dict(db.session.execute(select(AuditEvent.id, AuditEvent.hash)).all())
    assert keyed.keys() == plain.keys() and not set(keyed.values()) & set(plain.values())


def test_the_migration_refuses_to_sign_a_broken_plain_chain(app, db, backend):
    from flask_migrate import downgrade, upgrade

    ids = add_events(db.session, 3)
    db.session.remove()
    downgrade(revision="0013")
    with attacker(db, backend) as conn:
        conn.execute(update(events_table).where(events_table.c.id == ids[1]).values(ip="6.6.6.6"))
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits 1
        upgrade()
    with db.engine.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        columns = [c["name"] for c in sa.inspect(conn).get_columns("audit_event")]
    assert revision == "0013" and "key_id" not in columns  # nothing half-done


# --- the commands ----------------------------------------------------------------------------


def test_audit_checkpoint_and_verify_audit_against_it(app, session, db, backend, tmp_path):
    ids = add_events(session, 3)
    runner = app.test_cli_runner()
    path = tmp_path / "checkpoint.json"
    written = runner.invoke(args=["audit-checkpoint", "--output", str(path)])
    assert written.exit_code == 0, written.output
    assert written.output == f"Checkpoint of 3 events written to {path}.\n"
    assert Checkpoint.from_json(path.read_text()).last_event_id == ids[-1]
    add_events(session, 1, start=3)
    ok = runner.invoke(args=["verify-audit", "--checkpoint", str(path)])
    assert ok.exit_code == 0, ok.output
    assert "The chain extends the checkpoint of" in ok.output and "(3 events)" in ok.output
    # The newest events removed and a validly signed older head put back: alone the chain
    # looks whole.
    with attacker(db, backend) as conn:
        conn.execute(delete(events_table).where(events_table.c.id >= ids[1]))
        previous = conn.execute(select(events_table).where(events_table.c.id == ids[0])).one()
        key = current_keyring().current
        conn.execute(
            update(head_table).values(
                last_event_id=previous.id,
                last_hash=previous.hash,
                event_count=1,
                mac=audit.head_mac(key, previous.id, previous.hash, 1),
            )
        )
    assert runner.invoke(args=["verify-audit"]).exit_code == 0
    broken = runner.invoke(args=["verify-audit", "--checkpoint", str(path)])
    assert broken.exit_code == 1
    assert "no longer extends the checkpoint" in broken.output


def test_audit_checkpoint_refuses_a_broken_trail(app, session, db, backend, tmp_path):
    ids = add_events(session, 2)
    with attacker(db, backend) as conn:
        conn.execute(update(events_table).where(events_table.c.id == ids[0]).values(ip="9.9.9.9"))
    path = tmp_path / "checkpoint.json"
    result = app.test_cli_runner().invoke(args=["audit-checkpoint", "--output", str(path)])
    assert result.exit_code == 1 and "No checkpoint written." in result.output
    assert not path.exists()


def test_verify_audit_refuses_what_is_not_a_checkpoint(app, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{}")
    result = app.test_cli_runner().invoke(args=["verify-audit", "--checkpoint", str(path)])
    assert result.exit_code == 1 and "not an audit checkpoint file" in result.output
