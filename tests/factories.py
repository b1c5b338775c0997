"""Factories: each makes one valid row with sensible defaults; any column can be given by keyword.

In the spirit of CTFd's ``gen_user(db, **kw)``: a test states what it needs and nothing more, on
the empty database (the ``empty_db`` fixture) or beside the demo data. What a row needs and is not
given is made too: a member without an office gets a new KC in a new region, a clerk without an
office a new KC. Relationships are given as objects (``office=``, ``department=``, ...). The
factories flush, never commit: the test (or the request it makes) decides when.

Identity numbers are valid: a NIK that agrees with the birth date and sex, a KPJ reserved from
the counter with its check digit, contributions computed by the project's own rule from the rates
in force on the start date (the migrations load them, also in the empty database).
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import date, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

# The project's own rules the factories build on, each imported from this one place.
from backoffice.clock import today_in_jakarta, utcnow
from backoffice.rules.contributions import monthly_contribution
from backoffice.rules.coverage import add_months, month_start
from backoffice.rules.nik import make_nik
from backoffice.services.numbering import reserve_kpj
from backoffice.services.reference import rates_on
from models import (
    ROLE_SCOPE_COLUMN,
    BatchState,
    Claim,
    ClaimState,
    ClaimType,
    ContributionPayment,
    Department,
    JhtReason,
    Member,
    MemberBatch,
    Office,
    OfficeType,
    PaymentChannel,
    Regency,
    Region,
    Relationship,
    Role,
    User,
)

#: The password of every user made here: the demo's, so that ``login(username)`` signs them in.
PASSWORD = "demo1234"

#: Numbers that keep names, codes and NIKs of one test run apart.
_numbers = itertools.count(1)

T = TypeVar("T")


def _add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


@cache
def _password_hash(password: str) -> str:
    # Hashing (scrypt) is deliberately slow: once per password and test run is enough.
    return generate_password_hash(password)


def nik(
    birth_date: date, sex: str, *, regency: str = "3604", district: int = 1, serial: int = 1
) -> str:
    """A NIK issued in ``regency`` that agrees with the birth date and sex (women: day + 40)."""
    return make_nik(regency, district, birth_date, sex, serial)


def _fresh_nik(birth_date: date, sex: str) -> str:
    # Districts 70-99 of Kab. Serang: none of the demo's people lives there.
    n = next(_numbers)
    return nik(birth_date, sex, district=70 + n // 9_999 % 30, serial=n % 9_999 + 1)


# --- organisation -------------------------------------------------------------------------------


def make_region(session: Session, **fields: Any) -> Region:
    n = next(_numbers)
    values: dict[str, Any] = {"code": f"R{n}", "name": f"Kanwil Uji {n}"}
    return _add(session, Region(**(values | fields)))


def make_regency(session: Session, *, region: Region | None = None, **fields: Any) -> Regency:
    """A regency of ``region`` (a new region by default), code 9100-9999 unless given."""
    n = next(_numbers)
    values: dict[str, Any] = {"code": f"{9100 + n % 900}", "name": f"Kab. Uji {n}"}
    values["region"] = region or make_region(session)
    return _add(session, Regency(**(values | fields)))


def make_office(
    session: Session,
    *,
    parent: Office | None = None,
    region: Region | None = None,
    **fields: Any,
) -> Office:
    """A KC of a new region, or with ``parent`` a KCP under that KC (in its region)."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "code": f"T{n}",
        "name": f"Kantor Uji {n}",
        "office_type": OfficeType.KCP if parent is not None else OfficeType.KC,
        "parent": parent,
        "active": True,
    }
    values["region"] = region or (parent.region if parent is not None else make_region(session))
    return _add(session, Office(**(values | fields)))


def make_department(
    session: Session,
    *,
    office: Office | None = None,
    regency: Regency | None = None,
    **fields: Any,
) -> Department:
    """A dinas served by ``office`` (a new KC), of a regency of the office's region."""
    n = next(_numbers)
    office = office or make_office(session)
    regency = regency or office.regency or make_regency(session, region=office.region)
    values: dict[str, Any] = {"name": f"Dinas Uji {n}", "office": office, "regency": regency}
    return _add(session, Department(**(values | fields)))


# --- users --------------------------------------------------------------------------------------


def make_user(
    session: Session, role: Role = Role.BRANCH_CLERK, *, password: str = PASSWORD, **fields: Any
) -> User:
    """An active user of ``role`` with the scope the role needs (made when not given)."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "username": f"pengguna{n}",
        "full_name": f"Pengguna Uji {n}",
        "role": role,
        "password_hash": _password_hash(password),
        "active": True,
        "locale": "id",
        "session_version": 1,
    }
    scope = ROLE_SCOPE_COLUMN[role]
    if scope is not None and scope not in fields:
        relation = scope.removesuffix("_id")
        if relation not in fields:
            make = {"region": make_region, "office": make_office, "department": make_department}
            values[relation] = make[relation](session)
    return _add(session, User(**(values | fields)))


# --- members and their contributions ------------------------------------------------------------


def make_member(session: Session, *, office: Office | None = None, **fields: Any) -> Member:
    """A BPU member of ``office`` (a new KC), registered today for JKK and JKM at Rp1.000.000.

    The NIK agrees with ``birth_date`` and ``sex``; the KPJ comes from the counter; the
    contributions are those of ``income_level`` and ``programmes`` at the rates in force on
    ``start_date`` (each can still be given).
    """
    n = next(_numbers)
    office = office or make_office(session)
    birth_date = fields.setdefault("birth_date", date(1985, 12, 12))
    sex = fields.setdefault("sex", "L")
    start_date = fields.setdefault("start_date", today_in_jakarta())
    income = fields.setdefault("income_level", 1_000_000)
    programmes = fields.setdefault("programmes", "JKK,JKM")
    standard = monthly_contribution(income, programmes.split(","), rates_on(session, start_date))
    values: dict[str, Any] = {
        "kpj": fields.get("kpj") or reserve_kpj(session, 1)[0],
        "nik": fields.get("nik") or _fresh_nik(birth_date, sex),
        "name": f"Peserta Uji {n}",
        "address": "Kp. Pasir Gadung RT 002/RW 001, Kec. Cikande",
        "phone": "081234567890",
        "occupation": "Pedagang",
        "contribution_jkk": standard.jkk,
        "contribution_jkm": standard.jkm,
        "contribution_jht": standard.jht,
        "active": True,
        "office": office,
        "region_id": office.region_id,
    }
    values |= fields
    values.setdefault(
        "monthly_contribution",
        values["contribution_jkk"] + values["contribution_jkm"] + values["contribution_jht"],
    )
    return _add(session, Member(**values))


def make_payments(
    session: Session, member: Member, first: date | None = None, months: int = 1, **fields: Any
) -> list[ContributionPayment]:
    """``months`` consecutive months from ``first`` (the member's start month), each paid at the
    counter on the 11th of its month (before the 15th, the due day) with the member's own
    contribution (no discount: the ledger's rule is ``record_payment``'s)."""
    first = month_start(first or member.start_date)
    payments = []
    for i in range(months):
        period = add_months(first, i)
        values: dict[str, Any] = {
            "member": member,
            "period": period,
            "jkk": member.contribution_jkk,
            "jkm": member.contribution_jkm,
            "jht": member.contribution_jht,
            "paid_on": period + timedelta(days=10),
            "channel": PaymentChannel.COUNTER,
        }
        payment = ContributionPayment(**(values | fields))
        session.add(payment)
        payments.append(payment)
    session.flush()
    return payments


def make_payment(
    session: Session, member: Member, period: date | None = None, **fields: Any
) -> ContributionPayment:
    """One month's contribution (see ``make_payments``)."""
    return make_payments(session, member, period, 1, **fields)[0]


# --- member batches -----------------------------------------------------------------------------

_SUBMITTED_BATCH = frozenset(BatchState) - {
    BatchState.PROCESSING,
    BatchState.REFUSED,
    BatchState.FAILED,
    BatchState.DRAFT,
    BatchState.DISCARDED,
}
_FINISHED_BATCH = frozenset(
    {BatchState.COMPLETED, BatchState.PARTIALLY_ACCEPTED, BatchState.REJECTED}
)


def make_batch(
    session: Session, *, department: Department | None = None, **fields: Any
) -> MemberBatch:
    """A batch file of ``department`` (a new one), uploaded by a liaison of it; a draft unless
    ``state`` says otherwise (then with what that state needs: submitter, completion, refusal)."""
    n = next(_numbers)
    department = department or make_department(session)
    state = fields.setdefault("state", BatchState.DRAFT)
    values: dict[str, Any] = {
        "department": department,
        "office": department.office,
        "region": department.office.region,
        "filename": f"peserta-{n}.csv",
        "checksum": hashlib.sha256(f"batch {n}".encode()).hexdigest(),
        "file_format": "csv",
        "file_size": 1_024,
        "registration_date": today_in_jakarta(),
    }
    if "uploaded_by" not in fields and "uploaded_by_id" not in fields:
        values["uploaded_by"] = make_user(session, Role.LIAISON, department=department)
    values |= fields
    if state in _SUBMITTED_BATCH:
        values.setdefault("submitted_at", utcnow())
        if "submitted_by_id" not in values:
            values.setdefault("submitted_by", values.get("uploaded_by"))
    if state in _FINISHED_BATCH:
        values.setdefault("completed_at", utcnow())
    if state is BatchState.REFUSED:
        values.setdefault("refusal", {"code": "unreadable", "message": "The file is unreadable."})
    return _add(session, MemberBatch(**values))


# --- claims -------------------------------------------------------------------------------------

_VERIFIED_CLAIM = frozenset({ClaimState.VERIFIED, ClaimState.APPROVED, ClaimState.PAID})
_APPROVED_CLAIM = frozenset({ClaimState.APPROVED, ClaimState.PAID})


def make_claim(session: Session, *, member: Member | None = None, **fields: Any) -> Claim:
    """A JKK claim of ``member`` (a new one), made by the member, registered today by a clerk of
    the member's office; submitted unless ``state`` says otherwise (then with what that state
    needs: verifier, approver and payment, each a new user of the office, a reason for a return
    or a rejection). Amounts are as given (0 by default): ``register_claim`` computes them."""
    member = member or make_member(session)
    claim_type = fields.setdefault("claim_type", ClaimType.JKK)
    state = fields.setdefault("state", ClaimState.SUBMITTED)
    today = today_in_jakarta()
    values: dict[str, Any] = {
        "member": member,
        "office_id": member.office_id,
        "region_id": member.region_id,
        "event_date": today - timedelta(days=10),
        "jht_reason": JhtReason.AGE if claim_type is ClaimType.JHT else None,
        "claimant_name": member.name,
        "claimant_nik": member.nik,
        "claimant_relationship": Relationship.SELF,
        "bank_name": "BRI",
        "bank_account": "0123-01-000123-50-1",
        "account_holder": member.name,
        "details": {"accident_place": "Pasar Rau, Serang"} if claim_type is ClaimType.JKK else {},
        "amount": 0,
        "submitted_at": utcnow(),
    }

    def staff(role: Role = Role.BRANCH_CLERK) -> User:
        return make_user(session, role, office=member.office)

    if "registered_by" not in fields and "registered_by_id" not in fields:
        values["registered_by"] = staff()
    values |= fields
    now = utcnow()
    if state in _VERIFIED_CLAIM:
        if "verified_by_id" not in values:
            values.setdefault("verified_by", staff())
        values.setdefault("verified_at", now)
        values.setdefault("approval_level", Role.BRANCH_CLERK)
    if state in _APPROVED_CLAIM:
        if "approved_by_id" not in values:
            values.setdefault("approved_by", staff())
        values.setdefault("approved_at", now)
    if state is ClaimState.PAID:
        values.setdefault("payment_reference", f"TRF-{next(_numbers):08d}")
        values.setdefault("paid_on", today)
        if "paid_by_id" not in values:
            values.setdefault("paid_by", staff())
        values.setdefault("paid_at", now)
    if state in (ClaimState.RETURNED, ClaimState.REJECTED):
        values.setdefault("decision_comment", "Berkas tidak lengkap.")
    return _add(session, Claim(**values))
