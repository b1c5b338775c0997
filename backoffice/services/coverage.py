"""Coverage summaries: what the dashboards read, and the proof that it is right.

The summary tables (``coverage_members``, ``coverage_payments``, ``coverage_claims``) are kept by
database triggers (migration 0019) in the transaction of every statement that changes a member,
a payment or a claim, whichever service or set-based statement made it. This module recounts
them from the base tables (``differences``: what ``verify-summaries`` reports), rebuilds them
(``rebuild``: after a bulk load that went around the triggers) and reads them for a place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from models import (
    NO_MONTH,
    Claim,
    ContributionPayment,
    CoverageClaims,
    CoverageMembers,
    CoveragePayments,
    Member,
)


def month_of(session: Session, column: Any, *, jakarta: bool = False) -> Any:
    """The first day of the month of a date (or of a UTC time, in Jakarta), in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        if jakarta:
            return func.date(column, "+7 hours", "start of month")
        return func.date(column, "start of month")
    if jakarta:
        column = func.timezone("Asia/Jakarta", column)
    return cast(func.date_trunc("month", column), Date)


def _member_place(member: Any = Member) -> list[Any]:
    return [
        member.region_id,
        member.office_id,
        func.coalesce(member.department_id, 0),
        member.sector,
        func.coalesce(member.domicile_regency_code, ""),
    ]


@dataclass(frozen=True)
class Summary:
    """One summary table: its model, key columns, value columns and the recount query."""

    name: str
    model: type
    keys: tuple[str, ...]
    values: tuple[str, ...]

    def stored(self, session: Session) -> dict[tuple[str, ...], tuple[int, ...]]:
        cols = [getattr(self.model, k) for k in self.keys]
        vals = [getattr(self.model, v) for v in self.values]
        rows = session.execute(select(*cols, *vals)).all()
        return _as_dict(rows, len(self.keys))

    def recount_select(self, session: Session) -> Any:
        return _RECOUNTS[self.name](session)

    def recounted(self, session: Session) -> dict[tuple[str, ...], tuple[int, ...]]:
        return _as_dict(session.execute(self.recount_select(session)).all(), len(self.keys))


def _as_dict(rows: Iterable[Any], nkeys: int) -> dict[tuple[str, ...], tuple[int, ...]]:
    result = {}
    for row in rows:
        values = tuple(int(v or 0) for v in row[nkeys:])
        if any(values):  # a count back to 0 keeps its row
            result[tuple(_key_text(v) for v in row[:nkeys])] = values
    return result


def _key_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _recount_members(session: Session) -> Any:
    month = month_of(session, Member.start_date)
    keys = [*_member_place(), Member.status, month]
    return select(*keys, func.count()).group_by(*keys)


def _recount_payments(session: Session) -> Any:
    month = month_of(session, ContributionPayment.paid_on)
    keys = [*_member_place(), month]
    amount = ContributionPayment.jkk + ContributionPayment.jkm + ContributionPayment.jht
    return (
        select(*keys, func.count(), func.sum(amount))
        .join(Member, Member.id == ContributionPayment.member_id)
        .group_by(*keys)
    )


def _recount_claims(session: Session) -> Any:
    received = month_of(session, Claim.submitted_at, jakarta=True)
    no_month = literal(NO_MONTH.isoformat()) if _sqlite(session) else literal(NO_MONTH)
    paid = func.coalesce(month_of(session, Claim.paid_on), no_month)
    keys = [Claim.region_id, Claim.office_id, Claim.claim_type, Claim.state, received, paid]
    return select(*keys, func.count(), func.sum(Claim.amount)).group_by(*keys)


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_RECOUNTS = {
    "coverage_members": _recount_members,
    "coverage_payments": _recount_payments,
    "coverage_claims": _recount_claims,
}

SUMMARIES = (
    Summary(
        "coverage_members",
        CoverageMembers,
        (
            "region_id",
            "office_id",
            "department_id",
            "sector",
            "regency_code",
            "status",
            "start_month",
        ),
        ("members",),
    ),
    Summary(
        "coverage_payments",
        CoveragePayments,
        ("region_id", "office_id", "department_id", "sector", "regency_code", "paid_month"),
        ("payments", "amount"),
    ),
    Summary(
        "coverage_claims",
        CoverageClaims,
        ("region_id", "office_id", "claim_type", "state", "submitted_month", "paid_month"),
        ("claims", "amount"),
    ),
)


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[str, ...]
    stored: tuple[int, ...] | None
    recounted: tuple[int, ...] | None

    def __str__(self) -> str:
        return f"{self.table} {'/'.join(self.key)}: stored {self.stored}, recount {self.recounted}"


def differences(session: Session) -> list[Difference]:
    """Every key where a summary table and a full recount of the base tables disagree."""
    found = []
    for summary in SUMMARIES:
        stored = summary.stored(session)
        recounted = summary.recounted(session)
        for key in sorted(stored.keys() | recounted.keys()):
            if stored.get(key) != recounted.get(key):
                found.append(Difference(summary.name, key, stored.get(key), recounted.get(key)))
    return found


def rebuild(session: Session) -> None:
    """Refill every summary table from the base tables (after a bulk load), in the caller's
    transaction."""
    for summary in SUMMARIES:
        session.execute(delete(summary.model))
        session.execute(
            insert(summary.model).from_select(
                [*summary.keys, *summary.values], summary.recount_select(session)
            )
        )
    session.flush()
