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
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from .jht import RATE_ASSUMED, JhtStatement
from .parameters import Params, count, number

SCHOOL_LEVELS = ("tk_sd", "smp", "sma", "pt")  # in the order a child moves up
TRANSPORT_MODES = ("land", "sea", "air")
#: Lines of the periodic benefit: 24 monthly payments paid at once.
PERIODIC_LINES = frozenset({"jkm.periodic", "jkk.death.periodic"})
#: The code of the scholarship line of the n-th child (from 1) for a school year.
SCHOLARSHIP_LINE = "scholarship.child_{}.{}"

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
    #: the whole scholarship schedule (its years begun by the claim's day are lines)
    schedule: tuple[ScholarshipYear, ...] = ()

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


def _rupiah(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _line(code: str, amount: Decimal | int, **facts: Any) -> BenefitLine:
    return BenefitLine(code, _rupiah(Decimal(amount)), _frozen(facts))


# --- scholarship ------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """A child of the member for the scholarship, as the heir declares at the claim."""

    name: str
    #: None only for a child recorded before birth dates were asked (the age limit cannot apply)
    birth_date: date | None
    level: str  # the school level at the event: one of SCHOOL_LEVELS
    married: bool = False
    working: bool = False


@dataclass(frozen=True)
class ScholarshipYear:
    """One school year of one child's scholarship (``school_year``: the year it starts)."""

    school_year: int
    child: int  # the child's number in the order given (from 1)
    name: str
    level: str
    per_year: int
    amount: int  # per_year, less what the maximum total left
    age: int | None  # on the first day of the school year
    paid_now: bool  # the school year has begun by the day of the claim


@dataclass(frozen=True)
class ScholarshipSchedule:
    years: tuple[ScholarshipYear, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def total(self) -> int:
        return sum(y.amount for y in self.years)

    @property
    def paid_now(self) -> int:
        return sum(y.amount for y in self.years if y.paid_now)


def _children(children: Sequence[Child]) -> tuple[Child, ...]:
    if isinstance(children, str | Child):
        raise TypeError("children must be a sequence of Child records")
    records = tuple(children)
    for child in records:
        if not isinstance(child, Child):
            raise TypeError(f"a child must be a Child record, got {child!r}")
    unknown = [child.level for child in records if child.level not in SCHOOL_LEVELS]
    if unknown:
        raise ValueError(f"unknown school level(s) {unknown!r}; expected one of {SCHOOL_LEVELS}")
    return records


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def school_year_of(day: date, start_month: int) -> int:
    """The school year ``day`` falls in, named by the year it starts (July 2026 - June 2027:
    2026, when school years start in July)."""
    return day.year if day.month >= start_month else day.year - 1


def _not_qualifying(child: Child, age: int | None, max_age: int) -> str | None:
    if child.married:
        return "married"
    if child.working:
        return "working"
    if age is not None and age >= max_age:
        return "age"
    return None


def scholarship_schedule(
    params: Params,
    children: Sequence[Child],
    *,
    event_date: date,
    today: date,
    contribution_months: int | None,
) -> ScholarshipSchedule:
    """The scholarship school year by school year (PP 82/2019; domain.md): "paid each school
    year while the child qualifies (up to age 23, not married, not working), for at most 2
    children"; per child per year TK-SD Rp1.5 M (max 8 years), SMP Rp2 M (3), SMA Rp3 M (3),
    university/training Rp12 M (5); at most Rp174 M in all.

    ``contribution_months``: the months paid, for JKM, which needs at least
    ``scholarship.min_contribution_months`` (36); None for JKK (death or total permanent
    disability from a work accident), which has no minimum.

    The schedule's convention (the agency pays each year on the school's proof, which this
    estimate cannot know):

    - It starts with the school year of the event (school years start in the month
      ``scholarship.school_year_start_month``, July) at the level the child was in; each level
      counts its full number of years, then the child moves up to the next level (TK-SD, SMP,
      SMA, university or training). 2 children x (8 x 1.5 + 3 x 2 + 3 x 3 + 5 x 12 M) is
      exactly the Rp174 M maximum.
    - A school year is paid when the child is under ``scholarship.max_age`` (23) on its first
      day. A child married, working or 23 at the event does not qualify; the first
      ``scholarship.max_children`` (2) who do, in the order given, are paid.
    - Years are taken in order (school year, then child) up to ``scholarship.max_total``.
    - What the claim pays now (``paid_now``) is the school years begun by ``today`` (the day
      of the claim): normally only the current one; the later ones are paid year by year while
      the child still qualifies.
    """
    records = _children(children)
    if not records:
        return ScholarshipSchedule()
    if contribution_months is not None:
        months = _amount("contribution_months", contribution_months)
        needed = count(params, "scholarship.min_contribution_months")
        if months < needed:
            return ScholarshipSchedule(
                notes=(_note("scholarship.not_eligible", months=months, needed=needed),)
            )
    start_month = count(params, "scholarship.school_year_start_month", positive=True)
    if start_month > 12:
        raise ValueError(f"scholarship.school_year_start_month must be 1-12, got {start_month}")
    max_age = count(params, "scholarship.max_age", positive=True)
    max_children = count(params, "scholarship.max_children")
    cap = number(params, "scholarship.max_total")
    first = school_year_of(event_date, start_month)
    current = max(first, school_year_of(today, start_month))

    notes: list[Note] = []
    taken: list[tuple[int, Child]] = []
    qualifying = 0
    for number_, child in enumerate(records, start=1):
        reason = _not_qualifying(
            child, _age(child.birth_date, date(first, start_month, 1)), max_age
        )
        if reason is not None:
            notes.append(_note(f"scholarship.not_qualifying.{reason}", child=number_))
            continue
        qualifying += 1
        if len(taken) < max_children:
            taken.append((number_, child))
    if qualifying > len(taken):
        notes.append(
            _note("scholarship.children_left_out", max=max_children, count=qualifying - len(taken))
        )

    planned: list[tuple[int, int, Child, str, Decimal, int | None]] = []
    for number_, child in taken:
        if child.birth_date is None:
            notes.append(_note("scholarship.birth_date_unknown", child=number_))
        year = first
        for level in SCHOOL_LEVELS[SCHOOL_LEVELS.index(child.level) :]:
            per_year = number(params, f"scholarship.{level}.per_year")
            for _ in range(count(params, f"scholarship.{level}.max_years")):
                age = _age(child.birth_date, date(year, start_month, 1))
                if age is not None and age >= max_age:
                    break
                planned.append((year, number_, child, level, per_year, age))
                year += 1
            else:
                continue
            break

    planned.sort(key=lambda item: (item[0], item[1]))
    entitlement = sum((item[4] for item in planned), Decimal(0))
    used = Decimal(0)
    years: list[ScholarshipYear] = []
    for year, number_, child, level, per_year, age in planned:
        amount = min(per_year, cap - used)
        if amount <= 0:
            break
        used += amount
        years.append(
            ScholarshipYear(
                year,
                number_,
                child.name,
                level,
                _rupiah(per_year),
                _rupiah(amount),
                age,
                paid_now=year <= current,
            )
        )
    if years:
        total = min(entitlement, cap)
        facts = {
            "total": total,
            "entitlement": entitlement,
            "cap": cap,
            "capped": entitlement > cap,
        }
        notes.append(
            _note(
                "scholarship.max_total",
                facts,
                total=_rupiah(total),
                entitlement=_rupiah(entitlement),
                cap=_rupiah(cap),
            )
        )
        later = sum(y.amount for y in years if not y.paid_now)
        if later:
            notes.append(_note("scholarship.paid_yearly", later=later, first=current + 1))
    return ScholarshipSchedule(tuple(years), tuple(notes))


def _scholarship_lines(params: Params, schedule: ScholarshipSchedule) -> list[BenefitLine]:
    """The school years the claim pays now, one line per child and school year."""
    return [
        _line(
            SCHOLARSHIP_LINE.format(year.child, year.school_year),
            year.amount,
            child=year.child,
            name=year.name,
            level=year.level,
            school_year=year.school_year,
            per_year=year.per_year,
            years=count(params, f"scholarship.{year.level}.max_years"),
            capped=year.amount < year.per_year,
        )
        for year in schedule.years
        if year.paid_now
    ]


def _scholarship(
    params: Params,
    children: tuple[Child, ...],
    event_date: date | None,
    today: date | None,
    contribution_months: int | None,
) -> ScholarshipSchedule:
    if not children:
        return ScholarshipSchedule()
    if event_date is None:
        raise ValueError("event_date is required for the scholarship of children")
    return scholarship_schedule(
        params,
        children,
        event_date=event_date,
        today=today or event_date,
        contribution_months=contribution_months,
    )


# --- JKM --------------------------------------------------------------------------------


def jkm_benefit(
    params: Params,
    *,
    children: Sequence[Child] = (),
    contribution_months: int,
    event_date: date | None = None,
    today: date | None = None,
) -> Breakdown:
    """Death not caused by work: lump sum, periodic benefit, funeral costs, and the scholarship
    school years begun by ``today`` (the claim's day; the whole schedule in ``schedule``).
    The scholarship needs ``scholarship.min_contribution_months`` (36) months paid."""
    records = _children(children)
    _amount("contribution_months", contribution_months)
    lines = [
        _line("jkm.lump_sum", number(params, "jkm.lump_sum")),
        _line("jkm.periodic", number(params, "jkm.periodic")),
        _line("jkm.funeral", number(params, "jkm.funeral")),
    ]
    schedule = _scholarship(params, records, event_date, today, contribution_months)
    return Breakdown(
        tuple(lines + _scholarship_lines(params, schedule)), schedule.notes, schedule.years
    )


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
    children: Sequence[Child] = (),
    event_date: date | None = None,
    today: date | None = None,
) -> Breakdown:
    """Work accident: treatment, transport, temporary and permanent disability, death.

    ``income`` is the member's declared income level (the BPU "wage"). When the member died,
    permanent disability is not paid (costs and STMB already incurred still are). The children's
    scholarship applies on death or total permanent disability, without a minimum of months
    paid (domain.md: "JKK ... has no minimum").
    """
    income = _amount("income", income, positive=True)
    treatment_cost = _amount("treatment_cost", treatment_cost)
    transport_cost = _amount("transport_cost", transport_cost)
    stmb_days = _amount("stmb_days", stmb_days)
    percent = _disability_percent(disability_percent)
    records = _children(children)
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
    schedule = ScholarshipSchedule()
    if death or total_disability:
        schedule = _scholarship(params, records, event_date, today, None)
        lines.extend(_scholarship_lines(params, schedule))
        notes.extend(schedule.notes)
    return Breakdown(tuple(lines), tuple(notes), schedule.years)


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
