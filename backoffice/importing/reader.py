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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any
from xml.parsers import expat

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


@dataclass(frozen=True)
class ReadLimits:
    """What one uploaded file may cost to read, whatever its size on disk.

    A few hundred KB of XLSX can hold one 200 MB cell or millions of cells in one row: the
    file size and the unpacked size say nothing of either. The sheet's XML is scanned first
    with expat, in constant memory (a cell's text arrives in pieces and is only counted), and
    refused as a whole on the first limit crossed; the rows are then read within a time budget.
    """

    #: Excel's own limit for the text of one cell.
    max_cell_chars: int = 32_767
    #: Cells in one row (a member list has about fifteen columns; extra ones are ignored).
    max_columns: int = 256
    #: Cells in the whole sheet, blank cells included.
    max_cells: int = 4_000_000
    #: Seconds to check and read one file, from the first byte to the last row.
    max_seconds: float = 300.0
    #: The clock the time budget is measured on (tests pass a fake one).
    clock: Callable[[], float] = field(default=monotonic, compare=False)

    def deadline(self) -> float:
        return self.clock() + self.max_seconds

    def check_time(self, deadline: float) -> None:
        if self.clock() > deadline:
            raise _too_slow()


DEFAULT_LIMITS = ReadLimits()
#: Check the time budget once per this many rows (a clock read per row would cost more).
_TIME_CHECK_ROWS = 512

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
        limits: ReadLimits = DEFAULT_LIMITS,
        deadline: float | None = None,
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
        self._limits = limits
        self._deadline = deadline
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
        limit, or reading that runs past the time budget. The caller must then discard
        everything of the file.
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
        limits = self._limits
        # One budget for the whole reading, from the file's first check (read_table).
        deadline = self._deadline if self._deadline is not None else limits.deadline()
        count = 0
        for number, cells in self._records():
            if number % _TIME_CHECK_ROWS == 0:
                limits.check_time(deadline)
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


def _cell_too_long(limits: ReadLimits, row: int | None) -> FileRefused:
    where = _l("Row %(row)s has a cell", row=row) if row is not None else _l("The file has a cell")
    return FileRefused(
        _l(
            "%(where)s longer than %(limit)s characters, the most a spreadsheet cell can hold. "
            "Check the file and upload it again.",
            where=where,
            limit=_group(limits.max_cell_chars),
        ),
        "cell_too_long",
    )


def _too_many_columns(limits: ReadLimits, row: int) -> FileRefused:
    return FileRefused(
        _l(
            "Row %(row)s has more than %(limit)s columns. Keep only the columns of the upload "
            "template and upload the file again.",
            row=row,
            limit=_group(limits.max_columns),
        ),
        "too_many_columns",
    )


def _too_many_cells(limits: ReadLimits) -> FileRefused:
    return FileRefused(
        _l(
            "The sheet has more than %(limit)s cells. Delete the unused rows and columns, or "
            "split the file, and upload it again.",
            limit=_group(limits.max_cells),
        ),
        "too_many_cells",
    )


def _too_slow() -> FileRefused:
    return FileRefused(
        _l(
            "The file takes too long to read. Split it into smaller files, or save it again "
            "from your spreadsheet program, and upload it again."
        ),
        "too_slow",
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
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Table:
    """Check an uploaded file as a whole and return its Table, or raise FileRefused.

    ``filename`` is not used to choose the format (the content is); it is
    accepted so callers pass it and future messages may quote it. ``columns``
    are the headers looked for (a member upload's by default); ``limits`` bound
    what reading it may cost.
    """
    del filename
    deadline = limits.deadline()
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
        return _read_xlsx(data, max_rows, columns, limits, deadline)
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
    return _read_csv(data, max_rows, columns, limits, deadline)


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


def _csv_records(
    data: bytes, encoding: str, delimiter: str, limits: ReadLimits
) -> Iterator[Record]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    max_columns = limits.max_columns
    max_chars = limits.max_cell_chars
    number = 0
    try:
        for cells in reader:
            # A quoted field spanning lines is one spreadsheet row, so count
            # records, not physical lines; blank lines come as [] and count.
            number += 1
            if len(cells) > max_columns:
                raise _too_many_columns(limits, number)
            if cells and max(map(len, cells)) > max_chars:
                raise _cell_too_long(limits, number)
            yield number, cells
    except (csv.Error, UnicodeDecodeError) as exc:
        # Past the csv module's own field limit (128 KiB) too: most often a quote never
        # closed, which swallows the rest of the file.
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


def _read_csv(
    data: bytes, max_rows: int, columns: ColumnSet, limits: ReadLimits, deadline: float
) -> Table:
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
        return _csv_records(data, encoding, delimiter, limits)

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
    limits.check_time(deadline)
    return Table(
        format="csv",
        headers=headers,
        column_map=column_map,
        ignored_columns=ignored,
        header_row=header.number,
        records=records,
        is_blank=_csv_is_blank,
        max_rows=max_rows,
        limits=limits,
        deadline=deadline,
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


def _open_archive(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _not_spreadsheet() from exc


def _check_unpacked_size(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook that would unpack to more than memory allows.

    A few MB of XLSX can unpack to gigabytes ("zip bomb"). The sheet is
    streamed, but openpyxl loads the shared-strings part whole. The sizes
    declared in the zip directory also cap what the zip module will unpack.
    """
    members = archive.infolist()
    total = sum(member.file_size for member in members)
    strings = sum(member.file_size for member in members if _is_shared_strings(member.filename))
    if total > MAX_UNPACKED_BYTES or strings > MAX_SHARED_STRINGS_BYTES:
        raise FileRefused(
            _l("The workbook is too large once unpacked. Split it into smaller files."),
            "too_large",
        )


def _is_shared_strings(name: str) -> bool:
    return name.lower().endswith("sharedstrings.xml")


#: Elements of a worksheet or shared-strings part whose text is a cell's content.
_TEXT_ELEMENTS = frozenset({"v", "t", "f", "is"})
_SCAN_CHUNK = 64 * 1024


class _ShapeScan:
    """Counts a worksheet's cells per row and the length of each cell's text, in constant
    memory: expat hands text over in pieces, which are counted, never joined."""

    def __init__(self, limits: ReadLimits, deadline: float, *, cells: bool) -> None:
        self.limits = limits
        self.deadline = deadline
        self.count_cells = cells
        self.row = 0
        self.row_cells = 0
        self.cells = 0
        self.text = 0
        self.in_text = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rpartition(":")[2]
        if name in _TEXT_ELEMENTS:
            self.in_text += 1
            self.text = 0
        elif not self.count_cells:
            return
        elif name == "c":
            self.row_cells += 1
            self.cells += 1
            if self.row_cells > self.limits.max_columns:
                raise _too_many_columns(self.limits, self.row)
            if self.cells > self.limits.max_cells:
                raise _too_many_cells(self.limits)
        elif name == "row":
            self.row = _row_number(attrs.get("r"), self.row + 1)
            self.row_cells = 0

    def end(self, tag: str) -> None:
        if tag.rpartition(":")[2] in _TEXT_ELEMENTS:
            self.in_text -= 1
            self.text = 0

    def characters(self, text: str) -> None:
        if self.in_text:
            self.text += len(text)
            if self.text > self.limits.max_cell_chars:
                raise _cell_too_long(self.limits, self.row or None)

    def scan(self, source: Any) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.characters
        try:
            while chunk := source.read(_SCAN_CHUNK):
                parser.Parse(chunk, False)
                self.limits.check_time(self.deadline)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _damaged(self.row or None) from exc
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise _damaged(None) from exc


def _row_number(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _scan_part(
    archive: zipfile.ZipFile, name: str, limits: ReadLimits, deadline: float, *, cells: bool
) -> None:
    try:
        source = archive.open(name)
    except KeyError:
        return
    with source:
        _ShapeScan(limits, deadline, cells=cells).scan(source)


#: The package's small parts that say where the first sheet is (a few KB in real files).
_MAX_INDEX_PART_BYTES = 4 * 1024 * 1024
_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT = _RELS_NS + "/officeDocument"


def _check_shape(archive: zipfile.ZipFile, limits: ReadLimits, deadline: float) -> None:
    """Scan the shared strings and the first sheet before openpyxl opens the workbook.

    openpyxl loads the shared strings whole, and when a sheet has no <dimension> it parses the
    whole sheet while opening it (a row at a time, each row whole): the shape must be known
    to be sane before that.
    """
    sizes = {member.filename: member.file_size for member in archive.infolist()}
    for name in sizes:
        if _is_shared_strings(name):
            _scan_part(archive, name, limits, deadline, cells=False)
    first = _first_sheet_part(archive, sizes)
    sheets = [first] if first else [n for n in sizes if n.startswith("xl/worksheets/")]
    for name in sheets:
        _scan_part(archive, name, limits, deadline, cells=True)


def _first_sheet_part(archive: zipfile.ZipFile, sizes: dict[str, int]) -> str | None:
    """The zip path of the workbook's first sheet, as the package's relationships say."""
    root = _relationships(archive, "_rels/.rels", sizes)
    workbook = next((t for kind, t in root.values() if kind == _OFFICE_DOCUMENT), None)
    if workbook is None or not _small_part(workbook, sizes):
        return None
    folder, _, filename = workbook.rpartition("/")
    targets = _relationships(archive, f"{folder}/_rels/{filename}.rels", sizes)
    first_id: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not first_id and tag.rpartition(" ")[2] == "sheet":
            first_id.append(attrs.get(f"{_RELS_NS} id", ""))

    _parse_small(archive, workbook, start)
    if not first_id or first_id[0] not in targets:
        return None
    target = targets[first_id[0]][1]
    return _resolve(folder, target) if _resolve(folder, target) in sizes else None


def _relationships(
    archive: zipfile.ZipFile, name: str, sizes: dict[str, int]
) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    if not _small_part(name, sizes):
        return found

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(" ")[2] == "Relationship" and "Id" in attrs:
            found[attrs["Id"]] = (attrs.get("Type", ""), attrs.get("Target", ""))

    _parse_small(archive, name, start)
    return found


def _small_part(name: str, sizes: dict[str, int]) -> bool:
    return name in sizes and sizes[name] <= _MAX_INDEX_PART_BYTES


def _parse_small(archive: zipfile.ZipFile, name: str, start: Callable[..., None]) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    try:
        parser.Parse(archive.read(name), True)
    except (expat.ExpatError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise _not_spreadsheet() from exc


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as a zip path (relative to the source part's folder)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in folder.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _read_xlsx(
    data: bytes, max_rows: int, columns: ColumnSet, limits: ReadLimits, deadline: float
) -> Table:
    # One look at the zip directory for both checks; openpyxl opens its own afterwards.
    with _open_archive(data) as archive:
        _check_unpacked_size(archive)
        _check_shape(archive, limits, deadline)
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
        limits.check_time(deadline)
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
        limits=limits,
        deadline=deadline,
        close=workbook.close,
    )
