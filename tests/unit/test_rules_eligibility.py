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
from backoffice.rules.lifecycle import Standing
from backoffice.rules.parameters import MissingParameter
from models import ClaimType, JhtReason, MemberStatus, Relationship

AGES = AgeBounds(15, 65)  # the reference data of migration 0013
PARAMS = {"jkk.claim_years": 5, "jht.retirement_age": 56}
TODAY = date(2026, 11, 22)
BORN = date(1970, 6, 2)


def covered(on: date = TODAY) -> Coverage:
    return Coverage(on, Standing(MemberStatus.ACTIVE, date(2021, 1, 5)), 60, 3)


def lapsed(on: date, ended: date) -> Coverage:
    standing = Standing(MemberStatus.LAPSED, ended, date(2021, 1, 5), ended, None)
    return Coverage(on, standing, 60, 3)


def findings(claim_type: ClaimType, **changes: object) -> list[Finding]:
    facts: dict[str, object] = {
        "event_date": date(2026, 10, 1),
        "today": TODAY,
        "status": MemberStatus.ACTIVE,
        "since": date(2021, 1, 5),
        "cover": covered(),
        "has_jht": True,
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


def test_a_deceased_or_exited_member_cannot_claim_any_more() -> None:
    """domain.md: a paid death claim ends the membership; JHT, the member's own savings, is
    still paid to the heirs of a deceased member who chose it (``lifecycle.claim_open``)."""
    assert findings(ClaimType.JKM) == []
    day = date(2026, 9, 1)
    closed = {"since": day}
    for status in (MemberStatus.DECEASED, MemberStatus.EXITED):
        assert findings(ClaimType.JKM, status=status, since=day, claimant=Relationship.SPOUSE) == [
            Finding(rule.MEMBER_CLOSED, {"status": status, **closed})
        ]
    exited = MemberStatus.EXITED
    assert findings(ClaimType.JHT, status=exited, since=day, jht_reason=JhtReason.AGE) == [
        Finding(rule.MEMBER_CLOSED, {"status": exited, **closed})
    ]
    deceased = MemberStatus.DECEASED
    assert findings(ClaimType.JHT, status=deceased, since=day, jht_reason=JhtReason.DEATH) == []
    assert findings(
        ClaimType.JHT, status=deceased, since=day, jht_reason=JhtReason.DEATH, has_jht=False
    ) == [
        Finding(rule.MEMBER_CLOSED, {"status": deceased, **closed}),
        Finding(rule.JHT_NOT_CHOSEN),
    ]


def test_jkk_and_jkm_need_protection_on_the_event_date() -> None:
    """domain.md: "JKM: paid when the member was covered on the date of death"; "more than 3
    consecutive unpaid months ends the protection (lapsed)"."""
    event = date(2026, 10, 1)
    ended = date(2026, 8, 15)
    for claim_type in (ClaimType.JKM, ClaimType.JKK):
        assert findings(claim_type, cover=lapsed(event, ended)) == [
            Finding(rule.NOT_COVERED, {"date": event, "ended": ended, "max": 3})
        ]


def test_a_member_who_never_paid_is_not_protected() -> None:
    """domain.md: "Protection starts with the first contribution paid (a registered member
    who never paid is not protected)"."""
    event = date(2026, 10, 1)
    never_paid = Coverage(event, Standing(MemberStatus.REGISTERED), 0, 3)
    assert findings(ClaimType.JKM, status=MemberStatus.REGISTERED, cover=never_paid) == [
        Finding(rule.NOT_PROTECTED_YET, {"date": event})
    ]


def test_arrears_never_refuse_jht() -> None:
    """domain.md: "JHT is the member's own savings: arrears never refuse a JHT claim"."""
    event = date(2026, 10, 1)
    assert (
        findings(
            ClaimType.JHT,
            cover=lapsed(event, date(2026, 3, 15)),
            status=MemberStatus.ENDED,
            jht_reason=JhtReason.STOPPED_WORKING,
        )
        == []
    )


def test_only_a_member_who_chose_jht_claims_it() -> None:
    """domain.md: "only a member who chose JHT has a balance"."""
    assert findings(ClaimType.JHT, has_jht=False, jht_reason=JhtReason.STOPPED_WORKING) == [
        Finding(rule.JHT_NOT_CHOSEN)
    ]


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
