"""Ages, the registration age and the conditions of a claim, as findings (codes and figures)."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.rules import Finding
from backoffice.rules import eligibility as rule
from backoffice.rules.coverage import Coverage
from backoffice.rules.eligibility import (
    AgeBounds,
    add_years,
    age_on,
    claim_findings,
    event_findings,
    jkk_claim_deadline,
    registration_age_finding,
)
from backoffice.rules.parameters import MissingParameter
from models import ClaimType, JhtReason, Relationship

AGES = AgeBounds(15, 65)  # the reference data of migration 0013
PARAMS = {"jkk.claim_years": 5, "jht.retirement_age": 56}
TODAY = date(2026, 11, 22)
BORN = date(1970, 6, 2)


def covered(on: date = TODAY, arrears: int = 0) -> Coverage:
    return Coverage(on, True, 60, arrears, 3, None)


def findings(claim_type: ClaimType, **changes: object) -> list[Finding]:
    facts: dict[str, object] = {
        "event_date": date(2026, 10, 1),
        "today": TODAY,
        "active": True,
        "cover": covered(),
        "born": BORN,
        "claimant": Relationship.SPOUSE,
        "jht_reason": None,
        "params": PARAMS,
    }
    return claim_findings(claim_type, **{**facts, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("on", "age"),
    [(date(2026, 6, 1), 55), (date(2026, 6, 2), 56), (date(2027, 6, 1), 56)],
)
def test_age_is_in_full_years(on: date, age: int) -> None:
    assert age_on(BORN, on) == age


def test_29_february_plus_years_is_1_march_in_a_common_year() -> None:
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2024, 2, 29), 5) == date(2029, 3, 1)
    assert jkk_claim_deadline(date(2024, 2, 29), 5) == date(2029, 3, 1)


@pytest.mark.parametrize(
    ("born", "finding"),
    [
        (date(2010, 1, 16), Finding(rule.TOO_YOUNG, {"age": 14, "min": 15})),
        (date(2010, 1, 15), None),  # 15 on the day
        (date(1960, 1, 16), None),  # 64 for one more day
        (date(1960, 1, 15), Finding(rule.TOO_OLD, {"age": 65, "max": 65})),
        (date(2025, 3, 1), Finding(rule.BORN_AFTER_REGISTRATION, {"date": date(2025, 3, 1)})),
    ],
)
def test_registration_age_from_15_to_under_65(born: date, finding: Finding | None) -> None:
    assert registration_age_finding(born, date(2025, 1, 15), AGES) == finding


def test_the_bounds_are_the_ones_given() -> None:
    assert registration_age_finding(date(2011, 1, 1), date(2025, 1, 15), AgeBounds(10, 60)) is None


def test_the_event_is_past_and_after_the_start() -> None:
    start = date(2026, 1, 10)
    assert event_findings(date(2026, 5, 1), TODAY, start) == []
    assert event_findings(date(2026, 12, 1), TODAY, start) == [Finding(rule.EVENT_IN_FUTURE)]
    assert event_findings(date(2026, 1, 9), TODAY, start) == [
        Finding(rule.EVENT_BEFORE_START, {"start": start})
    ]


def test_an_inactive_member_and_one_not_covered_cannot_claim() -> None:
    assert findings(ClaimType.JKM) == []
    assert findings(ClaimType.JKM, active=False) == [Finding(rule.MEMBER_INACTIVE)]
    event = date(2026, 10, 1)
    assert findings(ClaimType.JKM, cover=covered(event, arrears=4)) == [
        Finding(rule.NOT_COVERED, {"date": event, "months": 4, "max": 3})
    ]
    not_started = Coverage(event, False, 0, 0, 3, None)
    assert findings(ClaimType.JKM, cover=not_started) == []


def test_a_work_accident_is_claimed_within_five_years() -> None:
    accident = date(2021, 11, 22)
    assert findings(ClaimType.JKK, event_date=accident) == []
    assert findings(ClaimType.JKK, event_date=accident, today=date(2026, 11, 23)) == [
        Finding(rule.JKK_CLAIM_TOO_LATE, {"years": 5, "date": accident})
    ]


def test_a_death_benefit_is_claimed_by_an_heir() -> None:
    assert findings(ClaimType.JKM, claimant=Relationship.SELF) == [
        Finding(rule.JKM_CLAIMED_BY_MEMBER)
    ]


def test_jht_for_age_from_56() -> None:
    assert findings(ClaimType.JHT) == [Finding(rule.JHT_REASON_MISSING)]
    assert findings(ClaimType.JHT, jht_reason=JhtReason.AGE, event_date=date(2026, 6, 2)) == []
    assert findings(ClaimType.JHT, jht_reason=JhtReason.AGE, event_date=date(2026, 6, 1)) == [
        Finding(rule.JHT_AGE_NOT_REACHED, {"age": 55, "date": date(2026, 6, 1), "needed": 56})
    ]
    assert findings(ClaimType.JHT, jht_reason=JhtReason.STOPPED_WORKING) == []


def test_a_parameter_is_read_only_for_its_case() -> None:
    assert findings(ClaimType.JHT, jht_reason=JhtReason.STOPPED_WORKING, params={}) == []
    assert findings(ClaimType.JKM, params={}) == []
    with pytest.raises(MissingParameter) as raised:
        findings(ClaimType.JKK, params={})
    assert raised.value.key == "jkk.claim_years"
