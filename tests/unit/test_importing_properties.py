"""Properties: whatever comes in, only the documented errors come out, each with a message."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.importing import (
    FileRefused,
    ParseError,
    ValidationContext,
    check_nik,
    error_report_xlsx,
    parse_date,
    parse_income,
    parse_phone,
    parse_programmes,
    parse_sex,
    read_table,
    rows_csv,
    validate_rows,
)
from backoffice.rules.eligibility import AgeBounds
from backoffice.rules.nik import make_nik

BANTEN = frozenset({"3601", "3602", "3603", "3604", "3671", "3672", "3673", "3674"})
CTX = ValidationContext(
    registration_date=date(2025, 1, 15),
    known_regencies=BANTEN,
    income_levels=frozenset(range(1_000_000, 20_700_001, 500_000)),
    registration_ages=AgeBounds(15, 65),  # as in the reference data (migration 0013)
)
HEADER = "NIK;Nama Lengkap;Tanggal Lahir;Jenis Kelamin;Alamat;No HP;Pekerjaan;Penghasilan;Program"
# No example database: nothing is written into the working tree.
FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
#: Each example writes and reads two workbooks; fewer keep the module fast.
XLSX = settings(FAST, max_examples=40)

cells = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
digit_text = st.text(alphabet="0123456789 .,-+/eE'Rp", max_size=25)


def _assert_parse_error_only(parse: object, value: object) -> None:
    try:
        parse(value)  # type: ignore[operator]
    except ParseError as error:
        assert str(error.message).strip()


@FAST
@given(st.one_of(cells, digit_text))
def test_parsers_raise_only_parse_error_with_a_message(value: object) -> None:
    for parse in (parse_date, parse_income, parse_phone, parse_sex, parse_programmes):
        _assert_parse_error_only(parse, value)


@FAST
@given(st.one_of(cells, digit_text, st.text(alphabet="0123456789", min_size=14, max_size=18)))
def test_check_nik_never_raises_and_every_message_is_readable(value: object) -> None:
    for birth_date in (None, date(1990, 8, 17)):
        for sex in (None, "L", "P"):
            for message in check_nik(value, birth_date=birth_date, sex=sex, known_regencies=BANTEN):
                assert str(message).strip()


@st.composite
def niks(draw: st.DrawFn) -> tuple[str, date, str]:
    born = draw(st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)))
    sex = draw(st.sampled_from("LP"))
    regency = draw(st.sampled_from(sorted(BANTEN)))
    district = draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    return make_nik(regency, district, born, sex, serial), born, sex


@FAST
@given(niks())
def test_well_formed_nik_agreeing_with_birth_date_and_sex_is_valid(
    case: tuple[str, date, str],
) -> None:
    nik, born, sex = case
    assert check_nik(nik, birth_date=born, sex=sex, known_regencies=BANTEN) == []
    other = "P" if sex == "L" else "L"
    assert len(check_nik(nik, birth_date=born, sex=other, known_regencies=BANTEN)) == 1


@FAST
@given(
    st.dates(min_value=date(1000, 1, 1)),
    st.sampled_from(["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "{d}/{m}/%Y"]),
)
def test_parse_date_reads_back_every_accepted_form(day: date, form: str) -> None:
    text = day.strftime(form.format(d=day.day, m=day.month))
    assert parse_date(text) == day
    assert parse_date(datetime(day.year, day.month, day.day)) == day


@FAST
@given(st.integers(min_value=0, max_value=10**11), st.integers(0, 5))
def test_parse_income_reads_back_every_accepted_form(amount: int, style: int) -> None:
    dotted = f"{amount:,}".replace(",", ".")
    text = [str(amount), dotted, f"Rp{dotted}", f"Rp {dotted},00", f"{amount:,}", f"{amount:,}.00"][
        style
    ]
    assert parse_income(text) == amount


@FAST
@given(
    st.sampled_from(["812", "813", "857", "878", "896"]),
    st.text(alphabet="0123456789", min_size=6, max_size=9),
    st.integers(0, 4),
)
def test_parse_phone_normalises_every_accepted_form(prefix: str, rest: str, style: int) -> None:
    national = f"0{prefix}{rest}"
    text = [
        national,
        f"+62{national[1:]}",
        f"62{national[1:]}",
        f"{national[:4]}-{national[4:]}",
        f"{national[:4]} {national[4:]}",
    ][style]
    assert parse_phone(text) == national


def _read_and_validate(data: bytes) -> None:
    try:
        table = read_table(data, "upload.xlsx", max_bytes=1 << 20, max_rows=50)
        rows = list(validate_rows(table.rows(), CTX))
    except FileRefused as refused:
        assert str(refused.message).strip()
        assert refused.code
        return
    for row in rows:
        assert row.number > table.header_row
        assert row.valid == (row.values is not None)
        for problem in row.problems:
            assert problem.column and str(problem.message).strip()


@FAST
@given(st.binary(max_size=2000))
def test_read_table_on_arbitrary_bytes_refuses_or_reads(data: bytes) -> None:
    _read_and_validate(data)


@FAST
@given(st.binary(max_size=1000))
def test_read_table_on_arbitrary_bytes_behind_a_zip_signature(data: bytes) -> None:
    _read_and_validate(b"PK\x03\x04" + data)


@FAST
@given(st.text(max_size=1500), st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
def test_read_table_on_arbitrary_text_after_a_valid_header(text: str, encoding: str) -> None:
    content = f"{HEADER}\r\n{text}"
    _read_and_validate(content.encode(encoding, errors="replace"))


@FAST
@given(
    st.lists(st.lists(st.text(max_size=20), max_size=11), max_size=15), st.sampled_from([";", ","])
)
def test_read_table_on_arbitrary_csv_cells(rows: list[list[str]], delimiter: str) -> None:
    data = rows_csv(HEADER.split(";"), rows, delimiter=delimiter).encode("utf-8")
    _read_and_validate(data)


@XLSX
@given(st.lists(st.lists(cells, max_size=10), min_size=1, max_size=8))
def test_xlsx_with_arbitrary_cells_is_read_and_reported(rows: list[list[object]]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    for row in rows:
        try:
            sheet.append(
                [cell.replace(tzinfo=None) if isinstance(cell, datetime) else cell for cell in row]
            )
        except (ValueError, openpyxl.utils.exceptions.IllegalCharacterError):
            return  # openpyxl cannot store it; not a file anyone could upload
    buffer = io.BytesIO()
    workbook.save(buffer)
    _read_and_validate(buffer.getvalue())
    try:
        table = read_table(buffer.getvalue(), "upload.xlsx")
    except FileRefused:
        return
    validated = list(validate_rows(table.rows(), CTX))
    report = error_report_xlsx(table.headers, validated)
    assert openpyxl.load_workbook(io.BytesIO(report)).worksheets[0].max_row == 1 + sum(
        1 for row in validated if not row.valid
    )
