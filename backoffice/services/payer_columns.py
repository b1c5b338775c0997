"""A payer's contribution file, cell by cell: its columns, the parsers of its cells and the
template a department fills in (used by ``payer_import``)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from models import Member

from ..importing import Problem, SourceRow
from ..importing.columns import ColumnSet
from ..importing.exports import FORMULA_TRIGGERS
from ..importing.messages import Message
from ..importing.messages import lazy_message as _l
from ..importing.nik import checked_nik
from ..importing.parsers import ParseError, clean_text, is_blank, parse_date, quote
from ..rules.contributions import Contribution, PastAmount, owed_for_month
from ..rules.coverage import add_months
from ..rules.kpj import kpj_is_valid
from . import ledger

KPJ_LENGTH = 11

# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

PAYER_FIELDS: tuple[str, ...] = ("kpj", "nik", "name", "period", "months", "paid_on", "reference")
PAYER_HEADERS: Mapping[str, str] = {
    "kpj": "KPJ",
    "nik": "NIK",
    "name": "Nama",
    "period": "Bulan",
    "months": "Jumlah Bulan",
    "paid_on": "Tanggal Bayar",
    "reference": "Referensi",
}
PAYER_COLUMNS = ColumnSet(
    fields=PAYER_FIELDS,
    headers=PAYER_HEADERS,
    required=frozenset({"period", "paid_on"}),
    aliases={
        "kpj": ("No KPJ", "Nomor KPJ", "KPJ Peserta", "No Peserta", "Nomor Peserta"),
        "nik": ("No NIK", "Nomor NIK", "NIK KTP", "No KTP"),
        "name": ("Nama Peserta", "Nama Lengkap"),
        "period": (
            "Bulan Iuran",
            "Bulan Pertama",
            "Mulai Bulan",
            "Periode",
            "Periode Iuran",
            "Bulan (mm/yyyy)",
        ),
        "months": ("Jml Bulan", "Jumlah Bulan Dibayar", "Banyak Bulan", "Lama Bulan"),
        "paid_on": (
            "Tgl Bayar",
            "Tanggal Pembayaran",
            "Tgl Pembayaran",
            "Tanggal Setor",
            "Tgl Setor",
            "Tanggal Bayar (dd/mm/yyyy)",
        ),
        "reference": ("No Referensi", "Nomor Referensi", "SP2D", "No SP2D", "Nomor SP2D"),
    },
    text_fields=frozenset({"kpj", "nik"}),
    one_of=(("kpj", "nik"),),
    widths={
        "kpj": 16,
        "nik": 20,
        "name": 30,
        "period": 14,
        "months": 14,
        "paid_on": 16,
        "reference": 30,
    },
)


def column_problem(name: str, message: Message) -> Problem:
    return Problem(PAYER_HEADERS[name], message, name)


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------

_MONTH_NAMES: dict[str, int] = {
    **{
        name: number
        for number, names in enumerate(
            (
                ("januari", "jan", "january"),
                ("februari", "feb", "pebruari", "peb", "february"),
                ("maret", "mar", "march"),
                ("april", "apr"),
                ("mei", "may"),
                ("juni", "jun", "june"),
                ("juli", "jul", "july"),
                ("agustus", "agu", "agt", "ags", "agus", "aug", "august"),
                ("september", "sep", "sept"),
                ("oktober", "okt", "oct", "october"),
                ("november", "nov", "nopember", "nop"),
                ("desember", "des", "dec", "december"),
            ),
            start=1,
        )
        for name in names
    }
}
# [0-9], not \d: \d also matches other scripts' digits.
_MONTH_YEAR = re.compile(r"([0-9]{1,2})\s*([/.\-])\s*([0-9]+)")
_YEAR_MONTH = re.compile(r"([0-9]{4})\s*([/.\-])\s*([0-9]{1,2})")
_NAMED_MONTH = re.compile(r"([^\W\d_]+)\.?\s*[/.,\-]?\s*([0-9]+)")
_FULL_DATE = re.compile(r"[0-9]{1,2}([/.\-])[0-9]{1,2}\1[0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_MONTHS_WORD = re.compile(r"\s*(?:bulan|bln|months?)\.?\s*$", re.IGNORECASE)
_KPJ_SEPARATORS = re.compile(r"[\s.\-]+")


def _not_a_month(value: Any) -> ParseError:
    return ParseError(
        _l(
            "%(value)s is not a month; write it as mm/yyyy (e.g. 01/2026) or as a month and "
            "year (Januari 2026).",
            value=quote(value),
        )
    )


def _month(year_text: str, month: int, value: Any) -> date:
    if len(year_text) != 4:
        raise ParseError(
            _l(
                "%(value)s has no four-digit year; write the month as mm/yyyy, e.g. 01/2026.",
                value=quote(value),
            )
        )
    if not 1 <= month <= 12:
        raise ParseError(
            _l("%(value)s is not a month: the month must be 01 to 12.", value=quote(value))
        )
    return date(int(year_text), month, 1)


def parse_month(value: Any) -> date:
    """The first day of the month a cell names: a date cell, ``mm/yyyy``, ``yyyy-mm``,
    ``Januari 2026`` (Indonesian or English month names, whole or short), or a whole date
    (its month)."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    if is_blank(value):
        raise ParseError(_l("The month is empty; write it as mm/yyyy, e.g. 01/2026."))
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ParseError(
                _l(
                    "%(value)s is a number, not a month. Write the month as mm/yyyy, e.g. "
                    "01/2026, in a text cell.",
                    value=quote(value),
                )
            )
        raise _not_a_month(value)
    text = value.strip()
    if _FULL_DATE.fullmatch(text):
        try:
            return parse_date(text).replace(day=1)
        except ParseError as error:
            raise ParseError(error.message) from None
    match = _MONTH_YEAR.fullmatch(text)
    if match:
        return _month(match.group(3), int(match.group(1)), text)
    match = _YEAR_MONTH.fullmatch(text)
    if match:
        return _month(match.group(1), int(match.group(3)), text)
    match = _NAMED_MONTH.fullmatch(text)
    if match:
        number = _MONTH_NAMES.get(match.group(1).casefold())
        if number is not None:
            return _month(match.group(2), number, text)
    raise _not_a_month(text)


def parse_months(value: Any, periods: Sequence[int]) -> int:
    """How many months a row pays: one of the payment ``periods`` (an empty cell means 1)."""
    if is_blank(value):
        return 1
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        text = _MONTHS_WORD.sub("", value.strip())
        if text.isdigit() and text.isascii() and len(text) <= 3:
            number = int(text)
    if number is None:
        raise ParseError(
            _l(
                "%(value)s is not a number of months; write %(periods)s.",
                value=quote(value),
                periods=ledger.periods_text(periods),
            )
        )
    if number not in periods:
        raise ParseError(
            _l(
                "A payment covers %(periods)s months, not %(months)s.",
                periods=ledger.periods_text(periods),
                months=number,
            )
        )
    return number


def parse_kpj(value: Any) -> str:
    """An 11-digit KPJ number with a valid check digit."""
    if isinstance(value, bool):
        raise ParseError(_l("%(value)s is not a KPJ number.", value=quote(value)))
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise ParseError(_l("%(value)s is not a KPJ number.", value=quote(value)))
        text = str(int(value))
        if len(text) != KPJ_LENGTH:
            raise ParseError(
                _l(
                    "The spreadsheet turned this KPJ into a number (%(value)s) and may have "
                    "dropped its leading zeros. Format the KPJ column as Text, type the KPJ "
                    "numbers again and upload the file again.",
                    value=quote(value),
                )
            )
    else:
        text = str(value).strip()
        if text.startswith("'"):
            text = text[1:]
        text = _KPJ_SEPARATORS.sub("", text)
    if len(text) != KPJ_LENGTH or not (text.isdigit() and text.isascii()):
        raise ParseError(
            _l(
                "%(value)s is not a KPJ number: a KPJ number has 11 digits.",
                value=quote(value),
            )
        )
    if not kpj_is_valid(text):
        raise ParseError(
            _l(
                "%(value)s is not a valid KPJ number (its check digit does not match); check "
                "it for a typing mistake.",
                value=quote(value),
            )
        )
    return text


def parse_nik(value: Any) -> str:
    """A 16-digit NIK, used to find the member (its structure is the member's business: the
    member importer checked it at registration)."""
    nik, messages = checked_nik(value, known_regencies=frozenset())
    if nik is None:
        # Not 16 digits: the member importer's explanation (a number, missing digits ...).
        raise ParseError(messages[0])
    return nik


def parse_reference(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.strftime("%d/%m/%Y")
    text = clean_text(value)
    if text is None:
        return None
    if len(text) > ledger.REFERENCE_LENGTH:
        raise ParseError(
            _l(
                "The reference has %(n)s characters; at most %(max)s are allowed.",
                n=len(text),
                max=ledger.REFERENCE_LENGTH,
            )
        )
    return text


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


@dataclass
class PayerRow:
    """One row of the file, checked: what it pays, or everything wrong with it."""

    number: int
    original: list[Any]
    problems: list[Problem] = field(default_factory=list)
    member: Member | None = None
    period: date | None = None  # the first month paid
    months: int | None = None
    paid_on: date | None = None
    reference: str | None = None
    name: str | None = None  # as written in the file
    #: what the member owed before a correction changed their contribution
    past: list[PastAmount] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def periods(self) -> list[date]:
        if self.period is None or self.months is None:
            return []
        return [add_months(self.period, i) for i in range(self.months)]

    @property
    def last_period(self) -> date | None:
        periods = self.periods
        return periods[-1] if periods else None

    @property
    def amount(self) -> int:
        """What the row pays: the member's monthly contribution of each month it pays (a
        corrected contribution applies from a month on: ``past``)."""
        if self.member is None or self.months is None:
            return 0
        member = self.member
        newest = Contribution(
            member.contribution_jkk, member.contribution_jkm, member.contribution_jht
        )
        if not self.past or self.period is None:
            return self.months * newest.total
        return sum(owed_for_month(newest, self.past, month).total for month in self.periods)


@dataclass
class ParsedRow:
    row: PayerRow
    kpj: str | None = None
    nik: str | None = None


def parse_row(source: SourceRow, today: date, periods: Sequence[int]) -> ParsedRow:
    """A row's cells parsed, every problem of its cells noted (its member is found later)."""
    raw = source.raw
    row = PayerRow(source.number, source.original)
    parsed = ParsedRow(row)
    problems = row.problems
    kpj_value, nik_value = raw.get("kpj"), raw.get("nik")
    if is_blank(kpj_value) and is_blank(nik_value):
        column = "kpj" if "kpj" in raw else "nik"
        problems.append(column_problem(column, _l("Give the member's KPJ number or NIK.")))
    if not is_blank(kpj_value):
        try:
            parsed.kpj = parse_kpj(kpj_value)
        except ParseError as error:
            problems.append(column_problem("kpj", error.message))
    if not is_blank(nik_value):
        try:
            parsed.nik = parse_nik(nik_value)
        except ParseError as error:
            problems.append(column_problem("nik", error.message))
    name = raw.get("name")
    row.name = None if is_blank(name) else clean_text(name)
    try:
        row.period = parse_month(raw.get("period"))
    except ParseError as error:
        problems.append(column_problem("period", error.message))
    try:
        row.months = parse_months(raw.get("months"), periods)
    except ParseError as error:
        problems.append(column_problem("months", error.message))
    value = raw.get("paid_on")
    if is_blank(value):
        problems.append(column_problem("paid_on", _l("The payment date is empty.")))
    else:
        try:
            paid_on = parse_date(value)
        except ParseError as error:
            problems.append(column_problem("paid_on", error.message))
        else:
            if paid_on > today:
                problems.append(
                    column_problem(
                        "paid_on",
                        _l(
                            "The payment date %(date)s is in the future.",
                            date=paid_on.strftime("%d/%m/%Y"),
                        ),
                    )
                )
            else:
                row.paid_on = paid_on
    try:
        row.reference = parse_reference(raw.get("reference"))
    except ParseError as error:
        problems.append(column_problem("reference", error.message))
    return parsed


# --------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_TEXT = "@"


def _text_cell(sheet: Any, row: int, column: int, text: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text
    cell.number_format = _TEXT
    if text.lstrip().startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def template_xlsx(members: Iterable[Member] = ()) -> bytes:
    """The payer's template: sheet "Iuran" with the columns (KPJ, NIK and the dates as text
    columns), one row per member given (KPJ and name filled in, the NIK left empty), sheet "Petunjuk" with
    instructions (Indonesian: the file is filled in by Indonesian offices)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Iuran"
    for index, name in enumerate(PAYER_FIELDS, start=1):
        cell = sheet.cell(row=1, column=index, value=PAYER_HEADERS[name])
        cell.font = _BOLD
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = PAYER_COLUMNS.widths[name]
        if name in ("kpj", "nik", "period", "paid_on", "reference"):
            # Text columns: a KPJ keeps its leading zeros, a NIK its 16 digits, and an
            # English-locale spreadsheet cannot swap day and month.
            sheet.column_dimensions[letter].number_format = _TEXT
    for number, member in enumerate(members, start=2):
        # The KPJ finds the member: their NIK (personal data, UU 27/2022) does not leave the
        # office in a file for another agency.
        _text_cell(sheet, number, 1, member.kpj)
        _text_cell(sheet, number, 3, member.name)
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("Petunjuk")
    guide.column_dimensions["A"].width = 110
    guide.append(["Petunjuk pengisian daftar pembayaran iuran BPU oleh instansi pembayar"])
    guide["A1"].font = Font(bold=True, size=12)
    for line in (
        "1. Isi satu pembayaran per baris di lembar Iuran, mulai baris 2. Jangan mengubah judul "
        "kolom.",
        "2. KPJ: nomor kepesertaan 11 digit, atau NIK 16 digit bila KPJ tidak diketahui. Kolom "
        "KPJ dan NIK berformat Teks; jangan diubah ke Angka.",
        "3. Nama boleh diisi untuk memudahkan pemeriksaan; tidak dipakai untuk mencari peserta.",
        "4. Bulan: bulan pertama yang dibayar, contoh 01/2026, 2026-01 atau Januari 2026.",
        "5. Jumlah Bulan: 1, 3, 6 atau 12 bulan berturut-turut mulai dari Bulan; kosong berarti 1.",
        "6. Tanggal Bayar: tanggal pembayaran, format dd/mm/yyyy, contoh 15/01/2026; tidak boleh "
        "setelah hari ini.",
        "7. Referensi boleh dikosongkan; contoh nomor SP2D, paling banyak 64 karakter.",
        "8. Iuran per bulan dihitung dari data peserta; bulan yang sudah dibayar tidak dapat "
        "dibayar lagi, dan paling jauh 12 bulan di muka.",
        "9. Simpan sebagai Excel Workbook (.xlsx) atau CSV, lalu unggah.",
    ):
        guide.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = [
    "PAYER_COLUMNS",
    "PAYER_FIELDS",
    "PAYER_HEADERS",
    "ParsedRow",
    "PayerRow",
    "ParseError",
    "column_problem",
    "parse_kpj",
    "parse_month",
    "parse_months",
    "parse_nik",
    "parse_reference",
    "parse_row",
    "template_xlsx",
]
