"""Who may register and who may claim what, when: ages and the claim conditions.

Each check says what it found as a ``Finding`` (a code and the figures its message states); the
caller (the importer, the claims service) puts it in the user's words. The limits are reference
data in force on the day in question (registration ages, ``jkk.claim_years``,
``jht.retirement_age``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models import ClaimType, JhtReason, MemberStatus, Relationship

from .coverage import Coverage
from .finding import Finding
from .lifecycle import claim_open
from .parameters import Params, count

#: The benefit parameters the claim conditions read.
JKK_CLAIM_YEARS_KEY = "jkk.claim_years"
JHT_RETIREMENT_AGE_KEY = "jht.retirement_age"

#: Codes of ``registration_age_finding``.
BORN_AFTER_REGISTRATION = "born_after_registration"  # date: the birth date
TOO_YOUNG = "too_young"  # age, min
TOO_OLD = "too_old"  # age, max (the first age refused)

#: Codes of ``event_findings`` and ``claim_findings``.
EVENT_IN_FUTURE = "event_in_future"
EVENT_BEFORE_START = "event_before_start"  # start: the member's start date
MEMBER_CLOSED = "member_closed"  # status, since: deceased or exited, no claim any more
NOT_PROTECTED_YET = "not_protected_yet"  # date: no contribution paid by then
NOT_COVERED = "not_covered"  # date, ended (last day protected), max (consecutive months allowed)
JHT_NOT_CHOSEN = "jht_not_chosen"
JKK_CLAIM_TOO_LATE = "jkk_claim_too_late"  # years, date (of the accident)
JKM_CLAIMED_BY_MEMBER = "jkm_claimed_by_member"
JHT_REASON_MISSING = "jht_reason_missing"
JHT_AGE_NOT_REACHED = "jht_age_not_reached"  # age, date (of the event), needed


def age_on(born: date, on: date) -> int:
    """Full years of age on a day (a member's at registration, a worker's at a claim's event)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 3, 1)


@dataclass(frozen=True)
class AgeBounds:
    """The ages at which a BPU worker registers: from ``minimum`` to under ``below``
    (reference data: 15 and 65)."""

    minimum: int
    below: int


def registration_age_finding(born: date, on: date, ages: AgeBounds) -> Finding | None:
    """What is wrong with registering on ``on`` someone born on ``born``; None when nothing."""
    if born > on:
        return Finding(BORN_AFTER_REGISTRATION, {"date": born})
    age = age_on(born, on)
    if age < ages.minimum:
        return Finding(TOO_YOUNG, {"age": age, "min": ages.minimum})
    if age >= ages.below:
        return Finding(TOO_OLD, {"age": age, "max": ages.below})
    return None


def event_findings(event_date: date, today: date, start_date: date) -> list[Finding]:
    """The claim's event is in the past and within the member's protection."""
    findings = []
    if event_date > today:
        findings.append(Finding(EVENT_IN_FUTURE))
    if event_date < start_date:
        findings.append(Finding(EVENT_BEFORE_START, {"start": start_date}))
    return findings


def jkk_claim_deadline(accident: date, years: int) -> date:
    """The last day a work-accident claim may be made (``jkk.claim_years`` after it)."""
    return add_years(accident, years)


def claim_findings(
    claim_type: ClaimType,
    *,
    event_date: date,
    today: date,
    status: MemberStatus,
    since: date | None,
    cover: Coverage,
    has_jht: bool,
    born: date,
    claimant: Relationship,
    jht_reason: JhtReason | None,
    params: Params,
) -> list[Finding]:
    """Why the member or claimant may not claim ``claim_type`` for an event on ``event_date``,
    in the order a clerk reads them: the member (not deceased or exited - a deceased member's
    JHT excepted, ``lifecycle.claim_open`` -; for JKK and JKM
    covered on the event date: "protection starts with the first contribution paid", "more
    than 3 consecutive unpaid months ends the protection"), then the claim type's own
    conditions (JKK within ``jkk.claim_years`` of the accident, JKM by an heir, JHT only for a
    member who chose it - "only a member who chose JHT has a balance" - and never refused for
    arrears - "JHT is the member's own savings" -, for age from ``jht.retirement_age``: the
    parameters in force on the event date, read only for their case; ``MissingParameter``
    when one is needed and absent)."""
    findings = []
    if not claim_open(status, claim_type, has_jht):
        findings.append(Finding(MEMBER_CLOSED, {"status": status, "since": since}))
    elif claim_type is not ClaimType.JHT:
        if not cover.started:
            findings.append(Finding(NOT_PROTECTED_YET, {"date": event_date}))
        elif not cover.covered:
            findings.append(
                Finding(
                    NOT_COVERED,
                    {
                        "date": event_date,
                        "ended": cover.protection_ends,
                        "max": cover.max_arrears,
                    },
                )
            )
    if claim_type is ClaimType.JKK:
        years = count(params, JKK_CLAIM_YEARS_KEY)
        if today > jkk_claim_deadline(event_date, years):
            findings.append(Finding(JKK_CLAIM_TOO_LATE, {"years": years, "date": event_date}))
    if claim_type is ClaimType.JKM and claimant is Relationship.SELF:
        findings.append(Finding(JKM_CLAIMED_BY_MEMBER))
    if claim_type is ClaimType.JHT:
        if not has_jht:
            findings.append(Finding(JHT_NOT_CHOSEN))
        if jht_reason is None:
            findings.append(Finding(JHT_REASON_MISSING))
        elif jht_reason is JhtReason.AGE:
            age = age_on(born, event_date)
            needed = count(params, JHT_RETIREMENT_AGE_KEY)
            if age < needed:
                findings.append(
                    Finding(JHT_AGE_NOT_REACHED, {"age": age, "date": event_date, "needed": needed})
                )
    return findings
