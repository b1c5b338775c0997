"""audit trail: a keyed chain (HMAC-SHA256 under a key outside the database), a signed head

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:30:00.000000

Until now each event's hash was a plain SHA-256 of its content and the previous hash: anyone
with write access to the database could change an event and recompute every hash after it, or
remove the newest events and set the head back. Each event now names the audit key it was
signed with (``key_id``) and its hash is an HMAC under that key (``AUDIT_KEYS``, never in the
database); the head carries a MAC of the newest event and the count.

Upgrading first verifies the existing plain chain (a broken trail is refused, not laundered),
then signs every event again under the current key, in id order, in batches. Downgrading does
the reverse and verifies the keyed chain first.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from flask import current_app

from backoffice.audit import compute_hash, head_mac
from backoffice.audit_keys import EXTENSION, keyring_from_config

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
BATCH = 5000
CONTENT = (
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "record_type",
    "record_id",
    "action",
    "from_state",
    "to_state",
    "comment",
    "ip",
    "details",
    "region_id",
    "office_id",
    "department_id",
)
events = sa.table(
    "audit_event",
    sa.column("id", sa.BigInteger),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("key_id", sa.String),
    # Typed as the model does, so that SQLite hands the time back as a datetime, not text.
    *(
        sa.column(name, sa.DateTime(timezone=True))
        if name == "occurred_at"
        else sa.column(name, sa.Integer)
        if name.endswith("_id") and name not in ("record_id",)
        else sa.column(name, sa.String)
        for name in CONTENT
    ),
)
head = sa.table(
    "audit_chain_head",
    sa.column("id", sa.Integer),
    sa.column("last_event_id", sa.BigInteger),
    sa.column("last_hash", sa.String),
    sa.column("event_count", sa.BigInteger),
    sa.column("mac", sa.String),
)


def _iso_utc(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def _plain_hash(row: sa.Row, prev_hash: str) -> str:
    """The hash of revision 0002: SHA-256 of the canonical JSON of the content and prev_hash."""
    payload = {name: getattr(row, name) for name in CONTENT}
    payload["occurred_at"] = _iso_utc(payload["occurred_at"])
    payload["prev_hash"] = prev_hash
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keyring():
    return current_app.extensions.get(EXTENSION) or keyring_from_config(current_app.config)


def _rows(bind: sa.Connection, keyed: bool):
    after = 0
    columns = [events.c.id, events.c.prev_hash, events.c.hash]
    columns += [events.c.key_id] if keyed else []  # the column of this revision
    columns += [events.c[name] for name in CONTENT]
    while True:
        batch = bind.execute(
            sa.select(*columns).where(events.c.id > after).order_by(events.c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        yield batch
        after = batch[-1].id


def _verify(bind: sa.Connection, old_hash, keyed: bool) -> None:
    """Check the whole chain and its head under the old scheme before anything is changed (on
    SQLite a column added is there to stay, even when the migration then fails)."""
    last_id, last_hash, _new, count = _resign(bind, None, keyed, old_hash=old_hash)
    _check_head(bind, last_id, last_hash, count)


def _resign(
    bind: sa.Connection, new_hash, keyed: bool, *, old_hash=None
) -> tuple[int | None, str, str, int]:
    """Write each event under the new scheme, in id order; with ``old_hash``, only check each
    under the old one (``_verify``: the pass that writes comes after it, and checks nothing).

    Returns the newest event's id, its old and new hash, and the count of events.
    """
    old_prev = new_prev = GENESIS_HASH
    last_id, count = None, 0
    update = (
        sa.update(events)
        .where(events.c.id == sa.bindparam("event_id"))
        .values(
            prev_hash=sa.bindparam("new_prev"),
            hash=sa.bindparam("new_hash"),
            key_id=sa.bindparam("new_key"),
        )
    )
    for batch in _rows(bind, keyed):
        changes = []
        for row in batch:
            if old_hash is not None and (row.prev_hash != old_prev or old_hash(row) != row.hash):
                raise RuntimeError(
                    f"The audit trail is broken at event {row.id}: it is not signed again. "
                    "Run `flask --app wsgi verify-audit` and investigate before migrating."
                )
            if new_hash is None:
                old_prev, last_id, count = row.hash, row.id, count + 1
                continue
            digest, key_id = new_hash(row, new_prev)
            changes.append(
                {"event_id": row.id, "new_prev": new_prev, "new_hash": digest, "new_key": key_id}
            )
            old_prev, new_prev = row.hash, digest
            last_id, count = row.id, count + 1
        if changes:
            bind.execute(update, changes)
    return last_id, old_prev, new_prev, count


def _append_only_trigger(bind: sa.Connection, enabled: bool) -> None:
    if bind.dialect.name == "postgresql":
        action = "ENABLE" if enabled else "DISABLE"
        op.execute(f"ALTER TABLE audit_event {action} TRIGGER audit_event_no_update_delete")


def _check_head(bind: sa.Connection, last_id: int | None, last_hash: str, count: int) -> None:
    current = bind.execute(
        sa.select(head.c.last_event_id, head.c.last_hash, head.c.event_count).where(head.c.id == 1)
    ).one_or_none()
    if current is None and count == 0:
        return  # an emptied database (the downgrade test): nothing to sign
    if current is None or (current.last_event_id, current.last_hash, current.event_count) != (
        last_id,
        last_hash,
        count,
    ):
        raise RuntimeError(
            "The audit chain head does not match its newest event: it is not signed again. "
            "Run `flask --app wsgi verify-audit` and investigate before migrating."
        )


def upgrade():
    bind = op.get_bind()
    _verify(bind, lambda row: _plain_hash(row, row.prev_hash), keyed=False)
    op.add_column(
        "audit_event",
        sa.Column("key_id", sa.String(length=32), nullable=False, server_default=""),
    )
    op.add_column("audit_chain_head", sa.Column("mac", sa.String(length=100), nullable=True))
    if bind.dialect.name == "postgresql":
        op.alter_column("audit_event", "key_id", server_default=None)
    key = _keyring().current

    def signed(row: sa.Row, prev_hash: str) -> tuple[str, str]:
        fields = {name: getattr(row, name) for name in CONTENT}
        return compute_hash(fields, prev_hash, key), key.id

    _append_only_trigger(bind, False)
    last_id, old_last, new_last, count = _resign(bind, signed, keyed=False)
    _append_only_trigger(bind, True)
    _check_head(bind, last_id, old_last, count)
    bind.execute(
        sa.update(head)
        .where(head.c.id == 1)
        .values(
            last_hash=new_last,
            mac=head_mac(key, last_id, new_last, count) if last_id is not None else None,
        )
    )


def downgrade():
    bind = op.get_bind()
    keys = _keyring()

    def keyed_hash(row: sa.Row) -> str:
        key = keys.get(row.key_id)
        if key is None:
            raise RuntimeError(f"Event {row.id} is signed with an unknown audit key.")
        fields = {name: getattr(row, name) for name in CONTENT}
        return compute_hash(fields, row.prev_hash, key)

    _verify(bind, keyed_hash, keyed=True)
    _append_only_trigger(bind, False)
    last_id, old_last, new_last, count = _resign(
        bind, lambda row, prev: (_plain_hash(row, prev), ""), keyed=True
    )
    _append_only_trigger(bind, True)
    _check_head(bind, last_id, old_last, count)
    bind.execute(sa.update(head).where(head.c.id == 1).values(last_hash=new_last, mac=None))
    op.drop_column("audit_chain_head", "mac")
    op.drop_column("audit_event", "key_id")
