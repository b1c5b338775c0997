"""The fields of a member a correction may change, declared as data: one entry per field.

Each entry says how the field is labelled and entered (a text, a date, a choice, a tick box),
how its current value is read (as the correction keeps it in JSON: text, ISO dates, whole
numbers, booleans), how a typed value is parsed and checked, how it is shown, and how an
approved value is applied to the member. The correction service, the proposal form and the
decision page all read this one registry: a field added here (a member's sector or domicile
regency) is proposed, checked, shown, applied and audited like the others.

Checks that concern several fields at once (the NIK against the birth date and sex, the NIK
unique, the contribution from the income level and JHT) are the service's
(``corrections.check_changes``), run when the correction is proposed and again when it is
approved.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Department, KemendagriRegency, Member, Programme, Sector, User

from ..errors import DomainError
from ..i18n import format_rupiah
from ..importing.parsers import ParseError, clean_text, parse_date, parse_phone, parse_sex
from ..labels import choices
from ..labels import label as label_of
from ..rules.coverage import add_months, month_start
from . import lifecycle, reference

#: The member's record in the audit trail (the ledger's too).
MEMBER_RECORD = "member"


@dataclass
class Context:
    """What parsing and applying a value may need: the member and who acts, on which day."""

    session: Session
    member: Member
    actor: User
    today: date
    reason: str = ""

    @property
    def next_month(self) -> date:
        """The first month a changed contribution applies."""
        return add_months(month_start(self.today), 1)


#: kinds of input on the proposal form
TEXT, DATE, CHOICE, FLAG = "text", "date", "choice", "flag"


@dataclass(frozen=True)
class CorrectionField:
    name: str
    label: Any
    kind: str
    #: the member's current value, as the correction keeps it (JSON)
    read: Callable[[Member], Any]
    #: the typed text -> the value as kept, or DomainError with a message for the clerk
    parse: Callable[[Context, str], Any]
    #: sets an approved value on the member (flushed by the service)
    apply: Callable[[Context, Any], None]
    #: a kept value as a screen shows it
    show: Callable[[Session, Any], str] = lambda session, value: "" if value is None else str(value)
    #: a kept value as the form's input holds it
    form_value: Callable[[Any], str] = lambda value: "" if value is None else str(value)
    #: the choices of a CHOICE field: [(value, label)] for the member
    choices: Callable[[Context], list[tuple[str, str]]] | None = None
    max_length: int | None = None
    #: a change needs a supporting document (identity data, the end of membership)
    needs_document: bool = False
    #: the NIK is checked again against the birth date and sex
    identity: bool = False
    #: the monthly contribution is computed again, from the next month
    contribution: bool = False
    #: applied after every other field (ending the membership)
    last: bool = False


def _refused(field: str, message: Any) -> DomainError:
    return DomainError(message, field=field)


def _set(column: str) -> Callable[[Context, Any], None]:
    def apply(ctx: Context, value: Any) -> None:
        setattr(ctx.member, column, value)

    return apply


def text_field(
    name: str, label: Any, *, max_length: int, required: bool = False, **options: Any
) -> CorrectionField:
    """A text column of the member, cleaned as uploads are (NFC, no invisible characters)."""

    def parse(ctx: Context, raw: str) -> str | None:
        value = clean_text(raw)
        if value is None and required:
            raise _refused(name, _l("%(field)s cannot be empty.", field=label))
        if value is not None and len(value) > max_length:
            raise _refused(
                name, _l("%(field)s has at most %(n)s characters.", field=label, n=max_length)
            )
        return value

    return CorrectionField(
        name,
        label,
        TEXT,
        read=lambda m: getattr(m, name),
        parse=parse,
        apply=_set(name),
        max_length=max_length,
        **options,
    )


# --- the fields ----------------------------------------------------------------------------------


def _parse_birth_date(ctx: Context, raw: str) -> str:
    try:
        value = parse_date((raw or "").strip() or None)
    except ParseError as error:
        raise _refused("birth_date", error.message) from None
    if value > ctx.today:
        raise _refused("birth_date", _l("The birth date cannot be in the future."))
    if value.year < 1900:
        raise _refused("birth_date", _l("The birth date is before 1900."))
    return value.isoformat()


def _show_date(session: Session, value: Any) -> str:
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


def _parse_sex(ctx: Context, raw: str) -> str:
    try:
        return parse_sex(raw)
    except ParseError as error:
        raise _refused("sex", error.message) from None


def _show_sex(session: Session, value: Any) -> str:
    return str(_l("Male") if value == "L" else _l("Female")) if value else ""


def _parse_nik(ctx: Context, raw: str) -> str:
    # Its structure, region, agreement and uniqueness: ``corrections.check_changes``.
    value = "".join((raw or "").split())
    if not value:
        raise _refused("nik", _l("The NIK is empty."))
    return value


def _parse_phone(ctx: Context, raw: str) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        return parse_phone(raw)
    except ParseError as error:
        raise _refused("phone", error.message) from None


def _income_levels(ctx: Context) -> list[tuple[str, str]]:
    levels = sorted(reference.income_levels_on(ctx.session, ctx.next_month))
    return [(str(level), format_rupiah(level)) for level in levels]


def _parse_income(ctx: Context, raw: str) -> int:
    levels = reference.income_levels_on(ctx.session, ctx.next_month)
    try:
        value = int((raw or "").strip())
    except ValueError:
        value = None
    if value not in levels:
        raise _refused(
            "income_level", _l("Choose one of the income levels in force from next month.")
        )
    return value


def _show_rupiah(session: Session, value: Any) -> str:
    return format_rupiah(value) if value is not None else ""


def _has_jht(member: Member) -> bool:
    return Programme.JHT.value in member.programmes.split(",")


def _parse_flag(ctx: Context, raw: str) -> bool:
    return (raw or "").strip().lower() in ("1", "y", "yes", "on", "true")


def _apply_jht(ctx: Context, value: bool) -> None:
    programmes = [Programme.JKK.value, Programme.JKM.value]
    ctx.member.programmes = ",".join([*programmes, Programme.JHT.value] if value else programmes)


def _show_yes_no(session: Session, value: Any) -> str:
    return str(_l("Yes") if value else _l("No"))


def row_choice_field(
    name: str,
    label: Any,
    model: type,
    label_column: Any,
    *,
    where: Callable[[Context], Any] | None = None,
    refusal: Any = None,
    **options: Any,
) -> CorrectionField:
    """A foreign key of the member (``name``, e.g. ``department_id``), chosen among the rows
    of ``model`` that ``where(ctx)`` selects (every row without it), or none."""

    def rows(ctx: Context) -> list[tuple[str, str]]:
        stmt = select(model.id, label_column).order_by(label_column)
        if where is not None:
            stmt = stmt.where(where(ctx))
        return [("", str(_l("(none)")))] + [
            (str(i), str(text)) for i, text in ctx.session.execute(stmt)
        ]

    def parse(ctx: Context, raw: str) -> int | None:
        raw = (raw or "").strip()
        if not raw:
            return None
        if raw not in {value for value, _text in rows(ctx) if value}:
            raise _refused(name, refusal or _l("Choose one of the values offered."))
        return int(raw)

    def show(session: Session, value: Any) -> str:
        if value is None:
            return str(_l("(none)"))
        found = session.scalar(select(label_column).where(model.id == value))
        return str(found) if found is not None else f"#{value}"

    return CorrectionField(
        name,
        label,
        CHOICE,
        read=lambda m: getattr(m, name),
        parse=parse,
        apply=_set(name),
        show=show,
        choices=rows,
        **options,
    )


def code_choice_field(
    name: str,
    label: Any,
    model: type,
    order: tuple[Any, ...],
    text: Callable[[Any], str],
    *,
    optional: bool = False,
    **options: Any,
) -> CorrectionField:
    """A column of the member holding the code of a reference list (``model.code``: a sector,
    a Kemendagri regency), chosen among the list's entries (or none when ``optional``)."""

    def rows(ctx: Context) -> list[tuple[str, str]]:
        found = [
            (row.code, text(row)) for row in ctx.session.scalars(select(model).order_by(*order))
        ]
        return ([("", str(_l("(none)")))] if optional else []) + found

    def parse(ctx: Context, raw: str) -> str | None:
        value = (raw or "").strip()
        if not value and optional:
            return None
        if ctx.session.get(model, value) is None:
            raise _refused(name, _l("Choose one of the values offered."))
        return value

    def show(session: Session, value: Any) -> str:
        if value is None:
            return str(_l("(none)"))
        found = session.get(model, value)
        return text(found) if found is not None else str(value)

    return CorrectionField(
        name,
        label,
        CHOICE,
        read=lambda m: getattr(m, name),
        parse=parse,
        apply=lambda ctx, value: setattr(ctx.member, name, value),
        show=show,
        choices=rows,
        **options,
    )


def enum_field(name: str, label: Any, enum_cls: type[enum.Enum], **options: Any) -> CorrectionField:
    """An enum column of the member (kept as its value), chosen among the enum's members
    named in the user's language."""

    def parse(ctx: Context, raw: str) -> str:
        value = (raw or "").strip()
        if value not in {m.value for m in enum_cls}:
            raise _refused(name, _l("Choose one of the values offered."))
        return value

    def read(member: Member) -> str | None:
        value = getattr(member, name)
        return value.value if isinstance(value, enum.Enum) else value

    return CorrectionField(
        name,
        label,
        CHOICE,
        read=read,
        parse=parse,
        apply=lambda ctx, value: setattr(ctx.member, name, enum_cls(value)),
        show=lambda session, value: label_of(enum_cls(value)) if value else "",
        choices=lambda ctx: choices(enum_cls),
        **options,
    )


def _read_deregistration(member: Member) -> bool:
    return not member.active


def _parse_deregistration(ctx: Context, raw: str) -> bool:
    # An ended membership is not restored by a correction: nothing to change then.
    return _parse_flag(ctx, raw) or not ctx.member.active


def _apply_deregistration(session: Session, member: Member, actor: User, reason: str) -> None:
    """End the member's membership (the one place a correction does it): the lifecycle service
    makes them exited from today, the approved correction's reason on its audited event."""
    lifecycle.deregister(session, member, actor, reason)


def _apply_deregistration_field(ctx: Context, value: bool) -> None:
    if value:
        _apply_deregistration(ctx.session, ctx.member, ctx.actor, ctx.reason)


def _show_deregistration(session: Session, value: Any) -> str:
    return str(_l("Membership ended") if value else _l("Member"))


FIELDS: tuple[CorrectionField, ...] = (
    text_field("name", _l("Name"), max_length=100, required=True, needs_document=True),
    CorrectionField(
        "birth_date",
        _l("Birth date"),
        DATE,
        read=lambda m: m.birth_date.isoformat(),
        parse=_parse_birth_date,
        apply=lambda ctx, v: setattr(ctx.member, "birth_date", date.fromisoformat(v)),
        show=_show_date,
        needs_document=True,
        identity=True,
    ),
    CorrectionField(
        "sex",
        _l("Sex"),
        CHOICE,
        read=lambda m: m.sex,
        parse=_parse_sex,
        apply=_set("sex"),
        show=_show_sex,
        choices=lambda ctx: [("L", str(_l("Male"))), ("P", str(_l("Female")))],
        needs_document=True,
        identity=True,
    ),
    CorrectionField(
        "nik",
        "NIK",
        TEXT,
        read=lambda m: m.nik,
        parse=_parse_nik,
        apply=_set("nik"),
        max_length=16,
        needs_document=True,
        identity=True,
    ),
    CorrectionField(
        "phone",
        _l("Phone"),
        TEXT,
        read=lambda m: m.phone,
        parse=_parse_phone,
        apply=_set("phone"),
        max_length=20,
    ),
    text_field("address", _l("Address"), max_length=255),
    CorrectionField(
        "income_level",
        _l("Income level"),
        CHOICE,
        read=lambda m: m.income_level,
        parse=_parse_income,
        apply=_set("income_level"),
        show=_show_rupiah,
        choices=_income_levels,
        contribution=True,
    ),
    CorrectionField(
        "jht",
        _l("JHT (old-age savings)"),
        FLAG,
        read=_has_jht,
        parse=_parse_flag,
        apply=_apply_jht,
        show=_show_yes_no,
        form_value=lambda v: "1" if v else "",
        contribution=True,
    ),
    # A member stays with their office: the departments it serves.
    row_choice_field(
        "department_id",
        _l("Department"),
        Department,
        Department.name,
        where=lambda ctx: Department.office_id == ctx.member.office_id,
        refusal=_l("Choose a department served by the member's office."),
    ),
    # The sector decides the PP 50/2025 discount of the months paid after the approval.
    code_choice_field(
        "sector", _l("Sector"), Sector, (Sector.sort_order, Sector.code), lambda row: row.name
    ),
    code_choice_field(
        "domicile_regency_code",
        _l("Domicile (regency/city)"),
        KemendagriRegency,
        (KemendagriRegency.province_code, KemendagriRegency.name),
        lambda row: f"{row.name} ({row.province_name})",
        optional=True,
    ),
    CorrectionField(
        "deregistration",
        _l("End the membership (deregistration)"),
        FLAG,
        read=_read_deregistration,
        parse=_parse_deregistration,
        apply=_apply_deregistration_field,
        show=_show_deregistration,
        form_value=lambda v: "1" if v else "",
        needs_document=True,
        last=True,
    ),
)

#: The registry by name, in form order (a field marked ``last`` is applied after the others).
REGISTRY: dict[str, CorrectionField] = {f.name: f for f in FIELDS}
