"""Sectors, domicile and the Kemendagri list on a real database: a NIK from anywhere in
Indonesia imports, the PP 50/2025 discount follows the member's sector, holidays move due dates.

Uploads go the integrated way of tests/test_member_batches.py (its helpers are reused).
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, inspect, select, text

from backoffice.audit import history
from backoffice.services import batches, ledger, reference
from models import (
    BenefitParameter,
    ContributionPayment,
    Department,
    KemendagriRegency,
    Member,
    Office,
    PaymentChannel,
    Regency,
)
from tests import factories
from tests.steps import done as committed
from tests.test_member_batches import (
    csv_bytes,
    errors_of,
    load,
    nik,
    person,
    rows_of,
    submitted,
)
from tests.test_member_batches import settings as settings  # noqa: F401 - a fixture

TRADE_LIAISON = "diskoumperindag.serang"


def ledger_member(session, *, jht: bool = True, **fields) -> Member:
    """A member of KC Serang protected from January 2026, Rp1.500.000 (JKK Rp15.000, JKM
    Rp6.800)."""
    office = session.scalar(select(Office).where(Office.code == "B01"))
    return factories.make_member(
        session,
        office=office,
        income_level=1_500_000,
        programmes="JKK,JKM,JHT" if jht else "JKK,JKM",
        start_date=date(2026, 1, 10),
        **fields,
    )


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


# --- a member's sector and domicile ----------------------------------------------------------

FARM_LIAISON = "dinas.pertanian.serang"
CLERK = "petugas.serang"


def test_the_batch_gives_each_member_a_sector_and_a_domicile(session, user, settings):
    """The occupation names the sector (ojek: transport); a blank one takes the department's
    (the regent gives Dinas Pertanian agriculture); a Sektor column wins; the domicile is the
    batch's Domisili, else the regency the address names, else the regency of the office, never
    the NIK's prefix."""
    rows = [
        person(1, Pekerjaan="Tukang ojek"),
        person(2, Pekerjaan=""),
        person(3, Pekerjaan="Petani", Sektor="Nelayan"),
        person(
            4, NIK=nik(BORN, "L", 4, regency="3322"), **{"Kabupaten/Kota Domisili": "Kota Serang"}
        ),
        person(5, NIK=nik(BORN, "L", 5, regency="3322")),
        person(6, Alamat="Jl. Ki Mas Jong RT 005/RW 007, Kel. Cipare, Kota Serang"),
    ]
    batch = submitted(session, user, settings, csv_bytes(rows), username=FARM_LIAISON)
    committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    members = {
        m.name: m for m in session.scalars(select(Member).where(Member.batch_id == batch.id))
    }
    assert {name: m.sector for name, m in members.items()} == {
        "Peserta 1": "transport",
        "Peserta 2": "agriculture",
        "Peserta 3": "fisheries",
        "Peserta 4": "agriculture",
        "Peserta 5": "agriculture",
        "Peserta 6": "agriculture",
    }
    office_regency = members["Peserta 1"].office.regency.code
    assert members["Peserta 4"].domicile_regency_code == "3673"
    assert members["Peserta 5"].domicile_regency_code == office_regency != "3322"
    assert members["Peserta 4"].domicile_regency.name == "Kota Serang"
    # No Domisili column, an address naming its city: that city.
    assert members["Peserta 6"].domicile_regency_code == "3673"


def test_the_migration_brings_existing_members_to_a_sector_and_a_domicile(app, db, session):
    from flask_migrate import downgrade, upgrade

    session.commit()
    db.session.remove()
    downgrade(revision="0014")
    with db.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("member")}
        discount = conn.execute(
            text("SELECT valid_from FROM benefit_parameter WHERE key = :key"),
            {"key": reference.DISCOUNT_KEY},
        ).scalar()
    assert "sector" not in columns and str(discount) == "2025-12-22"
    upgrade()
    members = {
        m.name: m for m in db.session.scalars(select(Member).where(Member.batch_id.is_(None)))
    }
    assert members["Yayan Sopyan"].sector == "transport"  # Sopir angkot
    assert members["Rizki Maulana"].sector == "transport"  # Pengemudi ojek online
    assert members["Entin Kartini"].sector == "agriculture"  # Petani
    assert members["Muhamad Jaelani"].sector == "fisheries"  # Nelayan
    assert members["Wahyuni"].sector == "trade"  # Pedagang pakaian
    assert members["Euis Komalasari"].sector == "other"  # Penjahit
    # Pengrajin anyaman bambu names no sector: Diskoumperindag's, trade.
    assert members["Enung Nurjanah"].sector == "trade"
    jaenudin = members["Jaenudin"]
    assert jaenudin.domicile_regency_code == jaenudin.office.regency.code
    departments = dict(db.session.execute(select(Department.name, Department.sector)).all())
    assert departments["Dinas PU Kab. Serang"] == "construction"
    assert {d.sector for d in reference.discounts(db.session)} == {
        "transport",
        "trade",
        "agriculture",
        "construction",
        "fisheries",
        "other",
    }


def test_the_member_page_shows_the_sector_and_domicile_and_the_list_filters_them(session, login):
    driver = session.scalar(select(Member).where(Member.name == "Yayan Sopyan"))  # Sopir angkot
    clerk = login("petugas.serang")
    page = clerk.get(f"/admin/member/details/?id={driver.id}").get_data(as_text=True)
    domicile = session.get(KemendagriRegency, driver.domicile_regency_code)
    assert "Sektor" in page and "Transportasi" in page
    assert "Domisili (kabupaten/kota)" in page and domicile.name in page
    listed = clerk.get("/admin/member/?flt0_2=transport").get_data(as_text=True)
    assert "Yayan Sopyan" in listed and "Entin Kartini" not in listed  # a farmer
    farmers = clerk.get("/admin/member/?flt0_2=agriculture").get_data(as_text=True)
    assert "Entin Kartini" in farmers and "Yayan Sopyan" not in farmers
    here = clerk.get(f"/admin/member/?flt0_3={domicile.code}").get_data(as_text=True)
    assert "Yayan Sopyan" in here
    assert "Yayan Sopyan" not in clerk.get("/admin/member/?flt0_3=3322").get_data(as_text=True)
    # A value not in the lists is not applied, never a 500.
    assert clerk.get("/admin/member/?flt0_2=astronaut").status_code == 200


# --- PP 50/2025 in the ledger ----------------------------------------------------------------


def _record(session, clerk, member, first: date, months: int, **kwargs):
    kwargs.setdefault("channel", PaymentChannel.COUNTER)
    return ledger.record_payment(
        session,
        clerk,
        member,
        period=first,
        months=months,
        paid_on=kwargs.pop("paid_on", first.replace(day=10)),
        today=date(2026, 11, 22),
        **kwargs,
    )


def test_a_driver_pays_half_in_january_2026_a_farmer_the_whole_month(session, user):
    """PP 50/2025: transport from January 2026, the other sectors from April 2026; both half in
    May 2026; never a month a department pays."""
    clerk = user(CLERK)
    driver = ledger_member(session, sector="transport", occupation="Ojek online", jht=False)
    farmer = ledger_member(session, sector="agriculture", occupation="Petani", jht=False)
    january, may = date(2026, 1, 1), date(2026, 5, 1)
    assert [p.total for p in _record(session, clerk, driver, january, 1)] == [10_900]
    assert [p.total for p in _record(session, clerk, farmer, january, 1)] == [21_800]
    assert [p.total for p in _record(session, clerk, driver, may, 1)] == [10_900]
    assert [p.total for p in _record(session, clerk, farmer, may, 1)] == [10_900]
    department = session.scalar(select(Department).where(Department.name.like("Dinas Pertanian%")))
    june = _record(
        session,
        clerk,
        farmer,
        date(2026, 6, 1),
        1,
        channel=PaymentChannel.PAYER,
        payer_department=department,
        reference="SP2D/DISTAN/2026/001",
    )
    assert [p.total for p in june] == [21_800]


def test_what_was_paid_above_the_discount_pays_the_next_months(session, user):
    """PP 50/2025: an amount already paid above the discounted one counts toward the next
    months. A driver paid January - March 2026 in full before the rule was entered (Rp21.800
    each, Rp10.900 discounted): Rp32.700 pays April - June."""
    clerk = user(CLERK)
    driver = ledger_member(session, sector="transport", occupation="Ojek online", jht=False)
    rule = session.scalar(
        select(BenefitParameter).where(BenefitParameter.key == reference.discount_key("transport"))
    )
    kept = (rule.value, rule.valid_from, rule.valid_to, rule.note)
    session.delete(rule)
    session.flush()
    early = _record(session, clerk, driver, date(2026, 1, 1), 3, paid_on=date(2025, 12, 20))
    assert [p.paid for p in early] == [21_800] * 3
    value, valid_from, valid_to, note = kept
    session.add(
        BenefitParameter(
            key=reference.discount_key("transport"),
            value=value,
            valid_from=valid_from,
            valid_to=valid_to,
            note=note,
        )
    )
    session.flush()
    assert ledger.member_ledger(session, driver, date(2026, 3, 31)).credit == 32_700
    later = _record(session, clerk, driver, date(2026, 4, 1), 3)
    assert [(p.total, p.credit, p.paid) for p in later] == [(10_900, 10_900, 0)] * 3
    assert ledger.member_ledger(session, driver, date(2026, 6, 30)).credit == 0
    [july] = _record(session, clerk, driver, date(2026, 7, 1), 1)
    assert (july.total, july.credit, july.paid) == (10_900, 0, 10_900)
    [event, *_] = [e for e in history(session, "member", driver.id) if e.action == "contribution"][
        1:2
    ]
    assert json.loads(event.details)["credit"] == 32_700


def test_the_member_page_shows_the_credit(session, user, login):
    clerk = user(CLERK)
    driver = ledger_member(session, sector="transport", occupation="Ojek online", jht=False)
    _record(session, clerk, driver, date(2026, 1, 1), 1)
    payment = session.scalar(
        select(ContributionPayment).where(ContributionPayment.member_id == driver.id)
    )
    payment.jkk = 15_000  # paid in full before the discount was known
    payment.jkm = 6_800
    session.commit()
    page = login(CLERK).get(f"/admin/member/details/?id={driver.id}").get_data(as_text=True)
    assert "Kelebihan bayar atas iuran yang mendapat potongan: Rp10.900" in page


def test_the_administrator_gives_a_department_its_sector(session, login):
    department = session.scalar(select(Department).where(Department.name.like("Dinas PU%")))
    assert department.sector == "construction"
    admin = login("admin")
    form = admin.get(f"/admin/department/edit/?id={department.id}").get_data(as_text=True)
    assert "Konstruksi" in form and "Perikanan" in form
    data = {
        "name": department.name,
        "regency": str(department.regency_id),
        "office": str(department.office_id),
        "sector": "fisheries",
        "contact_email": department.contact_email or "",
        "staff_count": str(department.staff_count or ""),
    }
    assert admin.post(f"/admin/department/edit/?id={department.id}", data=data).status_code == 302
    session.expire_all()
    assert session.get(Department, department.id).sector == "fisheries"
    refused = admin.post(
        f"/admin/department/edit/?id={department.id}", data=data | {"sector": "astronaut"}
    )
    assert "Pilih sektor dari daftar." in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Department, department.id).sector == "fisheries"
