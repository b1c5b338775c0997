"""Benefit amounts of BPU claims (PP 82/2019): pure functions of the reference parameters.

The caller passes the parameters in force on the claim's event date as a plain mapping
(``"jkm.lump_sum" -> 20_000_000``, see ``domain.md``). Every amount is whole rupiah: computed
with ``Decimal`` and rounded half up, line by line. A line and a note carry a stable code, and
the figures their text states (``facts``); the texts themselves, in the user's language, are
``backoffice.benefit_texts``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from .jht import RATE_ASSUMED, JhtStatement
from .parameters import Params, count, number

SCHOOL_LEVELS = ("tk_sd", "smp", "sma", "pt")
TRANSPORT_MODES = ("land", "sea", "air")
#: Lines of the periodic benefit: 24 monthly payments paid at once.
PERIODIC_LINES = frozenset({"jkm.periodic", "jkk.death.periodic"})
#: The code of the scholarship line of the n-th child (from 1).
SCHOLARSHIP_LINE = "scholarship.child_{}"

_HUNDRED = Decimal(100)
_NO_FACTS: Mapping[str, Any] = MappingProxyType({})


def _frozen(facts: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(facts)) if facts else _NO_FACTS


@dataclass(frozen=True)
class BenefitLine:
    code: str
    amount: int
    #: the figures the line's label and detail state (exact, before rounding)
    facts: Mapping[str, Any] = field(default_factory=lambda: _NO_FACTS)


@dataclass(frozen=True)
class Note:
    """A remark on a breakdown: a stable ``code``, the whole-rupiah figures it states (``data``)
    and the exact ones its text shows (``facts``)."""

    code: str
    data: Mapping[str, int] = field(default_factory=lambda: _NO_FACTS)
    facts: Mapping[str, Any] = field(default_factory=lambda: _NO_FACTS, compare=False)


def _note(code: str, facts: Mapping[str, Any] | None = None, **data: int) -> Note:
    return Note(code, MappingProxyType(dict(data)), _frozen(facts or data))


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


def _line(code: str, amount: Decimal | int, **facts: Any) -> BenefitLine:
    return BenefitLine(code, _rupiah(Decimal(amount)), _frozen(facts))


# --- scholarship ------------------------------------------------------------------------


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
    needed = count(params, "scholarship.min_contribution_months")
    if months < needed:
        return [], [_note("scholarship.not_eligible", months=months, needed=needed)]

    notes: list[Note] = []
    max_children = count(params, "scholarship.max_children")
    if len(levels) > max_children:
        notes.append(
            _note(
                "scholarship.children_left_out", max=max_children, count=len(levels) - max_children
            )
        )
    cap = number(params, "scholarship.max_total")
    lines: list[BenefitLine] = []
    entitlement = Decimal(0)
    paid = Decimal(0)
    for child, level in enumerate(levels[:max_children], start=1):
        per_year = number(params, f"scholarship.{level}.per_year")
        years = count(params, f"scholarship.{level}.max_years")
        entitlement += per_year * years
        amount = min(per_year, cap - paid)
        paid += amount
        if amount > 0:
            lines.append(
                _line(
                    SCHOLARSHIP_LINE.format(child),
                    amount,
                    child=child,
                    level=level,
                    per_year=per_year,
                    years=years,
                    cap=cap,
                    capped=amount < per_year,
                )
            )
    total = min(entitlement, cap)
    facts = {"total": total, "entitlement": entitlement, "cap": cap, "capped": entitlement > cap}
    notes.append(
        _note(
            "scholarship.max_total",
            facts,
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
        _line("jkm.lump_sum", number(params, "jkm.lump_sum")),
        _line("jkm.periodic", number(params, "jkm.periodic")),
        _line("jkm.funeral", number(params, "jkm.funeral")),
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
    cap = number(params, f"jkk.transport.{mode}")
    return _line("jkk.transport", min(Decimal(cost), cap), mode=mode, cost=cost, cap=cap)


def _stmb_lines(params: Params, income: int, days: int) -> list[BenefitLine]:
    if days == 0:
        return []
    days_per_month = count(params, "jkk.stmb.days_per_month", positive=True)
    full_days = count(params, "jkk.stmb.full_months") * days_per_month
    percent = number(params, "jkk.stmb.reduced_percent")
    daily = Decimal(income) / days_per_month
    lines = []
    at_full = min(days, full_days)
    if at_full:
        lines.append(
            _line(
                "jkk.stmb.full",
                daily * at_full,
                days=at_full,
                daily=daily,
                per_month=days_per_month,
            )
        )
    reduced = days - at_full
    if reduced:
        lines.append(
            _line(
                "jkk.stmb.reduced",
                daily * reduced * percent / _HUNDRED,
                days=reduced,
                daily=daily,
                percent=percent,
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
    total_percent = number(params, "jkk.disability.total_percent")
    factor = number(params, "jkk.disability.factor")
    applied = min(percent, total_percent)
    return _line(
        "jkk.disability",
        applied * factor * income / _HUNDRED,
        percent=applied,
        declared=percent,
        factor=factor,
        income=income,
        capped=percent > total_percent,
    )


def _death_lines(params: Params, income: int) -> list[BenefitLine]:
    factor = number(params, "jkk.death.factor")
    return [
        _line("jkk.death.lump_sum", factor * income, factor=factor, income=income),
        _line("jkk.death.funeral", number(params, "jkk.death.funeral")),
        _line("jkk.death.periodic", number(params, "jkk.death.periodic")),
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
        lines.append(BenefitLine("jkk.treatment", treatment_cost))
    transport = _transport_line(params, transport_mode, transport_cost)
    if transport is not None:
        lines.append(transport)
    lines.extend(_stmb_lines(params, income, stmb_days))
    total_disability = False
    if percent > 0 and death:
        notes.append(_note("jkk.disability_not_paid"))
    elif percent > 0:
        total_disability = percent >= number(params, "jkk.disability.total_percent")
        lines.append(_disability_line(params, income, percent))
    if death:
        lines.extend(_death_lines(params, income))
    if death or total_disability:
        scholarship, scholarship_notes = scholarship_lines(params, levels, contribution_months)
        lines.extend(scholarship)
        notes.extend(scholarship_notes)
    return Breakdown(tuple(lines), tuple(notes))


# --- JHT --------------------------------------------------------------------------------

#: The code of the JHT line of a year of the statement.
JHT_YEAR_LINE = "jht.year.{}"


def jht_benefit(statement: JhtStatement) -> Breakdown:
    """Old-age savings: the balance of the member's contributions plus the returns on it
    (domain.md), one line per year of the statement (``rules.jht``): the year's contributions
    plus its returns. The lines add up to the closing balance."""
    lines = [
        _line(
            JHT_YEAR_LINE.format(year.year),
            year.contributions + year.returns,
            year=year.year,
            opening=year.opening,
            contributions=year.contributions,
            returns=year.returns,
            closing=year.closing,
            rate=year.rate,
            rate_year=year.rate_year,
            months=year.months,
        )
        for year in statement.years
    ]
    notes = []
    for item in statement.notes:
        if item.code == RATE_ASSUMED:
            notes.append(
                _note(
                    item.code,
                    dict(item.facts),
                    year=item.facts["year"],
                    rate_year=item.facts["rate_year"],
                )
            )
        else:
            notes.append(_note(item.code, year=item.facts["year"]))
    return Breakdown(tuple(lines), tuple(notes))
