"""The columns of a BPU member upload: canonical fields, template headers, aliases.

Shared by the reader (header matching), the validator (column names in
problems) and the exports (template, error report), so a header is spelled
in exactly one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
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
        "phone": "No HP",
        "occupation": "Pekerjaan",
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
        "phone": ("Nomor HP", "No Handphone", "No Telepon", "No Telp", "Nomor Telepon", "HP"),
        "occupation": ("Jenis Pekerjaan",),
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


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field in FIELDS:
        for spelling in (HEADERS[field], *ALIASES.get(field, ())):
            key = normalise_header(spelling)
            if lookup.setdefault(key, field) != field:
                raise RuntimeError(f"header alias {spelling!r} is ambiguous")
    return lookup


#: normalised header -> canonical field
HEADER_LOOKUP: Mapping[str, str] = MappingProxyType(_build_lookup())


def field_for_header(value: object) -> str | None:
    """The canonical field a header cell stands for, or None."""
    return HEADER_LOOKUP.get(normalise_header(value))
