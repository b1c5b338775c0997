"""The audit trail: append an event in the caller's transaction, verify the chain, read a history.

Every event's ``hash`` is an HMAC-SHA256, under a key the database does not hold
(``backoffice.audit_keys``), of its content fields, the previous event's hash and the key's id,
which the event keeps: an edited, removed or reordered event breaks the chain, and nobody
without the key can recompute it. The one-row ``audit_chain_head`` names the newest event and
the count and carries a MAC of both, so removing the newest events shows too. Appends are
serialised (PostgreSQL: an advisory lock and the head row lock; SQLite: the database write lock
taken before the head is read), so concurrent transactions never fork the chain.

What a keyed chain in one database cannot show: its newest events removed and the head put back
as it was at that point, by someone who kept a copy of that head. A checkpoint exported every
night (``flask audit-checkpoint``: the head, the count and their signature) closes that gap:
``flask verify-audit --checkpoint FILE`` fails when the chain no longer extends it.
"""

from __future__ import annotations

import enum
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from models import GENESIS_HASH, AuditChainHead, AuditEvent, User

from .audit_keys import AuditKey, Keyring, current_keyring

# The fields an event's hash covers, besides the previous hash. Never reorder or rename:
# existing hashes depend on the names (the order does not matter, keys are sorted).
CONTENT_FIELDS = (
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

_CONTENT_SET = frozenset(CONTENT_FIELDS)

# pg_advisory_xact_lock key serialising appends ("AUDITLCK" in ASCII).
ADVISORY_LOCK_KEY = 0x41554449544C434B
VERIFY_BATCH_SIZE = 2000
HEAD_ID = 1


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"audit details cannot hold a {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, non-ASCII kept as is."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def _iso_utc(value: datetime) -> str:
    # SQLite gives back the stored UTC time without its zone: a naive value is UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


# The hashed payload's keys in canonical (sorted) order, each with what precedes its value.
_PAYLOAD_PARTS = tuple(
    (name, ("{" if i == 0 else ",") + encode_basestring(name) + ":")
    for i, name in enumerate(sorted((*CONTENT_FIELDS, "prev_hash", "key_id")))
)


def _payload_json(payload: Mapping[str, Any]) -> str:
    """``canonical_json(payload)`` for a payload of text, whole numbers, times and None, written
    out directly: the same text, several times faster (verify walks millions of events, a bulk
    load hashes as many). Any other value goes to ``canonical_json`` itself."""
    parts = []
    for name, prefix in _PAYLOAD_PARTS:
        value = payload[name]
        kind = type(value)
        if value is None:
            encoded = "null"
        elif kind is str:
            encoded = encode_basestring(value)  # what json.dumps uses with ensure_ascii=False
        elif kind is int:
            encoded = int.__repr__(value)
        elif isinstance(value, datetime):
            encoded = encode_basestring(_iso_utc(value))  # as _json_default writes a time
        else:
            return canonical_json(payload)
        parts.append(prefix)
        parts.append(encoded)
    parts.append("}")
    return "".join(parts)


def compute_hash(fields: Mapping[str, Any], prev_hash: str, key: AuditKey) -> str:
    """HMAC-SHA256 (hex) under ``key`` of the event's content fields, the previous event's hash
    and the key's id.

    ``fields`` has exactly the keys of ``CONTENT_FIELDS`` with the values as stored
    (``details`` is the stored JSON text). Pure: used by append, verify and the bulk loader.
    """
    if fields.keys() != _CONTENT_SET:
        missing = sorted(set(CONTENT_FIELDS) - set(fields))
        extra = sorted(set(fields) - set(CONTENT_FIELDS))
        raise ValueError(f"audit fields do not match: missing {missing}, unexpected {extra}")
    payload = dict(fields)  # times are written in UTC (see _json_default)
    payload["prev_hash"] = prev_hash
    payload["key_id"] = key.id
    return key.sign(_payload_json(payload))


def head_mac(key: AuditKey, last_event_id: int | None, last_hash: str, count: int) -> str:
    """The head's MAC: ``<key id>:<HMAC of the newest event's id, its hash and the count>``."""
    return f"{key.id}:{key.sign(f'head|{last_event_id}|{last_hash}|{count}')}"


def _head_mac_valid(keys: Keyring, head: Any) -> bool:
    key_id, _, _mac = (head.mac or "").partition(":")
    key = keys.get(key_id)
    if key is None:
        return False
    expected = head_mac(key, head.last_event_id, head.last_hash, head.event_count)
    return hmac.compare_digest(expected, head.mac)


def advance_head(
    head: AuditChainHead, key: AuditKey, last_id: int, last_hash: str, added: int
) -> None:
    head.last_event_id = last_id
    head.last_hash = last_hash
    head.event_count = head.event_count + added
    head.mac = head_mac(key, last_id, last_hash, head.event_count)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.value if isinstance(value, enum.Enum) else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _lock_head(session: Session) -> AuditChainHead:
    """Take the append lock, then read the head: a head read before the lock may be stale."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        stmt = select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    else:
        # SQLite: a write takes the database's write lock for the rest of the transaction;
        # only then is the head read, so a concurrent append cannot have slipped in between.
        session.execute(
            update(AuditChainHead)
            .where(AuditChainHead.id == HEAD_ID)
            .values(event_count=AuditChainHead.event_count)
            .execution_options(synchronize_session=False)
        )
        stmt = select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
    head = session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
    if head is None:
        raise RuntimeError("audit_chain_head is missing: run the migrations (flask db upgrade)")
    return head


def event_fields(
    *,
    actor: User | None,
    action: str,
    record_type: str,
    record_id: str | int,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    ip: str | None = None,
    details: Mapping[str, Any] | None = None,
    region_id: int | None = None,
    office_id: int | None = None,
    department_id: int | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The content fields of an event as they are stored and hashed (``append_event``'s
    arguments). ``actor`` None is a system event; enum values are stored as their value."""
    if occurred_at is None:
        occurred_at = datetime.now(UTC)
    elif occurred_at.tzinfo is None:
        raise ValueError("occurred_at must carry a time zone")
    if actor is not None and actor.id is None:
        raise ValueError("the actor must be saved (flushed) before it is audited")
    token_id = getattr(actor, "api_token_id", None)
    if token_id is not None:
        # A call of a department system: every event it causes names the API token.
        details = {**(details or {}), "api_token_id": token_id}
    elif details is not None:
        details = dict(details)
    return {
        # Stored in UTC: SQLite keeps the wall-clock digits and drops the zone.
        "occurred_at": occurred_at.astimezone(UTC),
        "actor_id": actor.id if actor is not None else None,
        "actor_username": actor.username if actor is not None else None,
        "actor_role": _text(actor.role) if actor is not None else None,
        "record_type": _text(record_type),
        "record_id": _text(record_id),
        "action": _text(action),
        "from_state": _text(from_state),
        "to_state": _text(to_state),
        "comment": _text(comment),
        "ip": _text(ip),
        "details": canonical_json(details) if details is not None else None,
        "region_id": _int(region_id),
        "office_id": _int(office_id),
        "department_id": _int(department_id),
    }


def _new_ids(session: Session, count: int) -> list[int]:
    """``count`` new event ids in ascending order (the append lock is held): PostgreSQL's
    sequence; on SQLite after every id ever handed out (``sqlite_sequence``)."""
    if session.get_bind().dialect.name == "postgresql":
        return sorted(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))"
                    " FROM generate_series(1, :count)"
                ),
                {"count": count},
            )
        )
    issued = session.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_event'"))
    newest = session.scalar(select(func.max(AuditEvent.id)))
    first = max(issued or 0, newest or 0) + 1
    return list(range(first, first + count))


def append_event(session: Session, **event: Any) -> AuditEvent:
    """Record one event in the caller's transaction (flushed, never committed); the keyword
    arguments are ``event_fields``'.

    Append late in the transaction: the append lock is held until commit and serialises every
    writer.
    """
    fields = event_fields(**event)
    key = current_keyring().current
    head = _lock_head(session)
    record = AuditEvent(
        **fields,
        prev_hash=head.last_hash,
        key_id=key.id,
        hash=compute_hash(fields, head.last_hash, key),
    )
    session.add(record)
    session.flush()  # assigns record.id
    advance_head(head, key, record.id, record.hash, 1)
    session.flush()
    return record


def append_item_event(
    session: Session,
    *,
    actor: Any,
    action: str,
    record_type: str,
    item: Any,
    details: Mapping[str, Any],
    ip: str | None = None,
) -> AuditEvent:
    """``append_event`` about ``item``, in the scope it belongs to: its region, office and (when
    it has one) department."""
    return append_event(
        session,
        actor=actor,
        action=action,
        record_type=record_type,
        record_id=item.id,
        ip=ip,
        details=details,
        region_id=item.region_id,
        office_id=item.office_id,
        department_id=getattr(item, "department_id", None),
    )


def append_events(session: Session, events: list[dict[str, Any]]) -> list[int]:
    """Record several events (each from ``event_fields``), chained in this order, and return
    their ids. Everything that can is done before the append lock is taken; under it, the ids
    are drawn (ascending: ``verify_chain`` walks the chain by id), the events hashed and
    inserted in one executemany. A payer's file of 10,000 rows holds the lock for its inserts,
    not for the whole recording."""
    if not events:
        return []
    key = current_keyring().current
    head = _lock_head(session)
    ids = _new_ids(session, len(events))
    rows: list[dict[str, Any]] = []
    prev_hash = head.last_hash
    for event_id, fields in zip(ids, events, strict=True):
        digest = compute_hash(fields, prev_hash, key)
        rows.append(
            {**fields, "id": event_id, "prev_hash": prev_hash, "key_id": key.id, "hash": digest}
        )
        prev_hash = digest
    session.execute(insert(AuditEvent.__table__), rows)
    advance_head(head, key, ids[-1], prev_hash, len(rows))
    session.flush()
    return ids


def _plain(value: Any) -> Any:
    """A field's value as the audit details keep it: a record by its name, the rest as JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | enum.Enum | Decimal):
        return _json_default(value)
    return str(value)


def field_values(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The fields of a record as the audit details keep them (taken before and after a change)."""
    return {name: _plain(getattr(obj, name)) for name in names}


def field_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """What a create (``before`` None) or an edit did: ``{name: value}`` for each field a new
    record was given, ``{name: [old, new]}`` for each field an edit changed."""
    if before is None:
        return {name: value for name, value in after.items() if value not in (None, "")}
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if not _same(before.get(name), value)
    }


def _same(old: Any, new: Any) -> bool:
    return old == new or (old in (None, "") and new in (None, ""))


def history(session: Session, record_type: str, record_id: str | int) -> list[AuditEvent]:
    """The events of one record, oldest first (chain order)."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.record_type == _text(record_type), AuditEvent.record_id == str(record_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(stmt))


# Reasons are plain English (logs, CLI); ``VerifyResult.message`` translates them for screens.
REASON_HASH = "hash does not match its content"
REASON_LINK = "it does not link to the event before it: events were removed or reordered before it"
REASON_UNKNOWN_KEY = "it is signed with a key that is not among AUDIT_KEYS"
REASON_HEAD_MISSING = "the chain head is missing"
REASON_NEWEST_REMOVED = "the newest events were removed: the chain head records a later event"
REASON_HEAD_BEHIND = "the chain head does not name the newest event"
REASON_HEAD_HASH = "the chain head's hash does not match the newest event"
REASON_HEAD_COUNT = "the chain head's event count does not match the events found"
REASON_HEAD_MAC = "the chain head's signature does not match: the head was rewritten"
REASON_CHECKPOINT_SIGNATURE = (
    "the checkpoint's signature does not match: it is not one this trail wrote"
)
REASON_CHECKPOINT_DIVERGED = (
    "the chain no longer extends the checkpoint: the event it names was changed"
)
REASON_CHECKPOINT_MISSING = (
    "the chain no longer extends the checkpoint: events it covered were removed"
)

_REASON_MESSAGES = {
    REASON_HASH: _l("hash does not match its content"),
    REASON_LINK: _l(
        "it does not link to the event before it: events were removed or reordered before it"
    ),
    REASON_UNKNOWN_KEY: _l("it is signed with a key that is not among AUDIT_KEYS"),
    REASON_HEAD_MISSING: _l("the chain head is missing"),
    REASON_NEWEST_REMOVED: _l(
        "the newest events were removed: the chain head records a later event"
    ),
    REASON_HEAD_BEHIND: _l("the chain head does not name the newest event"),
    REASON_HEAD_HASH: _l("the chain head's hash does not match the newest event"),
    REASON_HEAD_COUNT: _l("the chain head's event count does not match the events found"),
    REASON_HEAD_MAC: _l("the chain head's signature does not match: the head was rewritten"),
    REASON_CHECKPOINT_SIGNATURE: _l(
        "the checkpoint's signature does not match: it is not one this trail wrote"
    ),
    REASON_CHECKPOINT_DIVERGED: _l(
        "the chain no longer extends the checkpoint: the event it names was changed"
    ),
    REASON_CHECKPOINT_MISSING: _l(
        "the chain no longer extends the checkpoint: events it covered were removed"
    ),
}


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    head_hash: str | None = None
    head_event_id: int | None = None

    @property
    def message(self) -> Any:
        """The outcome in the user's language (a lazy string)."""
        if self.ok:
            return _l("Audit trail intact: %(count)s events checked.", count=self.checked)
        reason = _REASON_MESSAGES.get(self.reason, self.reason)
        if self.first_bad_id is None:
            return _l("Audit trail BROKEN: %(reason)s", reason=reason)
        return _l(
            "Audit trail BROKEN at event %(id)s: %(reason)s", id=self.first_bad_id, reason=reason
        )

    def __str__(self) -> str:
        if self.ok:
            return f"Audit trail intact: {self.checked} events checked."
        if self.first_bad_id is None:
            return f"Audit trail BROKEN: {self.reason}"
        return f"Audit trail BROKEN at event {self.first_bad_id}: {self.reason}"


@dataclass(frozen=True)
class Checkpoint:
    """The head at one moment, signed: kept outside the database (a nightly file)."""

    last_event_id: int | None
    last_hash: str
    event_count: int
    created_at: str
    key_id: str
    signature: str

    FORMAT = "backoffice-audit-checkpoint/1"

    @staticmethod
    def _text(last_event_id: int | None, last_hash: str, count: int, created_at: str) -> str:
        return f"checkpoint|{last_event_id}|{last_hash}|{count}|{created_at}"

    @classmethod
    def sign(
        cls, key: AuditKey, last_event_id: int | None, last_hash: str, count: int, at: datetime
    ) -> Checkpoint:
        created_at = _iso_utc(at)
        signature = key.sign(cls._text(last_event_id, last_hash, count, created_at))
        return cls(last_event_id, last_hash, count, created_at, key.id, signature)

    def valid_under(self, keys: Keyring) -> bool:
        key = keys.get(self.key_id)
        if key is None:
            return False
        text = self._text(self.last_event_id, self.last_hash, self.event_count, self.created_at)
        return hmac.compare_digest(key.sign(text), self.signature)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.FORMAT,
                "last_event_id": self.last_event_id,
                "last_hash": self.last_hash,
                "event_count": self.event_count,
                "created_at": self.created_at,
                "key_id": self.key_id,
                "signature": self.signature,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Raises ValueError for anything that is not a checkpoint file."""
        try:
            data = json.loads(text)
            if data.get("format") != cls.FORMAT:
                raise ValueError("not an audit checkpoint file")
            last_id = data["last_event_id"]
            return cls(
                None if last_id is None else int(last_id),
                str(data["last_hash"]),
                int(data["event_count"]),
                str(data["created_at"]),
                str(data["key_id"]),
                str(data["signature"]),
            )
        except (AttributeError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError("not an audit checkpoint file") from exc


def write_checkpoint(session: Session, *, now: datetime | None = None) -> Checkpoint:
    """The verified head, signed with the current key. Refuses (ValueError) a broken trail:
    a checkpoint vouches for what it covers."""
    result = verify_chain(session)
    if not result.ok:
        raise ValueError(str(result))
    return Checkpoint.sign(
        current_keyring().current,
        result.head_event_id,
        result.head_hash or GENESIS_HASH,
        result.checked,
        now or datetime.now(UTC),
    )


_VERIFY_COLUMNS = [
    AuditEvent.id,
    AuditEvent.prev_hash,
    AuditEvent.hash,
    AuditEvent.key_id,
    *(getattr(AuditEvent, name) for name in CONTENT_FIELDS),
]


def _events_after(session: Session, after_id: int | None, batch_size: int) -> Iterator[Any]:
    """Events in id order, in keyset batches: bounded memory, no long-lived cursor."""
    while True:
        stmt = select(*_VERIFY_COLUMNS).order_by(AuditEvent.id).limit(batch_size)
        if after_id is not None:
            stmt = stmt.where(AuditEvent.id > after_id)
        rows = session.execute(stmt).all()
        yield from rows
        if len(rows) < batch_size:
            return
        after_id = rows[-1].id


def verify_chain(
    session: Session,
    *,
    batch_size: int = VERIFY_BATCH_SIZE,
    checkpoint: Checkpoint | None = None,
    keys: Keyring | None = None,
) -> VerifyResult:
    """Walk every event in id order and check its signature, its link, and finally the head
    (and, given a checkpoint, that the chain still extends it).

    Safe while others append: events committed after the walk are walked too before the
    head is compared (an append changes event and head in one transaction).
    """
    keys = keys or current_keyring()
    if checkpoint is not None and not checkpoint.valid_under(keys):
        return VerifyResult(False, 0, None, REASON_CHECKPOINT_SIGNATURE)
    checked = 0
    last_id: int | None = None
    last_hash = GENESIS_HASH
    met_checkpoint = checkpoint is None or checkpoint.last_event_id is None

    def walk() -> VerifyResult | None:
        nonlocal checked, last_id, last_hash, met_checkpoint
        for row in _events_after(session, last_id, batch_size):
            key = keys.get(row.key_id)
            if key is None:
                return VerifyResult(False, checked, row.id, REASON_UNKNOWN_KEY)
            fields = {name: getattr(row, name) for name in CONTENT_FIELDS}
            if not hmac.compare_digest(compute_hash(fields, row.prev_hash, key), row.hash):
                return VerifyResult(False, checked, row.id, REASON_HASH)
            if row.prev_hash != last_hash:
                return VerifyResult(False, checked, row.id, REASON_LINK)
            checked += 1
            last_id, last_hash = row.id, row.hash
            if not met_checkpoint and checkpoint is not None:
                if row.id == checkpoint.last_event_id:
                    if (row.hash, checked) != (checkpoint.last_hash, checkpoint.event_count):
                        return VerifyResult(False, checked, row.id, REASON_CHECKPOINT_DIVERGED)
                    met_checkpoint = True
                elif row.id > (checkpoint.last_event_id or 0):
                    return VerifyResult(
                        False, checked, checkpoint.last_event_id, REASON_CHECKPOINT_MISSING
                    )
        return None

    while True:
        if (broken := walk()) is not None:
            return broken
        head = session.execute(
            select(
                AuditChainHead.last_event_id,
                AuditChainHead.last_hash,
                AuditChainHead.event_count,
                AuditChainHead.mac,
            ).where(AuditChainHead.id == HEAD_ID)
        ).one_or_none()
        if head is None:
            return VerifyResult(False, checked, None, REASON_HEAD_MISSING)
        if head.last_event_id is not None and (last_id is None or head.last_event_id > last_id):
            before = checked
            if (broken := walk()) is not None:
                return broken
            if checked > before:
                continue  # appended meanwhile: compare with a fresh head
            return VerifyResult(False, checked, head.last_event_id, REASON_NEWEST_REMOVED)
        if head.last_event_id != last_id:
            return VerifyResult(False, checked, last_id, REASON_HEAD_BEHIND)
        if head.last_hash != last_hash:
            return VerifyResult(False, checked, last_id, REASON_HEAD_HASH)
        if head.event_count != checked:
            return VerifyResult(False, checked, last_id, REASON_HEAD_COUNT)
        # An empty trail's head has no MAC until its first event.
        if (checked or head.mac is not None) and not _head_mac_valid(keys, head):
            return VerifyResult(False, checked, last_id, REASON_HEAD_MAC)
        if not met_checkpoint:
            return VerifyResult(False, checked, checkpoint.last_event_id, REASON_CHECKPOINT_MISSING)
        return VerifyResult(
            True, checked, None, "", head_hash=head.last_hash, head_event_id=head.last_event_id
        )
