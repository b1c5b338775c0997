"""Bulk data for scale work: ``flask --app wsgi seed-bulk --members N --claims M``.

Generates realistic BPU members on top of the demo organisation (offices, departments, users):

- NIKs made by the NIK rule (``rules.nik``: Banten/Jakarta regency, district, birth date with +40
  for women, serial), unique by construction: the NIK's parts are a bijection of the member's
  KPJ serial, and the KPJ serials are reserved as one block by ``services.numbering`` (the
  counter the registration queue uses), so a second run, or a run beside real registrations,
  never repeats a number. A generated NIK that another channel already registered is skipped
  (reported, never an error);
- names, addresses, occupations and phones from Banten lists; reference income levels (the
  common ones most often) and the contributions of the rates in force today
  (``rules.contributions``);
- members spread over the active demo offices (a KC more than a KCP), region from the office,
  start dates over the last ten years at a registration age in force, ``created_at`` on the
  start day;
- about a fifth of the members of offices with departments registered through completed batches
  of their department (``member_batch`` rows, without ``batch_row`` rows), and a few submitted
  batches with pending rows in the registration queues (``--queue-batches``);
- claims (``--claims``) of members created in the same run, over the same offices: JKK, JHT
  (age or stopping work) and JKM (an heir claims), their amounts from ``rules.benefits``,
  ``submitted`` (about 15%) or ``paid`` with its verifier, approver (the regional head) and
  transfer reference.

The audit trail gets the events the services would have written (about 3-4 per claim), so that
the audit list is measured at a realistic size: per claim ``create`` and, when paid, ``verify``,
``approve`` and ``pay``; per batch ``upload``, ``checked`` (a system event) and ``submit``, and
``accept_all`` when completed; each with the actor's snapshot, the record's scope and the time
the row says. They are appended to the hash chain as ``append_event`` would (the same lock, the
same hash of the same stored values), with ids after the newest event in chain order, a chunk at
a time (sorted by time within it), and the chain head is moved once at the end: ``verify-audit``
passes after a load (``seed.audit_trail``).

Simplifications, on purpose: bulk claims have no documents and no itemised breakdown; members
have no contributions ledger. This is load-test data, never to be run on a production database
(the command refuses when ``BACKOFFICE_ENV=production``).

PostgreSQL (``seed.writer``): ``COPY ... FROM STDIN`` through psycopg 3 (``cursor.copy()``) in one transaction;
for large loads (``fast_load``, by default from 200,000 members) the secondary indexes and the
foreign keys of ``member``, ``claim`` and ``audit_event`` are dropped first and put back after
the load, in the same transaction (unique and primary keys stay; a foreign key put back checks
every row), then the tables are analysed. Either everything is loaded or nothing. The audit chain
stays locked from the first event written to the commit: the application's own appends wait for
the load. SQLite: ``executemany`` inserts, fine for tests and small sizes.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from models import (
    BatchRow,
    BatchState,
    ClaimState,
    ClaimType,
    Department,
    JhtReason,
    MemberBatch,
    MemberStatus,
    Office,
    PaymentChannel,
    Regency,
    Relationship,
    Role,
    RowState,
    Sector,
    User,
)

from ..clock import JAKARTA, today_in_jakarta
from ..errors import DomainError
from ..rules import benefits, contributions, lifecycle
from ..rules.eligibility import JHT_RETIREMENT_AGE_KEY, AgeBounds, add_years, age_on
from ..rules.kpj import SERIAL_SPACE, kpj_number
from ..rules.months import add_months, month_start
from ..rules.nik import make_nik
from ..rules.parameters import Params, count
from ..services import coverage, numbering, reference
from .audit_trail import AuditTrail
from .names import (
    BANKS,
    MEN,
    MOBILE_PREFIXES,
    OCCUPATIONS,
    SECOND_MEN,
    SECOND_WOMEN,
    VILLAGES,
    WOMEN,
    person_name,
)
from .writer import MEMBER_COLUMNS, WORD_TABLES, Writer, detach

S = MemberStatus

#: Rows generated and written at a time.
CHUNK = 50_000
#: From this many members, PostgreSQL loads with the secondary indexes and foreign keys of
#: ``member`` and ``claim`` dropped, and puts them back after the load (see ``detach``).
FAST_LOAD_FROM = 200_000
#: Members per completed batch, rows per batch waiting in a registration queue.
BATCH_SIZE = 200
QUEUE_BATCH_ROWS = 40

#: The NIK of the member with KPJ serial ``s`` comes from ``(s * A + B) mod 10**10``, a bijection
#: of the KPJ serial space, cut in mixed radix into serial (9,999) x birth day (17,000) x sex (2) x
#: district (30): 10,198,980,000 >= 10**10 combinations, so two serials never share a NIK.
_A = 7_777_777_777
_B = 1_234_567_891
_BIRTH_DAYS = 17_000
_FIRST_BIRTH_DAY = date(1960, 1, 1)  # fixed: the NIK of a serial never depends on the day
_EARLIEST_START = date(2016, 1, 1)
_DISTRICTS = 30

#: The levels most informal workers declare (when the reference data has them), most common first.
_COMMON_LEVELS = (1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 5_000_000)

_I = {name: i for i, name in enumerate(MEMBER_COLUMNS)}

#: Sectors of members registered without a department, by weight (the others: 2 each).
_SECTOR_WEIGHTS = {"trade": 34, "agriculture": 20, "transport": 12, "construction": 8,
                   "fisheries": 6, "other": 18}  # fmt: skip
#: Of the members who pay at all, the chance of paying the next month, by kind of payer: the
#: loyal, the regular and the occasional (BPU members often stop after a few months).
_PAYERS = ((0.2, 0.995), (0.6, 0.95), (1.0, 0.8))
_NEVER_PAID = 0.12  # registered, never paid (status ``registered``)
_MISSED_MONTH = 0.04  # a single month skipped within a run of payments
_CHANNELS = (PaymentChannel.BANK, PaymentChannel.ONLINE, PaymentChannel.COUNTER)
_ONE = timedelta(days=1)


@dataclass
class BulkReport:
    members: int = 0
    payments: int = 0
    status_changes: int = 0
    claims: int = 0
    events: int = 0
    batches: int = 0
    queue_batches: int = 0
    queue_rows: int = 0
    skipped_niks: int = 0
    seconds: float = 0.0
    backend: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.members:,} members ({self.payments:,} monthly payments, "
            f"{self.status_changes:,} changes of status), {self.claims:,} claims, "
            f"{self.events:,} audit events, "
            f"{self.batches:,} completed "
            f"batches, {self.queue_batches:,} batches ({self.queue_rows:,} rows) waiting in "
            f"registration queues; {self.skipped_niks} generated NIK(s) already registered, "
            f"skipped; {self.seconds:.1f} s on {self.backend}"
        )


@dataclass(frozen=True)
class _Office:
    id: int
    region_id: int
    regency_code: str
    weight: int
    clerk_id: int
    head_id: int  # the regional head: approves bulk claims (never the clerk: maker-checker)
    departments: tuple[int, ...]
    regencies: tuple[str, ...]  # the region's regencies (where members may come from)


@dataclass
class _Context:
    offices: list[_Office]
    weights: list[int]
    regencies_by_region: dict[int, list[str]]
    liaison_of: dict[int, int]  # department -> uploading user
    people: dict[int, tuple[str, str]]  # user id -> (username, role): the audit snapshot
    department_office: dict[int, int]
    level_table: list[int]  # income levels, each as often as it is declared
    rates: Any
    ages: AgeBounds  # the registration ages in force today
    params: Params  # the benefit parameters in force today
    rules: lifecycle.Rules  # arrears limit, window for arrears, due day
    sector_table: list[str]  # sectors of members without a department, each as often as common
    department_sector: dict[int, str]
    discounts: list[contributions.Discount]  # PP 50/2025 by sector, the newest first
    today: date
    now: datetime
    contributions: dict[tuple[int, bool], tuple[int, int, int, int]] = field(default_factory=dict)

    @cached_property
    def jkm_amount(self) -> int:
        """A JKM claim without children: the lump sum, periodic benefit and funeral costs."""
        return benefits.jkm_benefit(self.params, contribution_months=0).total

    @cached_property
    def retirement_age(self) -> int:
        return count(self.params, JHT_RETIREMENT_AGE_KEY)

    def contribution(self, income: int, jht: bool) -> tuple[int, int, int, int]:
        key = (income, jht)
        found = self.contributions.get(key)
        if found is None:
            programmes = ["JKK", "JKM", "JHT"] if jht else ["JKK", "JKM"]
            c = contributions.monthly_contribution(income, programmes, self.rates)
            found = self.contributions[key] = (c.jkk, c.jkm, c.jht, c.total)
        return found


# --------------------------------------------------------------------------------------------
# Identity: KPJ and NIK from the serial
# --------------------------------------------------------------------------------------------


def nik_parts(serial: int) -> tuple[int, date, str, int]:
    """(NIK serial 1-9999, birth date, sex, district 1-30) of the member with this KPJ serial."""
    value = (serial * _A + _B) % SERIAL_SPACE
    value, nik_serial = divmod(value, 9_999)
    value, day = divmod(value, _BIRTH_DAYS)
    value, sex = divmod(value, 2)
    district = value % _DISTRICTS
    return nik_serial + 1, _FIRST_BIRTH_DAY + timedelta(days=day), "LP"[sex], district + 1


# --------------------------------------------------------------------------------------------
# The organisation the data is spread over
# --------------------------------------------------------------------------------------------


def _context(session: Session, today: date, now: datetime) -> _Context:
    users = session.scalars(select(User).where(User.active.is_(True))).all()
    admin = next((u for u in users if u.role is Role.ADMIN), None)
    clerks: dict[int, int] = {}
    for u in sorted(users, key=lambda u: u.id):
        if u.role is Role.BRANCH_CLERK and u.office_id is not None:
            clerks.setdefault(u.office_id, u.id)
    heads = {u.region_id: u.id for u in users if u.role is Role.REGIONAL_HEAD and u.region_id}
    liaisons = {u.department_id: u.id for u in users if u.role is Role.LIAISON and u.department_id}
    offices = session.execute(
        select(Office, Regency.code)
        .outerjoin(Regency, Regency.id == Office.regency_id)
        .where(Office.active.is_(True))
        .order_by(Office.id)
    ).all()
    if not offices:
        raise DomainError("No active office: load the demo data first (flask seed-demo).")
    departments: dict[int, list[int]] = {}
    department_office: dict[int, int] = {}
    department_sector: dict[int, str] = {}
    for dep in session.scalars(select(Department).order_by(Department.id)):
        departments.setdefault(dep.office_id, []).append(dep.id)
        department_office[dep.id] = dep.office_id
        if dep.sector:
            department_sector[dep.id] = dep.sector
    sectors = set(session.scalars(select(Sector.code)))
    sector_table = [
        code for code in sorted(sectors) for _ in range(_SECTOR_WEIGHTS.get(code, 2))
    ] or ["other"]
    regencies_by_region: dict[int, list[str]] = {}
    for code, region_id in session.execute(select(Regency.code, Regency.region_id)):
        regencies_by_region.setdefault(region_id, []).append(code)
    by_id = {o.id: o for o, _code in offices}
    region_clerk: dict[int, int] = {}
    for office_id, clerk in sorted(clerks.items()):
        if office_id in by_id:
            region_clerk.setdefault(by_id[office_id].region_id, clerk)
    fallback = admin.id if admin else min(u.id for u in users)
    result = []
    for office, code in offices:
        clerk = (
            clerks.get(office.id)
            or clerks.get(office.parent_id or -1)
            or region_clerk.get(office.region_id)
            or fallback
        )
        head = heads.get(office.region_id) or fallback
        if head == clerk:
            head = fallback if fallback != clerk else head
        result.append(
            _Office(
                id=office.id,
                region_id=office.region_id,
                regency_code=code or sorted(regencies_by_region.get(office.region_id, ["3673"]))[0],
                weight=3 if office.parent_id is None else 1,
                clerk_id=clerk,
                head_id=head,
                departments=tuple(departments.get(office.id, ())),
                regencies=tuple(sorted(regencies_by_region.get(office.region_id, [code or ""]))),
            )
        )
    params = reference.parameters_on(session, today)
    levels = sorted(reference.income_levels_on(session, today))
    if not levels:
        raise DomainError("No income level is in force today: load the reference data first.")
    common = {level: 120 - 10 * i for i, level in enumerate(_COMMON_LEVELS)}
    table = [level for level in levels for _ in range(common.get(level, 1))]
    return _Context(
        offices=result,
        weights=[o.weight for o in result],
        regencies_by_region=regencies_by_region,
        liaison_of={d: liaisons.get(d, fallback) for d in department_office},
        people={u.id: (u.username, u.role.value) for u in users},
        department_office=department_office,
        level_table=table,
        rates=reference.rates_on(session, today),
        ages=reference.registration_ages(params),
        params=params,
        rules=reference.lifecycle_rules(params),
        sector_table=sector_table,
        department_sector=department_sector,
        discounts=reference.discounts(session),
        today=today,
        now=now,
    )


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def _moment(rng: random.Random, day: date) -> datetime:
    """A time during office hours in Jakarta (UTC+7, no daylight saving) on ``day``, as UTC."""
    return datetime(day.year, day.month, day.day, 1, tzinfo=UTC) + timedelta(
        seconds=int(rng.random() * 8 * 3600)
    )


def _member_row(
    ctx: _Context, rng: random.Random, serial: int, office: _Office, department: int | None
) -> tuple[list[Any], _History]:
    # Written for speed (a million rows a minute): plain arithmetic on rng.random().
    rnd = rng.random
    nik_serial, born, sex, district = nik_parts(serial)
    # Most members were born where their office is.
    regency = (
        office.regency_code if rnd() < 0.7 else office.regencies[int(rnd() * len(office.regencies))]
    )
    # Registered at an age the rule allows.
    earliest = max(_EARLIEST_START, add_years(born, ctx.ages.minimum))
    latest = min(ctx.today, add_years(born, ctx.ages.below - 1))
    # More members in recent years (BPU coverage has grown): the square root of a uniform.
    start = latest - timedelta(days=int((1 - rnd() ** 0.5) * ((latest - earliest).days + 1)))
    income = ctx.level_table[int(rnd() * len(ctx.level_table))]
    jht = rnd() < 0.3
    jkk, jkm, jht_amount, total = ctx.contribution(income, jht)
    given, family = (MEN, SECOND_MEN) if sex == "L" else (WOMEN, SECOND_WOMEN)
    roll = rnd()
    name = given[int(rnd() * len(given))]
    if roll >= 0.15:
        if roll >= 0.85:
            name = f"{name} {given[int(rnd() * len(given))]}"
        name = f"{name} {family[int(rnd() * len(family))]}"
    sector = (
        ctx.department_sector.get(department)
        if department is not None and department in ctx.department_sector
        else ctx.sector_table[int(rnd() * len(ctx.sector_table))]
    )
    history = _history(ctx, rnd, start)
    return [
        None,  # id, reserved for the chunk
        kpj_number(serial),
        make_nik(regency, district, born, sex, nik_serial),
        name,
        born,
        sex,
        f"Kp. {VILLAGES[int(rnd() * len(VILLAGES))]} RT {int(rnd() * 12) + 1:03d}"
        f"/RW {int(rnd() * 9) + 1:03d}",
        f"{MOBILE_PREFIXES[int(rnd() * len(MOBILE_PREFIXES))]}{int(rnd() * 9 * 10**7) + 10**7}"
        if rnd() < 0.9
        else None,
        OCCUPATIONS[int(rnd() * len(OCCUPATIONS))],
        income,
        "JKK,JKM,JHT" if jht else "JKK,JKM",
        start,
        jkk,
        jkm,
        jht_amount,
        total,
        history.status not in lifecycle.INACTIVE,
        department,
        office.id,
        office.region_id,
        None,  # batch_id, set when the batches of the chunk are created
        office.clerk_id,
        _moment(rng, start),
        sector,
        regency,
        history.status,
        history.since,
        history.lapses_on,
        history.ends_on,
    ], history


@dataclass(frozen=True)
class _History:
    """A generated member's payments, (period, paid on) oldest first, and the status they give
    today with every change on the way (``rules.lifecycle.replay``'s answer, computed for
    this one shape of history: tests/unit check it against the rule)."""

    paid: list[tuple[date, date]]
    status: MemberStatus = S.REGISTERED
    since: date | None = None
    lapses_on: date | None = None
    ends_on: date | None = None
    changes: tuple[lifecycle.Change, ...] = ()


_NO_HISTORY = _History([])


def _history(ctx: _Context, rnd: Callable[[], float], start: date) -> _History:
    """Payments from a first payment soon after registration, each month's paid by its due
    day, now and then a single month skipped (never ``max_arrears`` in a row), until the member
    stops or today; then the lapse and the end the nightly task would have made."""
    today, rules = ctx.today, ctx.rules
    if rnd() < _NEVER_PAID:
        return _NO_HISTORY
    first_day = start + timedelta(days=int(rnd() * 20))
    if first_day > today:
        return _NO_HISTORY
    kind = rnd()
    keep = next(q for bound, q in _PAYERS if kind < bound)
    by_due = max(1, min(rules.due_day, 28))
    skip = rules.max_arrears >= 1
    paid = [(month_start(first_day), first_day)]
    period = paid[0][0]
    while rnd() < keep:
        period = add_months(period, 2 if skip and rnd() < _MISSED_MONTH else 1)
        day = period + timedelta(days=int(rnd() * by_due))
        if day > today:
            break
        paid.append((period, day))
    first = lifecycle.first_month_due(first_day, rules.due_day)
    protection_ends = lifecycle.protection_end(first, {p for p, _ in paid}, rules)
    window_ends = lifecycle.window_end(protection_ends, rules)
    changes = [lifecycle.Change(first_day, S.REGISTERED, S.ACTIVE, lifecycle.FIRST_PAYMENT)]
    status, since = S.ACTIVE, first_day
    if protection_ends < today:
        status, since = S.LAPSED, protection_ends + _ONE
        changes.append(lifecycle.Change(since, S.ACTIVE, S.LAPSED, lifecycle.ARREARS))
        if window_ends < today:
            status, since = S.ENDED, window_ends + _ONE
            changes.append(lifecycle.Change(since, S.LAPSED, S.ENDED, lifecycle.WINDOW_PASSED))
    return _History(paid, status, since, protection_ends + _ONE, window_ends + _ONE, tuple(changes))


def _heir_nik(
    ctx: _Context,
    rng: random.Random,
    member_nik: str,
    born: date,
    relationship: Relationship,
    sex: str,
) -> str:
    """The NIK of the member's spouse or child, issued where the member's was."""
    if relationship is Relationship.SPOUSE:
        heir_born = born + timedelta(days=rng.randrange(-3650, 3650))
    else:
        heir_born = add_years(born, rng.randint(18, 35))
    heir_born = min(heir_born, ctx.today)
    return make_nik(member_nik[:4], int(member_nik[4:6]), heir_born, sex, rng.randint(1, 9999))


def _claim_row(
    ctx: _Context,
    rng: random.Random,
    member_id: int,
    member: Sequence[Any],
    office: _Office,
    claim_type: ClaimType,
) -> dict[str, Any]:
    start: date = member[_I["start_date"]]
    born: date = member[_I["birth_date"]]
    name: str = member[_I["name"]]
    span = max((ctx.today - start).days - 40, 1)
    still_open = rng.random() >= 0.85
    if still_open:
        # Received in the last 30 days (an older one would have been decided), the event up to
        # 30 days before.
        received = ctx.today - timedelta(days=rng.randrange(31))
        event = max(start, received - timedelta(days=rng.randint(1, 30)))
        submitted = _moment(rng, max(received, event))
    else:
        event = start + timedelta(days=30 + rng.randrange(span))
        submitted = _moment(rng, min(event + timedelta(days=rng.randint(1, 30)), ctx.today))
    details: dict[str, Any] = {}
    jht_reason = None
    claimant, claimant_nik, relationship = name, member[_I["nik"]], Relationship.SELF
    if claim_type is ClaimType.JKK:
        treatment = rng.randrange(5, 300) * 100_000
        days = rng.choice((0, 0, 7, 14, 30, 60))
        details = {
            "accident_place": f"Kp. {rng.choice(VILLAGES)}",
            "on_commute": rng.random() < 0.3,
            "treatment_cost": treatment,
            "transport_mode": "land",
            "transport_cost": rng.randrange(1, 20) * 50_000,
            "stmb_days": days,
            "disability_percent": "0",
            "death": False,
        }
        amount = benefits.jkk_benefit(
            ctx.params,
            income=member[_I["income_level"]],
            treatment_cost=treatment,
            transport_mode="land",
            transport_cost=details["transport_cost"],
            stmb_days=days,
        ).total
    elif claim_type is ClaimType.JKM:
        relationship = rng.choice((Relationship.SPOUSE, Relationship.CHILD))
        heir_sex = "P" if member[_I["sex"]] == "L" else "L"
        claimant = person_name(rng, heir_sex)
        claimant_nik = _heir_nik(ctx, rng, member[_I["nik"]], born, relationship, heir_sex)
        amount = ctx.jkm_amount
    else:
        old_enough = age_on(born, event) >= ctx.retirement_age
        jht_reason = JhtReason.AGE if old_enough else JhtReason.STOPPED_WORKING
        months = max((event - start).days // 30, 1)
        # The JHT paid, or (a member without JHT) one month of it at the rate in force.
        monthly_jht = (
            member[_I["contribution_jht"]] or ctx.contribution(member[_I["income_level"]], True)[2]
        )
        amount = monthly_jht * months
    row: dict[str, Any] = {
        "state": ClaimState.SUBMITTED,
        "version": 1,
        "claim_type": claim_type,
        "member_id": member_id,
        "office_id": office.id,
        "region_id": office.region_id,
        "event_date": event,
        "jht_reason": jht_reason,
        "claimant_name": claimant,
        "claimant_nik": claimant_nik,
        "claimant_relationship": relationship,
        "bank_name": rng.choice(BANKS),
        "bank_account": f"{rng.randrange(10**9, 10**10)}{rng.randrange(100, 1000)}",
        "account_holder": claimant,
        "details": details,
        "amount": amount,
        "registered_by_id": office.clerk_id,
        "submitted_at": submitted,
        "complete_at": None,
        "due_date": None,
        "verified_by_id": None,
        "verified_at": None,
        "approval_level": None,
        "approved_by_id": None,
        "approved_at": None,
        "decided_by_id": None,
        "payment_reference": None,
        "paid_on": None,
        "paid_by_id": None,
        "paid_at": None,
        "created_at": submitted,
    }
    paid_at = submitted + timedelta(days=6)
    if still_open or paid_at > ctx.now:
        # Most open claims have their documents complete, so a service target (about ten
        # working days, counted here as 14 calendar days) that some have already passed.
        complete = submitted + timedelta(days=1)
        if rng.random() < 0.6 and complete <= ctx.now:
            row.update(
                complete_at=complete,
                due_date=complete.astimezone(JAKARTA).date() + timedelta(days=14),
            )
    else:
        complete = submitted + timedelta(days=1)
        row.update(
            state=ClaimState.PAID,
            complete_at=complete,
            due_date=(complete + timedelta(days=7)).astimezone(JAKARTA).date(),
            verified_by_id=office.clerk_id,
            verified_at=submitted + timedelta(days=2),
            approval_level=Role.REGIONAL_HEAD,
            approved_by_id=office.head_id,
            approved_at=submitted + timedelta(days=4),
            decided_by_id=office.head_id,
            payment_reference=f"TRF{secrets.token_hex(10).upper()}",
            paid_on=paid_at.astimezone(JAKARTA).date(),
            paid_by_id=office.clerk_id,
            paid_at=paid_at,
        )
    return row


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


#: The row triggers of the coverage summaries (migrations 0019, 0022), by table (PostgreSQL).
COVERAGE_TRIGGERS = (
    ("member", "coverage_member"),
    ("member", "coverage_active_moved"),
    ("member_status_change", "coverage_active"),
    ("contribution_payment", "coverage_payment"),
    ("claim", "coverage_claim"),
)


def seed_bulk(
    session: Session,
    members: int,
    claims: int = 0,
    *,
    seed: int | None = None,
    queue_batches: int | None = None,
    fast_load: bool | None = None,
    echo: Callable[[str], None] | None = None,
) -> BulkReport:
    """Load ``members`` members and ``claims`` claims (of those members) in the caller's
    transaction (the caller commits). See the module docstring."""
    if members < 0 or claims < 0:
        raise DomainError("Counts cannot be negative.")
    if claims and not members:
        raise DomainError("Claims are made for members created in the same run: give --members.")
    started = time.perf_counter()
    say = echo or (lambda message: None)
    rng = random.Random(seed)
    today = today_in_jakarta()
    now = datetime.now(UTC)
    ctx = _context(session, today, now)
    writer = Writer(session)
    trail = AuditTrail(session, writer, ctx.people)
    report = BulkReport(backend=session.get_bind().dialect.name)
    if queue_batches is None:
        queue_batches = min(max(members // 20_000, 5 if members else 0), 200)

    restore: list[str] = []
    if fast_load is None:
        fast_load = members >= FAST_LOAD_FROM
    if writer.postgres and fast_load:
        restore = detach(session)
        say(
            "Secondary indexes and foreign keys of member, claim and audit_event dropped for"
            " the load."
        )
    if writer.postgres and fast_load:
        # The coverage summaries' row triggers would upsert once per row loaded: off for the
        # load (in this transaction), the summaries rebuilt from the tables after it.
        for table, trigger in COVERAGE_TRIGGERS:
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))

    first_serial = numbering.reserve_serials(session, members) if members else 0
    claims_left = claims
    jkm_jht: set[str] = set()  # members who already have a JKM or JHT claim in this run
    for chunk_start in range(0, members, CHUNK):
        size = min(CHUNK, members - chunk_start)
        t0 = time.perf_counter()
        offices = rng.choices(ctx.offices, ctx.weights, k=size)
        rows: list[list[Any]] = []
        histories: list[_History] = []
        by_department: dict[int, list[list[Any]]] = {}
        for i, office in enumerate(offices):
            department = None
            if office.departments and rng.random() < 0.2:
                department = rng.choice(office.departments)
            row, history = _member_row(ctx, rng, first_serial + chunk_start + i, office, department)
            rows.append(row)
            histories.append(history)
            if department is not None:
                by_department.setdefault(department, []).append(row)
        taken = writer.existing_niks([r[_I["nik"]] for r in rows])
        if taken:
            kept = [
                (r, h) for r, h in zip(rows, histories, strict=True) if r[_I["nik"]] not in taken
            ]
            rows, histories = [r for r, _ in kept], [h for _, h in kept]
            report.skipped_niks += len(taken)
        for row, member_id in zip(rows, writer.new_member_ids(len(rows)), strict=True):
            row[_I["id"]] = member_id
        report.batches += _completed_batches(session, ctx, rng, by_department, taken, trail)
        writer.members(rows)
        report.members += len(rows)
        report.payments += _write_histories(writer, ctx, rng, rows, histories, report)
        # This chunk's share of the claims.
        remaining_members = members - chunk_start
        share = claims_left if remaining_members <= size else round(claims * size / members)
        share = min(share, claims_left)
        if share and rows:
            picked = [rows[rng.randrange(len(rows))] for _ in range(share)]
            office_of = {o.id: o for o in ctx.offices}
            claim_rows = []
            for member in picked:
                kpj = member[_I["kpj"]]
                kind = rng.choices((ClaimType.JKK, ClaimType.JHT, ClaimType.JKM), (45, 35, 20))[0]
                if kind is not ClaimType.JKK:
                    if kpj in jkm_jht:
                        kind = ClaimType.JKK
                    else:
                        jkm_jht.add(kpj)
                claim_rows.append(
                    _claim_row(
                        ctx, rng, member[_I["id"]], member, office_of[member[_I["office_id"]]], kind
                    )
                )
            claim_ids = writer.claims(claim_rows)
            for claim_id, claim_row in zip(claim_ids, claim_rows, strict=True):
                trail.claim(claim_id, claim_row)
            report.claims += len(claim_rows)
            claims_left -= len(claim_rows)
        trail.flush()
        say(
            f"  {chunk_start + size:,}/{members:,} members"
            f" ({time.perf_counter() - t0:.1f} s for this chunk), {report.claims:,} claims,"
            f" {trail.written:,} audit events"
        )
    report.timings["rows"] = time.perf_counter() - started

    if queue_batches:
        added = _queue_batches(session, ctx, rng, queue_batches, trail)
        report.queue_batches, report.queue_rows = queue_batches, added
    trail.finish()
    report.events = trail.written
    report.timings["audit"] = trail.seconds

    if restore:
        t0 = time.perf_counter()
        session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for statement in restore:
            session.execute(text(statement))
        report.timings["restore"] = time.perf_counter() - t0
        say(f"Indexes rebuilt and foreign keys checked in {report.timings['restore']:.1f} s.")
    if writer.postgres and fast_load:
        t0 = time.perf_counter()
        for table, trigger in COVERAGE_TRIGGERS:
            session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
        coverage.rebuild(session)
        report.timings["summaries"] = time.perf_counter() - t0
        say(f"Coverage summaries rebuilt in {report.timings['summaries']:.1f} s.")
    if writer.postgres:
        t0 = time.perf_counter()
        tables = ("member", "claim", "member_batch", "batch_row", "audit_event", *WORD_TABLES)
        # The summaries too: rebuilt in one go, the planner would think them nearly empty.
        for table in (*tables, *(summary.name for summary in coverage.SUMMARIES)):
            session.execute(text(f"ANALYZE {table}"))
        report.timings["analyze"] = time.perf_counter() - t0
    report.seconds = time.perf_counter() - started
    return report


def _write_histories(
    writer: Writer,
    ctx: _Context,
    rng: random.Random,
    rows: list[list[Any]],
    histories: list[_History],
    report: BulkReport,
) -> int:
    """The members' payments (each month what it costs through its channel: a department's
    member paid by the department, others at a bank, online or at the counter) and status
    history; the payments written."""
    payments: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    jkk_i, jkm_i, jht_i = _I["contribution_jkk"], _I["contribution_jkm"], _I["contribution_jht"]
    dep_i, sector_i = _I["department_id"], _I["sector"]
    amounts: dict[tuple[Any, ...], contributions.Contribution] = {}
    moments: dict[date, datetime] = {}  # when a day's payments were recorded (one time a day)
    for row, history in zip(rows, histories, strict=True):
        if not history.paid:
            continue
        member_id, department = row[_I["id"]], row[dep_i]
        standard = (row[jkk_i], row[jkm_i], row[jht_i], row[sector_i])
        for period, day in history.paid:
            channel = (
                PaymentChannel.PAYER
                if department is not None
                else _CHANNELS[int(rng.random() * len(_CHANNELS))]
            )
            # The month's cost through that channel (the PP 50/2025 discount of the sector;
            # none paid from a department's budget), worked out once per shape.
            key = (*standard, period, channel is PaymentChannel.PAYER)
            paid = amounts.get(key)
            if paid is None:
                paid = amounts[key] = contributions.month_contribution(
                    contributions.Contribution(jkk=standard[0], jkm=standard[1], jht=standard[2]),
                    period,
                    channel,
                    ctx.discounts,
                    standard[3],
                )
            payments.append(
                (
                    member_id,
                    period,
                    paid.jkk,
                    paid.jkm,
                    paid.jht,
                    0,
                    day,
                    channel,
                    department,
                    moments.get(day) or moments.setdefault(day, _moment(rng, day)),
                )
            )
        for change in history.changes:
            changes.append(
                (
                    member_id,
                    change.before,
                    change.after,
                    change.reason,
                    change.day,
                    _moment(rng, change.day),
                )
            )
    writer.payments(payments)
    writer.status_changes(changes)
    report.status_changes += len(changes)
    return len(payments)


def _completed_batches(
    session: Session,
    ctx: _Context,
    rng: random.Random,
    by_department: dict[int, list[list[Any]]],
    skipped: set[str],
    trail: AuditTrail,
) -> int:
    """Completed batches for the members a department registered (in groups of BATCH_SIZE)."""
    created = 0
    for department, rows in sorted(by_department.items()):
        rows = [r for r in rows if r[_I["nik"]] not in skipped]
        for start in range(0, len(rows), BATCH_SIZE):
            group = rows[start : start + BATCH_SIZE]
            day = max(r[_I["start_date"]] for r in group)
            office = next(o for o in ctx.offices if o.id == ctx.department_office[department])
            liaison = ctx.liaison_of[department]
            submitted = _moment(rng, day) - timedelta(days=rng.randint(1, 5))
            completed = _moment(rng, day)
            batch = {
                "state": BatchState.COMPLETED,
                "version": 4,  # uploaded, checked, submitted, accepted
                "department_id": department,
                "office_id": office.id,
                "region_id": office.region_id,
                "uploaded_by_id": liaison,
                "filename": f"peserta-bpu-{day:%Y%m%d}-{rng.randrange(1000):03d}.xlsx",
                "checksum": hashlib.sha256(f"bulk-{department}-{day}-{start}".encode()).hexdigest(),
                "file_format": "xlsx",
                "file_size": 8_000 + 120 * len(group),
                "registration_date": day,
                "row_count": len(group),
                "valid_count": len(group),
                "invalid_count": 0,
                "accepted_count": len(group),
                "rejected_count": 0,
                "submitted_at": submitted,
                "submitted_by_id": liaison,
                "completed_at": completed,
                "created_at": submitted - timedelta(hours=1),
            }
            batch_id = session.execute(
                insert(MemberBatch).values(**batch).returning(MemberBatch.id)
            ).scalar_one()
            # The members' KPJs were issued in row order when the batch was accepted.
            kpjs = (group[0][_I["kpj"]], group[-1][_I["kpj"]])
            trail.batch(batch_id, batch, accepted_by=office.clerk_id, kpjs=kpjs)
            for row in group:
                row[_I["batch_id"]] = batch_id
                row[_I["start_date"]] = day
                row[_I["created_at"]] = completed
            created += 1
    return created


def _queue_batches(
    session: Session, ctx: _Context, rng: random.Random, count: int, trail: AuditTrail
) -> int:
    """``count`` submitted batches of pending rows in the registration queues."""
    departments = sorted(ctx.department_office)
    if not departments:
        return 0
    # For the NIKs only: the KPJs come when a clerk accepts the rows.
    first = numbering.reserve_serials(session, count * QUEUE_BATCH_ROWS)
    rows_added = 0
    office_of = {o.id: o for o in ctx.offices}
    for b in range(count):
        department = departments[b % len(departments)]
        office = office_of.get(ctx.department_office[department])
        if office is None:
            continue
        liaison = ctx.liaison_of[department]
        submitted = ctx.now - timedelta(days=rng.randint(0, 20), minutes=rng.randrange(600))
        batch = {
            "state": BatchState.SUBMITTED,
            "version": 3,  # uploaded, checked, submitted
            "department_id": department,
            "office_id": office.id,
            "region_id": office.region_id,
            "uploaded_by_id": liaison,
            "filename": f"peserta-bpu-antrian-{b + 1:04d}.xlsx",
            "checksum": hashlib.sha256(f"bulk-queue-{first}-{b}".encode()).hexdigest(),
            "file_format": "xlsx",
            "file_size": 8_000 + 120 * QUEUE_BATCH_ROWS,
            "registration_date": submitted.astimezone(JAKARTA).date(),
            "row_count": QUEUE_BATCH_ROWS,
            "valid_count": QUEUE_BATCH_ROWS,
            "invalid_count": 0,
            "accepted_count": 0,
            "rejected_count": 0,
            "submitted_at": submitted,
            "submitted_by_id": liaison,
            "created_at": submitted - timedelta(hours=2),
        }
        batch_id = session.execute(
            insert(MemberBatch).values(**batch).returning(MemberBatch.id)
        ).scalar_one()
        trail.batch(batch_id, batch)
        records = []
        for number in range(QUEUE_BATCH_ROWS):
            serial = first + b * QUEUE_BATCH_ROWS + number
            member, _ = _member_row(ctx, rng, serial, office, department)
            born, sex = member[_I["birth_date"]], member[_I["sex"]]
            data = {
                "nik": member[_I["nik"]],
                "name": member[_I["name"]],
                "birth_date": born.isoformat(),
                "sex": sex,
                "address": member[_I["address"]],
                "phone": member[_I["phone"]],
                "occupation": member[_I["occupation"]],
                "income": member[_I["income_level"]],
                "programmes": member[_I["programmes"]].split(","),
            }
            records.append(
                {
                    "batch_id": batch_id,
                    "number": number + 2,  # row 1 holds the headers
                    "state": RowState.PENDING,
                    "nik": data["nik"],
                    "name": data["name"],
                    "data": data,
                    "original": [
                        data["nik"],
                        data["name"],
                        born.strftime("%d/%m/%Y"),
                        sex,
                        data["address"],
                        data["phone"],
                        data["occupation"],
                        str(data["income"]),
                        ", ".join(data["programmes"]),
                    ],
                    "problems": None,
                }
            )
        session.execute(insert(BatchRow).execution_options(render_nulls=True), records)
        rows_added += len(records)
    return rows_added
