"""Read an uploaded member list (XLSX or CSV) into header-mapped rows.

The columns are those of a member upload unless the caller passes another
``ColumnSet`` (a payer's contribution file is read the same way).

The format is told by the bytes, not by the file name: people rename files,
and a PDF called ``peserta.xlsx`` must get a clear refusal, not a stack trace.
Rows are produced lazily so that a 200,000-row file is never held as Python
objects all at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import operator
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import openpyxl

from .columns import MEMBER_COLUMNS, ColumnSet
from .messages import Message
from .messages import lazy_message as _l

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
#: Limits on what an XLSX unpacks to. A 200,000-row workbook saved by Excel
#: unpacks to roughly 100 MB, of which some 40 MB of shared strings (held in
#: memory by openpyxl, several times their size as Python objects).
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 96 * 1024 * 1024

#: The header is looked for among the first non-blank rows, because offices
#: often put a title ("DAFTAR PESERTA BPU DINAS ...") above it.
HEADER_SCAN_ROWS = 10
#: Enough of a CSV to choose its delimiter from the header.
_SNIFF_BYTES = 64 * 1024
_CSV_DELIMITERS = (",", ";", "\t")

_ZIP_SIGNATURE = b"PK\x03\x04"
#: Compound File (OLE2): old .xls, and also any password-protected .xlsx.
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Binary formats that people upload by mistake; some (a small PDF) are
#: plain ASCII and would otherwise pass the text test.
_BINARY_SIGNATURES = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
)
#: Documents that are text but not a table we can read: HTML / XML
#: ("Excel" exports of some systems are HTML), RTF.
_MARKUP_PREFIXES = ("<", "{\\rtf")
# Control bytes never occur in a text export (tab, LF, VT, FF and CR do).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_NON_SPACE = re.compile(rb"\S")
# Bytes that Windows-1252 leaves undefined.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")

#: Cell types kept as they are; anything else openpyxl returns (array or
#: data-table formula objects) is turned into its text.
_PLAIN_CELL_TYPES = frozenset({str, int, float, bool, datetime, date, time, timedelta, type(None)})


class FileRefused(Exception):
    """The whole file is refused; nothing of it is to be stored.

    ``message`` is a lazy, translatable text for the uploader; ``code`` a
    stable identifier for programs ("not_spreadsheet", "empty", ...).
    """

    def __init__(self, message: Message, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row. ``number`` is the row number the spreadsheet shows."""

    number: int
    #: canonical field -> cell as read (None when the row is short)
    raw: dict[str, Any]
    #: every cell of the row as read, for the error report
    original: list[Any]


Record = tuple[int, Sequence[Any]]


class Table:
    """An accepted file: its header mapping and a way to iterate its rows."""

    def __init__(
        self,
        *,
        format: str,
        headers: list[str],
        column_map: dict[str, int],
        ignored_columns: list[str],
        header_row: int,
        records: Callable[[], Iterator[Record]],
        is_blank: Callable[[Sequence[Any]], bool],
        max_rows: int,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.format = format
        self.headers = headers
        self.column_map = column_map
        self.ignored_columns = ignored_columns
        self.header_row = header_row
        self._records = records
        self._is_blank = is_blank
        self._max_rows = max_rows
        self._close = close

    @property
    def ignored_note(self) -> Message | None:
        """A note for the uploader listing the extra columns, or None."""
        if not self.ignored_columns:
            return None
        return _l(
            "These columns are not used and were ignored: %(columns)s.",
            columns=", ".join(self.ignored_columns),
        )

    def rows(self) -> Iterator[SourceRow]:
        """The non-blank data rows, in file order, read lazily.

        May raise FileRefused while iterating: a file can turn out to be
        damaged further down (a CSV quote never closed, broken XLSX XML), or an
        XLSX whose declared size understated its rows to be over the row
        limit. The caller must then discard everything of the file.
        """
        fields = tuple(self.column_map)
        indexes = tuple(self.column_map.values())
        # itemgetter + zip build the dict in C; short rows are padded first.
        # itemgetter of one index returns the item, not a 1-tuple: wrap it.
        if len(indexes) == 1:
            (only,) = indexes

            def pick(cells: Sequence[Any]) -> tuple[Any, ...]:
                return (cells[only],)
        else:
            pick = operator.itemgetter(*indexes)
        needed = max(indexes) + 1
        header_row = self.header_row
        is_blank = self._is_blank
        max_rows = self._max_rows
        count = 0
        for number, cells in self._records():
            if number <= header_row or is_blank(cells):
                continue
            count += 1
            if count > max_rows:
                raise _too_many_rows(max_rows)
            # Both record sources build a fresh list per row: no copy needed.
            original = cells if isinstance(cells, list) else list(cells)
            if len(original) >= needed:
                raw = dict(zip(fields, pick(original), strict=True))
            else:
                padded = original + [None] * (needed - len(original))
                raw = dict(zip(fields, pick(padded), strict=True))
            yield SourceRow(number, raw, original)

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- refusals ----------------------------------------------------------------


def _group(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _not_spreadsheet() -> FileRefused:
    return FileRefused(
        _l(
            "This file is not an Excel workbook (.xlsx) or a CSV file. Save it from your "
            'spreadsheet program as "Excel Workbook (.xlsx)" or "CSV" and upload it again.'
        ),
        "not_spreadsheet",
    )


def _too_many_rows(max_rows: int) -> FileRefused:
    return FileRefused(
        _l(
            "The file has more than %(limit)s data rows. Split it into smaller files and upload them one by one.",
            limit=_group(max_rows),
        ),
        "too_many_rows",
    )


def _damaged(row: int | None) -> FileRefused:
    if row is None:
        message = _l(
            "The file is damaged and cannot be read. Save it again from your spreadsheet program and upload it again."
        )
    else:
        message = _l(
            "The file is damaged and cannot be read beyond row %(row)s. Save it again from your "
            "spreadsheet program and upload it again.",
            row=row,
        )
    return FileRefused(message, "damaged")


# --- entry point ---------------------------------------------------------------


def read_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    columns: ColumnSet = MEMBER_COLUMNS,
) -> Table:
    """Check an uploaded file as a whole and return its Table, or raise FileRefused.

    ``filename`` is not used to choose the format (the content is); it is
    accepted so callers pass it and future messages may quote it. ``columns``
    are the headers looked for (a member upload's by default).
    """
    del filename
    if not data:
        raise FileRefused(_l("The file is empty."), "empty")
    if len(data) > max_bytes:
        raise FileRefused(
            _l(
                "The file is larger than %(limit)s MB. Split it into smaller files.",
                limit=_megabytes(max_bytes),
            ),
            "too_large",
        )
    if data.startswith(_ZIP_SIGNATURE):
        return _read_xlsx(data, max_rows, columns)
    if data.startswith(_OLE2_SIGNATURE):
        raise FileRefused(
            _l(
                "This is an old Excel file (.xls) or a password-protected workbook. Open it in "
                'Excel, save it as "Excel Workbook (.xlsx)" without a password, and upload it again.'
            ),
            "legacy_excel",
        )
    if data.startswith(_BINARY_SIGNATURES):
        raise _not_spreadsheet()
    return _read_csv(data, max_rows, columns)


def _megabytes(n: int) -> str:
    value = n / (1024 * 1024)
    return str(int(value)) if value.is_integer() else f"{value:.1f}".replace(".", ",")


# --- header ------------------------------------------------------------------


@dataclass(slots=True)
class _Header:
    number: int
    cells: Sequence[Any]


def _recognised(cells: Sequence[Any], columns: ColumnSet) -> int:
    return len({field for cell in cells if (field := columns.field_for_header(cell)) is not None})


def _locate_header(
    records: Iterator[Record], is_blank: Callable[[Sequence[Any]], bool], columns: ColumnSet
) -> tuple[_Header, bool]:
    """The header row and whether a non-blank row follows it.

    The header is the row with the most recognised column titles among the
    first HEADER_SCAN_ROWS non-blank rows (the first of them when none is
    recognised, so that the missing-column refusal can name what is missing).
    """
    scanned: list[_Header] = []
    for number, cells in records:
        if is_blank(cells):
            continue
        scanned.append(_Header(number, cells))
        if len(scanned) == HEADER_SCAN_ROWS:
            break
    if not scanned:
        raise FileRefused(_l("The file is empty."), "empty")
    best_index = 0
    best_score = -1
    for index, candidate in enumerate(scanned):
        score = _recognised(candidate.cells, columns)
        if score > best_score:
            best_index, best_score = index, score
    header = scanned[best_index]
    if best_index < len(scanned) - 1:
        return header, True
    for _number, cells in records:
        if not is_blank(cells):
            return header, True
    return header, False


def _map_columns(
    cells: Sequence[Any], columns: ColumnSet
) -> tuple[list[str], dict[str, int], list[str]]:
    headers = ["" if cell is None else str(cell) for cell in cells]
    column_map: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(headers):
        field = columns.field_for_header(cell)
        if field is None:
            if cell.strip():
                ignored.append(" ".join(cell.split()))
            continue
        if field in column_map:
            raise FileRefused(
                _l(
                    "The column %(column)s appears twice (columns %(first)s and %(second)s). "
                    "Keep one of them and upload the file again.",
                    column=columns.headers[field],
                    first=_column_letter(column_map[field]),
                    second=_column_letter(index),
                ),
                "duplicate_column",
            )
        column_map[field] = index
    missing = [
        columns.headers[field]
        for field in columns.fields
        if field in columns.required and field not in column_map
    ]
    for group in columns.one_of:
        if not any(field in column_map for field in group):
            # "KPJ/NIK": either of them will do.
            missing.append("/".join(columns.headers[field] for field in group))
    if missing:
        raise FileRefused(
            _l(
                "Required columns are missing: %(columns)s. Use the column titles of the upload template.",
                columns=", ".join(missing),
            ),
            "missing_columns",
        )
    return headers, column_map, ignored


def _column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _refuse_if_too_many_rows(
    records: Iterator[Record],
    header_number: int,
    is_blank: Callable[[Sequence[Any]], bool],
    max_rows: int,
) -> None:
    """Count the data rows one by one (nothing is kept); stop at the limit."""
    count = 0
    for number, cells in records:
        if number > header_number and not is_blank(cells):
            count += 1
            if count > max_rows:
                raise _too_many_rows(max_rows)


def _no_data() -> FileRefused:
    return FileRefused(
        _l("The file has column titles but no data rows."),
        "no_data",
    )


# --- CSV ---------------------------------------------------------------------


def _csv_is_blank(cells: Sequence[str]) -> bool:
    # One C-level join instead of a Python loop over the cells.
    return not "".join(cells).strip()


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    # Chunked so that checking a 20 MB file does not build a 20 MB string.
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(data), step):
            decoder.decode(view[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text_encoding(data: bytes) -> str:
    """utf-8-sig (with or without BOM) or cp1252, else the file is not text."""
    if _CONTROL_BYTES.search(data):
        raise _not_spreadsheet()
    if _is_utf8(data):
        # utf-8-sig also reads files without a BOM and drops it when present.
        return "utf-8-sig"
    if _CP1252_UNDEFINED.search(data):
        raise _not_spreadsheet()
    # Older Excel for Windows saves "CSV (Comma delimited)" in the ANSI code
    # page, cp1252 on most Indonesian installations.
    return "cp1252"


def _csv_records(data: bytes, encoding: str, delimiter: str) -> Iterator[Record]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    number = 0
    try:
        for cells in reader:
            # A quoted field spanning lines is one spreadsheet row, so count
            # records, not physical lines; blank lines come as [] and count.
            number += 1
            yield number, cells
    except (csv.Error, UnicodeDecodeError) as exc:
        raise _damaged(number + 1) from exc


def _choose_delimiter(data: bytes, encoding: str, columns: ColumnSet) -> str:
    """The delimiter under which the header is best recognised.

    csv.Sniffer guesses from character statistics and is easily fooled by
    "1.000.000,00" amounts; the header row is a far better witness.
    """
    head = data[:_SNIFF_BYTES].decode(encoding, errors="ignore")
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    best = ","
    best_key = (-1, -1)
    for delimiter in _CSV_DELIMITERS:
        reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter, strict=False)
        score = 0
        try:
            for index, cells in enumerate(reader):
                if index >= HEADER_SCAN_ROWS * 3:
                    break
                score = max(score, _recognised(cells, columns))
        except csv.Error:
            pass
        key = (score, first_line.count(delimiter))
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _read_csv(data: bytes, max_rows: int, columns: ColumnSet) -> Table:
    # Ctrl-Z is an end-of-file mark some old DOS-era tools still append.
    data = data.rstrip(b"\x1a")
    if not _NON_SPACE.search(data):
        raise FileRefused(_l("The file is empty."), "empty")
    encoding = _text_encoding(data)
    head = data[:256].decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
    if head.lower().startswith(_MARKUP_PREFIXES):
        raise _not_spreadsheet()
    delimiter = _choose_delimiter(data, encoding, columns)

    def records() -> Iterator[Record]:
        return _csv_records(data, encoding, delimiter)

    header, has_data = _locate_header(records(), _csv_is_blank, columns)
    headers, column_map, ignored = _map_columns(header.cells, columns)
    if not has_data:
        raise _no_data()
    # Every row is at least one line: when the lines (counted in C, in
    # milliseconds) are within the limit, so are the rows. Only a file near
    # or over the limit pays for an exact count, before any row is handed out.
    lines = max(data.count(b"\n"), data.count(b"\r")) + 1
    if lines - header.number > max_rows:
        _refuse_if_too_many_rows(records(), header.number, _csv_is_blank, max_rows)
    return Table(
        format="csv",
        headers=headers,
        column_map=column_map,
        ignored_columns=ignored,
        header_row=header.number,
        records=records,
        is_blank=_csv_is_blank,
        max_rows=max_rows,
    )


# --- XLSX ----------------------------------------------------------------------


def _xlsx_is_blank(cells: Sequence[Any]) -> bool:
    for cell in cells:
        if cell is None:
            continue
        if isinstance(cell, str) and not cell.strip():
            continue
        return False
    return True


def _cell_value(value: Any) -> Any:
    if type(value) in _PLAIN_CELL_TYPES:
        return value
    # ArrayFormula / DataTableFormula: keep the formula text, never a value.
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


def _xlsx_records(worksheet: Any) -> Iterator[Record]:
    rows = worksheet.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # openpyxl raises many types on broken XML
            raise _damaged(number + 1 if number else None) from exc
        # read_only mode yields an empty tuple for every missing row, so
        # counting tuples gives the row number the spreadsheet shows.
        number += 1
        yield number, [_cell_value(cell) for cell in cells]


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook that would unpack to more than memory allows.

    A few MB of XLSX can unpack to gigabytes ("zip bomb"). The sheet is
    streamed, but openpyxl loads the shared-strings part whole. The sizes
    declared in the zip directory also cap what the zip module will unpack.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _not_spreadsheet() from exc
    total = sum(member.file_size for member in members)
    strings = sum(
        member.file_size
        for member in members
        if member.filename.lower().endswith("sharedstrings.xml")
    )
    if total > MAX_UNPACKED_BYTES or strings > MAX_SHARED_STRINGS_BYTES:
        raise FileRefused(
            _l("The workbook is too large once unpacked. Split it into smaller files."),
            "too_large",
        )


def _read_xlsx(data: bytes, max_rows: int, columns: ColumnSet) -> Table:
    _check_unpacked_size(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # a zip that is not a workbook: .docx, .ods, a damaged file
        raise _not_spreadsheet() from exc
    try:
        if not workbook.worksheets:
            raise _not_spreadsheet()
        worksheet = workbook.worksheets[0]
        declared_rows = worksheet.max_row
        # The <dimension> element is written by the producing program and is
        # sometimes wrong; openpyxl would stop reading at it. Read everything.
        worksheet.reset_dimensions()

        def records() -> Iterator[Record]:
            return _xlsx_records(worksheet)

        try:
            header, has_data = _locate_header(records(), _xlsx_is_blank, columns)
        except FileRefused as refused:
            if refused.code == "empty" and len(workbook.worksheets) > 1:
                # Only the first sheet is read: say so rather than "empty".
                raise FileRefused(
                    _l(
                        "The first sheet of the workbook is empty. Put the member list in the "
                        "first sheet and upload the file again."
                    ),
                    "empty",
                ) from None
            raise
        headers, column_map, ignored = _map_columns(header.cells, columns)
        if not has_data:
            raise _no_data()
        if isinstance(declared_rows, int) and declared_rows - header.number > max_rows:
            # The sheet claims to be too big, but blank formatted rows count in
            # the claim: count the real rows. A claim can also be too small,
            # so Table.rows() counts as well.
            _refuse_if_too_many_rows(records(), header.number, _xlsx_is_blank, max_rows)
    except BaseException:
        workbook.close()
        raise
    return Table(
        format="xlsx",
        headers=headers,
        column_map=column_map,
        ignored_columns=ignored,
        header_row=header.number,
        records=records,
        is_blank=_xlsx_is_blank,
        max_rows=max_rows,
        close=workbook.close,
    )
