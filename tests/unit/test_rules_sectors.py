"""A member's sector from the occupation the batch gives, the department's as the default."""

from __future__ import annotations

import pytest

from backoffice.rules.regencies import regency_in_address, regency_lookup, regency_named
from backoffice.rules.sectors import OTHER, SectorTerms, member_sector, sector_named, words

# The sectors and their words as migration 0016 loads them, in their order.
SECTORS = [
    SectorTerms("transport", ("transportasi", "ojek", "ojol", "driver", "kurir", "sopir")),
    SectorTerms("trade", ("perdagangan", "pedagang", "UMKM", "warung")),
    SectorTerms("agriculture", ("pertanian", "petani", "pekebun")),
    SectorTerms("construction", ("konstruksi", "tukang", "kuli bangunan", "kontraktor")),
    SectorTerms("fisheries", ("perikanan", "nelayan")),
    SectorTerms("other", ("lainnya",)),
]


@pytest.mark.parametrize(
    ("occupation", "sector"),
    [
        ("Ojek", "transport"),
        ("Driver Ojol", "transport"),
        ("KURIR paket", "transport"),
        ("Sopir angkot", "transport"),
        ("Tukang ojek", "transport"),  # transport comes before construction ("tukang")
        ("Pedagang sayur", "trade"),
        ("Pelaku UMKM", "trade"),
        ("Warung kopi", "trade"),
        ("Petani", "agriculture"),
        ("Buruh tani / Pekebun", "agriculture"),
        ("Tukang batu", "construction"),
        ("Kuli-bangunan", "construction"),
        ("Kontraktor", "construction"),
        ("Nelayan", "fisheries"),
        ("Penjahit", None),
        ("Kulit bangunan", None),  # a phrase matches whole words only
        ("", None),
        (None, None),
    ],
)
def test_the_occupation_names_the_sector(occupation, sector):
    assert sector_named(occupation, SECTORS) == sector


def test_a_sector_code_or_name_is_a_sector_too():
    assert sector_named("transport", SECTORS) == "transport"
    assert sector_named("Perikanan", SECTORS) == "fisheries"


def test_the_batch_then_the_occupation_then_the_department_decide():
    """Domain: the regent of Kab. Serang gives each department its sector (Dinas Pertanian
    farmers): the default when the occupation names none."""
    assert member_sector("fisheries", "Petani", "agriculture", SECTORS) == "fisheries"
    assert member_sector(None, "Ojek", "agriculture", SECTORS) == "transport"
    assert member_sector(None, "", "agriculture", SECTORS) == "agriculture"
    assert member_sector(None, "Penjahit", None, SECTORS) == OTHER


def test_words_fold_case_width_and_punctuation():
    assert words("Ｏｊｅｋ-Online, ") == ("ojek", "online")


# --- a domicile named by its code or name --------------------------------------------------

REGENCIES = regency_lookup(
    [
        ("3604", "Kabupaten Serang"),
        ("3673", "Kota Serang"),
        ("3322", "Kabupaten Semarang"),
        ("3374", "Kota Semarang"),
        ("3602", "Kabupaten Lebak"),
        ("3173", "Kota Administrasi Jakarta Barat"),
    ]
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("3604", "3604"),
        ("Kabupaten Serang", "3604"),
        ("Kab. Serang", "3604"),
        ("KAB SERANG", "3604"),
        ("Kota Serang", "3673"),
        ("Lebak", "3602"),  # one place has the name
        ("Serang", None),  # Kabupaten or Kota Serang: not guessed
        ("Kota Jakarta Barat", "3173"),
        ("Kota Administrasi Jakarta Barat", "3173"),
        ("9999", None),
        ("Gotham", None),
        ("", None),
    ],
)
def test_a_domicile_is_a_regency_of_the_list(text, code):
    assert regency_named(text, REGENCIES) == code


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("Kp. Pelawad RT 001/RW 004, Desa Pelawad, Kec. Ciruas, Kab. Serang", "3604"),
        ("Jl. Ki Mas Jong RT 005/RW 007, Kel. Cipare, Kota Serang", "3673"),
        ("Jl. Pemuda 10, Kota Semarang, Jawa Tengah", "3374"),
        ("Kp. Cibeber RT 001/RW 002, Kec. Serang", None),  # a district, not the regency
        ("Kp. Sukajaya, Lebak", None),  # a bare name is not taken from an address
        ("Jl. Kota Baru No. 5", None),
        ("", None),
    ],
)
def test_the_address_names_the_domicile_when_it_names_a_regency_with_its_kind(address, code):
    assert regency_in_address(address, REGENCIES) == code
