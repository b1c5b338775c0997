"""Files we give back to users: the upload template, the error report, CSV exports.

Everything in them may come from an upload, so nothing typed by a user may
become a live formula in the user's spreadsheet program (CSV/formula
injection): in XLSX every text is stored as a string cell, in CSV text that a
spreadsheet would evaluate is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..rules.eligibility import AgeBounds
from .columns import FIELDS, HEADERS, MEMBER_COLUMNS, MEMBER_WIDTHS, TEXT_FIELDS, ColumnSet
from .reader import DEFAULT_MAX_ROWS
from .validate import ValidatedRow

#: First characters that make Excel, LibreOffice or Google Sheets evaluate a
#: cell (full-width forms included: some locales' Excel accepts them).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
ERROR_COLUMN = "Kesalahan"
#: Excel's limit on the characters of one cell.
_MAX_CELL_CHARS = 32_767
_TEXT_FORMAT = "@"
_DATE_FORMAT = "DD/MM/YYYY"
_BOLD = Font(bold=True)
_ERROR_FONT = Font(bold=True, color="9C0006")
_ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
_WRAP = Alignment(wrap_text=True, vertical="top")

#: Template column widths (characters), by field.
_TEMPLATE_WIDTHS = MEMBER_WIDTHS


def _looks_like_formula(text: str) -> bool:
    # Leading spaces do not stop every program from evaluating " =1+1".
    return text.startswith(FORMULA_TRIGGERS) or text.lstrip().startswith(FORMULA_TRIGGERS)


def safe_cell(value: Any) -> Any:
    """A value safe to put in a CSV cell: formula-like text gets a leading ``'``.

    Non-text values are returned unchanged (a number is never a formula).
    """
    if isinstance(value, str) and value and _looks_like_formula(value):
        return "'" + value
    return value


# --- CSV -----------------------------------------------------------------------


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(str(item) for item in value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return safe_cell(str(value))


def rows_csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, delimiter: str = ";") -> str:
    """A formula-safe CSV text. ``;`` by default: Excel with Indonesian regional
    settings splits columns on semicolons. Dates are written dd/mm/yyyy.

    The caller encodes it (``utf-8-sig`` makes Excel recognise UTF-8).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_csv_text(header) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return buffer.getvalue()


# --- XLSX ------------------------------------------------------------------------


def _clean_string(text: str) -> str:
    # XML cannot hold most control characters; a CSV upload may contain some.
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:_MAX_CELL_CHARS]


def _string_cell(sheet: Any, text: str, *, text_format: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    text = _clean_string(text)
    cell.value = text
    # openpyxl infers a formula from a leading "=" and an error from "#N/A":
    # force a plain string whatever the text is.
    cell.data_type = "s"
    if text_format:
        cell.number_format = _TEXT_FORMAT
    if _looks_like_formula(text):
        # Excel's "quote prefix": the cell stays text even when the user
        # edits it and presses Enter.
        cell.quotePrefix = True
    return cell


def _report_cell(sheet: Any, value: Any, text_format: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return _string_cell(sheet, value, text_format=text_format)
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = _DATE_FORMAT
        return cell
    if isinstance(value, int | float):
        # A NIK that arrived as a number stays the number the user sent; the
        # text format makes retyping it as text easier.
        if text_format:
            cell = WriteOnlyCell(sheet, value)
            cell.number_format = _TEXT_FORMAT
            return cell
        return value
    return _string_cell(sheet, str(value), text_format=text_format)


def error_report_xlsx(
    headers: Sequence[Any],
    invalid_rows: Iterable[ValidatedRow],
    *,
    columns: ColumnSet = MEMBER_COLUMNS,
) -> bytes:
    """The rejected rows as uploaded, plus a "Kesalahan" column saying what is wrong.

    Columns are the file's own headers, so the user can fix the rows in this
    file and upload it again (the extra column is then ignored). Valid rows
    passed in by mistake are skipped. ``columns`` tells which headers hold
    identity numbers (kept as text) and the column widths.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Perbaikan")
    header_texts = ["" if header is None else str(header) for header in headers]
    width = len(header_texts)
    text_columns = {
        index
        for index, header in enumerate(header_texts)
        if columns.field_for_header(header) in columns.text_fields
    }
    for index, header in enumerate(header_texts):
        field = columns.field_for_header(header)
        sheet.column_dimensions[get_column_letter(index + 1)].width = columns.widths.get(
            field or "", 16
        )
    sheet.column_dimensions[get_column_letter(width + 1)].width = 80
    sheet.freeze_panes = "A2"

    title_row: list[Any] = []
    for header in header_texts:
        cell = _string_cell(sheet, header)
        cell.font = _BOLD
        title_row.append(cell)
    error_title = _string_cell(sheet, ERROR_COLUMN)
    error_title.font = _ERROR_FONT
    error_title.fill = _ERROR_FILL
    title_row.append(error_title)
    sheet.append(title_row)

    for row in invalid_rows:
        if row.valid:
            continue
        cells = list(row.original[:width])
        cells.extend([None] * (width - len(cells)))
        out = [
            _report_cell(sheet, value, index in text_columns) for index, value in enumerate(cells)
        ]
        errors = _string_cell(sheet, "; ".join(str(problem) for problem in row.problems))
        errors.alignment = _WRAP
        out.append(errors)
        sheet.append(out)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx(income_levels: Iterable[int], *, ages: AgeBounds) -> bytes:
    """The blank upload template: sheet "Peserta" with the nine headers, sheet
    "Petunjuk" with instructions, the registration ``ages`` and the reference
    income levels.

    The instructions are Indonesian in every UI language: the template is
    filled in by Indonesian offices and its headers are Indonesian anyway.
    """
    levels = sorted(set(income_levels))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Peserta"
    sheet.append([HEADERS[field] for field in FIELDS])
    for index, field in enumerate(FIELDS, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = _BOLD
        dimension = sheet.column_dimensions[letter]
        dimension.width = _TEMPLATE_WIDTHS[field]
        if field in TEXT_FIELDS or field == "birth_date":
            # Column style: cells typed later are text. For NIK and No HP this
            # keeps every digit and the leading 0; for Tanggal Lahir it stops
            # an English-locale Excel from reading 05/08/1990 as 8 May.
            dimension.number_format = _TEXT_FORMAT
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("Petunjuk")
    guide.column_dimensions["A"].width = 110
    guide.append(["Petunjuk pengisian data peserta BPU (Bukan Penerima Upah)"])
    guide["A1"].font = Font(bold=True, size=12)
    lines = [
        "1. Isi satu peserta per baris di lembar Peserta, mulai baris 2. Jangan mengubah judul kolom.",
        "2. NIK: 16 digit sesuai KTP. Kolom NIK berformat Teks; jangan diubah ke Angka, "
        "karena digit terakhir akan hilang.",
        "3. Nama Lengkap: sesuai KTP, paling banyak 100 karakter.",
        "4. Tanggal Lahir: format dd/mm/yyyy, contoh 17/08/1990. Tanggal dan bulan harus sama "
        "dengan yang tercantum di NIK.",
        "5. Jenis Kelamin: L (laki-laki) atau P (perempuan).",
        "6. Alamat dan Pekerjaan boleh dikosongkan.",
        "7. No HP boleh dikosongkan; bila diisi, nomor ponsel diawali 08, contoh 081234567890.",
        "8. Penghasilan: salah satu tingkat penghasilan di bawah ini, dalam rupiah, contoh "
        "1000000 atau 1.000.000.",
        '9. Program: JKK dan JKM wajib, JHT pilihan. Tulis "JKK, JKM" atau "JKK, JKM, JHT".',
        f"10. Usia peserta pada tanggal pendaftaran paling sedikit {ages.minimum} tahun "
        f"dan kurang dari {ages.below} tahun.",
        "11. Simpan sebagai Excel Workbook (.xlsx) atau CSV, lalu unggah.",
    ]
    for line in lines:
        guide.append([line])
    guide.append([])
    guide.append(["Pilihan Program"])
    guide.cell(row=guide.max_row, column=1).font = _BOLD
    programme_first = guide.max_row + 1
    for choice in ("JKK, JKM", "JKK, JKM, JHT"):
        guide.append([choice])
    programme_last = guide.max_row
    guide.append([])
    guide.append(["Tingkat Penghasilan (Rp)"])
    guide.cell(row=guide.max_row, column=1).font = _BOLD
    level_first = guide.max_row + 1
    for level in levels:
        guide.append([level])
        guide.cell(row=guide.max_row, column=1).number_format = "#,##0"
        guide.cell(row=guide.max_row, column=1).alignment = Alignment(horizontal="left")
    level_last = guide.max_row

    # Drop-down lists help, but the upload is validated anyway: a pasted value
    # bypasses data validation in every spreadsheet program.
    def column_range(field: str) -> str:
        letter = get_column_letter(FIELDS.index(field) + 1)
        return f"{letter}2:{letter}{DEFAULT_MAX_ROWS + 1}"

    sex_list = DataValidation(type="list", formula1='"L,P"', allow_blank=True)
    sex_list.add(column_range("sex"))
    sheet.add_data_validation(sex_list)
    programme_list = DataValidation(
        type="list",
        formula1=f"Petunjuk!$A${programme_first}:$A${programme_last}",
        allow_blank=True,
        errorStyle="warning",
    )
    programme_list.add(column_range("programmes"))
    sheet.add_data_validation(programme_list)
    if levels:
        level_list = DataValidation(
            type="list",
            formula1=f"Petunjuk!$A${level_first}:$A${level_last}",
            allow_blank=True,
        )
        level_list.add(column_range("income"))
        sheet.add_data_validation(level_list)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
