"""Members' contribution reminders through the messaging gateway, and each paying department's
monthly list of its members in arrears.

- ``due``: a few days (``REMINDER_DAYS_BEFORE``) before the 15th, to every protected member
  with a phone who has not paid the month yet;
- ``arrears``: to every member with two or more due months unpaid.

Each is sent at most once per member and month: the reminder is recorded (a unique index on
member, month and kind) in the transaction of the run and sent once it commits, so a second
run of the month, or two runs at once, never send it twice. Texts are Indonesian (members'
language). The gateway (``MEMBER_GATEWAY``): ``log`` (default), ``file:/path.jsonl``, or the
``https://`` URL of the SMS/WhatsApp provider (POST of JSON ``{"to", "text"}``).

Runs daily at 08:00 in Jakarta (huey periodic task) or by ``flask --app wsgi member-reminders``.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import openpyxl
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_mailman import EmailMessage
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import (
    ContributionPayment,
    Department,
    Member,
    MemberReminder,
    MemberStatus,
    Role,
    User,
)

from .. import tasks
from ..clock import JAKARTA, as_utc, today_in_jakarta, utcnow
from ..exports import neutralise_formula
from ..extensions import db
from ..i18n import format_date, format_rupiah
from ..rules.months import month_start
from ..transaction import after_commit
from . import ledger

log = logging.getLogger(__name__)

DUE_DAY = 15
ARREARS_AT = 2  # unpaid months
MEMBER_LOCALE = "id"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DUE_TEXT = _l(
    "BPJS Ketenagakerjaan: the contribution of %(month)s for KPJ %(kpj)s, %(amount)s, is due "
    "on %(due)s. Pay it at a payment point or through your department to stay protected."
)
ARREARS_TEXT = _l(
    "BPJS Ketenagakerjaan: the contributions of KPJ %(kpj)s are unpaid for %(months)s months. "
    "Pay the arrears to keep your protection."
)


# --------------------------------------------------------------------------------------------
# Gateways
# --------------------------------------------------------------------------------------------


class Gateway(Protocol):
    name: str

    def send(self, phone: str, text: str) -> None: ...


class LogGateway:
    """Writes each message to the application log (the default: nothing leaves the server)."""

    name = "log"

    def send(self, phone: str, text: str) -> None:
        log.info("member message to %s: %s", phone[:4] + "****" + phone[-2:], text)


@dataclass
class FileGateway:
    """Appends each message as a JSON line to a file (tests, or a provider's pickup folder)."""

    path: Path
    name: str = "file"

    def send(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"to": phone, "text": text}, ensure_ascii=False) + "\n")


@dataclass
class HttpGateway:
    """POSTs ``{"to", "text"}`` as JSON to the provider's URL (a Bearer token if given)."""

    url: str
    token: str | None = None
    timeout: float = 10.0
    name: str = "http"

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "text": text}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise OSError(f"gateway answered {response.status}")


def gateway_from(config: Mapping[str, Any]) -> Gateway:
    """The gateway ``MEMBER_GATEWAY`` names; an unknown value is refused, never guessed."""
    value = (config.get("MEMBER_GATEWAY") or "log").strip()
    if value == "log":
        return LogGateway()
    if value.startswith("file:"):
        return FileGateway(Path(value[len("file:") :]))
    if value.startswith(("https://", "http://")):
        return HttpGateway(value, config.get("MEMBER_GATEWAY_TOKEN"))
    raise ValueError("MEMBER_GATEWAY must be 'log', 'file:/path' or an http(s):// URL.")


# --------------------------------------------------------------------------------------------
# The reminders
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    day: date
    due: int = 0
    arrears: int = 0
    messages: list[tuple[str, str]] = field(
        default_factory=list
    )  # (phone, text), sent after commit


def _month_text(month: date) -> str:
    return format_date(month)[3:]  # "12/2026"


def _candidates(session: Session, month: date, kind: str, statuses: tuple) -> Any:
    reminded = exists().where(
        MemberReminder.member_id == Member.id,
        MemberReminder.month == month,
        MemberReminder.kind == kind,
    )
    return (
        select(Member)
        .where(Member.status.in_(statuses), Member.phone.is_not(None), ~reminded)
        .order_by(Member.id)
    )


def _record(
    session: Session, run: Run, member: Member, month: date, kind: str, text: str, gateway: Gateway
) -> None:
    session.add(
        MemberReminder(
            member_id=member.id, month=month, kind=kind, gateway=gateway.name, sent_at=utcnow()
        )
    )
    run.messages.append((member.phone or "", text))


def send_reminders(
    session: Session, gateway: Gateway, day: date | None = None, *, days_before: int = 3
) -> Run:
    """Record the reminders due on ``day`` (today in Jakarta) and send them once the caller
    commits. Flushed; a member already reminded this month (of that kind) is skipped."""
    day = day or today_in_jakarta()
    month = month_start(day)
    run = Run(day)
    with force_locale(MEMBER_LOCALE):
        if DUE_DAY - days_before <= day.day < DUE_DAY:
            paid = exists().where(
                ContributionPayment.member_id == Member.id, ContributionPayment.period == month
            )
            stmt = _candidates(
                session, month, "due", (MemberStatus.ACTIVE, MemberStatus.REGISTERED)
            ).where(~paid)
            for member in session.scalars(stmt):
                text = str(DUE_TEXT) % {
                    "month": _month_text(month),
                    "kpj": member.kpj,
                    "amount": format_rupiah(member.monthly_contribution),
                    "due": format_date(month.replace(day=DUE_DAY)),
                }
                _record(session, run, member, month, "due", text, gateway)
                run.due += 1
        stmt = _candidates(session, month, "arrears", (MemberStatus.ACTIVE, MemberStatus.LAPSED))
        for member in session.scalars(stmt):
            summary = ledger.member_ledger(session, member, day)
            if summary.arrears_months < ARREARS_AT:
                continue
            text = str(ARREARS_TEXT) % {"kpj": member.kpj, "months": summary.arrears_months}
            _record(session, run, member, month, "arrears", text, gateway)
            run.arrears += 1
    session.flush()
    messages = list(run.messages)
    if messages:
        after_commit(session, lambda: _send_all(gateway, messages))
    return run


def _send_all(gateway: Gateway, messages: list[tuple[str, str]]) -> None:
    for phone, text in messages:
        try:
            gateway.send(phone, text)
        except Exception:
            log.exception("member reminder to a member not sent")


# --------------------------------------------------------------------------------------------
# The departments' monthly lists of members in arrears
# --------------------------------------------------------------------------------------------


def arrears_rows(session: Session, department: Department, day: date) -> list[list[Any]]:
    members = session.scalars(
        select(Member)
        .where(
            Member.department_id == department.id,
            Member.status.in_((MemberStatus.ACTIVE, MemberStatus.LAPSED)),
        )
        .order_by(Member.name, Member.id)
    )
    rows = []
    for member in members:
        summary = ledger.member_ledger(session, member, day)
        if summary.arrears_months < 1:
            continue
        months = ", ".join(_month_text(m) for m in summary.unpaid_months)
        rows.append(
            [
                member.kpj,
                member.name,
                str(member.status.value),
                summary.arrears_months,
                months,
                member.monthly_contribution * summary.arrears_months,
            ]
        )
    return rows


def arrears_workbook(session: Session, department: Department, day: date) -> bytes:
    """The department's members in arrears on ``day`` (formula-safe cells), in Indonesian."""
    with force_locale(MEMBER_LOCALE):
        headers = [
            gettext("KPJ number"),
            gettext("Name"),
            gettext("Status"),
            gettext("Unpaid months"),
            gettext("Months"),
            gettext("Amount owed (Rp)"),
        ]
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = gettext("Arrears")
        sheet.append([neutralise_formula(f"{department.name} - {format_date(day)}")])
        sheet.append(headers)
        for row in arrears_rows(session, department, day):
            sheet.append([neutralise_formula(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send_department_lists(session: Session, day: date | None = None) -> int:
    """Email each department's list to its liaisons (those with an address); the number sent.
    Departments with nobody in arrears get nothing."""
    day = day or today_in_jakarta()
    sent = 0
    for department in session.scalars(select(Department).order_by(Department.id)):
        liaisons = [
            u
            for u in session.scalars(
                select(User).where(
                    User.role == Role.LIAISON,
                    User.department_id == department.id,
                    User.active.is_(True),
                    User.email.is_not(None),
                )
            )
        ]
        if not liaisons or not arrears_rows(session, department, day):
            continue
        content = arrears_workbook(session, department, day)
        for user in liaisons:
            with force_locale(user.locale or "id"):
                email = EmailMessage(
                    subject=gettext("Members in arrears, %(month)s", month=_month_text(day)),
                    body=gettext(
                        "Attached: the members of your department with unpaid contributions "
                        "on %(day)s.",
                        day=format_date(day),
                    ),
                    from_email=current_app.config.get("MAIL_DEFAULT_SENDER"),
                    to=[user.email],
                )
            email.attach(f"tunggakan-{department.id}-{day:%Y-%m}.xlsx", content, XLSX)
            email.send()
            sent += 1
    return sent


REMINDERS_AT = (8, 0)  # 08:00 in Jakarta


def reminders_at(moment: datetime) -> bool:
    local = as_utc(moment).astimezone(JAKARTA)
    return (local.hour, local.minute) == REMINDERS_AT


@tasks.periodic_task(reminders_at, name="member_reminders")
def reminders_task() -> None:
    config = current_app.config
    run = send_reminders(
        db.session, gateway_from(config), days_before=config["REMINDER_DAYS_BEFORE"]
    )
    if run.day.day == 1:
        send_department_lists(db.session, run.day)
    log.info("member reminders %s: %d due, %d arrears", run.day, run.due, run.arrears)
