"""The audit trail of a bulk load: the events the services would have written, appended to the
hash chain as ``audit.append_event`` would (the same lock, the same hash of the same stored
values), so that ``verify-audit`` passes after a load."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import partial
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import AuditChainHead, AuditEvent, BatchState, ClaimState

from .. import audit
from ..audit_keys import current_keyring
from ..services.batch_intake import RECORD_TYPE as BATCH_RECORD
from ..services.batches import _ranges
from ..services.claims import RECORD_TYPE as CLAIM_RECORD
from .writer import Writer

#: How long after its upload a batch's rows were checked (the system's ``checked`` event).
_CHECKED_AFTER = timedelta(seconds=30)


class AuditTrail:
    """Audit events of the load, collected per chunk and appended to the chain by ``flush``.

    The first flush takes the chain's append lock (``audit._lock_head``, as ``append_event``
    does; held until the commit) and continues after the newest id ever handed out; each event
    is hashed with ``audit.compute_hash`` over exactly the values written, so ``verify_chain``
    recomputes the same hashes. ``finish`` moves the head (and, on PostgreSQL, the id sequence).
    """

    def __init__(self, session: Session, writer: Writer, people: dict[int, tuple[str, str]]):
        self.session = session
        self.writer = writer
        self.people = people
        self.pending: list[tuple[Any, ...]] = []
        self.head: AuditChainHead | None = None
        self.next_id = 0
        self.last_hash = ""
        self.written = 0
        self.seconds = 0.0

    def add(
        self,
        occurred_at: datetime,
        actor_id: int | None,
        action: str,
        from_state: Enum | None,
        to_state: Enum,
        details: dict[str, Any],
        *,
        record: tuple[str, int],
        scope: tuple[int | None, int | None, int | None],
    ) -> None:
        """One event of ``record`` (type, id) in ``scope`` (region, office, department): its
        content fields (``audit.CONTENT_FIELDS`` order) as ``append_event`` stores them: UTC
        time, the actor's snapshot, text values, canonical JSON details."""
        if occurred_at.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        username, role = self.people[actor_id] if actor_id is not None else (None, None)
        self.pending.append(
            (
                occurred_at.astimezone(UTC),
                actor_id,
                username,
                role,
                record[0],
                str(record[1]),
                action,
                None if from_state is None else from_state.value,
                to_state.value,
                None,  # comment
                None,  # ip
                audit.canonical_json(details),
                *scope,
            )
        )

    def claim(self, claim_id: int, row: dict[str, Any]) -> None:
        """As ``claims.register_claim`` and the claim workflow (``decide``) write them."""
        C = ClaimState
        amount = row["amount"]
        event = partial(
            self.add,
            record=(CLAIM_RECORD, claim_id),
            scope=(row["region_id"], row["office_id"], None),
        )
        event(row["created_at"], row["registered_by_id"], "create", None, C.SUBMITTED,
              {"amount": amount})  # fmt: skip
        if row["state"] is not C.PAID:
            return
        approver = row["approved_by_id"]
        event(row["verified_at"], row["verified_by_id"], "verify", C.SUBMITTED, C.VERIFIED,
              {"amount": amount})  # fmt: skip
        event(row["approved_at"], approver, "approve", C.VERIFIED, C.APPROVED,
              {"amount": amount, "level": self.people[approver][1]})  # fmt: skip
        # The workflow keeps the action's text parameters too: the transfer reference.
        event(row["paid_at"], row["paid_by_id"], "pay", C.APPROVED, C.PAID,
              {"amount": amount, "paid_on": row["paid_on"].isoformat(),
               "payment_reference": row["payment_reference"]})  # fmt: skip

    def batch(
        self,
        batch_id: int,
        batch: dict[str, Any],
        accepted_by: int | None = None,
        kpjs: tuple[str, str] | None = None,
    ) -> None:
        """As ``batches.upload_batch``, ``process_batch`` and the batch workflow write them:
        uploaded, checked by the system, submitted; accepted whole when completed."""
        B = BatchState
        rows, valid, invalid = batch["row_count"], batch["valid_count"], batch["invalid_count"]
        uploaded = batch["created_at"]
        event = partial(
            self.add,
            record=(BATCH_RECORD, batch_id),
            scope=(batch["region_id"], batch["office_id"], batch["department_id"]),
        )
        event(uploaded, batch["uploaded_by_id"], "upload", None, B.PROCESSING,
              {"filename": batch["filename"], "checksum": batch["checksum"],
               "bytes": batch["file_size"]})  # fmt: skip
        event(uploaded + _CHECKED_AFTER, None, "checked", B.PROCESSING, B.DRAFT,
              {"rows": rows, "valid": valid, "invalid": invalid})  # fmt: skip
        event(batch["submitted_at"], batch["submitted_by_id"], "submit", B.DRAFT, B.SUBMITTED,
              {"rows": valid, "left_out": invalid, "newly_left_out": 0})  # fmt: skip
        if batch["state"] is B.COMPLETED:
            assert accepted_by is not None and kpjs is not None
            event(batch["completed_at"], accepted_by, "accept_all", B.SUBMITTED, B.COMPLETED,
                  {"accepted": batch["accepted_count"], "rows": _ranges(range(2, rows + 2)),
                   "first_kpj": kpjs[0], "last_kpj": kpjs[1]})  # fmt: skip

    def _start(self) -> None:
        session = self.session
        self.head = audit._lock_head(session)
        # After every id ever handed out (a rolled-back append used one too), never reusing one.
        newest = session.scalar(select(func.max(AuditEvent.id))) or 0
        if self.writer.postgres:
            issued = session.scalar(
                text(
                    "SELECT pg_sequence_last_value("
                    "CAST(pg_get_serial_sequence('audit_event', 'id') AS regclass))"
                )
            )
        else:
            issued = session.scalar(
                text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_event'")
            )
        self.next_id = max(self.head.last_event_id or 0, newest, issued or 0) + 1
        self.last_hash = self.head.last_hash
        self.key = current_keyring().current

    def flush(self) -> None:
        """Hash the collected events in time order and write them, ids ascending."""
        if not self.pending:
            return
        started = time.perf_counter()
        if self.head is None:
            self._start()
        self.pending.sort(key=itemgetter(0))  # by time; stable: a record's events keep order
        compute_hash, names = audit.compute_hash, audit.CONTENT_FIELDS
        key = self.key
        prev_hash, event_id = self.last_hash, self.next_id
        rows = []
        for content in self.pending:
            digest = compute_hash(dict(zip(names, content, strict=True)), prev_hash, key)
            rows.append((event_id, *content, prev_hash, key.id, digest))  # AUDIT_COLUMNS
            prev_hash, event_id = digest, event_id + 1
        self.writer.audit_events(rows)
        self.written += len(rows)
        self.last_hash, self.next_id = prev_hash, event_id
        self.pending = []
        self.seconds += time.perf_counter() - started

    def finish(self) -> None:
        """Move the chain head to the newest event written (and the id sequence past it)."""
        self.flush()
        if self.head is None:
            return
        last = self.next_id - 1
        audit.advance_head(self.head, self.key, last, self.last_hash, self.written)
        self.session.flush()
        if self.writer.postgres:
            self.session.execute(
                text("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), :last)"),
                {"last": last},
            )
