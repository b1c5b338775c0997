"""A payer's contribution file: a department that pays for its workers pays many members at once.

A branch clerk uploads the department's list (XLSX or CSV: KPJ or NIK, first month paid, number
of months, payment date, reference such as the SP2D number). The file is read by the member
importer's reader (content-detected format, encodings, delimiters, header aliases) with the
columns below, refused as a whole when it cannot be used (nothing stored), and every row is
checked with all its problems reported. The file then waits under ``UPLOAD_DIR/payer/`` behind a
signed token bound to the clerk; the preview re-reads it, and recording re-reads and re-checks it:
when anything changed since the preview (a month got paid meanwhile) nothing is recorded and the
clerk sees the new errors. Recording gives every valid row to ``ledger.record_payments`` (channel
``payer``, the paying department, the row's reference; one audit event per member payment), which
checks each as a counter payment is checked and records them set-based in one transaction: all
rows or none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Department, Member, PaymentChannel, User

from .. import authz
from ..clock import today_in_jakarta
from ..errors import DomainError, NotFound
from ..importing import FileRefused, Problem, SourceRow, ValidatedRow, error_report_xlsx
from ..importing.messages import Message
from ..importing.messages import lazy_message as _l
from ..importing.reader import read_table
from ..rules.coverage import add_months, month_start
from ..transaction import after_commit
from . import ledger, reference
from . import lifecycle as membership
from .payer_columns import PAYER_COLUMNS, ParsedRow, PayerRow, column_problem, parse_row
from .payer_tickets import Settings, discard, keep, load, open_ticket

# Checked and recorded in the request: 10,000 rows in about 6.5 s on PostgreSQL, the audit
# trail's append lock held about 1 s of it (bench/bench_payer.py).
#: Members looked up per query.
CHUNK = 500


def _months_text(months: Iterable[date]) -> str:
    return ", ".join(m.strftime("%m/%Y") for m in months)


# --------------------------------------------------------------------------------------------
# Departments a clerk records for
# --------------------------------------------------------------------------------------------


def may_import(actor: User) -> bool:
    return bool(authz.PAYERS.check(actor, "import_payments"))


def _check_importer(actor: User) -> None:
    authz.PAYERS.check(actor, "import_payments").require()


def payer_departments(session: Session, actor: User) -> list[Department]:
    """The departments the clerk's office serves: the payers a clerk may record for."""
    if not may_import(actor):
        return []
    return list(
        session.scalars(
            select(Department)
            .where(Department.office_id == actor.office_id)
            .order_by(Department.name)
        )
    )


def payer_department(session: Session, actor: User, department_id: Any) -> Department:
    """The department with this id if the clerk's office serves it, else NotFound."""
    _check_importer(actor)
    try:
        wanted = int(department_id)
    except (TypeError, ValueError):
        raise NotFound(_l("Choose a department served by your office.")) from None
    department = session.get(Department, wanted)
    if department is None or not authz.PAYERS.check(actor, "import_payments", department):
        raise NotFound(_l("Choose a department served by your office."))
    return department


# --------------------------------------------------------------------------------------------
# Reading and checking
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    format: str
    headers: list[str]
    ignored_columns: list[str]
    rows: list[SourceRow]


def _read(data: bytes, filename: str, settings: Settings) -> _File:
    """Every row of an acceptable file, or FileRefused (also for damage found late)."""
    with read_table(
        data,
        filename,
        max_bytes=settings.max_bytes,
        max_rows=settings.max_rows,
        columns=PAYER_COLUMNS,
    ) as table:
        rows = list(table.rows())
        return _File(table.format, list(table.headers), list(table.ignored_columns), rows)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: Message


@dataclass
class Preview:
    department: Department
    filename: str
    format: str
    headers: list[str]
    ignored_columns: list[str]
    rows: list[PayerRow]

    @property
    def valid_rows(self) -> list[PayerRow]:
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self) -> list[PayerRow]:
        return [row for row in self.rows if not row.valid]

    @property
    def total_amount(self) -> int:
        return sum(row.amount for row in self.valid_rows)

    @property
    def total_months(self) -> int:
        return sum(row.months or 0 for row in self.valid_rows)

    @property
    def ignored_note(self) -> Message | None:
        if not self.ignored_columns:
            return None
        return _l(
            "These columns are not used and were ignored: %(columns)s.",
            columns=", ".join(self.ignored_columns),
        )

    def errors(self) -> Iterator[RowError]:
        for row in self.rows:
            for problem in row.problems:
                yield RowError(row.number, problem.column, problem.message)

    @property
    def fingerprint(self) -> str:
        """What recording would do: any change since the preview changes it."""
        digest = hashlib.sha256(f"{self.department.id}\n".encode())
        for row in self.rows:
            member_id = row.member.id if row.member is not None else ""
            line = (
                f"{row.number}|{int(row.valid)}|{member_id}|{row.period}|{row.months}|"
                f"{row.paid_on}|{row.reference}|{row.amount}\n"
            )
            digest.update(line.encode())
        return digest.hexdigest()[:32]

    def error_report(self) -> bytes:
        """The rows with errors as uploaded plus a "Kesalahan" column (formula-safe XLSX)."""
        return error_report_xlsx(
            self.headers,
            (ValidatedRow(r.number, None, r.problems, r.original) for r in self.invalid_rows),
            columns=PAYER_COLUMNS,
        )


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _members(
    session: Session, actor: User, kpjs: set[str], niks: set[str]
) -> tuple[dict[str, Member], dict[str, Member]]:
    """Members of the actor's office by KPJ and by NIK (others are not looked up at all)."""
    found: dict[str, dict[str, Member]] = {"kpj": {}, "nik": {}}
    for name, values in (("kpj", kpjs), ("nik", niks)):
        column = getattr(Member, name)
        for chunk in _chunks(sorted(values)):
            stmt = authz.scope(actor, select(Member).where(column.in_(chunk)), Member)
            for member in session.scalars(stmt):
                decision = authz.check(actor, "record_contribution", member)
                # A membership closed to contributions is found, and its row refused with why.
                if decision or not decision.forbidden:
                    found[name][getattr(member, name)] = member
    return found["kpj"], found["nik"]


def check_rows(
    session: Session, actor: User, sources: Iterable[SourceRow], *, today: date
) -> list[PayerRow]:
    """Every row with all its problems: its cells, its member, its months."""
    periods = reference.payment_periods_on(session, today)
    parsed = [parse_row(source, today, periods) for source in sources]
    by_kpj, by_nik = _members(
        session,
        actor,
        {p.kpj for p in parsed if p.kpj is not None},
        {p.nik for p in parsed if p.nik is not None},
    )
    member_ids = {m.id for m in (*by_kpj.values(), *by_nik.values())}
    histories = membership.histories(session, member_ids)
    paid = {member_id: {p.period for p in history} for member_id, history in histories.items()}
    lifecycle_rules = membership.rules_on(session, today)
    past = ledger.past_amounts(session, list(member_ids))
    #: member id -> month -> the row that pays it first in the file
    in_file: dict[int, dict[date, int]] = {}
    for item in parsed:
        row = item.row
        member = _member_of(item, by_kpj, by_nik)
        if member is None:
            continue
        refusal = membership.closed_refusal(member)
        if refusal is None and row.paid_on is not None:
            refusal = membership.payment_refusal(
                member, histories.get(member.id, []), row.paid_on, lifecycle_rules
            )
        if refusal is not None:
            column = "kpj" if item.kpj is not None else "nik"
            row.problems.insert(
                _identity_end(row),
                column_problem(
                    column,
                    _l("Member %(kpj)s: %(refusal)s", kpj=member.kpj, refusal=refusal),
                ),
            )
        row.member = member
        row.past = past.get(member.id, [])
        _check_months(row, member, paid.get(member.id, set()), in_file.setdefault(member.id, {}))
    return [item.row for item in parsed]


def _identity_end(row: PayerRow) -> int:
    return sum(1 for p in row.problems if p.field in ("kpj", "nik"))


def _member_of(
    item: ParsedRow, by_kpj: dict[str, Member], by_nik: dict[str, Member]
) -> Member | None:
    """The row's member (by KPJ, else by NIK), or None with the reason added to the row."""
    row = item.row
    member: Member | None = None
    problem: Problem | None = None
    if item.kpj is not None:
        member = by_kpj.get(item.kpj)
        if member is None:
            problem = column_problem(
                "kpj", _l("No member of your office has KPJ %(kpj)s.", kpj=item.kpj)
            )
        elif item.nik is not None and member.nik != item.nik:
            problem = column_problem(
                "nik",
                _l(
                    "%(nik)s is not the NIK of the member with KPJ %(kpj)s.",
                    nik=item.nik,
                    kpj=item.kpj,
                ),
            )
            member = None
    elif item.nik is not None:
        member = by_nik.get(item.nik)
        if member is None:
            problem = column_problem(
                "nik", _l("No member of your office has NIK %(nik)s.", nik=item.nik)
            )
    if problem is not None:
        row.problems.insert(_identity_end(row), problem)
    return member


def _check_months(row: PayerRow, member: Member, paid: set[date], in_file: dict[date, int]) -> None:
    if row.period is None:
        return
    problems: list[Problem] = []
    start = month_start(member.start_date)
    if row.period < start:
        problems.append(
            column_problem(
                "period",
                _l(
                    "The member's protection started on %(start)s: the first month that can "
                    "be paid is %(month)s.",
                    start=member.start_date.strftime("%d/%m/%Y"),
                    month=start.strftime("%m/%Y"),
                ),
            )
        )
    # With an unusable number of months, the first month is still checked.
    periods = row.periods or [row.period]
    if row.months is not None and row.paid_on is not None:
        last = periods[-1]
        if last > add_months(month_start(row.paid_on), ledger.MAX_MONTHS_AHEAD):
            problems.append(
                column_problem(
                    "period",
                    _l(
                        "Contributions can be paid at most %(max)s months ahead: %(month)s is "
                        "too far after the payment date %(paid_on)s.",
                        max=ledger.MAX_MONTHS_AHEAD,
                        month=last.strftime("%m/%Y"),
                        paid_on=row.paid_on.strftime("%d/%m/%Y"),
                    ),
                )
            )
    already = sorted(m for m in periods if m in paid)
    if already:
        problems.append(
            column_problem(
                "period",
                _l(
                    "The contribution of %(months)s is already paid.",
                    months=_months_text(already),
                ),
            )
        )
    repeated: dict[int, list[date]] = {}
    for month in periods:
        first_row = in_file.get(month)
        if first_row is not None:
            repeated.setdefault(first_row, []).append(month)
    for first_row, months in sorted(repeated.items()):
        problems.append(
            column_problem(
                "period",
                _l(
                    "%(months)s of this member are also paid in row %(row)s of this file.",
                    months=_months_text(months),
                    row=first_row,
                ),
            )
        )
    if not repeated:
        # Only a row that is not itself a repetition claims its months for the file.
        for month in periods:
            in_file.setdefault(month, row.number)
    # After the cell problems of the month and before those of the later columns.
    index = sum(1 for p in row.problems if p.field in ("kpj", "nik", "period"))
    row.problems[index:index] = problems


def _preview(
    session: Session,
    actor: User,
    department: Department,
    data: bytes,
    filename: str,
    *,
    settings: Settings,
    today: date,
) -> Preview:
    read = _read(data, filename, settings)
    rows = check_rows(session, actor, read.rows, today=today)
    return Preview(
        department=department,
        filename=filename,
        format=read.format,
        headers=read.headers,
        ignored_columns=read.ignored_columns,
        rows=rows,
    )


# --------------------------------------------------------------------------------------------
# The three steps: upload, preview, record
# --------------------------------------------------------------------------------------------


def upload(
    session: Session,
    actor: User,
    department_id: Any,
    data: bytes,
    filename: str,
    *,
    settings: Settings,
) -> str:
    """Check the file as a whole, keep it for the preview and return its signed token.

    A file refused as a whole raises FileRefused and nothing is kept.
    """
    department = payer_department(session, actor, department_id)
    _read(data, filename, settings)  # FileRefused: nothing written
    return keep(settings, actor, department.id, data, filename)


def preview(
    session: Session,
    actor: User,
    token: str | None,
    *,
    settings: Settings,
    today: date | None = None,
) -> Preview:
    """The uploaded file checked now (it is re-read: the preview always shows the present)."""
    ticket = open_ticket(settings, actor, token)
    department = payer_department(session, actor, ticket.department_id)
    data = load(settings, ticket)
    return _preview(
        session,
        actor,
        department,
        data,
        ticket.filename,
        settings=settings,
        today=today or today_in_jakarta(),
    )


class Changed(DomainError):
    """Something changed since the preview: nothing was recorded; ``preview`` is the present."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(
            _l(
                "Something changed since the preview (for example a month was paid meanwhile): "
                "nothing was recorded. Check the rows below and record again."
            )
        )
        self.preview = preview


@dataclass(frozen=True)
class Recorded:
    department: Department
    rows: int
    members: int
    months: int
    amount: int


def record(
    session: Session,
    actor: User,
    token: str | None,
    *,
    expected: str,
    settings: Settings,
    today: date | None = None,
    ip: str | None = None,
) -> Recorded:
    """Record every valid row, all or nothing (flushed; the caller commits); the file is
    forgotten once the recording is committed.

    The file is checked again first: when the result differs from the preview the clerk saw
    (``expected`` is its fingerprint), or a payment is refused on the way, nothing is recorded
    and ``Changed`` carries the present state.
    """
    today = today or today_in_jakarta()
    ticket = open_ticket(settings, actor, token)
    department = payer_department(session, actor, ticket.department_id)
    data = load(settings, ticket)

    def current() -> Preview:
        return _preview(
            session, actor, department, data, ticket.filename, settings=settings, today=today
        )

    now = current()
    if now.fingerprint != expected:
        raise Changed(now)
    valid = now.valid_rows
    if not valid:
        raise DomainError(_l("The file has no valid row: nothing to record."))
    recorded = Recorded(
        department=department,
        rows=len(valid),
        members=len({row.member.id for row in valid if row.member is not None}),
        months=sum(row.months or 0 for row in valid),
        amount=sum(row.amount for row in valid),
    )
    payments = []
    for row in valid:
        member, period, paid_on = row.member, row.period, row.paid_on
        if member is None or period is None or paid_on is None or row.months is None:
            raise RuntimeError(f"valid row {row.number} without its values")
        payments.append(ledger.Payment(member, period, paid_on, row.months, row.reference))
    try:
        ledger.record_payments(
            session,
            actor,
            payments,
            channel=PaymentChannel.PAYER,
            payer_department=department,
            ip=ip,
            today=today,
        )
    except (ledger.PaymentRefused, IntegrityError) as exc:
        # Most likely someone recorded one of these months between the check and now. A month
        # refused at the insert ends the transaction (it is lost either way): the file is
        # checked again afresh.
        if isinstance(exc, IntegrityError):
            session.rollback()
        fresh = current()
        if fresh.fingerprint != expected:
            raise Changed(fresh) from None
        if isinstance(exc, ledger.PaymentRefused):
            raise DomainError(
                _l(
                    "Row %(row)s could not be recorded: %(reason)s Nothing was recorded.",
                    row=valid[exc.index].number,
                    reason=str(exc.message),
                )
            ) from None
        raise DomainError(
            _l("A month of this file was recorded meanwhile: nothing was recorded.")
        ) from None
    after_commit(session, lambda: discard(settings, ticket))
    return recorded


def error_report(
    session: Session,
    actor: User,
    token: str | None,
    *,
    settings: Settings,
    today: date | None = None,
) -> bytes:
    return preview(session, actor, token, settings=settings, today=today).error_report()


def template_members(session: Session, actor: User, department: Department) -> list[Member]:
    """Active members the department registered, of the clerk's office (for the template)."""
    stmt = authz.scope(
        actor,
        select(Member)
        .where(
            Member.department_id == department.id,
            Member.office_id == actor.office_id,
            Member.active.is_(True),
        )
        .order_by(Member.name),
        Member,
    )
    return list(session.scalars(stmt))


__all__ = [
    "Changed",
    "FileRefused",
    "PayerRow",
    "Preview",
    "Recorded",
    "check_rows",
    "error_report",
    "payer_department",
    "payer_departments",
    "preview",
    "record",
    "template_members",
    "upload",
]
