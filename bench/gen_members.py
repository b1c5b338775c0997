"""Deterministic generator of realistic BPU member upload rows (Banten).

Rows look like what a department liaison keeps: NIKs from the eight Banten
regencies/cities with the birth date and sex correctly encoded, Sundanese /
Javanese / Banten names, village addresses, informal occupations, mobile
numbers typed in the usual different ways, reference income levels and
programme choices. The same ``seed`` always gives the same rows.

Used by the tests (a few hundred rows) and by bench/bench_import.py and
bench/bench_batches.py.

    rows = generate_rows(500, seed=1, invalid_ratio=0.1)
    write_csv(path, rows)            # ';' delimited, UTF-8 with BOM, CRLF
    write_xlsx(path, rows)           # openpyxl write-only, NIK stored as text
"""

from __future__ import annotations

import csv
import random
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from backoffice.rules.nik import make_nik

#: Template headers, in template order (see backoffice/importing/columns.py).
HEADERS: tuple[str, ...] = (
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
)

#: Banten regencies and cities (Kemendagri codes) with some of their districts.
REGENCIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "3601": ("Kab. Pandeglang", ("Labuan", "Menes", "Saketi", "Cimanuk", "Carita", "Panimbang")),
    "3602": (
        "Kab. Lebak",
        ("Rangkasbitung", "Malingping", "Bayah", "Cibadak", "Maja", "Warunggunung"),
    ),
    "3603": (
        "Kab. Tangerang",
        ("Cikupa", "Balaraja", "Pasarkemis", "Tigaraksa", "Kosambi", "Teluknaga"),
    ),
    "3604": ("Kab. Serang", ("Cikande", "Kramatwatu", "Anyar", "Ciruas", "Pontang", "Baros")),
    "3671": (
        "Kota Tangerang",
        ("Batuceper", "Cipondoh", "Karawaci", "Periuk", "Neglasari", "Benda"),
    ),
    "3672": (
        "Kota Cilegon",
        ("Ciwandan", "Pulomerak", "Grogol", "Jombang", "Citangkil", "Cibeber"),
    ),
    "3673": (
        "Kota Serang",
        ("Cipocok Jaya", "Taktakan", "Kasemen", "Walantaka", "Curug", "Serang"),
    ),
    "3674": (
        "Kota Tangerang Selatan",
        ("Ciputat", "Pamulang", "Serpong", "Pondok Aren", "Setu", "Ciputat Timur"),
    ),
}
REGENCY_CODES: frozenset[str] = frozenset(REGENCIES)
_REGENCY_ORDER: tuple[str, ...] = tuple(sorted(REGENCIES))

#: Illustrative reference income levels (the official list is reference data,
#: see domain.md): Rp1,000,000 to Rp20,700,000.
INCOME_LEVELS: frozenset[int] = frozenset([*range(1_000_000, 20_500_001, 500_000), 20_700_000])
_LEVEL_ORDER: tuple[int, ...] = tuple(sorted(INCOME_LEVELS))
#: The levels most informal workers declare, most common first.
_COMMON_LEVELS = (1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 5_000_000)

DEFAULT_REGISTRATION_DATE = date(2025, 1, 15)


def _listed(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(","))


_MEN = tuple(
    (
        "Ahmad Asep Ujang Budi Dedi Rohmat Sukardi Jaenudin Mulyadi Hendra Agus Iwan "
        "Wawan Dadang Enjang Mamat Suparman Rahmat Muhammad Abdul Ikhsan Fajar Yayat "
        "Engkos Tubagus Saepudin Haerudin Sahroni Nana Endang"
    ).split()
)
_WOMEN = tuple(
    (
        "Siti Euis Entin Iis Maryam Dewi Nurhayati Rina Yati Aminah Sri Neneng Imas Cucu "
        "Eti Nining Lilis Rohayati Fitri Ratu Kartini Sumiati Ani Nur Hasanah Titin Eulis "
        "Oom Ela Wati"
    ).split()
)
_SECOND = tuple(
    (
        "Supriyadi Hidayat Setiawan Suryana Rohman Mulyana Kurniawan Saputra Hermawan "
        "Sobari Jamaludin Nurdin Wahyudi Maulana Sulaeman Fauzi Ramdani Hasan Kusnadi "
        "Hamdani Nurjanah Rahayu Lestari Suhendra Permana Firmansyah Iskandar Gunawan "
        "Anwar Safitri"
    ).split()
)
_VILLAGE_PREFIX = ("Kp.", "Kampung", "Dusun", "Lingk.", "Jl.")
_VILLAGES = _listed(
    "Cibeber, Sukamaju, Cikoneng, Pasir Gadung, Kebon Jeruk, Sindangsari, Bojong, Cilaku, "
    "Tanjung, Kadu, Sukajaya, Mekarsari, Karang Anyar, Pabuaran, Sumur Batu, Cigadung, "
    "Kalanganyar, Leuwidamar"
)
_OCCUPATIONS = _listed(
    "Pedagang Pasar, Petani, Buruh Tani, Nelayan, Pedagang Kaki Lima, Tukang Ojek, "
    "Buruh Bangunan, Penjahit, Pengrajin, Peternak, Sopir Angkot, Tukang Cukur, "
    "Pedagang Keliling, Pemulung, Montir, Warung Makan, Petani Penggarap, Kuli Panggul"
)
_MOBILE_PREFIXES = tuple(
    "0812 0813 0821 0822 0852 0853 0857 0858 0877 0878 0895 0896 0838 0831".split()
)
_PROGRAMMES = (
    "JKK, JKM",
    "JKK, JKM",
    "JKK,JKM",
    "JKK, JKM, JHT",
    "JKK;JKM",
    "jkk jkm",
    "JKK, JKM, JHT",
)
_SEX_LABELS = {"L": ("L", "L", "L", "Laki-laki"), "P": ("P", "P", "P", "Perempuan")}

#: How rows are made invalid, each in a way the validator must catch.
_DEFECTS = (
    "nik_short",
    "nik_regency",
    "sex_mismatch",
    "birth_mismatch",
    "too_young",
    "income_level",
    "programme",
    "phone",
    "no_name",
    "duplicate",
)


class _Person:
    """Builds one person; keeps the NIK serials so every NIK is unique."""

    def __init__(self, rng: random.Random, registration_date: date) -> None:
        self.rng = rng
        self.registration_date = registration_date
        self.serials: dict[str, int] = {}

    def nik(self, regency: str, district: int, born: date, sex: str) -> str:
        # Serials count per regency, district, birth date and sex: what the NIK's first twelve
        # digits say.
        prefix = make_nik(regency, district, born, sex, 0)[:12]
        serial = self.serials.get(prefix, 0) + 1
        self.serials[prefix] = serial
        return make_nik(regency, district, born, sex, serial)

    def birth_date(self, min_age: int, max_age: int) -> date:
        on = self.registration_date
        # Between min_age + 1 day and max_age - 1 day old: clear of the edges.
        youngest = date(on.year - min_age, on.month, min(on.day, 28)) - timedelta(days=1)
        oldest = date(on.year - max_age, on.month, min(on.day, 28)) + timedelta(days=1)
        return oldest + timedelta(days=self.rng.randrange((youngest - oldest).days))

    def row(self, *, min_age: int = 16, max_age: int = 64) -> dict[str, Any]:
        rng = self.rng
        sex = rng.choice("LP")
        born = self.birth_date(min_age, max_age)
        regency = rng.choice(_REGENCY_ORDER)
        regency_name, districts = REGENCIES[regency]
        district_index = rng.randrange(len(districts))
        first = rng.choice(_MEN if sex == "L" else _WOMEN)
        name = f"{first} {rng.choice(_SECOND)}" if rng.random() < 0.85 else first
        address = (
            f"{rng.choice(_VILLAGE_PREFIX)} {rng.choice(_VILLAGES)} RT {rng.randint(1, 12):03d}/"
            f"RW {rng.randint(1, 8):03d}, Kec. {districts[district_index]}, {regency_name}"
        )
        return {
            "NIK": self.nik(regency, district_index + 1, born, sex),
            "Nama Lengkap": name,
            "Tanggal Lahir": born,
            "Jenis Kelamin": rng.choice(_SEX_LABELS[sex]),
            "Alamat": address,
            "No HP": self.phone() if rng.random() < 0.8 else "",
            "Pekerjaan": rng.choice(_OCCUPATIONS),
            "Penghasilan": rng.choice(_COMMON_LEVELS)
            if rng.random() < 0.9
            else rng.choice(_LEVEL_ORDER),
            "Program": rng.choice(_PROGRAMMES),
        }

    def phone(self) -> str:
        rng = self.rng
        digits = rng.choice(_MOBILE_PREFIXES) + "".join(
            str(rng.randrange(10)) for _ in range(rng.choice((7, 8, 8, 9)))
        )
        style = rng.randrange(5)
        if style == 0:
            return f"+62{digits[1:]}"
        if style == 1:
            return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
        if style == 2:
            return f"{digits[:4]} {digits[4:8]} {digits[8:]}"
        return digits


def iter_rows(
    n: int,
    seed: int = 0,
    invalid_ratio: float = 0.0,
    *,
    registration_date: date = DEFAULT_REGISTRATION_DATE,
) -> Iterator[dict[str, Any]]:
    """Like generate_rows, one row at a time (for files too big to hold as dicts)."""
    rng = random.Random(seed)
    person = _Person(rng, registration_date)
    previous_nik: str | None = None
    for _ in range(n):
        row = person.row()
        if invalid_ratio and rng.random() < invalid_ratio:
            _spoil(row, rng.choice(_DEFECTS), person, previous_nik)
        previous_nik = row["NIK"] if len(row["NIK"]) == 16 else previous_nik
        yield row


def generate_rows(
    n: int,
    seed: int = 0,
    invalid_ratio: float = 0.0,
    *,
    registration_date: date = DEFAULT_REGISTRATION_DATE,
) -> list[dict[str, Any]]:
    """``n`` rows keyed by template header; valid for ``registration_date``
    except about ``invalid_ratio`` of them, each spoilt in one way.

    Values are typed as a spreadsheet holds them: Tanggal Lahir a ``date``,
    Penghasilan an ``int``, everything else text; the writers format them.
    """
    return list(iter_rows(n, seed, invalid_ratio, registration_date=registration_date))


def _spoil(row: dict[str, Any], defect: str, person: _Person, previous_nik: str | None) -> None:
    nik: str = row["NIK"]
    if defect == "nik_short":
        row["NIK"] = nik[:-1]
    elif defect == "nik_regency":
        row["NIK"] = "9999" + nik[4:]
    elif defect == "sex_mismatch":
        row["Jenis Kelamin"] = "P" if int(nik[6:8]) <= 31 else "L"
    elif defect == "birth_mismatch":
        row["Tanggal Lahir"] = row["Tanggal Lahir"] + timedelta(days=1)
    elif defect == "too_young":
        young = person.row(min_age=5, max_age=13)
        row.update(NIK=young["NIK"], **{"Tanggal Lahir": young["Tanggal Lahir"]})
        row["Jenis Kelamin"] = "L" if int(young["NIK"][6:8]) <= 31 else "P"
    elif defect == "income_level":
        row["Penghasilan"] = 1_234_567
    elif defect == "programme":
        row["Program"] = "JKK, JKM, JKP"
    elif defect == "phone":
        row["No HP"] = "0254-12345"
    elif defect == "no_name":
        row["Nama Lengkap"] = ""
    elif defect == "duplicate":
        if previous_nik is not None:
            row["NIK"] = previous_nik
        else:
            row["NIK"] = nik[:-1]


def _date_text(value: date, style: int) -> str:
    if style == 0:
        return value.strftime("%d/%m/%Y")
    if style == 1:
        return f"{value.day}/{value.month}/{value.year}"
    if style == 2:
        return value.strftime("%d-%m-%Y")
    return value.isoformat()


def _income_text(amount: int, style: int) -> str:
    dotted = f"{amount:,}".replace(",", ".")
    if style == 0:
        return str(amount)
    if style == 1:
        return dotted
    if style == 2:
        return f"Rp {dotted}"
    return f"Rp{dotted},00"


def _csv_value(header: str, value: Any, index: int) -> str:
    if isinstance(value, date):
        return _date_text(value, index % 4)
    if header == "Penghasilan" and isinstance(value, int):
        return _income_text(value, (index // 4) % 4)
    # Trailing spaces, as typed by hand in some rows.
    if header == "Nama Lengkap" and index % 17 == 0 and value:
        return f"{value} "
    return "" if value is None else str(value)


def write_csv(
    path: str | Path, rows: Iterable[dict[str, Any]], delimiter: str = ";", bom: bool = True
) -> None:
    """A CSV as Excel with Indonesian settings saves it: ';', CRLF, UTF-8 BOM."""
    encoding = "utf-8-sig" if bom else "utf-8"
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for index, row in enumerate(rows):
            writer.writerow([_csv_value(header, row.get(header), index) for header in HEADERS])


def write_xlsx(
    path: str | Path, rows: Iterable[dict[str, Any]], *, shared_strings: bool = True
) -> None:
    """An XLSX as a careful office keeps it: NIK and No HP columns as text,
    Tanggal Lahir as real dates, Penghasilan as numbers.

    Written with openpyxl in write-only mode. openpyxl stores text inline in
    the sheet, whereas Excel, LibreOffice and Google Sheets put it in a
    shared-strings table, which readers load whole into memory and which is
    therefore the case that matters for memory. With ``shared_strings`` (the
    default) the file is repacked the way Excel stores it.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Peserta")
    sheet.append(list(HEADERS))
    for row in rows:
        cells: list[Any] = []
        for header in HEADERS:
            value = row.get(header)
            if value in (None, ""):
                cells.append(None)
            elif header in ("NIK", "No HP"):
                cell = WriteOnlyCell(sheet, str(value))
                cell.data_type = "s"
                cell.number_format = "@"
                cells.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, datetime(value.year, value.month, value.day))
                cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(str(path))
    if shared_strings:
        _use_shared_strings(Path(path))


_INLINE_CELL = re.compile(
    r'<c ([^>]*?)t="inlineStr"( ?/?)>(?:<is><t(?: xml:space="preserve")?>(.*?)</t></is></c>)?'
)
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _use_shared_strings(path: Path) -> None:
    """Move the inline strings of every sheet into xl/sharedStrings.xml."""
    index: dict[str, int] = {}
    total = 0

    def to_shared(match: re.Match[str]) -> str:
        nonlocal total
        attributes, text = match.group(1), match.group(3)
        if text is None:
            return match.group(0)
        total += 1
        position = index.setdefault(text, len(index))
        return f'<c {attributes}t="s"><v>{position}</v></c>'

    temporary = path.with_suffix(".tmp")
    with (
        zipfile.ZipFile(path) as source,
        zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = _INLINE_CELL.sub(to_shared, content.decode("utf-8")).encode("utf-8")
            elif item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/></Types>'.encode(),
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    f'<Relationship Type="{_SST_REL}" Target="sharedStrings.xml" Id="rIdSharedStrings"/>'
                    "</Relationships>".encode(),
                )
            target.writestr(item, content)
        strings = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in index)
        target.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_SHEET_NS}" '
            f'count="{total}" uniqueCount="{len(index)}">{strings}</sst>',
        )
    temporary.replace(path)
