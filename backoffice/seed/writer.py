"""Writing generated rows fast: COPY on PostgreSQL, executemany elsewhere.

``copy_text`` writes COPY's text format by hand (several times faster than ``write_row()`` per
value); ``detach`` drops the secondary indexes and foreign keys of the bulk tables for a large
load and gives the statements that put them back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from models import AuditEvent, Claim, ContributionPayment, Member, MemberStatusChange

from .. import audit

MEMBER_COLUMNS = (
    "id",
    "kpj",
    "nik",
    "name",
    "birth_date",
    "sex",
    "address",
    "phone",
    "occupation",
    "income_level",
    "programmes",
    "start_date",
    "contribution_jkk",
    "contribution_jkm",
    "contribution_jht",
    "monthly_contribution",
    "active",
    "department_id",
    "office_id",
    "region_id",
    "batch_id",
    "registered_by_id",
    "created_at",
    "sector",
    "domicile_regency_code",
    "status",
    "status_since",
    "lapses_on",
    "ends_on",
)
PAYMENT_COLUMNS = (
    "member_id",
    "period",
    "jkk",
    "jkm",
    "jht",
    "credit",
    "paid_on",
    "channel",
    "payer_department_id",
    "created_at",
)
STATUS_CHANGE_COLUMNS = ("member_id", "from_status", "to_status", "reason", "day", "created_at")
CLAIM_COLUMNS = (
    "state",
    "version",
    "claim_type",
    "member_id",
    "office_id",
    "region_id",
    "event_date",
    "jht_reason",
    "claimant_name",
    "claimant_nik",
    "claimant_relationship",
    "bank_name",
    "bank_account",
    "account_holder",
    "details",
    "amount",
    "registered_by_id",
    "submitted_at",
    "complete_at",
    "due_date",
    "verified_by_id",
    "verified_at",
    "approval_level",
    "approved_by_id",
    "approved_at",
    "decided_by_id",
    "payment_reference",
    "paid_on",
    "paid_by_id",
    "paid_at",
    "created_at",
)
#: The columns of an audit event as written (``comment`` and ``ip`` are always empty here).
AUDIT_COLUMNS = ("id", *audit.CONTENT_FIELDS, "prev_hash", "key_id", "hash")

#: Secondary indexes rebuilt after a large PostgreSQL load (unique constraints stay in place).
REBUILT_TABLES = ("member", "claim", "audit_event", "contribution_payment", "member_status_change")
#: The tables of name words and pairs (migration 0012; filled by triggers as rows arrive): their
#: primary keys are rebuilt too after a large load (the triggers never write a word twice).
WORD_TABLES = ("member_name_word", "claim_name_word", "member_name_pair", "claim_name_pair")


NULL = "\\N"  # COPY's text format
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if type(value) is str:  # the most frequent: plain text seldom needs an escape
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)  # numbers, ISO dates, timestamps with their offset


def audit_copy_line(row: Sequence[Any]) -> str:
    """An audit event in COPY's text format. Its values are only text, whole numbers, times and
    None: written at once, and checked at once for a character to escape (then value by value)."""
    line = "\t".join(["\\N" if v is None else v if type(v) is str else str(v) for v in row])
    if (
        line.count("\t") == len(row) - 1
        and line.count("\\") == row.count(None)
        and "\n" not in line
        and "\r" not in line
    ):
        return line
    return "\t".join(map(copy_text, row))


class Writer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def new_member_ids(self, n: int) -> list[int]:
        """``n`` new member ids (the first column of each member row)."""
        if not n:
            return []
        if self.postgres:
            return list(
                self.session.scalars(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('member', 'id'))"
                        " FROM generate_series(1, :n)"
                    ),
                    {"n": n},
                )
            )
        # SQLite: ids after the largest one (the load holds the database's write lock).
        last = self.session.scalar(select(func.max(Member.id))) or 0
        return list(range(last + 1, last + 1 + n))

    def members(self, rows: list[list[Any]]) -> None:
        self._rows("member", Member.__table__, MEMBER_COLUMNS, rows)

    def payments(self, rows: list[Sequence[Any]]) -> None:
        if self.postgres and rows:
            # Numbers, days, an enum and a time: nothing to escape, and most of a load's rows
            # (a dozen a member), so written without copy_text.
            self._copy_lines(
                "contribution_payment",
                PAYMENT_COLUMNS,
                (
                    f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7].value}"
                    f"\t{NULL if r[8] is None else r[8]}\t{r[9].isoformat()}"
                    for r in rows
                ),
            )
            return
        self._rows("contribution_payment", ContributionPayment.__table__, PAYMENT_COLUMNS, rows)

    def status_changes(self, rows: list[Sequence[Any]]) -> None:
        self._rows(
            "member_status_change", MemberStatusChange.__table__, STATUS_CHANGE_COLUMNS, rows
        )

    def _rows(
        self, name: str, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if not rows:
            return
        if self.postgres:
            self._copy(name, columns, rows)
        else:
            self.session.execute(
                insert(table).execution_options(render_nulls=True),
                [dict(zip(columns, row, strict=True)) for row in rows],
            )

    def claims(self, rows: list[dict[str, Any]]) -> list[int]:
        """Write the claims; their ids, in the order of ``rows``."""
        if not rows:
            return []
        if self.postgres:
            # The ids are taken from the claims' sequence first: COPY returns nothing.
            ids = self.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('claim', 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            ).all()
            values = []
            for claim_id, row in zip(ids, rows, strict=True):
                row = dict(row, details=json.dumps(row["details"]))
                values.append([claim_id, *(row[c] for c in CLAIM_COLUMNS)])
            self._copy("claim", ("id", *CLAIM_COLUMNS), values)
            return list(ids)
        return list(
            self.session.scalars(
                insert(Claim)
                .returning(Claim.id, sort_by_parameter_order=True)
                .execution_options(render_nulls=True),
                rows,
            )
        )

    def audit_events(self, rows: list[tuple[Any, ...]]) -> None:
        if self.postgres:
            self._copy_lines("audit_event", AUDIT_COLUMNS, map(audit_copy_line, rows))
        else:
            self.session.execute(
                insert(AuditEvent.__table__),
                [dict(zip(AUDIT_COLUMNS, row, strict=True)) for row in rows],
            )

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        # COPY's text format written by hand: several times faster than write_row() per value.
        self._copy_lines(table, columns, ("\t".join(map(copy_text, row)) for row in rows))

    def _copy_lines(self, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
        raw = self.session.connection().connection.driver_connection
        text_lines = list(lines)
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, len(text_lines), 10_000):
                    copy.write("\n".join(text_lines[start : start + 10_000]) + "\n")

    def existing_niks(self, niks: list[str]) -> set[str]:
        if self.postgres:
            result = self.session.execute(
                text("SELECT nik FROM member WHERE nik = ANY(:niks)"), {"niks": niks}
            )
            return set(result.scalars())
        found: set[str] = set()
        for start in range(0, len(niks), 5_000):
            part = niks[start : start + 5_000]
            found.update(self.session.scalars(select(Member.nik).where(Member.nik.in_(part))))
        return found

    def member_ids(self, kpjs: list[str]) -> dict[str, int]:
        if not kpjs:
            return {}
        if self.postgres:
            result = self.session.execute(
                text("SELECT kpj, id FROM member WHERE kpj = ANY(:kpjs)"), {"kpjs": kpjs}
            )
            return {kpj: member_id for kpj, member_id in result}
        ids: dict[str, int] = {}
        for start in range(0, len(kpjs), 5_000):
            part = kpjs[start : start + 5_000]
            ids.update(
                (kpj, member_id)
                for kpj, member_id in self.session.execute(
                    select(Member.kpj, Member.id).where(Member.kpj.in_(part))
                )
            )
        return ids


def detach(session: Session) -> list[str]:
    """Drop the secondary indexes and the foreign keys of the bulk tables (and the primary
    keys of the tables of name words) for a large load; the statements that put them back (run
    in the same transaction, after the load).

    Unique keys and the bulk tables' primary keys stay: they are what keeps the data right while
    it arrives (the tables of name words are written by triggers from those rows). A foreign
    key put back checks every row at once (one join instead of a look-up per row), an index is
    built from sorted data: both much faster than maintaining them row by row.
    """
    tables = list(REBUILT_TABLES)
    constraints = session.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint"
            " WHERE (contype = 'f' AND conrelid = ANY(CAST(:tables AS regclass[])))"
            " OR (contype = 'p' AND conrelid = ANY(CAST(:word_tables AS regclass[])))"
            " ORDER BY conname"
        ),
        {"tables": tables, "word_tables": list(WORD_TABLES)},
    ).all()
    indexes = session.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            "   WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
            " ORDER BY i.indexname"
        ),
        {"tables": tables},
    ).all()
    restore = []
    for table, name, definition in constraints:
        session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
        restore.append(definition)
    return restore
