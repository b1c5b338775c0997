"""The texts of a benefit breakdown (``rules.benefits``) in the user's language.

Labels, details and notes are lazy texts (English msgids, rendered in the reader's language by
``str()``, escaped in HTML). Texts take only numbers and formatted amounts as parameters (no nested lazy texts),
so a text stored as msgid + parameters renders entirely in the reader's language again: one
msgid per choice (school level, transport mode).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .i18n import format_rupiah
from .importing.messages import Message
from .importing.messages import lazy_message as _l
from .rules.benefits import PERIODIC_LINES, BenefitLine, Note
from .rules.jht import JhtNote

_TRANSPORT_LABELS = {
    "land": _l("Transport by land"),
    "sea": _l("Transport by sea"),
    "air": _l("Transport by air"),
}
_LABELS = {
    "jkm.lump_sum": _l("Lump sum"),
    "jkm.funeral": _l("Funeral costs"),
    "jkk.death.funeral": _l("Funeral costs"),
    "jkk.treatment": _l("Medical treatment"),
    "jkk.disability": _l("Permanent disability"),
    "jkk.death.lump_sum": _l("Death benefit"),
}


def _number(value: Decimal | int) -> str:
    """``50``, ``12.5``: no exponent, no trailing zeros."""
    return format(Decimal(value).normalize(), "f")


#: A percent as the texts show it (``5.63``, ``6``).
percent_text = _number


def _scholarship_label(facts: Any) -> Message:
    figures = {
        "n": facts["child"],
        "name": facts["name"],
        "year": facts["school_year"],
        "next": facts["school_year"] + 1,
    }
    level = facts["level"]
    if level == "tk_sd":
        return _l(
            "Scholarship, %(name)s (child %(n)s, kindergarten/primary school), "
            "school year %(year)s/%(next)s",
            **figures,
        )
    if level == "smp":
        return _l(
            "Scholarship, %(name)s (child %(n)s, junior high school), school year %(year)s/%(next)s",
            **figures,
        )
    if level == "sma":
        return _l(
            "Scholarship, %(name)s (child %(n)s, senior high school), school year %(year)s/%(next)s",
            **figures,
        )
    return _l(
        "Scholarship, %(name)s (child %(n)s, university/training), school year %(year)s/%(next)s",
        **figures,
    )


def _jht_detail(facts: Any) -> Message:
    figures = {
        "contributions": format_rupiah(facts["contributions"]),
        "returns": format_rupiah(facts["returns"]),
        "rate": _number(facts["rate"]),
        "months": facts["months"],
        "opening": format_rupiah(facts["opening"]),
        "closing": format_rupiah(facts["closing"]),
    }
    if facts["rate_year"] is None:
        return _l(
            "Opening balance %(opening)s, contributions %(contributions)s, no return rate "
            "declared; closing balance %(closing)s",
            **figures,
        )
    if facts["rate_year"] != facts["year"]:
        return _l(
            "Opening balance %(opening)s, contributions %(contributions)s, returns %(returns)s "
            "(%(rate)s%%, the rate of %(rate_year)s, for %(months)s months); closing balance "
            "%(closing)s",
            rate_year=facts["rate_year"],
            **figures,
        )
    return _l(
        "Opening balance %(opening)s, contributions %(contributions)s, returns %(returns)s "
        "(%(rate)s%% for %(months)s months); closing balance %(closing)s",
        **figures,
    )


def label(line: BenefitLine) -> Message:
    """What the line pays."""
    facts = line.facts
    if line.code in PERIODIC_LINES:
        return _l("Periodic benefit (24 months, paid at once)")
    if line.code.startswith("scholarship.child_"):
        return _scholarship_label(facts)
    if line.code == "jkk.transport":
        return _TRANSPORT_LABELS[facts["mode"]]
    if line.code.startswith("jht.year."):
        return _l("JHT %(year)s: contributions and returns", year=facts["year"])
    if line.code == "jkk.stmb.full":
        return _l("Temporary disability (STMB), first %(days)s days at 100%%", days=facts["days"])
    if line.code == "jkk.stmb.reduced":
        return _l(
            "Temporary disability (STMB), next %(days)s days at %(percent)s%%",
            days=facts["days"],
            percent=_number(facts["percent"]),
        )
    return _LABELS[line.code]


def detail(line: BenefitLine) -> Message | None:
    """How the line's amount was reached, when there is more to say than the label."""
    facts = line.facts
    if line.code in PERIODIC_LINES:
        return _l("24 monthly payments paid at once in a single amount")
    if line.code.startswith("scholarship.child_"):
        if facts["capped"]:
            return _l(
                "%(amount)s per year, limited by the maximum scholarship total",
                amount=format_rupiah(facts["per_year"]),
            )
        return _l(
            "%(amount)s per year, up to %(years)s years",
            amount=format_rupiah(facts["per_year"]),
            years=facts["years"],
        )
    if line.code.startswith("jht.year."):
        return _jht_detail(facts)
    if line.code == "jkk.transport":
        if facts["cost"] <= facts["cap"]:
            return None
        return _l(
            "Cost %(cost)s, capped at %(cap)s",
            cost=format_rupiah(facts["cost"]),
            cap=format_rupiah(facts["cap"]),
        )
    if line.code == "jkk.stmb.full":
        return _l(
            "%(days)s days x %(daily)s a day (declared income / %(per_month)s)",
            days=facts["days"],
            daily=format_rupiah(facts["daily"]),
            per_month=facts["per_month"],
        )
    if line.code == "jkk.stmb.reduced":
        return _l(
            "%(days)s days x %(daily)s a day x %(percent)s%%",
            days=facts["days"],
            daily=format_rupiah(facts["daily"]),
            percent=_number(facts["percent"]),
        )
    if line.code == "jkk.disability":
        if facts["capped"]:
            return _l(
                "%(percent)s%% (total permanent disability, capped from %(declared)s%%) "
                "x %(factor)s x %(income)s",
                percent=_number(facts["percent"]),
                declared=_number(facts["declared"]),
                factor=_number(facts["factor"]),
                income=format_rupiah(facts["income"]),
            )
        return _l(
            "%(percent)s%% x %(factor)s x %(income)s",
            percent=_number(facts["percent"]),
            factor=_number(facts["factor"]),
            income=format_rupiah(facts["income"]),
        )
    if line.code == "jkk.death.lump_sum":
        return _l(
            "%(factor)s x %(income)s",
            factor=_number(facts["factor"]),
            income=format_rupiah(facts["income"]),
        )
    return None


def note_text(note: Note) -> Message:
    """The note in the reader's language."""
    facts: dict[str, Any] = dict(note.facts)
    if note.code == "scholarship.not_eligible":
        return _l(
            "No scholarship: %(months)s months of contributions paid, %(needed)s needed.",
            months=facts["months"],
            needed=facts["needed"],
        )
    if note.code == "scholarship.children_left_out":
        return _l(
            "Scholarship is paid for at most %(max)s children; "
            "%(count)s more child(ren) not included.",
            max=facts["max"],
            count=facts["count"],
        )
    if note.code == "scholarship.max_total":
        if facts["capped"]:
            return _l(
                "Scholarship for these children: at most %(total)s in total over the years "
                "(%(entitlement)s capped at the maximum of %(cap)s).",
                total=format_rupiah(facts["total"]),
                entitlement=format_rupiah(facts["entitlement"]),
                cap=format_rupiah(facts["cap"]),
            )
        return _l(
            "Scholarship for these children: at most %(total)s in total over the years.",
            total=format_rupiah(facts["total"]),
        )
    if note.code == "scholarship.not_qualifying.married":
        return _l("Child %(n)s is married: no scholarship.", n=facts["child"])
    if note.code == "scholarship.not_qualifying.working":
        return _l("Child %(n)s is working: no scholarship.", n=facts["child"])
    if note.code == "scholarship.not_qualifying.age":
        return _l("Child %(n)s has reached the scholarship's age limit.", n=facts["child"])
    if note.code == "scholarship.birth_date_unknown":
        return _l(
            "Child %(n)s has no birth date: the age limit could not be applied; correct the "
            "claim to enter it.",
            n=facts["child"],
        )
    if note.code == "scholarship.paid_yearly":
        return _l(
            "The later school years (%(later)s in all, from %(first)s/%(next)s) are paid year by "
            "year while the child qualifies: in school, under the age limit, not married, not "
            "working.",
            later=format_rupiah(facts["later"]),
            first=facts["first"],
            next=facts["first"] + 1,
        )
    if note.code == "jht.rate_assumed":
        return _l(
            "No JHT return rate is declared for %(year)s yet: the last declared one, %(rate)s%% "
            "of %(rate_year)s, is used.",
            year=facts["year"],
            rate=_number(facts["rate"]),
            rate_year=facts["rate_year"],
        )
    if note.code == "jht.no_rate":
        return _l(
            "No JHT return rate is declared for %(year)s or before: no returns for that year.",
            year=facts["year"],
        )
    assert note.code == "jkk.disability_not_paid", note.code
    return _l("Permanent disability is not paid: the member died of the accident.")


def statement_note(note: JhtNote) -> Message:
    """A note of a JHT statement (``rules.jht``) in the reader's language."""
    return note_text(Note(note.code, facts=note.facts))
