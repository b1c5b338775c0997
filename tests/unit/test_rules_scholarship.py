"""The children's scholarship school year by school year (PP 82/2019; domain.md), no database.

domain.md: "Scholarship for at most 2 children if the member contributed at least 3 years: per
child per year TK-SD Rp1.5 M (max 8 years), SMP Rp2 M (3), SMA Rp3 M (3), university/training
Rp12 M (5); max Rp174 M." and "Scholarship: JKM requires at least 3 years of contributions; JKK
(death or total permanent disability from a work accident) has no minimum. Paid each school
year while the child qualifies (up to age 23, not married, not working), for at most 2
children."
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.benefit_texts import detail, label, note_text
from backoffice.rules.benefits import (
    SCHOOL_LEVELS,
    Child,
    jkk_benefit,
    jkm_benefit,
    scholarship_schedule,
    school_year_of,
)
from tests.unit.test_rules_benefits import PARAMS, amounts, note_codes, with_params

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
EVENT = date(2026, 9, 15)  # in the school year 2026/2027 (school years start in July)
PER_YEAR = {"tk_sd": 1_500_000, "smp": 2_000_000, "sma": 3_000_000, "pt": 12_000_000}
MAX_YEARS = {"tk_sd": 8, "smp": 3, "sma": 3, "pt": 5}


def kid(level: str, age: int | None, n: int = 1, **flags: bool) -> Child:
    """A child ``age`` years old on 1 July 2026 (the start of the event's school year)."""
    born = None if age is None else date(2026 - age, 3, n)
    return Child(f"Anak {n}", born, level, **flags)


def schedule(children, *, months: int | None = 36, today: date = EVENT, event=EVENT, **params):
    return scholarship_schedule(
        with_params(**params),
        children,
        event_date=event,
        today=today,
        contribution_months=months,
    )


def years_of(result, child: int = 1) -> list[tuple[int, str, int]]:
    return [(y.school_year, y.level, y.amount) for y in result.years if y.child == child]


# --- what is paid now ----------------------------------------------------------------------


def test_jkm_pays_this_school_years_scholarship_for_each_child() -> None:
    breakdown = jkm_benefit(
        PARAMS,
        children=[kid("tk_sd", 7, 1), kid("smp", 13, 2)],
        contribution_months=40,
        event_date=EVENT,
        today=date(2026, 10, 1),
    )
    assert amounts(breakdown) == {
        "jkm.lump_sum": 20_000_000,
        "jkm.periodic": 12_000_000,
        "jkm.funeral": 10_000_000,
        "scholarship.child_1.2026": 1_500_000,
        "scholarship.child_2.2026": 2_000_000,
    }
    assert breakdown.total == 45_500_000
    # the later years are the schedule, paid year by year, and a note says how much
    later = sum(y.amount for y in breakdown.schedule if not y.paid_now)
    assert later > 0 and "scholarship.paid_yearly" in note_codes(breakdown)


def test_a_claim_made_later_pays_every_school_year_begun_since_the_event() -> None:
    # A work accident in May 2025 (school year 2024/2025), claimed in September 2026.
    result = schedule([kid("smp", 12)], event=date(2025, 5, 10), today=date(2026, 9, 1))
    assert [(y.school_year, y.paid_now) for y in result.years[:4]] == [
        (2024, True),
        (2025, True),
        (2026, True),
        (2027, False),
    ]
    assert result.paid_now == 3 * 2_000_000


@pytest.mark.parametrize(
    ("day", "year"), [(date(2026, 6, 30), 2025), (date(2026, 7, 1), 2026), (date(2027, 1, 5), 2026)]
)
def test_a_school_year_starts_in_july(day: date, year: int) -> None:
    assert school_year_of(day, 7) == year


# --- each school year while the child qualifies ---------------------------------------------


def test_each_school_year_until_the_child_is_23_moving_up_the_levels() -> None:
    # In SMA at 16: SMA 2026-2028, then university from 19 to 22 (23 on 1 July 2033: stops).
    result = schedule([kid("sma", 16)])
    assert years_of(result) == [
        (2026, "sma", 3_000_000),
        (2027, "sma", 3_000_000),
        (2028, "sma", 3_000_000),
        (2029, "pt", 12_000_000),
        (2030, "pt", 12_000_000),
        (2031, "pt", 12_000_000),
        (2032, "pt", 12_000_000),
    ]
    assert [y.age for y in result.years] == [16, 17, 18, 19, 20, 21, 22]


@pytest.mark.parametrize("level", SCHOOL_LEVELS)
def test_each_level_pays_its_yearly_amount_for_at_most_its_years(level: str) -> None:
    result = schedule([kid(level, None)])
    first_level = [y for y in result.years if y.level == level]
    assert [y.amount for y in first_level] == [PER_YEAR[level]] * MAX_YEARS[level]
    # then every next level, each for its years
    later = SCHOOL_LEVELS[SCHOOL_LEVELS.index(level) :]
    assert [y.level for y in result.years] == [lv for lv in later for _ in range(MAX_YEARS[lv])]


def test_two_children_from_kindergarten_to_university_are_the_174_million_maximum() -> None:
    # 2 x (8 x 1.5 M + 3 x 2 M + 3 x 3 M + 5 x 12 M) = 174 M: the cap of PP 82/2019
    result = schedule([kid("tk_sd", None, 1), kid("tk_sd", None, 2)])
    assert result.total == 174_000_000
    (cap,) = [n for n in result.notes if n.code == "scholarship.max_total"]
    assert dict(cap.data) == {
        "total": 174_000_000,
        "entitlement": 174_000_000,
        "cap": 174_000_000,
    }
    # without a birth date the age limit cannot apply: a note asks for it
    assert note_codes(result).count("scholarship.birth_date_unknown") == 2


def test_the_maximum_total_ends_the_schedule() -> None:
    result = schedule([kid("pt", 19, 1), kid("pt", 19, 2)], scholarship__max_total=20_000_000)
    assert [(y.school_year, y.child, y.amount) for y in result.years] == [
        (2026, 1, 12_000_000),
        (2026, 2, 8_000_000),
    ]
    (cap,) = [n for n in result.notes if n.code == "scholarship.max_total"]
    assert cap.data["total"] == 20_000_000 and cap.data["entitlement"] == 96_000_000


@pytest.mark.parametrize(
    ("child", "code"),
    [
        (kid("sma", 17, married=True), "scholarship.not_qualifying.married"),
        (kid("pt", 20, working=True), "scholarship.not_qualifying.working"),
        (kid("pt", 23), "scholarship.not_qualifying.age"),
    ],
)
def test_a_married_working_or_23_year_old_child_does_not_qualify(child: Child, code: str) -> None:
    result = schedule([child])
    assert result.years == () and note_codes(result) == [code]


def test_at_most_two_children_the_first_who_qualify_in_order() -> None:
    children = [
        kid("sma", 17, 1, married=True),
        kid("smp", 13, 2),
        kid("tk_sd", 8, 3),
        kid("tk_sd", 6, 4),
    ]
    result = schedule(children)
    assert {y.child for y in result.years} == {2, 3}
    assert note_codes(result)[:2] == [
        "scholarship.not_qualifying.married",
        "scholarship.children_left_out",
    ]
    (left_out,) = [n for n in result.notes if n.code == "scholarship.children_left_out"]
    assert dict(left_out.data) == {"max": 2, "count": 1}


# --- JKM needs 3 years of contributions, JKK none --------------------------------------------


@pytest.mark.parametrize(("months", "eligible"), [(0, False), (35, False), (36, True)])
def test_jkm_scholarship_needs_36_months_of_contributions(months: int, eligible: bool) -> None:
    breakdown = jkm_benefit(
        PARAMS, children=[kid("sma", 16)], contribution_months=months, event_date=EVENT
    )
    if eligible:
        assert amounts(breakdown)["scholarship.child_1.2026"] == 3_000_000
    else:
        assert breakdown.total == 42_000_000 and breakdown.schedule == ()
        assert note_codes(breakdown) == ["scholarship.not_eligible"]


def test_jkk_scholarship_has_no_minimum_on_death_or_total_permanent_disability() -> None:
    children = [kid("smp", 13)]
    death = jkk_benefit(
        PARAMS, income=1_000_000, death=True, children=children, event_date=EVENT, today=EVENT
    )
    assert amounts(death)["scholarship.child_1.2026"] == 2_000_000
    total = jkk_benefit(
        PARAMS, income=1_000_000, disability_percent=70, children=children, event_date=EVENT
    )
    assert amounts(total)["scholarship.child_1.2026"] == 2_000_000 and total.schedule
    partial = jkk_benefit(
        PARAMS, income=1_000_000, disability_percent=69, children=children, event_date=EVENT
    )
    assert not [c for c in amounts(partial) if c.startswith("scholarship")]
    assert partial.schedule == () and partial.notes == ()


# --- inputs ------------------------------------------------------------------------------


def test_unknown_school_level_or_a_string_is_refused() -> None:
    with pytest.raises(ValueError, match="sd"):
        schedule([Child("A", date(2015, 1, 1), "sd")])
    with pytest.raises(TypeError):
        schedule("smp")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        schedule(["smp"])  # type: ignore[list-item]


def test_children_need_the_event_date() -> None:
    with pytest.raises(ValueError, match="event_date"):
        jkm_benefit(PARAMS, children=[kid("smp", 13)], contribution_months=36)


def test_texts_render_for_every_line_and_note() -> None:
    breakdown = jkm_benefit(
        PARAMS,
        children=[kid("pt", 20, 1, working=True), kid("pt", 19, 2), kid("sma", None, 3)],
        contribution_months=36,
        event_date=EVENT,
        today=date(2027, 8, 1),
    )
    texts = [str(label(line)) for line in breakdown.lines]
    texts += [str(d) for line in breakdown.lines if (d := detail(line)) is not None]
    texts += [str(note_text(n)) for n in breakdown.notes]
    assert texts and all(t.strip() and "%(" not in t for t in texts)
    assert "Anak 2" in texts[3]


# --- properties ---------------------------------------------------------------------------

children_strategy = st.lists(
    st.builds(
        Child,
        st.just("Anak"),
        st.one_of(st.none(), st.dates(min_value=date(1995, 1, 1), max_value=date(2024, 12, 31))),
        st.sampled_from(SCHOOL_LEVELS),
        st.booleans(),
        st.booleans(),
    ),
    max_size=5,
)


@FAST
@given(
    children=children_strategy,
    cap=st.integers(min_value=0, max_value=300_000_000),
    late=st.integers(min_value=0, max_value=6),
)
def test_the_schedule_keeps_every_limit(children: list[Child], cap: int, late: int) -> None:
    today = date(EVENT.year + late, 8, 1)
    result = schedule(children, today=today, scholarship__max_total=cap)
    assert result.total <= cap
    assert len({y.child for y in result.years}) <= 2
    for year in result.years:
        child = children[year.child - 1]
        assert not child.married and not child.working
        assert year.age is None or year.age < 23
        assert 0 < year.amount <= PER_YEAR[year.level] == year.per_year
        assert year.paid_now == (year.school_year <= today.year)
    for number in {y.child for y in result.years}:
        mine = [y.school_year for y in result.years if y.child == number]
        assert mine == list(range(EVENT.year, EVENT.year + len(mine)))  # one year after another
        assert len(mine) <= 19  # 8 + 3 + 3 + 5


@FAST
@given(children=children_strategy, months=st.integers(min_value=0, max_value=600))
def test_jkm_total_is_the_base_plus_the_school_years_paid_now(children, months) -> None:
    breakdown = jkm_benefit(
        PARAMS, children=children, contribution_months=months, event_date=EVENT, today=EVENT
    )
    paid_now = sum(y.amount for y in breakdown.schedule if y.paid_now)
    assert breakdown.total == 42_000_000 + paid_now
    if months < 36:
        assert paid_now == 0
