"""The NIK rule: its layout, and the findings a caller puts in a clerk's words."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.rules import Finding
from backoffice.rules import nik as rule
from backoffice.rules.nik import birth_years, is_nik_shaped, make_nik, nik_findings

BANTEN = frozenset({"3601", "3602", "3603", "3604", "3671", "3672", "3673", "3674"})


def codes(text: str, **stated: object) -> list[str]:
    return [f.code for f in nik_findings(text, known_regencies=BANTEN, **stated)]


def test_a_man_and_a_woman_born_the_same_day() -> None:
    born = date(1990, 8, 17)
    assert make_nik("3604", 1, born, "L", 1) == "3604011708900001"
    assert make_nik("3604", 1, born, "P", 1) == "3604015708900001"  # day + 40
    assert make_nik("3673", 12, date(2005, 3, 2), "P", 9999) == "3673124203059999"


def test_a_nik_made_by_the_rule_agrees_with_its_person() -> None:
    for born in (date(1960, 1, 1), date(2000, 2, 29), date(1985, 12, 31)):
        for sex in "LP":
            nik = make_nik("3604", 7, born, sex, 42)
            assert is_nik_shaped(nik)
            assert nik_findings(nik, birth_date=born, sex=sex, known_regencies=BANTEN) == []


@pytest.mark.parametrize(
    "text", ["360401170890001", "36040117089000011", "3604O11708900001", "٣٦٠٤٠١١٧٠٨٩٠٠٠٠١"]
)
def test_only_sixteen_ascii_digits_are_shaped_like_a_nik(text: str) -> None:
    assert not is_nik_shaped(text)


def test_every_finding_has_its_code_and_figures_in_the_order_of_the_digits() -> None:
    found = nik_findings(
        "9999005708900000", birth_date=date(1990, 8, 18), sex="L", known_regencies=BANTEN
    )
    assert found == [
        Finding(rule.UNKNOWN_REGENCY, {"code": "9999"}),
        Finding(rule.DISTRICT_00),
        Finding(rule.BIRTH_DATE_DIFFERS, {"nik_date": "17/08/90", "birth_date": date(1990, 8, 18)}),
        Finding(rule.WOMAN_BUT, {"sex": "L"}),
        Finding(rule.SERIAL_0000),
    ]


def test_day_and_month_out_of_range() -> None:
    assert nik_findings("3604017213900001", known_regencies=BANTEN) == [
        Finding(rule.NOT_A_BIRTH_DAY, {"digits": "72"}),
        Finding(rule.NOT_A_BIRTH_MONTH, {"digits": "13"}),
    ]
    assert codes("3604011708900001", sex="P") == [rule.MAN_BUT]


def test_the_century_comes_from_the_stated_birth_date() -> None:
    assert birth_years(5, date(2005, 8, 17)) == (2005,)
    assert birth_years(5, date(1905, 8, 17)) == (1905,)
    assert birth_years(5, date(1990, 8, 17)) == (1905, 2005)
    assert birth_years(5, None) == (1905, 2005)
    # 29/02/00 is real in 2000 only: without a stated date either century may hold it.
    assert codes("3604012902000001") == []
    assert codes("3604012902000001", birth_date=date(1900, 2, 28)) == [rule.NOT_A_REAL_DATE]
    assert codes("3604012902010001") == [rule.NOT_A_REAL_DATE]


def _kemendagri_codes() -> frozenset[str]:
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations/data/kemendagri_regencies.csv"
    with open(path, encoding="utf-8", newline="") as f:
        return frozenset(row["code"] for row in csv.DictReader(f))


def test_a_nik_from_any_regency_of_indonesia_is_valid_one_of_none_is_not() -> None:
    """Domain: "the region part is where the NIK was first issued, not the current address. So
    every Kemendagri province+regency code of Indonesia (about 514 regencies/cities) is valid in
    a NIK, not only Banten's". 3322 is Kabupaten Semarang; no province has the code 99."""
    everywhere = _kemendagri_codes()
    assert len(everywhere) == 514 and BANTEN <= everywhere
    semarang = make_nik("3322", 1, date(1990, 8, 17), "L", 1)
    assert nik_findings(semarang, known_regencies=everywhere) == []
    assert nik_findings("9999011708900001", known_regencies=everywhere) == [
        Finding(rule.UNKNOWN_REGENCY, {"code": "9999"})
    ]
