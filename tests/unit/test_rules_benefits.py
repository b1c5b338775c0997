"""Benefit amounts of BPU claims (PP 82/2019, domain.md): every rule and cap, no database.

Assertions are on line codes, amounts and note figures; texts are only checked to render.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest
from flask import Flask
from flask_babel import Babel, force_locale, lazy_gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.benefit_texts import detail, label, note_text
from backoffice.i18n import TRANSLATIONS_DIR
from backoffice.rules.benefits import (
    SCHOOL_LEVELS,
    Breakdown,
    Child,
    jht_benefit,
    jkk_benefit,
    jkm_benefit,
)
from backoffice.rules.jht import JhtContribution, JhtStatement, jht_statement
from backoffice.rules.parameters import MissingParameter

PARAMS: dict[str, int] = {
    "jkm.lump_sum": 20_000_000,
    "jkm.periodic": 12_000_000,
    "jkm.funeral": 10_000_000,
    "scholarship.min_contribution_months": 36,
    "scholarship.max_children": 2,
    "scholarship.max_total": 174_000_000,
    "scholarship.tk_sd.per_year": 1_500_000,
    "scholarship.tk_sd.max_years": 8,
    "scholarship.smp.per_year": 2_000_000,
    "scholarship.smp.max_years": 3,
    "scholarship.sma.per_year": 3_000_000,
    "scholarship.sma.max_years": 3,
    "scholarship.pt.per_year": 12_000_000,
    "scholarship.pt.max_years": 5,
    "scholarship.max_age": 23,
    "scholarship.school_year_start_month": 7,
    "jkk.transport.land": 5_000_000,
    "jkk.transport.sea": 2_000_000,
    "jkk.transport.air": 10_000_000,
    "jkk.stmb.full_months": 12,
    "jkk.stmb.reduced_percent": 50,
    "jkk.stmb.days_per_month": 30,
    "jkk.disability.factor": 80,
    "jkk.disability.total_percent": 70,
    "jkk.death.factor": 48,
    "jkk.death.funeral": 10_000_000,
    "jkk.death.periodic": 12_000_000,
}
INCOME = 1_000_000
EVENT = date(2026, 9, 15)  # school year 2026/2027
#: A child at each level, in its first year (the scholarship's own tests:
#: test_rules_scholarship.py).
CHILD = {
    "tk_sd": Child("Anak TK", date(2020, 3, 1), "tk_sd"),
    "smp": Child("Anak SMP", date(2013, 3, 1), "smp"),
    "sma": Child("Anak SMA", date(2010, 3, 1), "sma"),
    "pt": Child("Anak PT", date(2007, 3, 1), "pt"),
}
JKM_BASE = {"jkm.lump_sum": 20_000_000, "jkm.periodic": 12_000_000, "jkm.funeral": 10_000_000}
CAPS = {"land": 5_000_000, "sea": 2_000_000, "air": 10_000_000}
PER_YEAR = {"tk_sd": 1_500_000, "smp": 2_000_000, "sma": 3_000_000, "pt": 12_000_000}
FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def amounts(breakdown: Breakdown) -> dict[str, int]:
    return {line.code: line.amount for line in breakdown.lines}


def note(breakdown: Breakdown, code: str):  # noqa: ANN201 - a Note
    (found,) = [n for n in breakdown.notes if n.code == code]
    return found


def note_codes(breakdown: Breakdown) -> list[str]:
    return [n.code for n in breakdown.notes]


def note_data(notes: list, code: str) -> dict[str, int]:
    (found,) = [n for n in notes if n.code == code]
    return dict(found.data)


def with_params(**changes: int) -> dict[str, int]:
    return {**PARAMS, **{key.replace("__", "."): value for key, value in changes.items()}}


# --- JKM --------------------------------------------------------------------------------


def test_jkm_without_children_is_42_million() -> None:
    breakdown = jkm_benefit(PARAMS, contribution_months=1)
    assert amounts(breakdown) == {
        "jkm.lump_sum": 20_000_000,
        "jkm.periodic": 12_000_000,
        "jkm.funeral": 10_000_000,
    }
    assert breakdown.total == 42_000_000
    assert breakdown.notes == ()


def test_jkm_without_children_needs_no_scholarship_parameters() -> None:
    assert jkm_benefit(JKM_BASE, contribution_months=0).total == 42_000_000


def test_negative_contribution_months_are_refused() -> None:
    with pytest.raises(ValueError):
        jkm_benefit(PARAMS, contribution_months=-1)


# --- JKK: treatment and transport ----------------------------------------------------------


def test_treatment_is_reimbursed_in_full() -> None:
    breakdown = jkk_benefit(PARAMS, income=INCOME, treatment_cost=87_654_321)
    assert amounts(breakdown) == {"jkk.treatment": 87_654_321}


def test_nothing_to_pay_gives_no_lines() -> None:
    breakdown = jkk_benefit(PARAMS, income=INCOME)
    assert breakdown.lines == () and breakdown.total == 0


@pytest.mark.parametrize("mode", sorted(CAPS))
@pytest.mark.parametrize("offset", [-1, 0, 1, 7_000_000])
def test_transport_is_capped_per_mode(mode: str, offset: int) -> None:
    cap = CAPS[mode]
    cost = cap + offset
    breakdown = jkk_benefit(PARAMS, income=INCOME, transport_mode=mode, transport_cost=cost)
    (line,) = breakdown.lines
    assert line.code == "jkk.transport"
    assert line.amount == min(cost, cap)
    # the detail shows the cap only when it reduced the cost
    assert (detail(line) is not None) == (cost > cap)


def test_transport_needs_a_known_mode() -> None:
    with pytest.raises(ValueError, match="transport_mode"):
        jkk_benefit(PARAMS, income=INCOME, transport_cost=100_000)
    with pytest.raises(ValueError, match="rail"):
        jkk_benefit(PARAMS, income=INCOME, transport_mode="rail", transport_cost=100_000)


def test_transport_mode_without_cost_gives_no_line() -> None:
    assert jkk_benefit(PARAMS, income=INCOME, transport_mode="air").lines == ()


# --- JKK: temporary disability (STMB) -------------------------------------------------------


def test_stmb_100_days_at_full_income() -> None:
    # 1.000.000 / 30 a day x 100 days = 3.333.333,33
    breakdown = jkk_benefit(PARAMS, income=INCOME, stmb_days=100)
    assert amounts(breakdown) == {"jkk.stmb.full": 3_333_333}


def test_stmb_exactly_twelve_months_is_one_line() -> None:
    breakdown = jkk_benefit(PARAMS, income=INCOME, stmb_days=360)
    assert amounts(breakdown) == {"jkk.stmb.full": 12_000_000}


def test_stmb_beyond_twelve_months_is_paid_at_half() -> None:
    # 40 days x 33.333,33 x 50% = 666.666,67
    breakdown = jkk_benefit(PARAMS, income=INCOME, stmb_days=400)
    assert amounts(breakdown) == {"jkk.stmb.full": 12_000_000, "jkk.stmb.reduced": 666_667}


def test_stmb_rounds_half_up_to_whole_rupiah() -> None:
    # 1.000.035 / 30 = 33.334,5 a day: half up gives 33.335 (banker's rounding would give 33.334)
    assert amounts(jkk_benefit(PARAMS, income=1_000_035, stmb_days=1)) == {"jkk.stmb.full": 33_335}
    # 33.334,5 x 50% = 16.667,25
    reduced = amounts(jkk_benefit(PARAMS, income=1_000_035, stmb_days=361))
    assert reduced == {"jkk.stmb.full": 12_000_420, "jkk.stmb.reduced": 16_667}


def test_stmb_parameters_are_read_from_the_mapping() -> None:
    params = with_params(jkk__stmb__full_months=6, jkk__stmb__reduced_percent=75)
    breakdown = jkk_benefit(params, income=3_000_000, stmb_days=200)
    # 180 days x 100.000, then 20 days x 100.000 x 75%
    assert amounts(breakdown) == {"jkk.stmb.full": 18_000_000, "jkk.stmb.reduced": 1_500_000}


# --- JKK: permanent disability and death --------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "amount"),
    [
        (10, 8_000_000),  # 10% x 80 x 1.000.000
        (Decimal("12.5"), 10_000_000),
        (70, 56_000_000),
        (100, 56_000_000),  # capped at 70%: total permanent disability
    ],
)
def test_permanent_disability(percent: int | Decimal, amount: int) -> None:
    breakdown = jkk_benefit(PARAMS, income=INCOME, disability_percent=percent)
    assert amounts(breakdown) == {"jkk.disability": amount}


def test_disability_rounds_half_up() -> None:
    # 0,0625% x 80 x 1.000.010 = 50.000,5: half up gives 50.001 (banker's rounding 50.000)
    breakdown = jkk_benefit(PARAMS, income=1_000_010, disability_percent=Decimal("0.0625"))
    assert amounts(breakdown) == {"jkk.disability": 50_001}


@pytest.mark.parametrize("percent", [-1, 101, Decimal("100.01"), Decimal("NaN")])
def test_disability_percent_must_be_between_0_and_100(percent: int | Decimal) -> None:
    with pytest.raises(ValueError, match="disability_percent"):
        jkk_benefit(PARAMS, income=INCOME, disability_percent=percent)


def test_death_from_work_accident() -> None:
    breakdown = jkk_benefit(PARAMS, income=INCOME, death=True)
    assert amounts(breakdown) == {
        "jkk.death.lump_sum": 48_000_000,
        "jkk.death.funeral": 10_000_000,
        "jkk.death.periodic": 12_000_000,
    }
    assert breakdown.total == 70_000_000


def test_on_death_disability_is_not_paid_but_incurred_costs_are() -> None:
    breakdown = jkk_benefit(
        PARAMS,
        income=INCOME,
        treatment_cost=4_000_000,
        transport_mode="land",
        transport_cost=6_000_000,
        stmb_days=30,
        disability_percent=50,
        death=True,
    )
    assert amounts(breakdown) == {
        "jkk.treatment": 4_000_000,
        "jkk.transport": 5_000_000,
        "jkk.stmb.full": 1_000_000,
        "jkk.death.lump_sum": 48_000_000,
        "jkk.death.funeral": 10_000_000,
        "jkk.death.periodic": 12_000_000,
    }
    assert note_codes(breakdown) == ["jkk.disability_not_paid"]


@pytest.mark.parametrize("income", [0, -1_000_000])
def test_income_must_be_positive(income: int) -> None:
    with pytest.raises(ValueError, match="income"):
        jkk_benefit(PARAMS, income=income)


@pytest.mark.parametrize("field", ["treatment_cost", "transport_cost", "stmb_days"])
def test_negative_jkk_inputs_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        jkk_benefit(PARAMS, income=INCOME, transport_mode="land", **{field: -1})


def test_non_integer_amounts_are_refused() -> None:
    with pytest.raises(TypeError):
        jkk_benefit(PARAMS, income=1_000_000.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        jkk_benefit(PARAMS, income=INCOME, stmb_days=True)  # type: ignore[arg-type]


# --- JHT --------------------------------------------------------------------------------


def statement(*payments: tuple[date, int], until: date = date(2026, 7, 1)) -> JhtStatement:
    rates = {2024: Decimal(6), 2025: Decimal("5.5")}
    return jht_statement([JhtContribution(d, a) for d, a in payments], rates, until)


def test_jht_pays_contributions_plus_returns_one_line_per_year() -> None:
    """domain.md: "JHT: balance of contributions plus returns" (PP 82/2019)."""
    breakdown = jht_benefit(statement((date(2024, 1, 10), 1_200_000), (date(2025, 6, 10), 600_000)))
    # 2024: 1.200.000 x 6% x 11/12 = 66.000; 2025: 1.266.000 x 5,5% + 600.000 x 5,5% x 6/12
    # = 69.630 + 16.500; 2026 (January-June, 2025's rate): 1.952.130 x 5,5% x 6/12 = 53.683,58
    assert amounts(breakdown) == {
        "jht.year.2024": 1_266_000,
        "jht.year.2025": 686_130,
        "jht.year.2026": 53_684,
    }
    assert breakdown.total == 2_005_814 == 1_800_000 + 66_000 + 86_130 + 53_684
    assert [(n.code, dict(n.data)) for n in breakdown.notes] == [
        ("jht.rate_assumed", {"year": 2026, "rate_year": 2025})
    ]


def test_jht_total_is_the_statements_balance() -> None:
    s = statement((date(2024, 3, 1), 30_000), (date(2024, 4, 1), 30_000))
    assert jht_benefit(s).total == s.balance == s.contributions + s.returns


def test_jht_without_contributions_pays_nothing() -> None:
    breakdown = jht_benefit(statement())
    assert breakdown.lines == () and breakdown.total == 0


# --- parameters ---------------------------------------------------------------------------


def compute_everything(params: dict[str, int]) -> None:
    """Calls that, together, read every parameter."""
    for level in SCHOOL_LEVELS:
        jkm_benefit(params, children=[CHILD[level]], contribution_months=36, event_date=EVENT)
    for mode in CAPS:
        jkk_benefit(params, income=INCOME, transport_mode=mode, transport_cost=1)
    jkk_benefit(params, income=INCOME, stmb_days=400, disability_percent=10)
    jkk_benefit(params, income=INCOME, death=True)


def test_all_parameters_present_compute() -> None:
    compute_everything(PARAMS)


@pytest.mark.parametrize("key", sorted(PARAMS))
def test_missing_parameter_is_named(key: str) -> None:
    params = {k: v for k, v in PARAMS.items() if k != key}
    with pytest.raises(MissingParameter) as raised:
        compute_everything(params)
    assert raised.value.key == key
    assert key in str(raised.value)


@pytest.mark.parametrize("value", [1.5, "20000000", None, True, -1, Decimal("-1")])
def test_invalid_parameter_values_are_refused(value: object) -> None:
    params = {**PARAMS, "jkm.funeral": value}
    with pytest.raises(ValueError, match="jkm.funeral"):
        jkm_benefit(params, contribution_months=0)


def test_decimal_parameters_are_accepted() -> None:
    params = {**PARAMS, "jkk.stmb.reduced_percent": Decimal("62.5")}
    breakdown = jkk_benefit(params, income=3_000_000, stmb_days=370)
    # 10 days x 100.000 x 62,5%
    assert amounts(breakdown)["jkk.stmb.reduced"] == 625_000


def test_days_per_month_must_be_positive() -> None:
    with pytest.raises(ValueError, match="days_per_month"):
        jkk_benefit(with_params(jkk__stmb__days_per_month=0), income=INCOME, stmb_days=1)


def test_deterministic_and_inputs_untouched() -> None:
    params = MappingProxyType(dict(PARAMS))  # a read-only mapping works too
    children = [CHILD["pt"], CHILD["sma"], CHILD["smp"]]
    before = (copy.deepcopy(dict(params)), list(children))
    first = jkm_benefit(params, children=children, contribution_months=48, event_date=EVENT)
    second = jkm_benefit(params, children=children, contribution_months=48, event_date=EVENT)
    assert first == second and first.total == second.total
    assert [(n.code, dict(n.data)) for n in first.notes] == [
        (n.code, dict(n.data)) for n in second.notes
    ]
    assert (dict(params), children) == before
    kwargs = {"income": INCOME, "stmb_days": 400, "disability_percent": 100}
    assert jkk_benefit(params, **kwargs) == jkk_benefit(params, **kwargs)


def test_results_are_immutable() -> None:
    breakdown = jht_benefit(statement((date(2025, 1, 1), 1)))
    with pytest.raises(AttributeError):
        breakdown.lines = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        breakdown.lines[0].amount = 2  # type: ignore[misc]
    assert isinstance(breakdown.lines, tuple) and isinstance(breakdown.notes, tuple)


# --- texts render (without an app, and in both languages) --------------------------------


def text_objects(breakdown: Breakdown) -> list:
    """The lazy texts of a breakdown: labels, details, notes."""
    texts = [label(line) for line in breakdown.lines]
    texts += [d for line in breakdown.lines if (d := detail(line)) is not None]
    return texts + [note_text(n) for n in breakdown.notes]


def all_texts(breakdown: Breakdown) -> list[str]:
    return [str(text) for text in text_objects(breakdown)]


def sample_breakdowns() -> list[Breakdown]:
    return [
        jkm_benefit(
            PARAMS,
            children=[CHILD["tk_sd"], CHILD["smp"], CHILD["pt"]],
            contribution_months=40,
            event_date=EVENT,
        ),
        jkm_benefit(PARAMS, children=[CHILD["sma"]], contribution_months=12, event_date=EVENT),
        jkm_benefit(
            with_params(scholarship__max_total=1_000_000),
            children=[CHILD["pt"]],
            contribution_months=40,
            event_date=EVENT,
        ),
        jkk_benefit(
            PARAMS,
            income=INCOME,
            treatment_cost=1,
            transport_mode="sea",
            transport_cost=3_000_000,
            stmb_days=400,
            disability_percent=Decimal("80.5"),
        ),
        jkk_benefit(PARAMS, income=INCOME, disability_percent=5, death=True),
        jht_benefit(statement((date(2014, 5, 1), 1_000), (date(2024, 5, 1), 1_000))),
    ]


def test_texts_render_without_an_app() -> None:
    texts = [text for breakdown in sample_breakdowns() for text in all_texts(breakdown)]
    assert texts and all(text.strip() and "%(" not in text and "%%" not in text for text in texts)


@pytest.mark.parametrize("locale", ["id", "en"])
def test_texts_render_in_both_languages(locale: str) -> None:
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(TRANSLATIONS_DIR))
    with app.app_context(), force_locale(locale):
        texts = [text for breakdown in sample_breakdowns() for text in all_texts(breakdown)]
        assert texts and all(text.strip() and "%(" not in text for text in texts)
        error = str(MissingParameter("jkm.funeral"))
        assert "jkm.funeral" in error


def test_texts_are_a_msgid_with_flat_parameters() -> None:
    """Stored as msgid + parameters, a text renders again fully in the reader's language."""
    for breakdown in sample_breakdowns():
        for text in text_objects(breakdown):
            (msgid,) = text._args
            assert isinstance(msgid, str)
            assert all(isinstance(v, int | str) for v in text._kwargs.values())
            assert str(lazy_gettext(msgid, **text._kwargs)) == str(text)


def test_notes_are_escaped_in_html() -> None:
    (n,) = jkm_benefit(
        PARAMS, children=[CHILD["smp"]], contribution_months=1, event_date=EVENT
    ).notes
    text = note_text(n)
    assert text.__html__() == str(text)  # nothing to escape, but the method exists and escapes


# --- properties ---------------------------------------------------------------------------

levels = st.lists(st.sampled_from(SCHOOL_LEVELS), max_size=4)
rupiah = st.integers(min_value=0, max_value=10**11)


@FAST
@given(mode=st.sampled_from(sorted(CAPS)), cost=rupiah)
def test_transport_line_never_exceeds_the_cap(mode: str, cost: int) -> None:
    breakdown = jkk_benefit(PARAMS, income=INCOME, transport_mode=mode, transport_cost=cost)
    paid = amounts(breakdown).get("jkk.transport", 0)
    assert paid == min(cost, CAPS[mode]) <= CAPS[mode]


@FAST
@given(
    income=st.integers(min_value=1, max_value=10**9),
    treatment=rupiah,
    mode=st.sampled_from(sorted(CAPS)),
    transport=rupiah,
    days=st.integers(min_value=0, max_value=5_000),
    percent=st.decimals(min_value=0, max_value=100, places=2),
    death=st.booleans(),
    children=levels,
)
def test_jkk_total_is_the_sum_of_whole_rupiah_lines(
    income: int,
    treatment: int,
    mode: str,
    transport: int,
    days: int,
    percent: Decimal,
    death: bool,
    children: list[str],
) -> None:
    breakdown = jkk_benefit(
        PARAMS,
        income=income,
        treatment_cost=treatment,
        transport_mode=mode,
        transport_cost=transport,
        stmb_days=days,
        disability_percent=percent,
        death=death,
        children=[CHILD[level] for level in children],
        event_date=EVENT,
    )
    assert all(type(line.amount) is int and line.amount >= 0 for line in breakdown.lines)
    assert breakdown.total == sum(line.amount for line in breakdown.lines)
    codes = [line.code for line in breakdown.lines]
    assert len(codes) == len(set(codes))
    assert not (death and "jkk.disability" in codes)


@FAST
@given(
    income=st.integers(min_value=1, max_value=10**9),
    days=st.integers(min_value=0, max_value=2_000),
    more=st.integers(min_value=1, max_value=500),
)
def test_stmb_is_monotonic_in_days(income: int, days: int, more: int) -> None:
    fewer = jkk_benefit(PARAMS, income=income, stmb_days=days).total
    longer = jkk_benefit(PARAMS, income=income, stmb_days=days + more).total
    assert longer >= fewer
