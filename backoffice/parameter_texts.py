"""The benefit parameters as a reader sees them: a name and a unit for each key, its value in
that unit (amounts in Rupiah), and the notes the migrations stored, in the reader's language
(issue #18). The keys (``approval.limit.branch_clerk``) stay what the rules read; no screen
shows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .benefit_texts import percent_text
from .i18n import format_rupiah

RUPIAH, PERCENT, TIMES, MONTHS, YEARS, AGE, DAYS, WORKING_DAYS, DAY_OF_MONTH, MONTH, COUNT = (
    "rupiah percent times months years age days working_days day_of_month month count".split()
)


@dataclass(frozen=True)
class ParameterText:
    label: LazyString
    unit: str


PARAMETERS: dict[str, ParameterText] = {
    "approval.limit.branch_clerk": ParameterText(_l("Approval limit of a branch clerk"), RUPIAH),
    "approval.limit.branch_head": ParameterText(_l("Approval limit of a branch head"), RUPIAH),
    "contribution.due_day": ParameterText(_l("Contribution due day"), DAY_OF_MONTH),
    "coverage.arrears_window_months": ParameterText(_l("Window to pay arrears"), MONTHS),
    "coverage.max_arrears_months": ParameterText(_l("Unpaid months before a lapse"), MONTHS),
    "jht.retirement_age": ParameterText(_l("JHT age"), AGE),
    "jkk.claim_years": ParameterText(_l("Time to claim JKK"), YEARS),
    "jkk.death.factor": ParameterText(_l("JKK death: times the income"), TIMES),
    "jkk.death.funeral": ParameterText(_l("JKK death: funeral costs"), RUPIAH),
    "jkk.death.periodic": ParameterText(_l("JKK death: periodic benefit"), RUPIAH),
    "jkk.disability.factor": ParameterText(_l("JKK permanent disability: factor"), TIMES),
    "jkk.disability.total_percent": ParameterText(_l("JKK total permanent disability"), PERCENT),
    "jkk.stmb.days_per_month": ParameterText(_l("JKK temporary disability: days a month"), DAYS),
    "jkk.stmb.full_months": ParameterText(
        _l("JKK temporary disability: months paid in full"), MONTHS
    ),
    "jkk.stmb.reduced_percent": ParameterText(
        _l("JKK temporary disability: part paid afterwards"), PERCENT
    ),
    "jkk.transport.air": ParameterText(_l("JKK transport cap, air"), RUPIAH),
    "jkk.transport.land": ParameterText(_l("JKK transport cap, land"), RUPIAH),
    "jkk.transport.sea": ParameterText(_l("JKK transport cap, sea"), RUPIAH),
    "jkm.funeral": ParameterText(_l("JKM funeral costs"), RUPIAH),
    "jkm.lump_sum": ParameterText(_l("JKM lump sum"), RUPIAH),
    "jkm.periodic": ParameterText(_l("JKM periodic benefit"), RUPIAH),
    "registration.max_age_exclusive": ParameterText(_l("Registration: age limit"), AGE),
    "registration.min_age": ParameterText(_l("Registration: minimum age"), AGE),
    "scholarship.max_age": ParameterText(_l("Scholarship: age limit"), AGE),
    "scholarship.max_children": ParameterText(_l("Scholarship: children at most"), COUNT),
    "scholarship.max_total": ParameterText(_l("Scholarship: total at most"), RUPIAH),
    "scholarship.min_contribution_months": ParameterText(
        _l("Scholarship: months paid before it applies"), MONTHS
    ),
    "scholarship.pt.max_years": ParameterText(_l("Scholarship, university: years"), YEARS),
    "scholarship.pt.per_year": ParameterText(_l("Scholarship, university: a year"), RUPIAH),
    "scholarship.school_year_start_month": ParameterText(
        _l("Scholarship: first month of a school year"), MONTH
    ),
    "scholarship.sma.max_years": ParameterText(_l("Scholarship, SMA: years"), YEARS),
    "scholarship.sma.per_year": ParameterText(_l("Scholarship, SMA: a year"), RUPIAH),
    "scholarship.smp.max_years": ParameterText(_l("Scholarship, SMP: years"), YEARS),
    "scholarship.smp.per_year": ParameterText(_l("Scholarship, SMP: a year"), RUPIAH),
    "scholarship.tk_sd.max_years": ParameterText(_l("Scholarship, TK/SD: years"), YEARS),
    "scholarship.tk_sd.per_year": ParameterText(_l("Scholarship, TK/SD: a year"), RUPIAH),
    "sla.JHT.working_days": ParameterText(_l("JHT service target"), WORKING_DAYS),
    "sla.JKK.working_days": ParameterText(_l("JKK service target"), WORKING_DAYS),
    "sla.JKM.working_days": ParameterText(_l("JKM service target"), WORKING_DAYS),
}
DISCOUNT_PREFIX = "contribution.discount.jkk_jkm_percent."
PAYMENT_PERIOD_PREFIX = "contribution.payment_period."

#: The notes the migrations stored with the reference data (English): shown translated; a note
#: the administrator writes is shown as written.
_NOTES = (
    _l("a branch clerk approves up to"),
    _l("a branch head approves up to; above: regional head"),
    _l("a month's contribution is due by this day of the month"),
    _l("one payment may cover this many months"),
    _l(
        "arrears may be paid up to this many months after protection ended (partly confirmed "
        "agency procedure)"
    ),
    _l("protection holds with at most this many unpaid months"),
    _l("JHT age"),
    _l("a JKK claim is made within this many years of the accident"),
    _l("work-accident death: factor x income"),
    _l("work-accident death: funeral costs"),
    _l("work-accident death: periodic benefit"),
    _l("permanent disability: percent x factor x income"),
    _l("total permanent disability, percent"),
    _l("days per month for the daily amount"),
    _l("temporary disability after that, percent"),
    _l("transport cap, air"),
    _l("transport cap, land"),
    _l("transport cap, sea"),
    _l("JKM funeral costs"),
    _l("JKM lump sum"),
    _l("JKM periodic benefit, 24 months paid at once"),
    _l("BPU registration: under this age on the registration date"),
    _l("BPU registration: at least this age on the registration date"),
    _l("scholarship: paid for school years starting before this age"),
    _l("children with a scholarship"),
    _l("scholarship maximum for all children"),
    _l("months paid before the scholarship applies"),
    _l("university/training years"),
    _l("university/training per child per year"),
    _l("scholarship: the month a school year starts"),
    _l("SMA years"),
    _l("SMA per child per year"),
    _l("SMP years"),
    _l("SMP per child per year"),
    _l("TK/SD years"),
    _l("TK/SD per child per year"),
    _l("JHT paid within working days of a complete file"),
    _l("JKK target: not in the regulation notes, set by the office"),
    _l("JKM paid within working days of a complete file"),
    _l("flat amount per month"),
    _l("demo value, unconfirmed: replace with the declared rate"),
    _l("announced by BPJS Ketenagakerjaan (press reports of the year's results)"),
)
#: A stored note -> its message (notes with a percent sign are written out: a msgid has none).
STORED_NOTES: dict[str, LazyString] = {
    **{note._args[0]: note for note in _NOTES},
    "PP 50/2025: % off JKK and JKM of the contribution months of this sector, unless a "
    "government budget pays": _l(
        "PP 50/2025: a discount on JKK and JKM for the contribution months of this sector, "
        "unless a government budget pays"
    ),
    "PP 50/2025: % off JKK and JKM for a month due in force, unless a government budget pays": _l(
        "PP 50/2025: a discount on JKK and JKM for the months due in force, unless a "
        "government budget pays"
    ),
    "months of temporary disability paid at 100%": _l(
        "months of temporary disability paid in full"
    ),
    "1% of the declared income level": _l("one percent of the declared income level"),
    "2% of the declared income level (optional)": _l(
        "two percent of the declared income level (optional)"
    ),
}

_MONTH_NAMES = (
    _l("January"),
    _l("February"),
    _l("March"),
    _l("April"),
    _l("May"),
    _l("June"),
    _l("July"),
    _l("August"),
    _l("September"),
    _l("October"),
    _l("November"),
    _l("December"),
)


def note_text(note: str | None) -> str:
    """A stored note in the reader's language when the migrations wrote it, else as written."""
    if not note:
        return ""
    return str(STORED_NOTES[note]) if note in STORED_NOTES else note


def parameter_unit(key: str) -> str:
    if key in PARAMETERS:
        return PARAMETERS[key].unit
    if key.startswith(DISCOUNT_PREFIX):
        return PERCENT
    if key.startswith(PAYMENT_PERIOD_PREFIX):
        return MONTHS
    return COUNT


def parameter_label(key: str, sector_name: Callable[[str], str | None] = lambda code: None) -> str:
    """A parameter's name: ``Batas persetujuan petugas cabang``; a discount names its sector
    (``sector_name(code)`` gives its name), a payment period its months."""
    if key in PARAMETERS:
        return str(PARAMETERS[key].label)
    if key.startswith(DISCOUNT_PREFIX):
        code = key.removeprefix(DISCOUNT_PREFIX)
        return gettext(
            "PP 50/2025 discount on JKK and JKM, sector %(sector)s",
            sector=sector_name(code) or code,
        )
    if key.startswith(PAYMENT_PERIOD_PREFIX) and key.removeprefix(PAYMENT_PERIOD_PREFIX).isdigit():
        return gettext(
            "Payment period of %(months)s months", months=key.removeprefix(PAYMENT_PERIOD_PREFIX)
        )
    return key


def value_text(key: str, value: Decimal | int | None) -> str:
    """A parameter's value in its unit: ``Rp50.000.000``, ``50%``, ``3 bulan``, ``tanggal 15``."""
    if value is None:
        return ""
    unit = parameter_unit(key)
    number = percent_text(value)
    if unit == RUPIAH:
        return format_rupiah(value)
    if unit == PERCENT:
        return f"{number}%"
    if unit == TIMES:
        return gettext("%(n)s times", n=number)
    if unit == MONTHS:
        return gettext("%(n)s months", n=number)
    if unit == YEARS:
        return gettext("%(n)s years", n=number)
    if unit == AGE:
        return gettext("%(n)s years old", n=number)
    if unit == DAYS:
        return gettext("%(n)s days", n=number)
    if unit == WORKING_DAYS:
        return gettext("%(n)s working days", n=number)
    if unit == DAY_OF_MONTH:
        return gettext("day %(n)s of the month", n=number)
    if unit == MONTH and 1 <= int(value) <= 12:
        return str(_MONTH_NAMES[int(value) - 1])
    return number
