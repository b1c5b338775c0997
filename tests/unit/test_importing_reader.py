"""read_table: the file quirks offices really produce, and the whole-file refusals."""

from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from backoffice.importing import (
    FIELDS,
    HEADERS,
    FileRefused,
    Table,
    ValidationContext,
    read_table,
    reader,
    validate_rows,
)
from backoffice.rules.eligibility import AgeBounds
from bench import gen_members

HEADER = [
    "NIK",
    "Nama Lengkap",
    "Tanggal Lahir",
    "Jenis Kelamin",
    "Alamat",
    "No HP",
    "Pekerjaan",
    "Penghasilan",
    "Program",
]
BUDI = [
    "3604011708900001",
    "Budi Santoso",
    "17/08/1990",
    "L",
    "Kp. Cibeber RT 001/RW 002",
    "081234567890",
    "Petani",
    "1.000.000",
    "JKK, JKM",
]
SITI = [
    "3604015203850002",
    "Siti Aminah",
    "12/03/1985",
    "P",
    "",
    "",
    "Pedagang",
    "1500000",
    "JKK, JKM, JHT",
]


def csv_bytes(
    rows: list[list[str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    bom: bool = False,
    newline: str = "\r\n",
) -> bytes:
    text = newline.join(delimiter.join(row) for row in rows) + newline
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list[Any]], *, extra_sheet: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("Lain").append(["should", "not", "be", "read"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refusal(data: bytes, filename: str = "peserta.csv", **limits: int) -> FileRefused:
    """The FileRefused for a file, whether read_table or the row iteration raises it."""
    with pytest.raises(FileRefused) as caught:
        table = read_table(data, filename, **limits)
        list(table.rows())
    assert str(caught.value).strip(), "a refusal always says why"
    return caught.value


# --- CSV quirks ----------------------------------------------------------------


def test_semicolon_csv_with_bom_is_read() -> None:
    table = read_table(csv_bytes([HEADER, BUDI], bom=True), "peserta.csv")
    rows = list(table.rows())
    assert table.format == "csv"
    assert table.headers[0] == "NIK"  # the BOM is not part of the first header
    assert [row.raw["nik"] for row in rows] == ["3604011708900001"]
    assert rows[0].raw["name"] == "Budi Santoso"
    assert rows[0].original == BUDI


def test_comma_csv_without_bom_is_read() -> None:
    table = read_table(csv_bytes([HEADER, BUDI], delimiter=","), "peserta.csv")
    assert table.column_map["programmes"] == 8
    assert [row.raw["income"] for row in table.rows()] == ["1.000.000"]


def test_semicolon_is_chosen_even_when_amounts_contain_commas() -> None:
    row = [*BUDI[:7], '"Rp 1.000.000,00"', '"JKK,JKM"']
    table = read_table(csv_bytes([HEADER, row]), "peserta.csv")
    (source,) = table.rows()
    assert source.raw["income"] == "Rp 1.000.000,00"
    assert source.raw["programmes"] == "JKK,JKM"


def test_windows_1252_names_are_decoded() -> None:
    row = ["3604011708900001", "José Muñoz Peña", *BUDI[2:]]
    data = csv_bytes([HEADER, row], encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    (source,) = read_table(data, "peserta.csv").rows()
    assert source.raw["name"] == "José Muñoz Peña"


def test_utf8_names_are_not_mistaken_for_windows_1252() -> None:
    row = ["3604011708900001", "Dédé Suryadi", *BUDI[2:]]
    (source,) = read_table(csv_bytes([HEADER, row]), "peserta.csv").rows()
    assert source.raw["name"] == "Dédé Suryadi"


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_any_line_ending_is_accepted(newline: str) -> None:
    table = read_table(csv_bytes([HEADER, BUDI, SITI], newline=newline), "peserta.csv")
    assert [row.number for row in table.rows()] == [2, 3]


def test_blank_lines_are_skipped_but_keep_the_spreadsheet_row_numbers() -> None:
    data = csv_bytes([HEADER, BUDI, [""], [";;;;;;;;"], ["  ;  "], SITI, [""]])
    rows = list(read_table(data, "peserta.csv").rows())
    assert [row.number for row in rows] == [2, 6]
    assert rows[1].raw["name"] == "Siti Aminah"


def test_trailing_spaces_are_kept_raw_and_do_not_break_headers() -> None:
    header = [f"{name}  " for name in HEADER]
    row = [f"{value} " for value in BUDI]
    table = read_table(csv_bytes([header, row]), "peserta.csv")
    (source,) = table.rows()
    assert table.column_map["nik"] == 0
    # Cells are handed over as read; the validator trims them.
    assert source.raw["nik"] == "3604011708900001 "


def test_quoted_fields_with_delimiters_quotes_and_line_breaks() -> None:
    address = '"Jl. Raya; No. 5\r\nRT 001 ""Blok A"""'
    data = csv_bytes([HEADER, [*BUDI[:4], address, *BUDI[5:]], SITI])
    rows = list(read_table(data, "peserta.csv").rows())
    assert rows[0].raw["address"] == 'Jl. Raya; No. 5\r\nRT 001 "Blok A"'
    # A quoted line break stays inside one spreadsheet row.
    assert [row.number for row in rows] == [2, 3]


def test_headers_match_in_any_order_case_and_spacing_and_extras_are_ignored() -> None:
    header = [
        "No.",
        "  program ",
        "NAMA   LENGKAP",
        "nik",
        "TANGGAL lahir",
        "Jenis  Kelamin",
        "penghasilan",
        "Keterangan",
    ]
    row = [
        "1",
        "JKK, JKM",
        "Budi Santoso",
        "3604011708900001",
        "17/08/1990",
        "L",
        "1000000",
        "kader desa",
    ]
    table = read_table(csv_bytes([header, row]), "peserta.csv")
    assert table.column_map == {
        "programmes": 1,
        "name": 2,
        "nik": 3,
        "birth_date": 4,
        "sex": 5,
        "income": 6,
    }
    assert table.ignored_columns == ["No.", "Keterangan"]
    assert "Keterangan" in str(table.ignored_note)
    (source,) = table.rows()
    assert source.raw == {
        "programmes": "JKK, JKM",
        "name": "Budi Santoso",
        "nik": "3604011708900001",
        "birth_date": "17/08/1990",
        "sex": "L",
        "income": "1000000",
    }
    assert source.original == row


def test_no_note_when_no_column_is_ignored() -> None:
    assert read_table(csv_bytes([HEADER, BUDI]), "peserta.csv").ignored_note is None


@pytest.mark.parametrize(
    ("alias", "field"),
    [
        ("Nama", "name"),
        ("Tgl Lahir", "birth_date"),
        ("Tgl. Lahir", "birth_date"),
        ("L/P", "sex"),
        ("No. HP", "phone"),
        ("Nomor HP", "phone"),
        ("No Telepon", "phone"),
        ("Penghasilan (Rp)", "income"),
        ("Programs", "programmes"),
        ("Program BPJS", "programmes"),
        ("NIK *", "nik"),
    ],
)
def test_header_aliases_are_recognised(alias: str, field: str) -> None:
    index = {
        "name": 1,
        "birth_date": 2,
        "sex": 3,
        "phone": 5,
        "income": 7,
        "programmes": 8,
        "nik": 0,
    }[field]
    header = list(HEADER)
    header[index] = alias
    table = read_table(csv_bytes([header, BUDI]), "peserta.csv")
    assert table.column_map[field] == index
    assert table.ignored_columns == []


def test_title_rows_above_the_header_are_skipped() -> None:
    data = csv_bytes([["DAFTAR PESERTA BPU DINAS PERTANIAN KAB. SERANG"], [""], HEADER, BUDI])
    table = read_table(data, "peserta.csv")
    assert table.header_row == 3
    assert [row.number for row in table.rows()] == [4]


def test_short_rows_give_none_for_the_missing_cells() -> None:
    (source,) = read_table(csv_bytes([HEADER, BUDI[:4]]), "peserta.csv").rows()
    assert source.raw["income"] is None and source.raw["programmes"] is None
    assert source.original == BUDI[:4]


def test_rows_are_produced_lazily_and_can_be_read_again() -> None:
    table = read_table(csv_bytes([HEADER, BUDI, SITI]), "peserta.csv")
    rows = table.rows()
    assert iter(rows) is rows
    assert next(rows).number == 2
    assert [row.number for row in table.rows()] == [2, 3]


def test_format_is_told_by_content_not_by_extension() -> None:
    assert read_table(csv_bytes([HEADER, BUDI]), "peserta.xlsx").format == "csv"
    assert read_table(xlsx_bytes([HEADER, BUDI]), "peserta.csv").format == "xlsx"


# --- XLSX ------------------------------------------------------------------------


def test_xlsx_first_sheet_with_dates_numbers_and_formulas() -> None:
    row: list[Any] = [
        "3604011708900001",
        '=HYPERLINK("http://example.invalid","klik")',
        datetime(1990, 8, 17),
        "L",
        None,
        "081234567890",
        "Petani",
        1000000,
        "JKK, JKM",
    ]
    table = read_table(xlsx_bytes([HEADER, row], extra_sheet=True), "peserta.xlsx")
    (source,) = table.rows()
    assert table.format == "xlsx"
    assert source.number == 2
    assert source.raw["birth_date"] == datetime(1990, 8, 17)
    assert source.raw["income"] == 1000000
    # A formula is kept as its text, never evaluated.
    assert source.raw["name"] == '=HYPERLINK("http://example.invalid","klik")'
    assert source.raw["address"] is None


def test_xlsx_numeric_nik_cell_stays_a_number() -> None:
    row: list[Any] = [3604011708900001, *BUDI[1:]]
    (source,) = read_table(xlsx_bytes([HEADER, row]), "peserta.xlsx").rows()
    assert isinstance(source.raw["nik"], int)


def test_xlsx_blank_rows_keep_row_numbers() -> None:
    table = read_table(xlsx_bytes([HEADER, BUDI, [None] * 9, [" ", None], SITI]), "p.xlsx")
    assert [row.number for row in table.rows()] == [2, 5]


def test_xlsx_with_understated_dimension_is_read_completely() -> None:
    data = xlsx_bytes([HEADER, BUDI, SITI])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, replaced = re.subn(
                    rb'<dimension ref="A1:I3" ?/>', b'<dimension ref="A1:B2"/>', content
                )
                assert replaced == 1
            target.writestr(item, content)
    table = read_table(buffer.getvalue(), "peserta.xlsx")
    rows = list(table.rows())
    assert [row.number for row in rows] == [2, 3]
    assert rows[1].raw["programmes"] == "JKK, JKM, JHT"


def test_generated_csv_and_xlsx_give_the_same_validation(tmp_path: Path) -> None:
    rows = gen_members.generate_rows(300, seed=3, invalid_ratio=0.1)
    gen_members.write_csv(tmp_path / "p.csv", rows)
    gen_members.write_xlsx(tmp_path / "p.xlsx", rows)
    ctx = ValidationContext(
        registration_date=gen_members.DEFAULT_REGISTRATION_DATE,
        known_regencies=gen_members.REGENCY_CODES,
        income_levels=gen_members.INCOME_LEVELS,
        registration_ages=AgeBounds(15, 65),  # as in the reference data (migration 0013)
    )
    outcomes = []
    for name in ("p.csv", "p.xlsx"):
        table = read_table((tmp_path / name).read_bytes(), name)
        outcomes.append([(row.number, row.valid) for row in validate_rows(table.rows(), ctx)])
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0]) == 300
    invalid = sum(1 for _number, valid in outcomes[0] if not valid)
    assert 10 <= invalid <= 60


def test_table_is_a_context_manager_that_closes_the_workbook() -> None:
    with read_table(xlsx_bytes([HEADER, BUDI]), "p.xlsx") as table:
        assert isinstance(table, Table)
        assert len(list(table.rows())) == 1


# --- whole-file refusals ---------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize("filename", ["peserta.xlsx", "peserta.csv"])
def test_pdf_renamed_as_spreadsheet_is_refused(filename: str) -> None:
    assert refusal(PDF, filename).code == "not_spreadsheet"


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_refused(seed: int) -> None:
    data = random.Random(seed).randbytes(3000)
    assert refusal(data, "peserta.xlsx").code == "not_spreadsheet"


def test_random_bytes_behind_a_zip_signature_are_refused() -> None:
    data = b"PK\x03\x04" + random.Random(1).randbytes(500)
    assert refusal(data, "peserta.xlsx").code == "not_spreadsheet"


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert refusal(buffer.getvalue(), "peserta.xlsx").code == "not_spreadsheet"


def test_png_and_html_are_refused() -> None:
    assert refusal(b"\x89PNG\r\n\x1a\n" + bytes(100)).code == "not_spreadsheet"
    html = b"<html><body><table><tr><td>NIK</td></tr></table></body></html>"
    assert refusal(html, "peserta.xls").code == "not_spreadsheet"


def test_utf16_text_is_refused_with_the_not_a_spreadsheet_message() -> None:
    data = "\ufeff" + ";".join(HEADER) + "\r\n" + ";".join(BUDI) + "\r\n"
    assert refusal(data.encode("utf-16-le")).code == "not_spreadsheet"


def test_old_xls_or_encrypted_workbook_is_refused_with_its_own_message() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    refused = refusal(data, "peserta.xls")
    assert refused.code == "legacy_excel"
    assert ".xlsx" in str(refused)


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n;;;\r\n"])
def test_empty_file_is_refused(data: bytes) -> None:
    assert refusal(data).code == "empty"


def test_empty_xlsx_is_refused() -> None:
    assert refusal(xlsx_bytes([]), "peserta.xlsx").code == "empty"


def test_xlsx_with_an_empty_first_sheet_says_only_the_first_sheet_is_read() -> None:
    refused = refusal(xlsx_bytes([], extra_sheet=True), "peserta.xlsx")
    assert refused.code == "empty" and "first sheet" in str(refused)


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes([HEADER]),
        csv_bytes([HEADER, [""], [";;;"]]),
        xlsx_bytes([HEADER, [None, None]]),
    ],
)
def test_header_without_data_rows_is_refused(data: bytes) -> None:
    assert refusal(data).code == "no_data"


def test_missing_required_columns_are_named_in_indonesian() -> None:
    header = ["NIK", "Nama Lengkap", "Jenis Kelamin", "Penghasilan"]
    refused = refusal(csv_bytes([header, BUDI[:4]]))
    assert refused.code == "missing_columns"
    assert "Tanggal Lahir, Program" in str(refused)
    assert "NIK" not in str(refused).split(":")[1]


def test_file_without_header_names_every_required_column() -> None:
    refused = refusal(csv_bytes([BUDI, SITI]))
    assert refused.code == "missing_columns"
    for column in (
        "NIK",
        "Nama Lengkap",
        "Tanggal Lahir",
        "Jenis Kelamin",
        "Penghasilan",
        "Program",
    ):
        assert column in str(refused)


def test_duplicate_column_is_refused() -> None:
    header = [*HEADER, "Nama"]
    refused = refusal(csv_bytes([header, [*BUDI, "Budi"]]))
    assert refused.code == "duplicate_column"
    assert "B" in str(refused) and "J" in str(refused)


def test_file_over_the_size_limit_is_refused() -> None:
    data = csv_bytes([HEADER, BUDI, SITI])
    refused = refusal(data, max_bytes=len(data) - 1)
    assert refused.code == "too_large"
    read_table(data, "peserta.csv", max_bytes=len(data))


def test_workbook_that_unpacks_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = xlsx_bytes([HEADER, BUDI])
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 1000)
    assert refusal(data, "peserta.xlsx").code == "too_large"


def test_workbook_with_too_many_shared_strings_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gen_members.write_xlsx(tmp_path / "p.xlsx", gen_members.generate_rows(20))
    data = (tmp_path / "p.xlsx").read_bytes()
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    monkeypatch.setattr(reader, "MAX_SHARED_STRINGS_BYTES", 100)
    assert refusal(data, "peserta.xlsx").code == "too_large"


def test_generator_headers_are_the_template_headers() -> None:
    assert gen_members.HEADERS == tuple(HEADERS[field] for field in FIELDS)


def test_csv_over_the_row_limit_is_refused_before_any_row_is_read() -> None:
    data = csv_bytes([HEADER, BUDI, SITI, [""], BUDI])
    with pytest.raises(FileRefused) as caught:
        read_table(data, "peserta.csv", max_rows=2)
    assert caught.value.code == "too_many_rows"
    assert "2" in str(caught.value)
    assert len(list(read_table(data, "peserta.csv", max_rows=3).rows())) == 3


def test_xlsx_over_the_row_limit_is_refused() -> None:
    data = xlsx_bytes([HEADER, BUDI, SITI, BUDI])
    assert refusal(data, "peserta.xlsx", max_rows=2).code == "too_many_rows"
    assert len(list(read_table(data, "peserta.xlsx", max_rows=3).rows())) == 3


def test_xlsx_without_dimension_is_refused_while_iterating(tmp_path: Path) -> None:
    # openpyxl's write-only mode writes no <dimension>: the limit is enforced
    # by counting as the rows are read.
    gen_members.write_xlsx(tmp_path / "p.xlsx", gen_members.generate_rows(6), shared_strings=False)
    table = read_table((tmp_path / "p.xlsx").read_bytes(), "p.xlsx", max_rows=5)
    rows = table.rows()
    for _ in range(5):
        next(rows)
    with pytest.raises(FileRefused) as caught:
        next(rows)
    assert caught.value.code == "too_many_rows"


def test_unclosed_quote_that_swallows_the_file_is_refused_as_damaged() -> None:
    data = csv_bytes([HEADER, BUDI]) + b'3604011708900001;"Budi' + b"x" * 200_000
    assert refusal(data).code == "damaged"


def test_refusal_messages_are_lazy_and_translatable() -> None:
    refused = refusal(b"")
    assert refused.message == "The file is empty."
    assert hasattr(refused.message, "_args")  # a flask_babel LazyString
    assert date.today()  # no app context was needed
