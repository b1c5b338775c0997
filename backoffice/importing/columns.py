"""The columns of a BPU member upload: canonical fields, template headers, aliases.

Shared by the reader (header matching), the validator (column names in
problems) and the exports (template, error report), so a header is spelled
in exactly one place. Other uploads read with the same reader (a payer's
contribution file) describe their columns with a ``ColumnSet`` of their own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Canonical fields in template order.
FIELDS: tuple[str, ...] = (
    "nik",
    "name",
    "birth_date",
    "sex",
    "address",
    "phone",
    "occupation",
    "income",
    "programmes",
    # Optional, added later (after the columns offices' own lists already have).
    "domicile",
    "sector",
)

#: The Indonesian template header of each field. Shown to users in both
#: languages, because it is what they see in their own spreadsheet.
HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "nik": "NIK",
        "name": "Nama Lengkap",
        "birth_date": "Tanggal Lahir",
        "sex": "Jenis Kelamin",
        "address": "Alamat",
        "domicile": "Kabupaten/Kota Domisili",
        "phone": "No HP",
        "occupation": "Pekerjaan",
        "sector": "Sektor",
        "income": "Penghasilan",
        "programmes": "Program",
    }
)

REQUIRED_FIELDS: frozenset[str] = frozenset(
    {"nik", "name", "birth_date", "sex", "income", "programmes"}
)

#: Fields kept as text in spreadsheets we write: a spreadsheet would turn a
#: NIK or a phone number into a number and drop digits.
TEXT_FIELDS: frozenset[str] = frozenset({"nik", "phone"})

#: Other headers offices really use. Written as people type them; they go
#: through :func:`normalise_header` like the uploaded headers, so "Tgl. Lahir"
#: and "tgl lahir" need one entry only. Keep this table small: an alias
#: that could mean something else (e.g. "Tanggal") does not belong here.
ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "nik": ("No NIK", "Nomor NIK", "NIK KTP", "No KTP"),
        "name": ("Nama", "Nama Peserta"),
        "birth_date": ("Tgl Lahir", "Tanggal Lahir (dd/mm/yyyy)"),
        "sex": ("L/P", "JK", "Kelamin"),
        "address": ("Alamat Lengkap",),
        "domicile": ("Domisili", "Kab/Kota Domisili", "Kabupaten/Kota", "Kab/Kota"),
        "phone": ("Nomor HP", "No Handphone", "No Telepon", "No Telp", "Nomor Telepon", "HP"),
        "occupation": ("Jenis Pekerjaan",),
        "sector": ("Sektor Usaha", "Sektor Pekerjaan"),
        "income": ("Penghasilan (Rp)", "Penghasilan per Bulan", "Penghasilan Bulanan"),
        "programmes": ("Programs", "Program BPJS", "Program BPJSTK"),
    }
)

_SPACES = re.compile(r"\s+")


def normalise_header(value: object) -> str:
    """Comparable form of a header cell.

    Case, surrounding and repeated spaces, dots ("No. HP", "Tgl. Lahir"),
    and the "*" or ":" people add to mark required columns do not matter.
    NFKC folds full-width letters and non-breaking spaces from copy-paste.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).casefold().replace(".", " ")
    text = _SPACES.sub(" ", text).strip().rstrip("*:").strip()
    return text


@dataclass(frozen=True, eq=False)
class ColumnSet:
    """The columns of one kind of upload: what the reader matches headers against.

    ``one_of`` lists groups of fields of which at least one must be present
    (a payer's file identifies members by KPJ or by NIK).
    """

    fields: tuple[str, ...]
    headers: Mapping[str, str]
    required: frozenset[str]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: fields kept as text in spreadsheets we write (identity numbers)
    text_fields: frozenset[str] = frozenset()
    one_of: tuple[tuple[str, ...], ...] = ()
    #: column widths (characters) in the spreadsheets we write
    widths: Mapping[str, int] = field(default_factory=dict)
    lookup: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for name in self.fields:
            for spelling in (self.headers[name], *self.aliases.get(name, ())):
                key = normalise_header(spelling)
                if lookup.setdefault(key, name) != name:
                    raise RuntimeError(f"header alias {spelling!r} is ambiguous")
        object.__setattr__(self, "lookup", MappingProxyType(lookup))

    def field_for_header(self, value: object) -> str | None:
        """The canonical field a header cell stands for, or None."""
        return self.lookup.get(normalise_header(value))


#: Widths of the member template's columns (characters).
MEMBER_WIDTHS: Mapping[str, int] = MappingProxyType(
    {
        "nik": 20,
        "name": 30,
        "birth_date": 14,
        "sex": 14,
        "address": 40,
        "domicile": 24,
        "phone": 16,
        "occupation": 22,
        "sector": 16,
        "income": 14,
        "programmes": 16,
    }
)

MEMBER_COLUMNS = ColumnSet(
    fields=FIELDS,
    headers=HEADERS,
    required=REQUIRED_FIELDS,
    aliases=ALIASES,
    text_fields=TEXT_FIELDS,
    widths=MEMBER_WIDTHS,
)

#: normalised header -> canonical field (member uploads)
HEADER_LOOKUP: Mapping[str, str] = MEMBER_COLUMNS.lookup


def field_for_header(value: object) -> str | None:
    """The canonical field a header cell of a member upload stands for, or None."""
    return MEMBER_COLUMNS.field_for_header(value)
