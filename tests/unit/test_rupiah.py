"""parse_rupiah: one reading of a rupiah amount for the forms and the spreadsheets.

domain.md: amounts are whole rupiah (contributions, income levels, costs and benefits); a clerk
writes them the Indonesian way, 45.000.000, often with "Rp" before them (issue #18).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.importing.parsers import ParseError, group_thousands, parse_income, parse_rupiah


@pytest.mark.parametrize(
    "text",
    [
        "45.000.000",
        "45000000",
        "Rp 45.000.000",
        "Rp45.000.000",
        "rp. 45.000.000",
        "  45.000.000  ",
        "45 000 000",
        "Rp 45.000.000,-",
        "45.000.000,00",
        "IDR 45000000",
        "45,000,000",
        45_000_000,
        45_000_000.0,
    ],
)
def test_a_clerks_ways_of_writing_an_amount_are_one_amount(text: object) -> None:
    assert parse_rupiah(text) == 45_000_000


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("45.000.000,50", "rupiah are whole"),
        ("45,5", "rupiah are whole"),
        ("45.5", "rupiah are whole"),
        (45.5, "rupiah are whole"),
        ("-45.000", "cannot be negative"),
        ("Rp -45.000", "cannot be negative"),
        ("", "Enter the amount"),
        ("   ", "Enter the amount"),
        (None, "Enter the amount"),
        ("empat puluh lima juta", "not an amount in rupiah"),
        ("45.0000.000", "not an amount in rupiah"),
        ("Rp", "not an amount in rupiah"),
        ("1" + "0" * 40, "not an amount in rupiah"),
    ],
)
def test_cents_negatives_blanks_and_words_are_refused_with_the_reason(
    text: object, words: str
) -> None:
    with pytest.raises(ParseError) as refused:
        parse_rupiah(text)
    assert words in str(refused.value)


def test_above_the_maximum_the_message_names_the_maximum() -> None:
    assert parse_rupiah("2.147.483.647", maximum=2**31 - 1) == 2**31 - 1
    with pytest.raises(ParseError) as refused:
        parse_rupiah("2.147.483.648", maximum=2**31 - 1)
    assert str(refused.value) == "2.147.483.648 is too large: at most Rp2.147.483.647."
    with pytest.raises(ParseError, match="too large"):
        parse_rupiah("9" * 20, maximum=10**10)


def test_the_spreadsheets_income_reads_the_same_text() -> None:
    for text in ("45.000.000", "Rp 45.000.000", "45000000", "45,000,000.00"):
        assert parse_income(text) == parse_rupiah(text)
    with pytest.raises(ParseError, match="rupiah are whole"):
        parse_income("1.000.000,50")


@given(
    st.integers(min_value=0, max_value=10**15), st.booleans(), st.sampled_from(["", "Rp", "Rp "])
)
def test_a_grouped_amount_reads_back(amount: int, grouped: bool, prefix: str) -> None:
    text = prefix + (group_thousands(amount) if grouped else str(amount))
    assert parse_rupiah(text) == amount


def test_group_thousands() -> None:
    assert group_thousands(45_000_000) == "45.000.000"
    assert group_thousands(999) == "999"
    assert group_thousands(0) == "0"
    assert group_thousands(-1_500) == "-1.500"
