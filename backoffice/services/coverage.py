"""Coverage summaries: what the dashboards read, and the proof that it is right.

The summary tables (``coverage_members``, ``coverage_payments``, ``coverage_claims``) are kept by
database triggers (migration 0019) in the transaction of every statement that changes a member,
a payment or a claim, whichever service or set-based statement made it. This module recounts
them from the base tables (``differences``: what ``verify-summaries`` reports), rebuilds them
(``rebuild``: after a bulk load that went around the triggers) and reads them for a place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, cast, delete, func, insert, literal, or_, select, union_all
from sqlalchemy.orm import Session

from models import (
    NO_MONTH,
    BatchState,
    Claim,
    ContributionPayment,
    CoverageActive,
    CoverageClaims,
    CoverageMembers,
    CoveragePayments,
    CoverageStatus,
    CoverageTarget,
    Department,
    Member,
    MemberBatch,
    MemberStatus,
    MemberStatusChange,
    Regency,
    Role,
    User,
)
from models.base import as_utc

from .. import authz
from ..clock import jakarta_day


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
    return select(*keys, func.count(), func.sum(Member.monthly_contribution)).group_by(*keys)


def _recount_status(session: Session) -> Any:
    keys = [*_member_place(), Member.status]
    return select(*keys, func.count(), func.sum(Member.monthly_contribution)).group_by(*keys)


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


def _recount_active(session: Session) -> Any:
    c = MemberStatusChange
    month = month_of(session, c.day)
    keys = [*_member_place(), month]
    active = MemberStatus.ACTIVE
    change = case((c.to_status == active, 1), else_=0) - case((c.from_status == active, 1), else_=0)
    return (
        select(*keys, func.sum(change))
        .join(Member, Member.id == c.member_id)
        .where(or_(c.to_status == active, c.from_status == active))
        .group_by(*keys)
    )


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_RECOUNTS = {
    "coverage_members": _recount_members,
    "coverage_status": _recount_status,
    "coverage_payments": _recount_payments,
    "coverage_claims": _recount_claims,
    "coverage_active": _recount_active,
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
        ("members", "contributions"),
    ),
    # After coverage_members: a rebuild of that table moves this one through its triggers;
    # this one's own rebuild then starts it afresh from the members.
    Summary(
        "coverage_status",
        CoverageStatus,
        ("region_id", "office_id", "department_id", "sector", "regency_code", "status"),
        ("members", "contributions"),
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
    Summary(
        "coverage_active",
        CoverageActive,
        ("region_id", "office_id", "department_id", "sector", "regency_code", "month"),
        ("change",),
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


# --------------------------------------------------------------------------------------------
# The dashboards: figures of a place, read from the summaries in the user's scope
# --------------------------------------------------------------------------------------------

#: The drill-down, from the widest to the narrowest.
LEVELS = ("region", "regency", "office", "department", "sector")
OPEN_CLAIMS = ("submitted", "returned", "verified", "approved")
WAITING_BATCHES = (BatchState.SUBMITTED, BatchState.IN_REVIEW)
TREND_MONTHS = 12


@dataclass(frozen=True)
class Place:
    """Where the dashboard looks: each level None when not narrowed."""

    region_id: int | None = None
    regency_code: str | None = None
    office_id: int | None = None
    department_id: int | None = None
    sector: str | None = None

    def narrowed(self, level: str, value: Any) -> Place:
        key = {"regency": "regency_code", "region": "region_id"}.get(level, f"{level}_id")
        if level == "sector":
            key = "sector"
        return replace(self, **{key: value})

    @property
    def claims_apply(self) -> bool:
        """Claims are counted by office: not for a regency, department or sector."""
        return self.regency_code is None and self.department_id is None and self.sector is None


def start_level(user: User) -> str:
    """The first breakdown a role sees: the regional head's regencies, the branch's
    departments, the liaison's sectors."""
    if user.role is Role.LIAISON:
        return "sector"
    if user.role in (Role.BRANCH_HEAD, Role.BRANCH_CLERK):
        return "department"
    return "regency"


def next_level(user: User, place: Place) -> str | None:
    """The level the breakdown shows next: region -> regencies; a regency or an office ->
    its departments; a department -> its sectors; a sector: none."""
    if place.sector is not None:
        return None
    if place.department_id is not None:
        return "sector"
    if place.regency_code is not None or place.office_id is not None:
        return "department"
    return start_level(user)


def regency_departments(place: Place) -> bool:
    """A regency's page lists the regency's departments with their own figures (not only
    their members domiciled in the regency)."""
    return (
        place.regency_code not in (None, "")
        and place.office_id is None
        and place.department_id is None
    )


def _place_conditions(model: Any, place: Place) -> list[Any]:
    conditions = []
    if place.region_id is not None:
        conditions.append(model.region_id == place.region_id)
    if place.office_id is not None:
        conditions.append(model.office_id == place.office_id)
    if hasattr(model, "regency_code"):
        if place.regency_code is not None:
            conditions.append(model.regency_code == place.regency_code)
        if place.department_id is not None:
            conditions.append(model.department_id == place.department_id)
        if place.sector is not None:
            conditions.append(model.sector == place.sector)
    return conditions


def _scoped(user: User, stmt: Any, model: Any, place: Place) -> Any:
    return authz.scope(user, stmt, model).where(*_place_conditions(model, place))


@dataclass
class Figures:
    today: date
    month: date
    by_status: dict[str, int]
    registered_this_month: int
    target: CoverageTarget | None
    collected_this_month: int
    payments_this_month: int
    lapsed_contributions: int
    claims: dict[str, int] | None
    waiting: dict[str, Any]
    trend: list[dict[str, Any]]
    breakdown_level: str | None
    breakdown: list[dict[str, Any]]
    #: A regency's page: the offices serving it, by their members domiciled in the regency.
    offices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> int:
        return self.by_status.get("active", 0)

    @property
    def members(self) -> int:
        return sum(self.by_status.values())

    @property
    def percent_of_target(self) -> float | None:
        if self.target is None:
            return None
        return 100.0 * self.active / self.target.workers


def _months_back(month: date, n: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - n, 12)
    return date(year, index + 1, 1)


def figures(session: Session, user: User, place: Place, today: date) -> Figures:
    """Everything a dashboard shows for ``place``, in ``user``'s scope: one statement per
    summary table where it can (the members by status, registered this month, the lapsed
    members' contributions and the breakdown grouped together; each trend one statement; the
    targets of the place and of its children in one)."""
    month = today.replace(day=1)
    first = _months_back(month, TREND_MONTHS - 1)
    level = next_level(user, place)
    own_departments = level == "department" and regency_departments(place)
    # The place's members grouped by the breakdown's level (by status only when the breakdown
    # counts other members: a regency's departments with their own figures).
    grouped = _grouped(session, user, place, None if own_departments else level, today)
    by_status: dict[str, int] = {}
    registered = lapsed_contributions = 0
    for row in grouped.values():
        for status, n in row["by_status"].items():
            by_status[status] = by_status.get(status, 0) + n
        registered += row["registered_this_month"]
        lapsed_contributions += row["lapsed_contributions"]
    by_status = {status: n for status, n in by_status.items() if n}
    paid_months, collected = _payments_by_month(session, user, place, first)
    claims, received = _claims(session, user, place, today) if place.claims_apply else (None, {})
    rows: dict[Any, dict[str, Any]] = {}
    children: dict[Any, tuple[Place, Place]] = {}
    if level:
        rows, children = _breakdown(session, user, place, level, today, grouped)
    targets = targets_for(
        session, user, [place, *(opened for _, opened in children.values())], today
    )
    offices: list[dict[str, Any]] = []
    if regency_departments(place):
        offices = _offices(session, user, place, today)
    this_month = paid_months.get(month, (0, 0))
    return Figures(
        today=today,
        month=month,
        by_status=by_status,
        registered_this_month=registered,
        target=targets.get(place),
        collected_this_month=this_month[1],
        payments_this_month=this_month[0],
        lapsed_contributions=lapsed_contributions,
        claims=claims,
        waiting=_waiting(session, user, place, today),
        trend=_trend(
            session, user, place, first, month, by_status.get("active", 0), collected, received
        ),
        breakdown_level=level,
        breakdown=_finish_rows(rows, children, targets, keep_empty=own_departments),
        offices=offices,
    )


def _payments_by_month(
    session: Session, user: User, place: Place, first: date
) -> tuple[dict[date, tuple[int, int]], dict[date, int]]:
    """The payments recorded and their amount by month from ``first`` (one statement): this
    month's figures and the trend's."""
    p = CoveragePayments
    stmt = (
        _scoped(user, select(p.paid_month, func.sum(p.payments), func.sum(p.amount)), p, place)
        .where(p.paid_month >= first)
        .group_by(p.paid_month)
    )
    by_month = {
        _as_date(key): (int(n or 0), int(amount or 0)) for key, n, amount in session.execute(stmt)
    }
    return by_month, {key: amount for key, (_n, amount) in by_month.items()}


def _trend(
    session: Session,
    user: User,
    place: Place,
    first: date,
    month: date,
    active_now: int,
    collected: dict[date, int],
    received: dict[date, int],
) -> list[dict[str, Any]]:
    m = CoverageMembers
    registered = {
        _as_date(key): int(n or 0)
        for key, n in session.execute(
            _scoped(user, select(m.start_month, func.sum(m.members)), m, place)
            .where(m.start_month >= first, m.start_month <= month)
            .group_by(m.start_month)
        )
    }
    # Members active at the end of a month: those active now less the changes into and out
    # of 'active' of every month after it (coverage_active).
    a = CoverageActive
    changes = {
        _as_date(key): int(value or 0)
        for key, value in session.execute(
            _scoped(user, select(a.month, func.sum(a.change)), a, place)
            .where(a.month > first)
            .group_by(a.month)
        )
    }
    months = [_months_back(month, n) for n in range(TREND_MONTHS - 1, -1, -1)]
    return [
        {
            "month": one,
            "registered": registered.get(one, 0),
            "collected": collected.get(one, 0),
            "claims": received.get(one, 0),
            "active": active_now - sum(v for key, v in changes.items() if key > one),
        }
        for one in months
    ]


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _claims(
    session: Session, user: User, place: Place, today: date
) -> tuple[dict[str, int], dict[date, int]]:
    """The claims' figures and the claims received by month (the trend): one statement over
    coverage_claims by the month received, one counting the overdue claims."""
    c = CoverageClaims
    month = today.replace(day=1)
    paid_now = c.paid_month == month
    stmt = _scoped(
        user,
        select(
            c.submitted_month,
            func.sum(c.claims),
            func.sum(case((paid_now, c.claims), else_=0)),
            func.sum(case((paid_now, c.amount), else_=0)),
            func.sum(case((c.state.in_(OPEN_CLAIMS), c.claims), else_=0)),
        ),
        c,
        place,
    ).group_by(c.submitted_month)
    received: dict[date, int] = {}
    paid = paid_amount = open_ = 0
    for key, claims, paid_n, amount, open_n in session.execute(stmt):
        received[_as_date(key)] = int(claims or 0)
        paid += int(paid_n or 0)
        paid_amount += int(amount or 0)
        open_ += int(open_n or 0)
    overdue = session.scalar(
        authz.scope(
            user,
            select(func.count())
            .select_from(Claim)
            .where(Claim.state.in_(OPEN_CLAIMS), Claim.due_date < today),
            Claim,
        ).where(*_claim_conditions(place))
    )
    figures = {
        "received": received.get(month, 0),
        "paid": paid,
        "paid_amount": paid_amount,
        "open": open_,
        "overdue": int(overdue or 0),
    }
    return figures, received


def _claim_conditions(place: Place) -> list[Any]:
    conditions = []
    if place.region_id is not None:
        conditions.append(Claim.region_id == place.region_id)
    if place.office_id is not None:
        conditions.append(Claim.office_id == place.office_id)
    return conditions


def _waiting(session: Session, user: User, place: Place, today: date) -> dict[str, Any]:
    """Registrations waiting in the queues: batches submitted or in review, their pending rows
    and the age of the oldest (a small table: read directly)."""
    b = MemberBatch
    stmt = authz.scope(
        user,
        select(
            func.count(),
            func.sum(b.valid_count - b.accepted_count - b.rejected_count),
            func.min(b.submitted_at),
        ).where(b.state.in_(WAITING_BATCHES)),
        MemberBatch,
    )
    if place.region_id is not None:
        stmt = stmt.where(b.region_id == place.region_id)
    if place.office_id is not None:
        stmt = stmt.where(b.office_id == place.office_id)
    if place.department_id is not None:
        stmt = stmt.where(b.department_id == place.department_id)
    if place.regency_code is not None:
        stmt = stmt.where(
            b.department_id.in_(
                select(Department.id)
                .join(Regency, Regency.id == Department.regency_id)
                .where(Regency.code == place.regency_code)
            )
        )
    batches, rows, oldest = session.execute(stmt).one()
    age = None
    if oldest is not None:
        age = (today - jakarta_day(as_utc(oldest))).days
    return {"batches": int(batches or 0), "rows": int(rows or 0), "oldest_days": age}


def _target_key(place: Place) -> tuple[str, Any, str | None] | None:
    """Which target a place is measured against: its department's, its regency's or its
    region's (each for the place's sector, or for every sector); None: no target of its own
    (an office serves parts of regencies; every region together)."""
    if place.department_id is not None:
        return ("department", place.department_id, place.sector)
    if place.office_id is not None:
        return None
    if place.regency_code is not None:
        return ("regency", place.regency_code, place.sector)
    if place.region_id is None:
        return None
    return ("region", place.region_id, place.sector)


def targets_for(
    session: Session, user: User, places: Iterable[Place], today: date
) -> dict[Place, CoverageTarget]:
    """The target in force today for this year of each place (``_target_key``), read in one
    statement; the latest valid one when several are."""
    wanted: dict[tuple[str, Any, str | None], list[Place]] = {}
    for place in places:
        key = _target_key(place)
        if key is not None and key[1] not in (0, ""):
            wanted.setdefault(key, []).append(place)
    if not wanted:
        return {}
    t = CoverageTarget
    groups: dict[tuple[str, str | None], set[Any]] = {}
    for kind, value, sector in wanted:
        groups.setdefault((kind, sector), set()).add(value)
    conditions = []
    for (kind, sector), values in groups.items():
        in_sector = t.sector.is_(None) if sector is None else t.sector == sector
        if kind == "department":
            conditions.append(and_(t.department_id.in_(values), in_sector))
        elif kind == "regency":
            conditions.append(and_(t.department_id.is_(None), Regency.code.in_(values), in_sector))
        else:
            conditions.append(
                and_(
                    t.department_id.is_(None),
                    t.regency_id.is_(None),
                    t.region_id.in_(values),
                    in_sector,
                )
            )
    stmt = authz.scope(
        user,
        select(t, Regency.code)
        .outerjoin(Regency, Regency.id == t.regency_id)
        .where(
            t.year == today.year,
            t.valid_from <= today,
            (t.valid_to.is_(None)) | (t.valid_to >= today),
            or_(*conditions),
        )
        .order_by(t.valid_from, t.id),
        CoverageTarget,
    )
    found: dict[tuple[str, Any, str | None], CoverageTarget] = {}
    for target, regency_code in session.execute(stmt):
        if target.department_id is not None:
            key = ("department", target.department_id, target.sector)
        elif target.regency_id is not None:
            key = ("regency", regency_code, target.sector)
        else:
            key = ("region", target.region_id, target.sector)
        found[key] = target  # ordered by validity: the latest wins
    return {place: found[key] for key, places in wanted.items() if key in found for place in places}


_LEVEL_COLUMNS = {
    "region": "region_id",
    "regency": "regency_code",
    "office": "office_id",
    "department": "department_id",
    "sector": "sector",
}


def _grouped(
    session: Session,
    user: User,
    place: Place,
    level: str | None,
    today: date,
    departments: list[int] | None = None,
) -> dict[Any, dict[str, Any]]:
    """The members of ``place`` grouped by ``level`` (None: all together): by status and the
    monthly contributions of the lapsed ones (``coverage_status``), registered this month
    (``coverage_members``, this month's rows); one statement. ``departments``: only these."""
    month = today.replace(day=1)
    lapsed = MemberStatus.LAPSED.value
    parts = []
    for model, new_only in ((CoverageStatus, False), (CoverageMembers, True)):
        column = getattr(model, _LEVEL_COLUMNS[level]) if level else literal(None)
        members = func.sum(model.members)
        owed = func.sum(case((model.status == lapsed, model.contributions), else_=0))
        stmt = _scoped(
            user,
            select(
                column.label("key"),
                model.status,
                literal(0) if new_only else members,
                members if new_only else literal(0),
                literal(0) if new_only else owed,
            ),
            model,
            place,
        )
        if new_only:
            stmt = stmt.where(model.start_month == month)
        if departments is not None:
            stmt = stmt.where(model.department_id.in_(departments))
        parts.append(stmt.group_by(column, model.status) if level else stmt.group_by(model.status))
    rows: dict[Any, dict[str, Any]] = {}
    for key, status, members, new, owed in session.execute(union_all(*parts)):
        row = _empty_row(rows, key if level else None)
        if members:
            row["by_status"][str(status)] = row["by_status"].get(str(status), 0) + int(members)
        row["registered_this_month"] += int(new or 0)
        row["lapsed_contributions"] += int(owed or 0)
    return rows


def _empty_row(rows: dict[Any, dict[str, Any]], key: Any) -> dict[str, Any]:
    return rows.setdefault(
        key, {"key": key, "by_status": {}, "registered_this_month": 0, "lapsed_contributions": 0}
    )


def _finish_rows(
    rows: dict[Any, dict[str, Any]],
    children: dict[Any, tuple[Place, Place]],
    targets: dict[Place, CoverageTarget],
    *,
    keep_empty: bool = False,
) -> list[dict[str, Any]]:
    """Totals, the target and the ranking. ``children``: each key's place counted (what the
    row's figures and member links are) and the place its drill-down opens; ``targets``: the
    targets of the places opened (``targets_for``), compared only with their own figures."""
    result = []
    for key, row in rows.items():
        counted, opened = children[key]
        row["place"] = counted
        row["opens"] = opened
        row["members"] = sum(row["by_status"].values())
        row["active"] = row["by_status"].get("active", 0)
        row["lapsed"] = row["by_status"].get("lapsed", 0)
        target = targets.get(opened) if counted == opened else None
        row["target"] = target.workers if target else None
        row["percent"] = 100.0 * row["active"] / target.workers if target else None
        if row["members"] or keep_empty:
            result.append(row)
    result.sort(key=lambda r: (-(r["percent"] or -1), -r["active"], str(r["key"])))
    return result


def _breakdown(
    session: Session,
    user: User,
    place: Place,
    level: str,
    today: date,
    grouped: dict[Any, dict[str, Any]],
) -> tuple[dict[Any, dict[str, Any]], dict[Any, tuple[Place, Place]]]:
    """One row per child of the place at ``level`` (``grouped``: the place's members grouped
    by it) and each child's places (counted, opened). A regency's children are its departments
    (``Department.regency_id``) each with its own figures and target; a department opens on its
    own figures."""
    if level == "department" and regency_departments(place):
        own = Place(region_id=place.region_id, sector=place.sector)
        ids = list(
            session.scalars(
                authz.scope(
                    user,
                    select(Department.id)
                    .join(Regency, Regency.id == Department.regency_id)
                    .where(Regency.code == place.regency_code),
                    Department,
                )
            )
        )
        rows = _grouped(session, user, own, level, today, departments=ids)
        for department in ids:
            _empty_row(rows, department)
        return rows, {key: (own.narrowed(level, key),) * 2 for key in rows}
    children = {}
    for key in grouped:
        counted = place.narrowed(level, key)
        opened = counted
        if level == "department" and key != 0:
            # A department opens on its own figures, whichever office or domicile led to it.
            opened = Place(region_id=place.region_id, department_id=key, sector=place.sector)
        children[key] = (counted, opened)
    return grouped, children


def _offices(session: Session, user: User, place: Place, today: date) -> list[dict[str, Any]]:
    """A regency's page: the offices serving it (its domiciled members, by office)."""
    rows = _grouped(session, user, place, "office", today)
    children = {
        key: (place.narrowed("office", key), Place(region_id=place.region_id, office_id=key))
        for key in rows
    }
    return _finish_rows(rows, children, {})
