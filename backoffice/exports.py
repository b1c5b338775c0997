"""Exports of the lists for Indonesian spreadsheets: one formula-safe rule for every export
(CSV, XLSX, error reports), a semicolon CSV with a BOM (what Excel in Indonesian opens in
columns), and XLSX with typed cells: numbers as numbers, amounts in the Rupiah format, dates
as dates. No Flask here: the views give titles and rows of typed values."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from backoffice.importing.exports import safe_cell as neutralise_formula

__all__ = ["Money", "csv_lines", "csv_text", "neutralise_formula", "xlsx_bytes"]

#: The Rupiah number format of XLSX cells (Excel shows the separators of its language:
#: Rp16.800 in Indonesian).
RUPIAH_FORMAT = '"Rp"#,##0'
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Money:
    """An amount in rupiah (a number in the file, shown as Rupiah)."""

    amount: int | Decimal


def _grouped(value: int | Decimal) -> str:
    """``16.800``, ``1.234,5``: Indonesian thousands and decimal separators."""
    value = Decimal(value)
    sign = "-" if value < 0 else ""
    whole, _, fraction = format(abs(value).normalize(), "f").partition(".")
    text = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def csv_text(value: Any) -> str:
    """A typed cell as the text of a semicolon CSV for Indonesian Excel."""
    if value is None:
        return ""
    if isinstance(value, Money):
        return _grouped(value.amount)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal | float):
        return _grouped(Decimal(str(value)))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(neutralise_formula(str(value)))


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(titles: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """The file as a stream of lines: a UTF-8 BOM, then ``;``-separated rows (CRLF)."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([csv_text(t) for t in titles])
    for row in rows:
        yield writer.writerow([csv_text(v) for v in row])


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, Money):
        cell = WriteOnlyCell(sheet, value=value.amount)
        cell.number_format = RUPIAH_FORMAT
        return cell
    if isinstance(value, bool) or value is None:
        return WriteOnlyCell(sheet, value="" if value is None else str(value))
    if isinstance(value, int | float | Decimal):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    # Text: never a formula (openpyxl would write "=..." as one).
    return WriteOnlyCell(sheet, value=neutralise_formula(str(value)))


def xlsx_bytes(titles: list[str], rows: Iterable[list[Any]], *, sheet_title: str = "Data") -> bytes:
    """One sheet: the titles in bold (frozen), then the rows as typed cells."""
    book = Workbook(write_only=True)
    name = "".join(" " if ch in "[]:*?/\\" else ch for ch in sheet_title)[:31].strip()
    sheet = book.create_sheet(title=name or "Data")
    sheet.freeze_panes = "A2"
    header = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=neutralise_formula(str(title)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
