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
import io
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ContributionPayment, Department, Member, PaymentChannel, User

from .. import authz
from ..clock import today_in_jakarta
from ..errors import DomainError, NotFound
from ..importing import FileRefused, Problem, SourceRow, ValidatedRow, error_report_xlsx
from ..importing.columns import ColumnSet
from ..importing.exports import FORMULA_TRIGGERS
from ..importing.messages import Message
from ..importing.messages import lazy_message as _l
from ..importing.nik import checked_nik
from ..importing.parsers import ParseError, is_blank, parse_date, quote
from ..importing.reader import read_table
from ..rules.coverage import add_months, month_start
from ..rules.kpj import kpj_is_valid
from ..transaction import after_commit
from . import ledger, reference
from .files import clean_filename

# Checked and recorded in the request: 10,000 rows in about 6.5 s on PostgreSQL, the audit
# trail's append lock held about 1 s of it (bench/bench_payer.py).
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: How long an uploaded file waits for its recording (seconds): a working day.
DEFAULT_MAX_AGE = 8 * 3600
KPJ_LENGTH = 11
#: Members looked up per query.
CHUNK = 500

# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

PAYER_FIELDS: tuple[str, ...] = ("kpj", "nik", "name", "period", "months", "paid_on", "reference")
PAYER_HEADERS: Mapping[str, str] = {
    "kpj": "KPJ",
    "nik": "NIK",
    "name": "Nama",
    "period": "Bulan",
    "months": "Jumlah Bulan",
    "paid_on": "Tanggal Bayar",
    "reference": "Referensi",
}
PAYER_COLUMNS = ColumnSet(
    fields=PAYER_FIELDS,
    headers=PAYER_HEADERS,
    required=frozenset({"period", "paid_on"}),
    aliases={
        "kpj": ("No KPJ", "Nomor KPJ", "KPJ Peserta", "No Peserta", "Nomor Peserta"),
        "nik": ("No NIK", "Nomor NIK", "NIK KTP", "No KTP"),
        "name": ("Nama Peserta", "Nama Lengkap"),
        "period": (
            "Bulan Iuran",
            "Bulan Pertama",
            "Mulai Bulan",
            "Periode",
            "Periode Iuran",
            "Bulan (mm/yyyy)",
        ),
        "months": ("Jml Bulan", "Jumlah Bulan Dibayar", "Banyak Bulan", "Lama Bulan"),
        "paid_on": (
            "Tgl Bayar",
            "Tanggal Pembayaran",
            "Tgl Pembayaran",
            "Tanggal Setor",
            "Tgl Setor",
            "Tanggal Bayar (dd/mm/yyyy)",
        ),
        "reference": ("No Referensi", "Nomor Referensi", "SP2D", "No SP2D", "Nomor SP2D"),
    },
    text_fields=frozenset({"kpj", "nik"}),
    one_of=(("kpj", "nik"),),
    widths={
        "kpj": 16,
        "nik": 20,
        "name": 30,
        "period": 14,
        "months": 14,
        "paid_on": 16,
        "reference": 30,
    },
)


def _problem(name: str, message: Message) -> Problem:
    return Problem(PAYER_HEADERS[name], message, name)


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------

_MONTH_NAMES: dict[str, int] = {
    **{
        name: number
        for number, names in enumerate(
            (
                ("januari", "jan", "january"),
                ("februari", "feb", "pebruari", "peb", "february"),
                ("maret", "mar", "march"),
                ("april", "apr"),
                ("mei", "may"),
                ("juni", "jun", "june"),
                ("juli", "jul", "july"),
                ("agustus", "agu", "agt", "ags", "agus", "aug", "august"),
                ("september", "sep", "sept"),
                ("oktober", "okt", "oct", "october"),
                ("november", "nov", "nopember", "nop"),
                ("desember", "des", "dec", "december"),
            ),
            start=1,
        )
        for name in names
    }
}
# [0-9], not \d: \d also matches other scripts' digits.
_MONTH_YEAR = re.compile(r"([0-9]{1,2})\s*([/.\-])\s*([0-9]+)")
_YEAR_MONTH = re.compile(r"([0-9]{4})\s*([/.\-])\s*([0-9]{1,2})")
_NAMED_MONTH = re.compile(r"([^\W\d_]+)\.?\s*[/.,\-]?\s*([0-9]+)")
_FULL_DATE = re.compile(r"[0-9]{1,2}([/.\-])[0-9]{1,2}\1[0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_MONTHS_WORD = re.compile(r"\s*(?:bulan|bln|months?)\.?\s*$", re.IGNORECASE)
_KPJ_SEPARATORS = re.compile(r"[\s.\-]+")


def _not_a_month(value: Any) -> ParseError:
    return ParseError(
        _l(
            "%(value)s is not a month; write it as mm/yyyy (e.g. 01/2026) or as a month and "
            "year (Januari 2026).",
            value=quote(value),
        )
    )


def _month(year_text: str, month: int, value: Any) -> date:
    if len(year_text) != 4:
        raise ParseError(
            _l(
                "%(value)s has no four-digit year; write the month as mm/yyyy, e.g. 01/2026.",
                value=quote(value),
            )
        )
    if not 1 <= month <= 12:
        raise ParseError(
            _l("%(value)s is not a month: the month must be 01 to 12.", value=quote(value))
        )
    return date(int(year_text), month, 1)


def parse_month(value: Any) -> date:
    """The first day of the month a cell names: a date cell, ``mm/yyyy``, ``yyyy-mm``,
    ``Januari 2026`` (Indonesian or English month names, whole or short), or a whole date
    (its month)."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    if is_blank(value):
        raise ParseError(_l("The month is empty; write it as mm/yyyy, e.g. 01/2026."))
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ParseError(
                _l(
                    "%(value)s is a number, not a month. Write the month as mm/yyyy, e.g. "
                    "01/2026, in a text cell.",
                    value=quote(value),
                )
            )
        raise _not_a_month(value)
    text = value.strip()
    if _FULL_DATE.fullmatch(text):
        try:
            return parse_date(text).replace(day=1)
        except ParseError as error:
            raise ParseError(error.message) from None
    match = _MONTH_YEAR.fullmatch(text)
    if match:
        return _month(match.group(3), int(match.group(1)), text)
    match = _YEAR_MONTH.fullmatch(text)
    if match:
        return _month(match.group(1), int(match.group(3)), text)
    match = _NAMED_MONTH.fullmatch(text)
    if match:
        number = _MONTH_NAMES.get(match.group(1).casefold())
        if number is not None:
            return _month(match.group(2), number, text)
    raise _not_a_month(text)


def parse_months(value: Any, periods: Sequence[int]) -> int:
    """How many months a row pays: one of the payment ``periods`` (an empty cell means 1)."""
    if is_blank(value):
        return 1
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        text = _MONTHS_WORD.sub("", value.strip())
        if text.isdigit() and text.isascii() and len(text) <= 3:
            number = int(text)
    if number is None:
        raise ParseError(
            _l(
                "%(value)s is not a number of months; write %(periods)s.",
                value=quote(value),
                periods=ledger.periods_text(periods),
            )
        )
    if number not in periods:
        raise ParseError(
            _l(
                "A payment covers %(periods)s months, not %(months)s.",
                periods=ledger.periods_text(periods),
                months=number,
            )
        )
    return number


def parse_kpj(value: Any) -> str:
    """An 11-digit KPJ number with a valid check digit."""
    if isinstance(value, bool):
        raise ParseError(_l("%(value)s is not a KPJ number.", value=quote(value)))
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise ParseError(_l("%(value)s is not a KPJ number.", value=quote(value)))
        text = str(int(value))
        if len(text) != KPJ_LENGTH:
            raise ParseError(
                _l(
                    "The spreadsheet turned this KPJ into a number (%(value)s) and may have "
                    "dropped its leading zeros. Format the KPJ column as Text, type the KPJ "
                    "numbers again and upload the file again.",
                    value=quote(value),
                )
            )
    else:
        text = str(value).strip()
        if text.startswith("'"):
            text = text[1:]
        text = _KPJ_SEPARATORS.sub("", text)
    if len(text) != KPJ_LENGTH or not (text.isdigit() and text.isascii()):
        raise ParseError(
            _l(
                "%(value)s is not a KPJ number: a KPJ number has 11 digits.",
                value=quote(value),
            )
        )
    if not kpj_is_valid(text):
        raise ParseError(
            _l(
                "%(value)s is not a valid KPJ number (its check digit does not match); check "
                "it for a typing mistake.",
                value=quote(value),
            )
        )
    return text


def parse_nik(value: Any) -> str:
    """A 16-digit NIK, used to find the member (its structure is the member's business: the
    member importer checked it at registration)."""
    nik, messages = checked_nik(value, known_regencies=frozenset())
    if nik is None:
        # Not 16 digits: the member importer's explanation (a number, missing digits ...).
        raise ParseError(messages[0])
    return nik


def parse_reference(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.strftime("%d/%m/%Y")
    text = " ".join(str(value).split())
    if len(text) > ledger.REFERENCE_LENGTH:
        raise ParseError(
            _l(
                "The reference has %(n)s characters; at most %(max)s are allowed.",
                n=len(text),
                max=ledger.REFERENCE_LENGTH,
            )
        )
    return text


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
# The file waiting for its recording
# --------------------------------------------------------------------------------------------


class Expired(DomainError):
    """The uploaded file is gone: too old, already recorded, or never there."""


def _expired() -> Expired:
    return Expired(
        _l("This upload has expired or was already recorded. Upload the file again to check it.")
    )


@dataclass
class Settings:
    storage_dir: Path
    max_bytes: int
    max_rows: int
    secret_key: str
    max_age: int = DEFAULT_MAX_AGE

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> Settings:
        storage = config.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads")
        return cls(
            storage_dir=Path(storage) / "payer",
            max_bytes=int(config.get("PAYER_IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES),
            max_rows=int(config.get("PAYER_IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS),
            secret_key=str(config["SECRET_KEY"]),
            max_age=int(config.get("PAYER_IMPORT_MAX_AGE") or DEFAULT_MAX_AGE),
        )

    def serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt="payer-import")


_FILE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Ticket:
    """What the signed token says: whose upload, for which payer, which stored file."""

    file_id: str
    user_id: int
    department_id: int
    filename: str
    checksum: str

    def path(self, settings: Settings) -> Path:
        return settings.storage_dir / self.file_id


def _sweep(settings: Settings) -> None:
    """Remove files whose token has expired (nobody can record them any more)."""
    if not settings.storage_dir.is_dir():
        return
    limit = time.time() - settings.max_age - 60
    for path in settings.storage_dir.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def open_ticket(settings: Settings, actor: User, token: str | None) -> Ticket:
    """The ticket of a token issued to ``actor``; NotFound for anything else, Expired when
    too old."""
    if not token:
        raise NotFound(_l("This upload was not found."))
    try:
        data = settings.serializer().loads(token, max_age=settings.max_age)
    except SignatureExpired:
        raise _expired() from None
    except BadSignature:
        raise NotFound(_l("This upload was not found.")) from None
    try:
        ticket = Ticket(
            file_id=str(data["f"]),
            user_id=int(data["u"]),
            department_id=int(data["d"]),
            filename=str(data["n"]),
            checksum=str(data["c"]),
        )
    except (KeyError, TypeError, ValueError):
        raise NotFound(_l("This upload was not found.")) from None
    if ticket.user_id != actor.id or not _FILE_ID.fullmatch(ticket.file_id):
        raise NotFound(_l("This upload was not found."))
    return ticket


def _load(settings: Settings, ticket: Ticket) -> bytes:
    try:
        data = ticket.path(settings).read_bytes()
    except FileNotFoundError:
        raise _expired() from None
    if hashlib.sha256(data).hexdigest() != ticket.checksum:
        raise _expired()
    return data


def discard(settings: Settings, ticket: Ticket) -> None:
    ticket.path(settings).unlink(missing_ok=True)


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


@dataclass
class PayerRow:
    """One row of the file, checked: what it pays, or everything wrong with it."""

    number: int
    original: list[Any]
    problems: list[Problem] = field(default_factory=list)
    member: Member | None = None
    period: date | None = None  # the first month paid
    months: int | None = None
    paid_on: date | None = None
    reference: str | None = None
    name: str | None = None  # as written in the file

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def periods(self) -> list[date]:
        if self.period is None or self.months is None:
            return []
        return [add_months(self.period, i) for i in range(self.months)]

    @property
    def last_period(self) -> date | None:
        periods = self.periods
        return periods[-1] if periods else None

    @property
    def amount(self) -> int:
        """What the row pays: the member's monthly contributions times the months."""
        if self.member is None or self.months is None:
            return 0
        member = self.member
        return self.months * (
            member.contribution_jkk + member.contribution_jkm + member.contribution_jht
        )


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
                if authz.check(actor, "record_contribution", member):
                    found[name][getattr(member, name)] = member
    return found["kpj"], found["nik"]


def _paid_periods(session: Session, member_ids: set[int]) -> dict[int, set[date]]:
    paid: dict[int, set[date]] = {}
    for chunk in _chunks(sorted(member_ids)):
        for member_id, period in session.execute(
            select(ContributionPayment.member_id, ContributionPayment.period).where(
                ContributionPayment.member_id.in_(chunk)
            )
        ):
            paid.setdefault(member_id, set()).add(period)
    return paid


@dataclass
class _Parsed:
    row: PayerRow
    kpj: str | None = None
    nik: str | None = None


def _parse(source: SourceRow, today: date, periods: Sequence[int]) -> _Parsed:
    raw = source.raw
    row = PayerRow(source.number, source.original)
    parsed = _Parsed(row)
    problems = row.problems
    kpj_value, nik_value = raw.get("kpj"), raw.get("nik")
    if is_blank(kpj_value) and is_blank(nik_value):
        column = "kpj" if "kpj" in raw else "nik"
        problems.append(_problem(column, _l("Give the member's KPJ number or NIK.")))
    if not is_blank(kpj_value):
        try:
            parsed.kpj = parse_kpj(kpj_value)
        except ParseError as error:
            problems.append(_problem("kpj", error.message))
    if not is_blank(nik_value):
        try:
            parsed.nik = parse_nik(nik_value)
        except ParseError as error:
            problems.append(_problem("nik", error.message))
    name = raw.get("name")
    row.name = None if is_blank(name) else " ".join(str(name).split())
    try:
        row.period = parse_month(raw.get("period"))
    except ParseError as error:
        problems.append(_problem("period", error.message))
    try:
        row.months = parse_months(raw.get("months"), periods)
    except ParseError as error:
        problems.append(_problem("months", error.message))
    value = raw.get("paid_on")
    if is_blank(value):
        problems.append(_problem("paid_on", _l("The payment date is empty.")))
    else:
        try:
            paid_on = parse_date(value)
        except ParseError as error:
            problems.append(_problem("paid_on", error.message))
        else:
            if paid_on > today:
                problems.append(
                    _problem(
                        "paid_on",
                        _l(
                            "The payment date %(date)s is in the future.",
                            date=paid_on.strftime("%d/%m/%Y"),
                        ),
                    )
                )
            else:
                row.paid_on = paid_on
    try:
        row.reference = parse_reference(raw.get("reference"))
    except ParseError as error:
        problems.append(_problem("reference", error.message))
    return parsed


def check_rows(
    session: Session, actor: User, sources: Iterable[SourceRow], *, today: date
) -> list[PayerRow]:
    """Every row with all its problems: its cells, its member, its months."""
    periods = reference.payment_periods_on(session, today)
    parsed = [_parse(source, today, periods) for source in sources]
    by_kpj, by_nik = _members(
        session,
        actor,
        {p.kpj for p in parsed if p.kpj is not None},
        {p.nik for p in parsed if p.nik is not None},
    )
    paid = _paid_periods(session, {m.id for m in (*by_kpj.values(), *by_nik.values())})
    #: member id -> month -> the row that pays it first in the file
    in_file: dict[int, dict[date, int]] = {}
    for item in parsed:
        row = item.row
        member = _member_of(item, by_kpj, by_nik)
        if member is None:
            continue
        if not member.active:
            column = "kpj" if item.kpj is not None else "nik"
            row.problems.insert(
                _identity_end(row),
                _problem(
                    column,
                    _l(
                        "The member %(kpj)s is not active: no contribution can be recorded.",
                        kpj=member.kpj,
                    ),
                ),
            )
        row.member = member
        _check_months(row, member, paid.get(member.id, set()), in_file.setdefault(member.id, {}))
    return [item.row for item in parsed]


def _identity_end(row: PayerRow) -> int:
    return sum(1 for p in row.problems if p.field in ("kpj", "nik"))


def _member_of(
    item: _Parsed, by_kpj: dict[str, Member], by_nik: dict[str, Member]
) -> Member | None:
    """The row's member (by KPJ, else by NIK), or None with the reason added to the row."""
    row = item.row
    member: Member | None = None
    problem: Problem | None = None
    if item.kpj is not None:
        member = by_kpj.get(item.kpj)
        if member is None:
            problem = _problem("kpj", _l("No member of your office has KPJ %(kpj)s.", kpj=item.kpj))
        elif item.nik is not None and member.nik != item.nik:
            problem = _problem(
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
            problem = _problem("nik", _l("No member of your office has NIK %(nik)s.", nik=item.nik))
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
            _problem(
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
                _problem(
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
            _problem(
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
            _problem(
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
    _sweep(settings)
    file_id = uuid.uuid4().hex
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    path = settings.storage_dir / file_id
    path.write_bytes(data)
    return settings.serializer().dumps(
        {
            "f": file_id,
            "u": actor.id,
            "d": department.id,
            "n": clean_filename(filename),
            "c": hashlib.sha256(data).hexdigest(),
        }
    )


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
    data = _load(settings, ticket)
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
    data = _load(settings, ticket)

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


# --------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_TEXT = "@"


def _text_cell(sheet: Any, row: int, column: int, text: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text
    cell.number_format = _TEXT
    if text.lstrip().startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def template_xlsx(members: Iterable[Member] = ()) -> bytes:
    """The payer's template: sheet "Iuran" with the columns (KPJ, NIK and the dates as text
    columns), one row per member given (KPJ, NIK, name filled in), sheet "Petunjuk" with
    instructions (Indonesian: the file is filled in by Indonesian offices)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Iuran"
    for index, name in enumerate(PAYER_FIELDS, start=1):
        cell = sheet.cell(row=1, column=index, value=PAYER_HEADERS[name])
        cell.font = _BOLD
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = PAYER_COLUMNS.widths[name]
        if name in ("kpj", "nik", "period", "paid_on", "reference"):
            # Text columns: a KPJ keeps its leading zeros, a NIK its 16 digits, and an
            # English-locale spreadsheet cannot swap day and month.
            sheet.column_dimensions[letter].number_format = _TEXT
    for number, member in enumerate(members, start=2):
        _text_cell(sheet, number, 1, member.kpj)
        _text_cell(sheet, number, 2, member.nik)
        _text_cell(sheet, number, 3, member.name)
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("Petunjuk")
    guide.column_dimensions["A"].width = 110
    guide.append(["Petunjuk pengisian daftar pembayaran iuran BPU oleh instansi pembayar"])
    guide["A1"].font = Font(bold=True, size=12)
    for line in (
        "1. Isi satu pembayaran per baris di lembar Iuran, mulai baris 2. Jangan mengubah judul "
        "kolom.",
        "2. KPJ: nomor kepesertaan 11 digit, atau NIK 16 digit bila KPJ tidak diketahui. Kolom "
        "KPJ dan NIK berformat Teks; jangan diubah ke Angka.",
        "3. Nama boleh diisi untuk memudahkan pemeriksaan; tidak dipakai untuk mencari peserta.",
        "4. Bulan: bulan pertama yang dibayar, contoh 01/2026, 2026-01 atau Januari 2026.",
        "5. Jumlah Bulan: 1, 3, 6 atau 12 bulan berturut-turut mulai dari Bulan; kosong berarti 1.",
        "6. Tanggal Bayar: tanggal pembayaran, format dd/mm/yyyy, contoh 15/01/2026; tidak boleh "
        "setelah hari ini.",
        "7. Referensi boleh dikosongkan; contoh nomor SP2D, paling banyak 64 karakter.",
        "8. Iuran per bulan dihitung dari data peserta; bulan yang sudah dibayar tidak dapat "
        "dibayar lagi, dan paling jauh 12 bulan di muka.",
        "9. Simpan sebagai Excel Workbook (.xlsx) atau CSV, lalu unggah.",
    ):
        guide.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
    "PAYER_COLUMNS",
    "Changed",
    "Expired",
    "FileRefused",
    "PayerRow",
    "Preview",
    "Recorded",
    "Settings",
    "check_rows",
    "error_report",
    "parse_kpj",
    "parse_month",
    "parse_months",
    "parse_nik",
    "payer_department",
    "payer_departments",
    "preview",
    "record",
    "template_members",
    "template_xlsx",
    "upload",
]
