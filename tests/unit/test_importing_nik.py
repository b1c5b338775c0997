"""check_nik: the NIK rules of domain.md, each problem in a clerk's words."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.importing import check_nik
from backoffice.importing.nik import nik_text

BANTEN = frozenset({"3601", "3602", "3603", "3604", "3671", "3672", "3673", "3674"})
BUDI_BORN = date(1990, 8, 17)
SITI_BORN = date(1985, 3, 12)


def problems(nik: object, birth_date: date | None = None, sex: str | None = None) -> list[str]:
    return [
        str(message)
        for message in check_nik(nik, birth_date=birth_date, sex=sex, known_regencies=BANTEN)
    ]


def test_valid_nik_of_a_man() -> None:
    assert problems("3604011708900001", BUDI_BORN, "L") == []


def test_nik_with_women_day_offset_is_valid_for_a_woman() -> None:
    # 12 March 1985 + 40 on the day: 52.
    assert problems("3673025203850002", SITI_BORN, "P") == []


def test_nik_with_women_day_offset_must_match_sex() -> None:
    (message,) = problems("3673025203850002", SITI_BORN, "L")
    assert "woman" in message and "Jenis Kelamin is L" in message


def test_man_nik_declared_as_woman_is_reported() -> None:
    (message,) = problems("3604011708900001", BUDI_BORN, "P")
    assert "man's" in message and "Jenis Kelamin is P" in message


def test_nik_without_stated_birth_date_or_sex_is_checked_on_its_own() -> None:
    assert problems("3604011708900001") == []
    assert problems("3604015203850002") == []


@pytest.mark.parametrize("nik", ["360401170890001", "36040117089000011", "3604"])
def test_nik_must_have_16_digits(nik: str) -> None:
    assert problems(nik, BUDI_BORN, "L") == [f"The NIK must have 16 digits, found {len(nik)}."]


@pytest.mark.parametrize(
    "nik", ["3604O11708900001", "3604-0117-0890-0001", "3604 0117 0890 0001", "٣٦٠٤٠١١٧٠٨٩٠٠٠٠١"]
)
def test_nik_must_contain_only_ascii_digits(nik: str) -> None:
    (message,) = problems(nik)
    assert "only the digits 0-9" in message


def test_missing_digits_are_never_guessed() -> None:
    # Only the length is reported: the position of every later part is unknown.
    assert len(problems("36040117089001", BUDI_BORN, "P")) == 1


def test_unknown_regency_is_reported() -> None:
    (message,) = problems("3275011708900001", BUDI_BORN, "L")
    assert "3275" in message and "regency" in message


def test_district_00_is_reported() -> None:
    (message,) = problems("3604001708900001", BUDI_BORN, "L")
    assert "district" in message


@pytest.mark.parametrize("day", ["00", "32", "40", "72", "99"])
def test_birth_day_must_be_01_31_or_41_71(day: str) -> None:
    (message,) = problems(f"360401{day}08900001")
    assert f"({day})" in message and "41-71" in message


@pytest.mark.parametrize("month", ["00", "13", "99"])
def test_birth_month_must_be_01_12(month: str) -> None:
    (message,) = problems(f"36040117{month}900001")
    assert f"({month})" in message and "month" in message


@pytest.mark.parametrize("nik", ["3604013102900001", "3604017102900001", "3604013104900001"])
def test_31_february_and_31_april_are_not_real_dates(nik: str) -> None:
    (message,) = problems(nik)
    assert "not a real calendar date" in message


def test_29_february_depends_on_the_century_from_the_birth_date() -> None:
    assert problems("3604012902000001", date(2000, 2, 29), "L") == []
    # Without a birth date, 2000 makes 29/02/00 a real date.
    assert problems("3604012902000001") == []
    # 29/02/01 exists in no century.
    assert "not a real calendar date" in problems("3604012902010001")[0]


@pytest.mark.parametrize(
    ("born", "shown"),
    [
        (date(1990, 8, 18), "18/08/1990"),  # day
        (date(1990, 9, 17), "17/09/1990"),  # month
        (date(1991, 8, 17), "17/08/1991"),  # year
    ],
)
def test_birth_date_must_match_the_nik(born: date, shown: str) -> None:
    (message,) = problems("3604011708900001", born, "L")
    assert "17/08/90" in message and shown in message


def test_century_is_resolved_with_the_stated_birth_date() -> None:
    assert problems("3604011708050001", date(2005, 8, 17), "L") == []
    assert problems("3604011708050001", date(1905, 8, 17), "L") == []


def test_serial_0000_is_reported() -> None:
    (message,) = problems("3604011708900000", BUDI_BORN, "L")
    assert "0000" in message


@pytest.mark.parametrize(
    "nik",
    [
        "3.60401E+15",
        "3,60401E+15",
        "3.60401e+15",
        "3E+15",
    ],
)
def test_nik_in_scientific_notation_asks_to_format_the_column_as_text(nik: str) -> None:
    (message,) = problems(nik, BUDI_BORN, "L")
    assert "Format the NIK column as Text" in message


@pytest.mark.parametrize("nik", [3604011708900000, 3.60401e15, 360401170890, "3604011708900010.0"])
def test_numeric_nik_cell_asks_to_format_the_column_as_text(nik: float) -> None:
    """Fewer than 16 digits, or a 0 last (what Excel's 15 significant digits leave): digits may
    be lost, the NIKs are typed again."""
    (message,) = problems(nik, BUDI_BORN, "L")
    assert "Format the NIK column as Text" in message and "are lost" in message


@pytest.mark.parametrize(
    "nik", [3604011708900001, 3604011708900001.0, "3604011708900001.0", "3604011708900001,00"]
)
def test_a_numeric_nik_with_all_16_digits_does_not_say_they_are_lost(nik: object) -> None:
    """A 16-digit number whose last digit is not 0 still has every digit: the message quotes
    them and asks only for the column to be text."""
    (message,) = problems(nik, BUDI_BORN, "L")
    assert "(3604011708900001)" in message and "16 digits are all there" in message
    assert "lost." not in message and "type the NIKs again" not in message
    assert "format the NIK column as Text" in message


def test_all_problems_are_reported_together() -> None:
    # Unknown regency, district 00, a woman's day for a man, birth date
    # mismatch, serial 0000.
    found = problems("9999005708900000", date(1990, 8, 18), "L")
    assert len(found) == 5, found


def test_surrounding_spaces_and_a_leading_apostrophe_are_not_part_of_the_nik() -> None:
    assert problems("  3604011708900001 ", BUDI_BORN, "L") == []
    assert problems("'3604011708900001", BUDI_BORN, "L") == []
    assert nik_text(" '3604011708900001 ") == "3604011708900001"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_nik_is_reported(value: object) -> None:
    assert problems(value) == ["The NIK is empty."]


def test_nik_text_is_only_for_16_ascii_digits() -> None:
    assert nik_text("3604011708900001") == "3604011708900001"
    for value in (3604011708900001, "360401170890000", "3.60401E+15", None, "٣٦٠٤٠١١٧٠٨٩٠٠٠٠١"):
        assert nik_text(value) is None


def test_known_regencies_can_be_any_container() -> None:
    assert check_nik("3604011708900001", known_regencies={"3604"}) == []
    assert len(check_nik("3604011708900001", known_regencies=[])) == 1
