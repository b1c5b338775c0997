"""validate_rows and the parsers: every registration rule, all problems of a row at once."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel
from jinja2 import Environment
from markupsafe import escape

from backoffice.importing import (
    ParseError,
    SourceRow,
    ValidatedRow,
    ValidationContext,
    parse_date,
    parse_income,
    parse_phone,
    parse_programmes,
    parse_sex,
    read_table,
    validate_rows,
)
from backoffice.rules.eligibility import AgeBounds
from backoffice.rules.nik import make_nik
from backoffice.rules.regencies import regency_lookup
from backoffice.rules.sectors import SectorTerms

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "backoffice" / "translations" / "id" / "LC_MESSAGES" / "messages-importing.po"
#: The importer's messages are translated in these catalogs (merged by ``make translations``).
PO_FILES = sorted(
    (ROOT / "backoffice" / "translations" / "id" / "LC_MESSAGES").glob("messages-*.po")
)
LEVELS = frozenset([1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 20_700_000])
BANTEN = frozenset({"3601", "3602", "3603", "3604", "3671", "3672", "3673", "3674"})
REGISTRATION = date(2025, 1, 15)
#: The registration ages of the reference data (migration 0013).
AGES = AgeBounds(15, 65)

BUDI: dict[str, Any] = {
    "nik": "3604011708900001",
    "name": "Budi Santoso",
    "birth_date": "17/08/1990",
    "sex": "L",
    "address": "Kp. Cibeber RT 001/RW 002",
    "phone": "0812-3456-7890",
    "occupation": "Petani",
    "income": "Rp 1.000.000",
    "programmes": "JKK, JKM",
}


def context(**changes: Any) -> ValidationContext:
    settings: dict[str, Any] = {
        "registration_date": REGISTRATION,
        "known_regencies": BANTEN,
        "income_levels": LEVELS,
        "registration_ages": AGES,
    }
    settings.update(changes)
    return ValidationContext(**settings)


def source(number: int = 2, **changes: Any) -> SourceRow:
    raw = {**BUDI, **changes}
    return SourceRow(number, raw, list(raw.values()))


def validate(*rows: SourceRow, ctx: ValidationContext | None = None) -> list[ValidatedRow]:
    return list(validate_rows(rows, ctx or context()))


def one(**changes: Any) -> ValidatedRow:
    (row,) = validate(source(**changes))
    return row


def problems_of(row: ValidatedRow) -> list[tuple[str, str]]:
    return [(problem.column, str(problem.message)) for problem in row.problems]


def nik_for(born: date, sex: str = "L", serial: int = 1, regency: str = "3604") -> str:
    return make_nik(regency, 1, born, sex, serial)


# --- a valid row --------------------------------------------------------------


def test_valid_row_gives_normalised_values() -> None:
    row = one(name="  Budi \t  Santoso ", sex="laki-laki", programmes="jkk jkm jht")
    assert row.valid and row.problems == []
    assert row.values == {
        "nik": "3604011708900001",
        "name": "Budi Santoso",
        "birth_date": date(1990, 8, 17),
        "sex": "L",
        "address": "Kp. Cibeber RT 001/RW 002",
        "phone": "081234567890",
        "occupation": "Petani",
        "income": 1_000_000,
        "programmes": frozenset({"JKK", "JKM", "JHT"}),
        "domicile": None,
        "sector": None,
    }
    assert row.number == 2
    assert row.original == list(
        {
            **BUDI,
            "name": "  Budi \t  Santoso ",
            "sex": "laki-laki",
            "programmes": "jkk jkm jht",
        }.values()
    )


def test_xlsx_typed_cells_are_accepted() -> None:
    row = one(birth_date=datetime(1990, 8, 17), income=1000000.0, phone=6281234567890)
    assert row.valid, problems_of(row)
    assert row.values is not None and row.values["phone"] == "081234567890"


def test_optional_columns_may_be_empty_or_absent() -> None:
    row = one(address="  ", phone=None, occupation="")
    assert row.valid
    assert row.values is not None
    assert (row.values["address"], row.values["phone"], row.values["occupation"]) == (
        None,
        None,
        None,
    )
    raw = {
        key: value for key, value in BUDI.items() if key not in ("address", "phone", "occupation")
    }
    (absent,) = validate(SourceRow(2, raw, list(raw.values())))
    assert absent.valid


# --- each rule ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["nik", "name", "birth_date", "sex", "income", "programmes"])
def test_required_columns_must_be_filled(field: str) -> None:
    row = one(**{field: "  "})
    assert not row.valid and row.values is None
    columns = [problem.column for problem in row.problems]
    header = {
        "nik": "NIK",
        "name": "Nama Lengkap",
        "birth_date": "Tanggal Lahir",
        "sex": "Jenis Kelamin",
        "income": "Penghasilan",
        "programmes": "Program",
    }[field]
    assert header in columns
    assert f"{header} is required." in [str(problem.message) for problem in row.problems]


def test_name_longer_than_100_characters_is_refused() -> None:
    assert one(name="A" * 100).valid
    (problem,) = one(name="A" * 101).problems
    assert problem.column == "Nama Lengkap" and "101" in str(problem.message)


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>",
        "=cmd|' /C calc'!A0",
        "+62 Budi",
        "@SUM(A1)",
        "-Budi",
        "O'Neil & <b>Sons</b>",
    ],
)
def test_markup_or_formula_in_a_name_is_kept_verbatim(name: str) -> None:
    row = one(name=name)
    assert row.valid, problems_of(row)
    assert row.values is not None and row.values["name"] == name


@pytest.mark.parametrize("value", ["17-08-1990", "1990-08-17", "17.08.1990", datetime(1990, 8, 17)])
def test_birth_date_forms(value: object) -> None:
    assert one(birth_date=value).valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17/08/90", "two-digit year"),
        ("31/02/1990", "not a real calendar date"),
        ("08/17/1990", "not a real calendar date"),
        ("kemarin", "not a date"),
        (32737, "is a number"),
    ],
)
def test_birth_date_must_be_a_real_date(value: object, expected: str) -> None:
    found = [
        message
        for column, message in problems_of(one(birth_date=value))
        if column == "Tanggal Lahir"
    ]
    assert len(found) == 1 and expected in found[0]


def _born(years_before: int, days: int = 0) -> date:
    on = REGISTRATION
    return date(on.year - years_before, on.month, on.day) + timedelta(days=days)


@pytest.mark.parametrize(
    ("born", "valid"),
    [
        (_born(15), True),  # 15 on the registration day
        (_born(15, days=1), False),  # 15 tomorrow
        (_born(65, days=1), True),  # 64, 65 tomorrow
        (_born(65), False),  # 65 on the registration day
    ],
)
def test_age_on_the_registration_date_is_from_15_to_under_65(born: date, valid: bool) -> None:
    row = one(nik=nik_for(born), birth_date=born.strftime("%d/%m/%Y"))
    assert row.valid is valid, problems_of(row)
    if not valid:
        ((column, message),) = problems_of(row)
        assert column == "Tanggal Lahir" and "years old" in message


def test_birth_date_after_the_registration_date_is_refused() -> None:
    born = date(2025, 3, 1)
    (problem,) = one(nik=nik_for(born), birth_date="01/03/2025").problems
    assert "after the registration date" in str(problem.message)


def test_age_limits_come_from_the_context() -> None:
    born = _born(14)
    ctx = context(registration_ages=AgeBounds(10, 60))
    (row,) = validate(source(nik=nik_for(born), birth_date=born.strftime("%d/%m/%Y")), ctx=ctx)
    assert row.valid


@pytest.mark.parametrize("value", ["X", "Pria?", "2"])
def test_sex_must_be_l_or_p(value: str) -> None:
    ((column, message),) = problems_of(one(sex=value))
    assert column == "Jenis Kelamin" and "L (laki-laki)" in message


def test_sex_must_agree_with_the_nik() -> None:
    ((column, message),) = problems_of(one(sex="P"))
    assert column == "NIK" and "man's" in message


def test_income_must_be_a_reference_level() -> None:
    ((column, message),) = problems_of(one(income="1.250.000"))
    assert column == "Penghasilan"
    assert "Rp1.250.000" in message and "Rp1.000.000" in message and "Rp20.700.000" in message


@pytest.mark.parametrize(
    "value", ["1000000", "1.000.000", "Rp1.000.000", "Rp 1.000.000,00", "1,000,000", 1000000, 1e6]
)
def test_income_forms(value: object) -> None:
    row = one(income=value)
    assert row.valid and row.values is not None and row.values["income"] == 1_000_000


def test_programmes_must_include_jkk_and_jkm() -> None:
    ((column, message),) = problems_of(one(programmes="JKK, JHT"))
    assert column == "Program" and "missing: JKM" in message


def test_unknown_programme_is_named() -> None:
    found = problems_of(one(programmes="JKK, JKM, JP, jkp"))
    ((column, message),) = found
    assert column == "Program" and "JKP, JP" in message


def test_jht_is_optional() -> None:
    assert one(programmes="JKK,JKM,JHT").valid
    assert one(programmes="JKK;JKM").valid


def test_phone_is_optional_but_must_be_plausible() -> None:
    ((column, message),) = problems_of(one(phone="0254-123456"))
    assert column == "No HP" and "0254-123456" in message


def test_address_and_occupation_are_trimmed() -> None:
    row = one(address="  Kp.  Cibeber\nRT 001 ", occupation=" Petani ")
    assert row.values is not None
    assert row.values["address"] == "Kp. Cibeber RT 001"
    assert row.values["occupation"] == "Petani"


def test_all_problems_of_a_row_are_reported_nik_first() -> None:
    row = one(
        nik="3.60401E+15",
        name="",
        birth_date="31/02/1990",
        sex="X",
        phone="12",
        income="999",
        programmes="JKP",
    )
    columns = [problem.column for problem in row.problems]
    assert columns == [
        "NIK",
        "Nama Lengkap",
        "Tanggal Lahir",
        "Jenis Kelamin",
        "No HP",
        "Penghasilan",
        "Program",
        "Program",
    ]
    assert row.values is None
    assert str(row.problems[0]).startswith("NIK: ")


def test_duplicate_nik_in_the_file_names_the_first_row() -> None:
    rows = validate(
        source(2), source(3, nik="3604015203850002", birth_date="12/03/1985", sex="P"), source(7)
    )
    assert [row.valid for row in rows] == [True, True, False]
    ((column, message),) = problems_of(rows[2])
    assert column == "NIK" and "row 2" in message


def test_existing_niks_are_looked_up_in_chunks_never_per_row() -> None:
    calls: list[list[str]] = []
    registered = nik_for(date(1990, 1, 1), serial=5)
    waiting = nik_for(date(1990, 1, 1), serial=1234)

    def existing(niks: list[str]) -> dict[str, str]:
        calls.append(list(niks))
        return {
            nik: status
            for nik, status in ((registered, "member"), (waiting, "pending"))
            if nik in niks
        }

    def rows() -> Iterator[SourceRow]:
        for serial in range(1, 2501):
            yield source(
                serial + 1, nik=nik_for(date(1990, 1, 1), serial=serial), birth_date="01/01/1990"
            )

    results = list(validate_rows(rows(), context(existing_niks=existing, chunk_size=1000)))
    assert [len(call) for call in calls] == [1000, 1000, 500]
    assert len({nik for call in calls for nik in call}) == 2500
    invalid = {row.number: problems_of(row) for row in results if not row.valid}
    assert invalid == {
        6: [("NIK", "This NIK is already registered as a BPJS Ketenagakerjaan member.")],
        1235: [("NIK", "This NIK is already waiting for verification in another batch.")],
    }


def test_existing_lookup_is_not_called_without_well_formed_niks() -> None:
    calls: list[list[str]] = []
    validate(source(nik="123"), ctx=context(existing_niks=lambda niks: calls.append(niks) or {}))
    assert calls == []


def test_existing_and_duplicate_problems_follow_the_nik_problems() -> None:
    nik = "3604011708900001"
    (row,) = validate(source(sex="P"), ctx=context(existing_niks=lambda niks: {nik: "member"}))
    assert [problem.column for problem in row.problems] == ["NIK", "NIK"]
    assert "already registered" in str(row.problems[1].message)


def test_validation_is_lazy() -> None:
    def endless() -> Iterator[SourceRow]:
        for number in itertools.count(2):
            yield source(
                number, nik=nik_for(date(1990, 1, 1), serial=number), birth_date="01/01/1990"
            )

    first = list(itertools.islice(validate_rows(endless(), context(chunk_size=10)), 25))
    assert [row.number for row in first] == list(range(2, 27))


def test_whole_file_through_reader_and_validator() -> None:
    data = (
        b"NIK;Nama Lengkap;Tanggal Lahir;Jenis Kelamin;Penghasilan;Program\r\n"
        b"3604011708900001;Budi;17/08/1990;L;1.000.000;JKK, JKM\r\n"
        b"3604011708900001;Budi lagi;17/08/1990;L;1.000.000;JKK, JKM\r\n"
        b"\r\n"
        b"3604015203850002;=cmd|' /C calc'!A0;12/03/1985;P;1500000;JKK,JKM,JHT\r\n"
    )
    rows = list(validate_rows(read_table(data, "p.csv").rows(), context()))
    assert [(row.number, row.valid) for row in rows] == [(2, True), (3, False), (5, True)]
    assert rows[2].values is not None and rows[2].values["name"] == "=cmd|' /C calc'!A0"


# --- parsers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17/08/1990", date(1990, 8, 17)),
        ("17-08-1990", date(1990, 8, 17)),
        ("1990-08-17", date(1990, 8, 17)),
        ("1990-08-17 00:00:00", date(1990, 8, 17)),
        ("7/8/1990", date(1990, 8, 7)),
        (" 07/08/1990 ", date(1990, 8, 7)),
        (date(1990, 8, 7), date(1990, 8, 7)),
        (datetime(1990, 8, 7, 0, 0), date(1990, 8, 7)),
    ],
)
def test_parse_date_accepted_forms(text: object, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "17/08/90",
        "1/1/01",
        "31/02/1990",
        "29/02/1990",
        "17/08-1990",
        "1990/08/17",
        "",
        "17 Agustus 1990",
        33000,
        True,
    ],
)
def test_parse_date_rejects(text: object) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(text)
    assert str(caught.value.message)


@pytest.mark.parametrize(
    "text",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "+6281234567890",
        "6281234567890",
        "+62 812-3456-7890",
        "(0812) 3456.7890",
        81234567890,
        6281234567890.0,
    ],
)
def test_parse_phone_normalises_indonesian_mobiles(text: object) -> None:
    assert parse_phone(text) == "081234567890"


@pytest.mark.parametrize(
    "text",
    [
        "0254-123456",
        "0812345",
        "08123456789012345",
        "+1 202 555 0100",
        "081234567890 / 081298765432",
        "abc",
        "",
        8.1e9 + 0.5,
    ],
)
def test_parse_phone_rejects(text: object) -> None:
    with pytest.raises(ParseError):
        parse_phone(text)


def test_parse_phone_accepts_8_to_11_digits_after_08() -> None:
    assert parse_phone("08" + "1" * 8) == "0811111111"
    assert parse_phone("08" + "1" * 11) == "08" + "1" * 11
    for digits in (7, 12):
        with pytest.raises(ParseError):
            parse_phone("08" + "1" * digits)


@pytest.mark.parametrize(
    "text",
    [
        "1000000",
        "1.000.000",
        "Rp1.000.000",
        "Rp 1.000.000,00",
        "Rp. 1.000.000,-",
        "1,000,000",
        "1,000,000.00",
        "IDR 1000000",
        1000000,
        1000000.0,
    ],
)
def test_parse_income_accepted_forms(text: object) -> None:
    assert parse_income(text) == 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "1.000.000,50",
        "satu juta",
        "1 juta",
        "-1000000",
        "Rp",
        "1.0000.000",
        "",
        True,
        1000000.5,
        float("nan"),
    ],
)
def test_parse_income_rejects(text: object) -> None:
    with pytest.raises(ParseError):
        parse_income(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L", "L"),
        ("l", "L"),
        ("Laki-laki", "L"),
        ("LAKI LAKI", "L"),
        ("p", "P"),
        ("Perempuan", "P"),
        (" PEREMPUAN ", "P"),
    ],
)
def test_parse_sex(text: str, expected: str) -> None:
    assert parse_sex(text) == expected


@pytest.mark.parametrize("text", ["X", "", "Male", "LP"])
def test_parse_sex_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_sex(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JKK,JKM", {"JKK", "JKM"}),
        ("JKK, JKM, JHT", {"JKK", "JKM", "JHT"}),
        ("JKK;JKM", {"JKK", "JKM"}),
        ("jkk jkm", {"JKK", "JKM"}),
        ("JKK dan JKM", {"JKK", "JKM"}),
        ("JKK/JKM/JKP", {"JKK", "JKM", "JKP"}),
    ],
)
def test_parse_programmes(text: str, expected: set[str]) -> None:
    assert parse_programmes(text) == frozenset(expected)


@pytest.mark.parametrize("text", ["", " , ; ", None])
def test_parse_programmes_rejects_empty(text: object) -> None:
    with pytest.raises(ParseError):
        parse_programmes(text)


# --- messages in Indonesian ----------------------------------------------------------


def _importing_msgids() -> set[str]:
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "backoffice" / "importing"),
            method_map=[("**.py", "python")],
            keywords={"_l": None},
        )
    }


def test_every_message_has_an_indonesian_translation() -> None:
    translated: set[str] = set()
    for path in PO_FILES:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="id")
        assert list(catalog.check()) == []  # placeholders agree
        translated |= {message.id for message in catalog if message.id and message.string}
    assert sorted(_importing_msgids() - translated) == []


@pytest.fixture
def indonesian_app(tmp_path: Path) -> Iterator[Flask]:
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="id")
    target = tmp_path / "id" / "LC_MESSAGES"
    target.mkdir(parents=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    (target / "messages.mo").write_bytes(buffer.getvalue())
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(tmp_path)
    Babel(app, locale_selector=lambda: "id")
    with app.test_request_context():
        yield app


def test_problems_read_in_indonesian_inside_a_request(indonesian_app: Flask) -> None:
    row = one(nik="3.60401E+15", income="1.250.000", programmes="JKK")
    texts = [str(problem) for problem in row.problems]
    assert texts[0].startswith("NIK: NIK ini diubah menjadi angka")
    assert "Penghasilan: Rp1.250.000 bukan tingkat penghasilan yang berlaku" in texts[1]
    assert texts[2] == "Program: Program JKK, JKM wajib diikuti; yang belum ada: JKM."


def test_quoted_user_text_is_escaped_when_a_message_is_rendered_as_html() -> None:
    # flask_babel's own lazy strings declare themselves safe HTML; ours do not.
    (problem,) = one(phone="<script>alert(1)</script>").problems
    html = (
        Environment(autoescape=True)
        .from_string("{{ message }}|{{ problem }}")
        .render(message=problem.message, problem=problem)
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" in str(problem.message)  # plain text for XLSX / CSV
    assert str(escape(problem.message)).startswith("&lt;script&gt;")


# --- domicile and sector (optional columns) ---------------------------------------------------

SECTORS = (
    SectorTerms("transport", ("Transportasi", "ojek", "sopir")),
    SectorTerms("agriculture", ("Pertanian", "petani")),
)
PLACES = regency_lookup([("3604", "Kabupaten Serang"), ("3673", "Kota Serang")])


def test_a_domicile_and_a_sector_are_read_from_their_columns() -> None:
    ctx = context(sectors=SECTORS, domiciles=PLACES)
    (row,) = validate(source(domicile="Kab. Serang", sector="Ojek"), ctx=ctx)
    assert row.valid and row.values is not None
    assert (row.values["domicile"], row.values["sector"]) == ("3604", "transport")


def test_an_unknown_domicile_or_sector_is_a_problem_of_its_column() -> None:
    ctx = context(sectors=SECTORS, domiciles=PLACES)
    (row,) = validate(source(domicile="Serang Raya", sector="Astronot"), ctx=ctx)
    assert problems_of(row) == [
        (
            "Kabupaten/Kota Domisili",
            "Serang Raya is not a regency or city of Indonesia: write its name (Kabupaten "
            "Serang, Kota Serang) or its Kemendagri code (3604).",
        ),
        (
            "Sektor",
            "Astronot is not a sector; write one of Transportasi, Pertanian or leave it empty.",
        ),
    ]
