"""Benefit amounts of BPU claims (PP 82/2019): pure functions of the reference parameters.

The caller passes the parameters in force on the claim's event date as a plain mapping
(``"jkm.lump_sum" -> 20_000_000``, see ``domain.md``); nothing here reads the database or
needs a Flask app. Every amount is whole rupiah: computed with ``Decimal`` and rounded half up,
line by line. Labels, details and notes are lazy texts (English msgids, rendered in the user's
language by ``str()``); lines and notes carry stable codes and figures for code and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import escape

from .errors import DomainError
from .i18n import format_rupiah

Params = Mapping[str, int | Decimal]

SCHOOL_LEVELS = ("tk_sd", "smp", "sma", "pt")
TRANSPORT_MODES = ("land", "sea", "air")

LEVEL_LABELS = {
    "tk_sd": _l("kindergarten/primary school"),
    "smp": _l("junior high school"),
    "sma": _l("senior high school"),
    "pt": _l("university/training"),
}
MODE_LABELS = {"land": _l("land"), "sea": _l("sea"), "air": _l("air")}
# Texts only take numbers and formatted amounts as parameters (no nested lazy texts), so a
# stored msgid + parameters renders entirely in the reader's language: one msgid per choice.
_TRANSPORT_LABELS = {
    "land": _l("Transport by land"),
    "sea": _l("Transport by sea"),
    "air": _l("Transport by air"),
}

_HUNDRED = Decimal(100)


class MissingParameter(DomainError):
    """A reference parameter the computation needs is not in force (absent from the mapping)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            _l(
                "The reference parameter %(key)s is missing for this date; ask the administrator.",
                key=key,
            )
        )
        self.key = key


class Note(LazyString):
    """A remark on a breakdown: lazy text with a stable ``code`` and the figures it states.

    It takes over the msgid and parameters of ``text`` (an ``_l(...)`` message), so it can be
    stored as msgid + parameters like any other lazy message and translated again when shown.
    """

    def __init__(self, code: str, text: LazyString, **data: int) -> None:
        super().__init__(text._func, *text._args, **text._kwargs)
        self.code = code
        self.data = MappingProxyType(dict(data))

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"Note({self.code!r}, {dict(self.data)!r})"


@dataclass(frozen=True)
class BenefitLine:
    code: str
    label: Any  # lazy text
    amount: int
    detail: Any | None = None  # lazy text


@dataclass(frozen=True)
class Breakdown:
    lines: tuple[BenefitLine, ...]
    notes: tuple[Note, ...] = ()

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def amounts(self) -> dict[str, int]:
        """``{code: amount}``, in the order of the lines."""
        return {line.code: line.amount for line in self.lines}


# --- inputs -----------------------------------------------------------------------------


def _param(params: Params, key: str) -> Decimal:
    try:
        value = params[key]
    except KeyError:
        raise MissingParameter(key) from None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"reference parameter {key!r} must be an int or a Decimal, got {value!r}")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise ValueError(f"reference parameter {key!r} must be a non-negative number, got {value}")
    return value


def _count(params: Params, key: str, *, positive: bool = False) -> int:
    value = _param(params, key)
    if value != value.to_integral_value() or (positive and value == 0):
        kind = "a positive" if positive else "a whole"
        raise ValueError(f"reference parameter {key!r} must be {kind} number, got {value}")
    return int(value)


def _amount(name: str, value: object, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (rupiah or count), got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value}")
    return value


def _children(children: Sequence[str]) -> tuple[str, ...]:
    if isinstance(children, str):
        raise TypeError("children must be a sequence of school levels, not a string")
    levels = tuple(children)
    unknown = [level for level in levels if level not in SCHOOL_LEVELS]
    if unknown:
        raise ValueError(f"unknown school level(s) {unknown!r}; expected one of {SCHOOL_LEVELS}")
    return levels


def _rupiah(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _number(value: Decimal | int) -> str:
    """``50``, ``12.5``: no exponent, no trailing zeros."""
    return format(Decimal(value).normalize(), "f")


def _periodic_line(code: str, amount: Decimal) -> BenefitLine:
    return BenefitLine(
        code,
        _l("Periodic benefit (24 months, paid at once)"),
        _rupiah(amount),
        _l("24 monthly payments paid at once in a single amount"),
    )


# --- scholarship ------------------------------------------------------------------------


def _scholarship_label(level: str, number: int) -> LazyString:
    if level == "tk_sd":
        return _l("Scholarship, child %(n)s (kindergarten/primary school)", n=number)
    if level == "smp":
        return _l("Scholarship, child %(n)s (junior high school)", n=number)
    if level == "sma":
        return _l("Scholarship, child %(n)s (senior high school)", n=number)
    return _l("Scholarship, child %(n)s (university/training)", n=number)


def scholarship_lines(
    params: Params, children: Sequence[str], contribution_months: int
) -> tuple[list[BenefitLine], list[Note]]:
    """First-year scholarship lines for the member's children (school levels, in order), and notes.

    Paid for at most ``scholarship.max_children`` children, only if the member contributed at
    least ``scholarship.min_contribution_months`` months. The whole entitlement (per year x
    years, over the children) is capped at ``scholarship.max_total``; a note states it.
    """
    levels = _children(children)
    months = _amount("contribution_months", contribution_months)
    if not levels:
        return [], []
    needed = _count(params, "scholarship.min_contribution_months")
    if months < needed:
        note = Note(
            "scholarship.not_eligible",
            _l(
                "No scholarship: %(months)s months of contributions paid, %(needed)s needed.",
                months=months,
                needed=needed,
            ),
            months=months,
            needed=needed,
        )
        return [], [note]

    notes: list[Note] = []
    max_children = _count(params, "scholarship.max_children")
    if len(levels) > max_children:
        left_out = len(levels) - max_children
        notes.append(
            Note(
                "scholarship.children_left_out",
                _l(
                    "Scholarship is paid for at most %(max)s children; "
                    "%(count)s more child(ren) not included.",
                    max=max_children,
                    count=left_out,
                ),
                max=max_children,
                count=left_out,
            )
        )
    cap = _param(params, "scholarship.max_total")
    lines: list[BenefitLine] = []
    entitlement = Decimal(0)
    paid = Decimal(0)
    for number, level in enumerate(levels[:max_children], start=1):
        per_year = _param(params, f"scholarship.{level}.per_year")
        years = _count(params, f"scholarship.{level}.max_years")
        entitlement += per_year * years
        amount = min(per_year, cap - paid)
        paid += amount
        if amount < per_year:
            detail = _l(
                "First year limited to the maximum scholarship total of %(cap)s",
                cap=format_rupiah(cap),
            )
        else:
            detail = _l(
                "%(amount)s per year, up to %(years)s years",
                amount=format_rupiah(per_year),
                years=years,
            )
        if amount > 0:
            line = BenefitLine(
                f"scholarship.child_{number}",
                _scholarship_label(level, number),
                _rupiah(amount),
                detail,
            )
            lines.append(line)
    total = min(entitlement, cap)
    if entitlement > cap:
        text = _l(
            "Scholarship for these children: at most %(total)s in total over the years "
            "(%(entitlement)s capped at the maximum of %(cap)s).",
            total=format_rupiah(total),
            entitlement=format_rupiah(entitlement),
            cap=format_rupiah(cap),
        )
    else:
        text = _l(
            "Scholarship for these children: at most %(total)s in total over the years.",
            total=format_rupiah(total),
        )
    notes.append(
        Note(
            "scholarship.max_total",
            text,
            total=_rupiah(total),
            entitlement=_rupiah(entitlement),
            cap=_rupiah(cap),
        )
    )
    return lines, notes


# --- JKM --------------------------------------------------------------------------------


def jkm_benefit(
    params: Params, *, children: Sequence[str] = (), contribution_months: int
) -> Breakdown:
    """Death not caused by work: lump sum, periodic benefit, funeral costs, scholarship."""
    levels = _children(children)
    _amount("contribution_months", contribution_months)
    lines = [
        BenefitLine("jkm.lump_sum", _l("Lump sum"), _rupiah(_param(params, "jkm.lump_sum"))),
        _periodic_line("jkm.periodic", _param(params, "jkm.periodic")),
        BenefitLine("jkm.funeral", _l("Funeral costs"), _rupiah(_param(params, "jkm.funeral"))),
    ]
    scholarship, notes = scholarship_lines(params, levels, contribution_months)
    return Breakdown(tuple(lines + scholarship), tuple(notes))


# --- JKK --------------------------------------------------------------------------------


def _transport_line(params: Params, mode: str | None, cost: int) -> BenefitLine | None:
    if mode is not None and mode not in TRANSPORT_MODES:
        raise ValueError(f"unknown transport mode {mode!r}; expected one of {TRANSPORT_MODES}")
    if cost == 0:
        return None
    if mode is None:
        raise ValueError("transport_mode (land, sea or air) is required when transport_cost > 0")
    cap = _param(params, f"jkk.transport.{mode}")
    amount = min(Decimal(cost), cap)
    detail = None
    if cost > cap:
        detail = _l(
            "Cost %(cost)s, capped at %(cap)s",
            cost=format_rupiah(cost),
            cap=format_rupiah(cap),
        )
    return BenefitLine("jkk.transport", _TRANSPORT_LABELS[mode], _rupiah(amount), detail)


def _stmb_lines(params: Params, income: int, days: int) -> list[BenefitLine]:
    if days == 0:
        return []
    days_per_month = _count(params, "jkk.stmb.days_per_month", positive=True)
    full_days = _count(params, "jkk.stmb.full_months") * days_per_month
    percent = _param(params, "jkk.stmb.reduced_percent")
    daily = Decimal(income) / days_per_month
    lines = []
    at_full = min(days, full_days)
    if at_full:
        lines.append(
            BenefitLine(
                "jkk.stmb.full",
                _l("Temporary disability (STMB), first %(days)s days at 100%%", days=at_full),
                _rupiah(daily * at_full),
                _l(
                    "%(days)s days x %(daily)s a day (declared income / %(per_month)s)",
                    days=at_full,
                    daily=format_rupiah(daily),
                    per_month=days_per_month,
                ),
            )
        )
    reduced = days - at_full
    if reduced:
        lines.append(
            BenefitLine(
                "jkk.stmb.reduced",
                _l(
                    "Temporary disability (STMB), next %(days)s days at %(percent)s%%",
                    days=reduced,
                    percent=_number(percent),
                ),
                _rupiah(daily * reduced * percent / _HUNDRED),
                _l(
                    "%(days)s days x %(daily)s a day x %(percent)s%%",
                    days=reduced,
                    daily=format_rupiah(daily),
                    percent=_number(percent),
                ),
            )
        )
    return lines


def _disability_percent(value: Decimal | int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"disability_percent must be an int or a Decimal, got {value!r}")
    percent = Decimal(value)
    if not percent.is_finite() or not 0 <= percent <= _HUNDRED:
        raise ValueError(f"disability_percent must be between 0 and 100, got {value}")
    return percent


def _disability_line(params: Params, income: int, percent: Decimal) -> BenefitLine:
    total_percent = _param(params, "jkk.disability.total_percent")
    factor = _param(params, "jkk.disability.factor")
    applied = min(percent, total_percent)
    amount = _rupiah(applied * factor * income / _HUNDRED)
    if percent > total_percent:
        detail = _l(
            "%(percent)s%% (total permanent disability, capped from %(declared)s%%) "
            "x %(factor)s x %(income)s",
            percent=_number(applied),
            declared=_number(percent),
            factor=_number(factor),
            income=format_rupiah(income),
        )
    else:
        detail = _l(
            "%(percent)s%% x %(factor)s x %(income)s",
            percent=_number(applied),
            factor=_number(factor),
            income=format_rupiah(income),
        )
    return BenefitLine("jkk.disability", _l("Permanent disability"), amount, detail)


def _death_lines(params: Params, income: int) -> list[BenefitLine]:
    factor = _param(params, "jkk.death.factor")
    return [
        BenefitLine(
            "jkk.death.lump_sum",
            _l("Death benefit"),
            _rupiah(factor * income),
            _l("%(factor)s x %(income)s", factor=_number(factor), income=format_rupiah(income)),
        ),
        BenefitLine(
            "jkk.death.funeral", _l("Funeral costs"), _rupiah(_param(params, "jkk.death.funeral"))
        ),
        _periodic_line("jkk.death.periodic", _param(params, "jkk.death.periodic")),
    ]


def jkk_benefit(
    params: Params,
    *,
    income: int,
    treatment_cost: int = 0,
    transport_mode: str | None = None,
    transport_cost: int = 0,
    stmb_days: int = 0,
    disability_percent: Decimal | int = 0,
    death: bool = False,
    children: Sequence[str] = (),
    contribution_months: int = 0,
) -> Breakdown:
    """Work accident: treatment, transport, temporary and permanent disability, death.

    ``income`` is the member's declared income level (the BPU "wage"). When the member died,
    permanent disability is not paid (costs and STMB already incurred still are). The children's
    scholarship applies on death or total permanent disability, with the scholarship rules.
    """
    income = _amount("income", income, positive=True)
    treatment_cost = _amount("treatment_cost", treatment_cost)
    transport_cost = _amount("transport_cost", transport_cost)
    stmb_days = _amount("stmb_days", stmb_days)
    percent = _disability_percent(disability_percent)
    levels = _children(children)
    contribution_months = _amount("contribution_months", contribution_months)
    if not isinstance(death, bool):
        raise TypeError(f"death must be a bool, got {death!r}")

    lines: list[BenefitLine] = []
    notes: list[Note] = []
    if treatment_cost:
        lines.append(BenefitLine("jkk.treatment", _l("Medical treatment"), treatment_cost))
    transport = _transport_line(params, transport_mode, transport_cost)
    if transport is not None:
        lines.append(transport)
    lines.extend(_stmb_lines(params, income, stmb_days))
    total_disability = False
    if percent > 0 and death:
        notes.append(
            Note(
                "jkk.disability_not_paid",
                _l("Permanent disability is not paid: the member died of the accident."),
            )
        )
    elif percent > 0:
        total_disability = percent >= _param(params, "jkk.disability.total_percent")
        lines.append(_disability_line(params, income, percent))
    if death:
        lines.extend(_death_lines(params, income))
    if death or total_disability:
        scholarship, scholarship_notes = scholarship_lines(params, levels, contribution_months)
        lines.extend(scholarship)
        notes.extend(scholarship_notes)
    return Breakdown(tuple(lines), tuple(notes))


# --- JHT --------------------------------------------------------------------------------


def jht_benefit(*, contributions: int, returns: int = 0) -> Breakdown:
    """Old-age savings: the balance of the member's contributions plus the returns on it."""
    contributions = _amount("contributions", contributions)
    returns = _amount("returns", returns)
    lines = [BenefitLine("jht.contributions", _l("JHT contributions"), contributions)]
    if returns:
        lines.append(BenefitLine("jht.returns", _l("Returns on the JHT balance"), returns))
    return Breakdown(tuple(lines))
