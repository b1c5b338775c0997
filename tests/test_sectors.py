"""Sectors, domicile and the Kemendagri list on a real database: a NIK from anywhere in
Indonesia imports, the PP 50/2025 discount follows the member's sector, holidays move due dates.

Uploads go the integrated way of tests/test_member_batches.py (its helpers are reused).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backoffice.services import reference
from models import KemendagriRegency, Regency
from tests.test_member_batches import csv_bytes, errors_of, load, nik, person, rows_of
from tests.test_member_batches import settings as settings  # noqa: F401 - a fixture

TRADE_LIAISON = "diskoumperindag.serang"
BORN = date(1990, 8, 17)


# --- the Kemendagri list of every regency ----------------------------------------------------


def test_the_kemendagri_list_holds_every_regency_of_indonesia(session):
    """Domain: the region part of a NIK is where it was first issued; every Kemendagri
    province+regency code of Indonesia (about 514 regencies/cities, 38 provinces) is valid."""
    assert session.scalar(select(func.count()).select_from(KemendagriRegency)) == 514
    provinces = session.scalar(select(func.count(func.distinct(KemendagriRegency.province_code))))
    assert provinces == 38
    semarang = session.get(KemendagriRegency, "3322")
    assert (semarang.name, semarang.province_name) == ("Kabupaten Semarang", "Jawa Tengah")
    assert session.get(KemendagriRegency, "3604").name == "Kabupaten Serang"
    # The regencies the offices serve are a separate, smaller table, all of them in the list.
    served = set(session.scalars(select(Regency.code)))
    assert served and served <= reference.kemendagri_codes(session)
    assert "3322" not in served


def test_a_serang_trader_with_a_semarang_nik_imports(session, user, settings):
    semarang = person(1, NIK=nik(BORN, "L", 1, regency="3322"))
    nowhere = person(2, NIK=nik(BORN, "L", 2, regency="9999"))
    batch = load(session, user, settings, csv_bytes([semarang, nowhere]), username=TRADE_LIAISON)
    rows = rows_of(session, batch)
    assert rows[2].data is not None and rows[2].data["nik"].startswith("3322")
    assert errors_of(session, batch) == [
        (3, "NIK", "NIK diawali 9999, yang bukan kode provinsi dan kabupaten/kota yang dikenal.")
    ]
