"""Spreadsheets made to hurt a reader: small on disk, huge once read.

Written part by part into the zip, streamed, so that making a 200 MB cell costs the maker no
200 MB of memory. Used by the importer benchmark (peak memory of reading each) and the tests
(each is refused as a whole, quickly).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Peserta" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_CLOSE = "</sheetData></worksheet>"
#: The member template's required titles, so that a file gets past the header checks.
HEADER = ("NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Penghasilan", "Program")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_row(number: int, cells: Iterable[str]) -> str:
    body = "".join(f'<c t="inlineStr"><is><t>{_escape(cell)}</t></is></c>' for cell in cells)
    return f'<row r="{number}">{body}</row>'


def workbook(sheet_parts: Iterable[str], shared_strings: Iterable[str] = ()) -> bytes:
    """An XLSX whose first sheet is the given XML pieces (rows), streamed into the zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(SHEET_OPEN.encode())
            for piece in sheet_parts:
                part.write(piece.encode())
            part.write(SHEET_CLOSE.encode())
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for piece in shared_strings:
                part.write(piece.encode())
            part.write(b"</sst>")
    return buffer.getvalue()


def _repeat(piece: str, times: int, per_write: int = 4096) -> Iterator[str]:
    block = piece * per_write
    full, rest = divmod(times, per_write)
    for _ in range(full):
        yield block
    yield piece * rest


def one_huge_cell(chars: int) -> bytes:
    """A header and one data row whose name cell holds ``chars`` characters (inline)."""

    def parts() -> Iterator[str]:
        yield inline_row(1, HEADER)
        yield '<row r="2"><c t="inlineStr"><is><t>3604014101900001</t></is></c>'
        yield '<c t="inlineStr"><is><t>'
        yield from _repeat("A", chars, per_write=1 << 16)
        yield "</t></is></c></row>"

    return workbook(parts())


def one_huge_shared_string(chars: int) -> bytes:
    """The same, with the long text in the shared strings (which openpyxl loads whole)."""
    rows = [inline_row(1, HEADER), '<row r="2"><c t="s"><v>0</v></c></row>']

    def strings() -> Iterator[str]:
        yield "<si><t>"
        yield from _repeat("A", chars, per_write=1 << 16)
        yield "</t></si>"

    return workbook(rows, strings())


def one_wide_row(cells: int) -> bytes:
    """A header and one data row of ``cells`` empty cells (8 million fit in under 1 MB)."""

    def parts() -> Iterator[str]:
        yield inline_row(1, HEADER)
        yield '<row r="2">'
        yield from _repeat("<c/>", cells)
        yield "</row>"

    return workbook(parts())


def many_rows(rows: int, width: int) -> bytes:
    """A header and ``rows`` rows of ``width`` small cells each."""

    def parts() -> Iterator[str]:
        yield inline_row(1, HEADER)
        row_cells = "<c><v>1</v></c>" * width
        for number in range(2, rows + 2):
            yield f'<row r="{number}">{row_cells}</row>'

    return workbook(parts())


def wide_csv(columns: int) -> bytes:
    return (",".join(HEADER) + "\r\n" + "3604014101900001" + "," * columns + "\r\n").encode()


def long_cell_csv(chars: int) -> bytes:
    return (",".join(HEADER) + "\r\n3604014101900001," + "A" * chars + "\r\n").encode()


#: The findings of the adversarial review, as the benchmark measures them.
HOSTILE = {
    "xlsx, one 200 MB cell (inline)": lambda: one_huge_cell(200 * 1024 * 1024),
    "xlsx, one 90 MB shared string": lambda: one_huge_shared_string(90 * 1024 * 1024),
    "xlsx, 8 million cells in one row": lambda: one_wide_row(8_000_000),
    "xlsx, 100,000 rows x 100 cells": lambda: many_rows(100_000, 100),
    "csv, 5 million columns in one row": lambda: wide_csv(5_000_000),
    "csv, one 15 MB cell": lambda: long_cell_csv(15 * 1024 * 1024),
}
