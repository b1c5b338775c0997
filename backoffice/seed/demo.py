"""Banten demo data: idempotent, keyed by natural keys (codes, usernames, NIKs).

Besides the organisation and its users, about forty BPU members with a contributions ledger
(see ``PEOPLE`` and ``DEMO_MEMBERS``). Written on the services and the rules: the users through
``services.users``, the KPJ numbers from ``services.numbering``, the NIKs, contributions,
discounts and due days from ``rules`` and the reference data in force.

Dates of the demo members
-------------------------
Identities are fixed: NIK, name, birth date and sex never change, so the ages are those of the
people (20 to 62 on 2026-11-22) and a second run finds everyone by NIK. Each history, however,
is written relative to the day of seeding (``today``, by default today in Jakarta): start dates
are "so many months before", and the members who pay have paid up to the current month. A
history that stopped at a fixed day would age: a few months later every "paid to date" member
would be in arrears and the claims demo (which judges events against the real today) would
refuse them all. The shape of each history (months paid, gaps, arrears) is fixed and drawn from a
random generator seeded by the member's NIK, so the same day gives the same ledger, and the
situations named in ``DEMO_MEMBERS`` hold on whatever day the data is seeded. A database seeded
earlier is not rewritten: its histories simply end on the day they were seeded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models import (
    Claim,
    ClaimType,
    ContributionPayment,
    Department,
    HolidayCorrection,
    HolidayKind,
    JhtReason,
    Member,
    MemberCorrection,
    Office,
    OfficeType,
    PaymentChannel,
    Programme,
    Regency,
    Region,
    Relationship,
    Role,
    User,
)

from ..clock import today_in_jakarta
from ..rules import benefits, contributions, sectors
from ..rules.coverage import add_months, month_start
from ..rules.nik import make_nik
from ..services import claims as claim_service
from ..services import corrections, lifecycle, reference
from ..services import users as user_service
from ..services.numbering import reserve_kpj
from . import work
from .targets import seed_targets

REGIONS = [("BTN", "Kanwil Banten"), ("DKI", "Kanwil DKI Jakarta")]

REGENCIES = [
    ("3601", "Kab. Pandeglang", "BTN"),
    ("3602", "Kab. Lebak", "BTN"),
    ("3603", "Kab. Tangerang", "BTN"),
    ("3604", "Kab. Serang", "BTN"),
    ("3671", "Kota Tangerang", "BTN"),
    ("3672", "Kota Cilegon", "BTN"),
    ("3673", "Kota Serang", "BTN"),
    ("3674", "Kota Tangerang Selatan", "BTN"),
    ("3101", "Kab. Kepulauan Seribu", "DKI"),
    ("3171", "Kota Jakarta Selatan", "DKI"),
    ("3172", "Kota Jakarta Timur", "DKI"),
    ("3173", "Kota Jakarta Pusat", "DKI"),
    ("3174", "Kota Jakarta Barat", "DKI"),
    ("3175", "Kota Jakarta Utara", "DKI"),
]

# code, type, name, region, parent code, regency, opened, active
OFFICES = [
    ("B01", OfficeType.KC, "Serang", "BTN", None, "3673", None, True),
    ("B02", OfficeType.KC, "Cilegon", "BTN", None, "3672", None, True),
    ("J11", OfficeType.KC, "Tangerang Batuceper", "BTN", None, "3671", None, True),
    ("J12", OfficeType.KC, "Tangerang Cikokol", "BTN", None, "3671", None, True),
    # The eight KCPs opened in June 2015.
    ("J1101", OfficeType.KCP, "Pasarkemis", "BTN", "J11", "3603", date(2015, 6, 1), True),
    ("J1102", OfficeType.KCP, "Dadap", "BTN", "J11", "3603", date(2015, 6, 1), True),
    ("J1201", OfficeType.KCP, "Ciputat", "BTN", "J12", "3674", date(2015, 6, 1), True),
    ("J1202", OfficeType.KCP, "Bintaro", "BTN", "J12", "3674", date(2015, 6, 1), True),
    # KCP Cilegon later became KC Cilegon: kept, closed, for its history.
    ("B0201", OfficeType.KCP, "Cilegon", "BTN", "B02", "3672", date(2015, 6, 1), False),
    ("B0101", OfficeType.KCP, "Lebak", "BTN", "B01", "3602", date(2015, 6, 1), True),
    ("B0102", OfficeType.KCP, "Cikande", "BTN", "B01", "3604", date(2015, 6, 1), True),
    ("B0103", OfficeType.KCP, "Labuan", "BTN", "B01", "3601", date(2015, 6, 1), True),
    ("D21", OfficeType.KC, "Jakarta Salemba", "DKI", None, "3173", None, True),
]

# name, regency, office, the sector the regent of Kab. Serang gives the department
DEPARTMENTS = [
    ("Diskoumperindag Kab. Serang", "3604", "B01", "trade"),
    ("Dinas Pertanian Kab. Serang", "3604", "B01", "agriculture"),
    ("Dinas PU Kab. Serang", "3604", "B01", "construction"),
]

# username, full name, role, scope key (region code / office code / department name)
USERS = [
    ("admin", "Administrator Sistem", Role.ADMIN, None),
    ("kanwil.banten", "Kepala Kanwil Banten", Role.REGIONAL_HEAD, "BTN"),
    ("kanwil.jakarta", "Kepala Kanwil DKI Jakarta", Role.REGIONAL_HEAD, "DKI"),
    ("kepala.serang", "Kepala KC Serang", Role.BRANCH_HEAD, "B01"),
    ("petugas.serang", "Petugas Pelayanan KC Serang", Role.BRANCH_CLERK, "B01"),
    ("petugas2.serang", "Petugas Pelayanan 2 KC Serang", Role.BRANCH_CLERK, "B01"),
    ("petugas.cilegon", "Petugas Pelayanan KC Cilegon", Role.BRANCH_CLERK, "B02"),
    ("petugas.salemba", "Petugas Pelayanan KC Jakarta Salemba", Role.BRANCH_CLERK, "D21"),
    (
        "dinas.pertanian.serang",
        "Penghubung Dinas Pertanian Kab. Serang",
        Role.LIAISON,
        "Dinas Pertanian Kab. Serang",
    ),
    (
        "diskoumperindag.serang",
        "Penghubung Diskoumperindag Kab. Serang",
        Role.LIAISON,
        "Diskoumperindag Kab. Serang",
    ),
    ("auditor.banten", "Auditor SPI Kanwil Banten", Role.AUDITOR, "BTN"),
]

DEMO_PASSWORD = "demo1234"

#: Cuti bersama (collective leave) decreed by the joint ministerial decree (SKB 3 Menteri) for
#: 2025 and 2026: days off besides the public holidays the ``holidays`` library knows.
CUTI_BERSAMA = [
    (date(2025, 1, 28), "Cuti bersama Tahun Baru Imlek 2576"),
    (date(2025, 3, 28), "Cuti bersama Hari Suci Nyepi"),
    (date(2025, 4, 2), "Cuti bersama Idul Fitri 1446 H"),
    (date(2025, 4, 3), "Cuti bersama Idul Fitri 1446 H"),
    (date(2025, 4, 4), "Cuti bersama Idul Fitri 1446 H"),
    (date(2025, 4, 7), "Cuti bersama Idul Fitri 1446 H"),
    (date(2025, 5, 13), "Cuti bersama Waisak"),
    (date(2025, 5, 30), "Cuti bersama Kenaikan Yesus Kristus"),
    (date(2025, 6, 9), "Cuti bersama Idul Adha 1446 H"),
    (date(2025, 8, 18), "Cuti bersama Hari Kemerdekaan"),
    (date(2025, 12, 26), "Cuti bersama Natal"),
    (date(2026, 2, 16), "Cuti bersama Tahun Baru Imlek 2577"),
    (date(2026, 3, 18), "Cuti bersama Hari Suci Nyepi"),
    (date(2026, 3, 20), "Cuti bersama Idul Fitri 1447 H"),
    (date(2026, 3, 23), "Cuti bersama Idul Fitri 1447 H"),
    (date(2026, 3, 24), "Cuti bersama Idul Fitri 1447 H"),
    (date(2026, 5, 15), "Cuti bersama Kenaikan Yesus Kristus"),
    (date(2026, 5, 28), "Cuti bersama Idul Adha 1447 H"),
    (date(2026, 12, 24), "Cuti bersama Natal"),
]

# --------------------------------------------------------------------------------------------
# Demo members (BPU) and their contributions
# --------------------------------------------------------------------------------------------

#: The day the ages below refer to (and the day the histories were designed on).
DEMO_REFERENCE_DAY = date(2026, 11, 22)

# How a history runs up to the day of seeding (see the module docstring):
PAID = ("paid", 0)  # paid from the start month up to the current month (blocks may run ahead)


def ARREARS(months_ago: int) -> tuple[str, int]:  # noqa: N802 - reads as a constant
    """Paid from the start; the last month paid is ``months_ago`` months before this one."""
    return ("arrears", months_ago)


def CAUGHT_UP(months_ago: int) -> tuple[str, int]:  # noqa: N802
    """Paid to date, but the five months from ``months_ago`` months back went unpaid (protection
    ended after the fourth) until six months were paid at once in the sixth; monthly since."""
    return ("gap", months_ago)


def SCATTERED() -> tuple[str, int]:  # noqa: N802
    """Paid to date but for four scattered months (10, 7, 4 and 2 months ago): never two in a
    row, so protection holds ("scattered missed months do not" end it)."""
    return ("scattered", 0)


def UNPAID_DUE(months: int) -> tuple[str, int]:  # noqa: N802
    """Paid from the start; the last ``months`` months already due on the day of seeding are
    unpaid (whatever the day of the month): 4 is lapsed within the window for arrears, 8 is
    past it (ended)."""
    return ("unpaid_due", months)


@dataclass(frozen=True)
class DemoPerson:
    name: str
    sex: str  # "L" / "P"
    born: date
    regency: str  # where the NIK was issued
    district: int  # kecamatan code (digits 5-6 of the NIK)
    serial: int
    address: str
    occupation: str
    income: int
    jht: bool
    office: str
    start_ago: int  # months between the start month and the month of seeding
    history: tuple[str, int]
    cadence: int = 1  # months paid at a time: 1, 3, 6 or 12
    channel: PaymentChannel = PaymentChannel.COUNTER  # the usual channel
    department: str | None = None  # registered (and paid for) by this department
    key: str | None = None  # the name in DEMO_MEMBERS

    @property
    def nik(self) -> str:
        return make_nik(self.regency, self.district, self.born, self.sex, self.serial)


COUNTER, BANK, ONLINE = PaymentChannel.COUNTER, PaymentChannel.BANK, PaymentChannel.ONLINE
DISTAN = "Dinas Pertanian Kab. Serang"
DISKOP = "Diskoumperindag Kab. Serang"
DPU = "Dinas PU Kab. Serang"

# fmt: off
PEOPLE: list[DemoPerson] = [
    # ---- KC Serang (B01): individual members ----------------------------------------------
    # Paid monthly since 68 months ago (2021): long history, covered.
    DemoPerson("Jaenudin", "L", date(1979, 3, 14), "3673", 1, 2,
               "Kp. Sayabulu RT 003/RW 002, Kel. Lontarbaru, Kec. Serang", "Pedagang pasar",
               2_000_000, False, "B01", 68, PAID, 1, BANK, key="serang_long_paid"),
    # Aged 59, JHT, paid quarterly at the counter since 2019 (90 months): JHT age claim.
    DemoPerson("H. Mulyadi", "L", date(1967, 6, 2), "3604", 12, 1,
               "Kp. Pelawad RT 001/RW 004, Desa Pelawad, Kec. Ciruas", "Petani", 1_500_000, True,
               "B01", 90, PAID, 3, COUNTER, key="serang_age_56"),
    # JHT since 2020 (80 months), paid monthly online: a JHT balance to show; aged 44.
    DemoPerson("Euis Komalasari", "P", date(1982, 9, 21), "3673", 5, 3,
               "Jl. Raya Petir Km 3 RT 002/RW 001, Kel. Banjarsari, Kec. Cipocok Jaya",
               "Penjahit", 2_500_000, True, "B01", 80, PAID, 1, ONLINE, key="serang_jht_long"),
    # Stopped paying: the last month paid is 7 months ago. Not covered; protection ended.
    DemoPerson("Ujang Suryana", "L", date(1988, 1, 9), "3604", 13, 4,
               "Kp. Kramat RT 004/RW 002, Desa Kramat, Kec. Kragilan", "Tukang ojek", 1_500_000,
               True, "B01", 40, ARREARS(7), 1, COUNTER, key="serang_in_arrears"),
    # Stopped 20 months ago after three years: long past the window for arrears (ended).
    DemoPerson("Sarmini", "P", date(1975, 11, 30), "3604", 19, 2,
               "Kp. Sukajaya RT 001/RW 001, Desa Pontang, Kec. Pontang", "Buruh tani", 1_000_000,
               False, "B01", 60, ARREARS(20), 1, COUNTER, key="serang_lapsed"),
    # Aged 57 with JHT but in arrears (last month paid 5 months ago): lapsed, yet a JHT age
    # claim is accepted from his balance (arrears never refuse JHT).
    DemoPerson("Cecep Hidayat", "L", date(1969, 4, 18), "3673", 2, 1,
               "Kp. Sukadiri RT 002/RW 003, Kel. Sawah Luhur, Kec. Kasemen", "Nelayan",
               1_500_000, True, "B01", 74, ARREARS(5), 3, COUNTER, key="serang_age_56_in_arrears"),
    # Missed five months 20 months ago (protection ended), paid them late with the sixth,
    # monthly since: covered now.
    DemoPerson("Neneng Hasanah", "P", date(1990, 7, 25), "3604", 20, 3,
               "Kp. Tonjong RT 003/RW 002, Desa Tonjong, Kec. Kramatwatu", "Pedagang warung",
               1_000_000, True, "B01", 50, CAUGHT_UP(20), 1, BANK, key="serang_caught_up"),
    # Started two months ago: three months paid (this one included).
    DemoPerson("Rizki Maulana", "L", date(2004, 2, 11), "3673", 1, 5,
               "Jl. Ki Mas Jong RT 005/RW 007, Kel. Cipare, Kec. Serang",
               "Pengemudi ojek online", 2_000_000, False, "B01", 2, PAID, 1, ONLINE,
               key="serang_recent"),
    # Last month paid 2 months ago: behind, but still covered (protection ends soon).
    DemoPerson("Iis Nurhayati", "P", date(1985, 5, 3), "3673", 3, 2,
               "Kp. Pabuaran RT 001/RW 002, Kel. Pabuaran, Kec. Walantaka",
               "Pedagang sayur keliling", 1_000_000, True, "B01", 30, ARREARS(2), 1, COUNTER,
               key="serang_short_arrears"),
    DemoPerson("Slamet Riyadi", "L", date(1972, 5, 19), "3673", 4, 1,
               "Kp. Curug RT 002/RW 001, Kel. Curug, Kec. Curug", "Pedagang bakso keliling",
               1_500_000, True, "B01", 58, PAID, 12, BANK),
    DemoPerson("Nur Aisyah", "P", date(1995, 12, 1), "3673", 1, 7,
               "Jl. Sempu RT 003/RW 005, Kel. Cimuncang, Kec. Serang", "Pedagang kue",
               1_000_000, True, "B01", 44, PAID, 1, ONLINE),
    DemoPerson("Yayan Sopyan", "L", date(1986, 4, 4), "3604", 22, 2,
               "Kp. Cibeber RT 001/RW 003, Desa Waringin Kurung, Kec. Waringinkurung",
               "Sopir angkot", 2_500_000, True, "B01", 52, PAID, 3, COUNTER,
               key="serang_transport"),
    DemoPerson("Ade Irma Suryani", "P", date(1991, 3, 8), "3673", 6, 4,
               "Kp. Kalang Anyar RT 004/RW 001, Kel. Kalang Anyar, Kec. Taktakan",
               "Buruh harian lepas", 1_000_000, False, "B01", 24, ARREARS(10), 1, COUNTER),
    DemoPerson("Agus Salim", "L", date(1978, 7, 7), "3673", 5, 2,
               "Kp. Gelam RT 002/RW 006, Kel. Dalung, Kec. Cipocok Jaya", "Tukang las",
               3_000_000, True, "B01", 40, PAID, 1, BANK, key="serang_jkk_death"),
    DemoPerson("Muhamad Jaelani", "L", date(1999, 10, 10), "3604", 25, 3,
               "Kp. Pasauran RT 001/RW 001, Desa Bandulu, Kec. Anyar", "Nelayan", 1_000_000,
               False, "B01", 18, PAID, 3, COUNTER),
    DemoPerson("Entin Kartini", "P", date(1976, 1, 15), "3604", 2, 1,
               "Kp. Cisaat RT 003/RW 002, Desa Cisaat, Kec. Padarincang", "Petani", 1_000_000,
               True, "B01", 64, PAID, 12, COUNTER, key="serang_farmer"),
    DemoPerson("Asep Saepudin", "L", date(1993, 8, 23), "3673", 2, 6,
               "Kp. Banten Lama RT 002/RW 002, Kel. Banten, Kec. Kasemen", "Tukang parkir",
               1_000_000, False, "B01", 20, ARREARS(1), 1, ONLINE),
    DemoPerson("Wahyuni", "P", date(1989, 5, 29), "3673", 1, 3,
               "Jl. Diponegoro RT 001/RW 003, Kel. Cimuncang, Kec. Serang", "Pedagang pakaian",
               2_500_000, True, "B01", 28, PAID, 6, BANK),
    # The membership lifecycle (issue #17), for petugas.serang: four scattered months missed
    # (active, covered); four consecutive due months unpaid (lapsed: a claim is refused with
    # the reason; paying two months of arrears makes her active again); eight unpaid (past
    # the window for arrears: ended, a payment today is refused).
    DemoPerson("Rahmat Hidayat", "L", date(1987, 2, 20), "3673", 3, 8,
               "Kp. Kaloran RT 002/RW 004, Kel. Serang, Kec. Serang", "Pedagang buah", 1_000_000,
               True, "B01", 24, SCATTERED(), 1, COUNTER, key="serang_scattered"),
    DemoPerson("Siti Khodijah", "P", date(1992, 8, 7), "3604", 12, 6,
               "Kp. Kebon RT 001/RW 002, Desa Kebon, Kec. Ciruas", "Pedagang gorengan",
               1_000_000, True, "B01", 30, UNPAID_DUE(4), 1, COUNTER, key="serang_four_unpaid"),
    DemoPerson("Mulyana", "L", date(1980, 10, 3), "3604", 13, 7,
               "Kp. Cigadung RT 003/RW 001, Desa Cigadung, Kec. Kragilan", "Tukang cukur",
               1_000_000, False, "B01", 36, UNPAID_DUE(8), 1, COUNTER, key="serang_past_window"),
    # ---- KC Serang (B01): registered and paid for by departments of Kab. Serang ------------
    # Dinas Pertanian pays for its farmers every six months (APBD): covered.
    DemoPerson("Sanusi", "L", date(1977, 12, 5), "3604", 18, 2,
               "Kp. Tanara RT 002/RW 001, Desa Tanara, Kec. Tanara", "Petani padi", 1_000_000,
               False, "B01", 34, PAID, 6, department=DISTAN, key="serang_department_paid"),
    DemoPerson("Rohimah", "P", date(1980, 8, 8), "3604", 17, 1,
               "Kp. Lontar RT 001/RW 002, Desa Lontar, Kec. Tirtayasa", "Buruh tani", 1_000_000,
               False, "B01", 34, PAID, 6, department=DISTAN),
    DemoPerson("Jumadi", "L", date(1972, 3, 27), "3604", 19, 4,
               "Kp. Singarajan RT 003/RW 001, Desa Singarajan, Kec. Pontang", "Petani",
               1_000_000, False, "B01", 22, PAID, 6, department=DISTAN),
    # Diskoumperindag pays quarterly for market traders.
    DemoPerson("Siti Maesaroh", "P", date(1987, 10, 14), "3604", 12, 2,
               "Kp. Ranjeng RT 002/RW 003, Desa Ranjeng, Kec. Ciruas", "Pedagang pasar",
               1_500_000, False, "B01", 26, PAID, 3, department=DISKOP),
    DemoPerson("Ahmad Suhaimi", "L", date(1983, 6, 30), "3604", 5, 1,
               "Kp. Baros RT 001/RW 001, Desa Baros, Kec. Baros", "Pedagang kelontong",
               2_000_000, False, "B01", 26, PAID, 3, department=DISKOP),
    DemoPerson("Enung Nurjanah", "P", date(1992, 2, 17), "3604", 6, 3,
               "Kp. Petir RT 004/RW 002, Desa Petir, Kec. Petir", "Pengrajin anyaman bambu",
               1_000_000, False, "B01", 14, PAID, 3, department=DISKOP),
    # Dinas PU paid two years for its construction workers, then the budget stopped: the last
    # month paid is 6 months ago; not covered.
    DemoPerson("Dadang Kurniawan", "L", date(1984, 9, 9), "3604", 8, 2,
               "Kp. Cikeusal RT 002/RW 002, Desa Cikeusal, Kec. Cikeusal", "Tukang bangunan",
               2_000_000, False, "B01", 29, ARREARS(6), 6, department=DPU,
               key="serang_department_arrears"),
    DemoPerson("Mamad Suryadi", "L", date(1979, 1, 22), "3604", 9, 3,
               "Kp. Pamarayan RT 001/RW 003, Desa Pamarayan, Kec. Pamarayan", "Tukang batu",
               1_500_000, False, "B01", 29, ARREARS(6), 6, department=DPU),
    # ---- KC Cilegon (B02) --------------------------------------------------------------------
    # Paid monthly at the bank for four years: covered.
    DemoPerson("Heri Setiawan", "L", date(1985, 11, 11), "3672", 2, 2,
               "Lingk. Kepuh RT 003/RW 002, Kel. Kepuh, Kec. Ciwandan", "Nelayan", 1_500_000,
               True, "B02", 48, PAID, 1, BANK, key="cilegon_paid"),
    # Aged 60, JHT since 2019, paid quarterly: a second JHT age claim.
    DemoPerson("Hj. Rukmini", "P", date(1966, 2, 14), "3672", 3, 1,
               "Lingk. Kopo RT 002/RW 001, Kel. Lebak Gede, Kec. Pulomerak", "Pedagang warung",
               2_000_000, True, "B02", 86, PAID, 3, COUNTER, key="cilegon_age_56"),
    # Last month paid 8 months ago: not covered.
    DemoPerson("Supriyadi", "L", date(1981, 6, 6), "3672", 7, 3,
               "Lingk. Citangkil RT 001/RW 004, Kel. Citangkil, Kec. Citangkil",
               "Buruh bongkar muat", 2_000_000, False, "B02", 38, ARREARS(8), 1, COUNTER,
               key="cilegon_in_arrears"),
    DemoPerson("Tati Suryati", "P", date(1994, 9, 19), "3672", 8, 2,
               "Lingk. Sukmajaya RT 003/RW 003, Kel. Jombang Wetan, Kec. Jombang", "Penjahit",
               1_000_000, True, "B02", 22, PAID, 1, ONLINE),
    DemoPerson("Bambang Priyono", "L", date(1974, 12, 24), "3672", 5, 1,
               "Lingk. Grogol RT 002/RW 002, Kel. Grogol, Kec. Grogol", "Tukang bangunan",
               2_500_000, True, "B02", 66, PAID, 6, BANK),
    DemoPerson("Lilis Suryani", "P", date(1997, 4, 12), "3672", 4, 4,
               "Lingk. Cibeber RT 004/RW 001, Kel. Cibeber, Kec. Cibeber", "Pedagang kue",
               1_000_000, False, "B02", 10, PAID, 1, ONLINE),
    # Aged 58, three months behind: still covered until the 15th of next month.
    DemoPerson("Edi Junaedi", "L", date(1968, 8, 31), "3672", 6, 2,
               "Lingk. Kotabumi RT 001/RW 002, Kel. Kotabumi, Kec. Purwakarta",
               "Sopir angkutan barang", 3_000_000, False, "B02", 40, ARREARS(3), 1, COUNTER),
    DemoPerson("Nurhasanah", "P", date(2006, 1, 27), "3672", 1, 1,
               "Lingk. Ramanuju RT 002/RW 003, Kel. Ramanuju, Kec. Cilegon", "Pedagang warung",
               1_000_000, False, "B02", 6, PAID, 1, COUNTER),
    # ---- KCPs under KC Serang --------------------------------------------------------------
    DemoPerson("Dede Rohman", "L", date(1983, 3, 3), "3604", 14, 2,
               "Kp. Cibeber RT 002/RW 001, Desa Cikande, Kec. Cikande", "Buruh tani",
               1_000_000, True, "B0102", 42, PAID, 3, COUNTER, key="kcp_cikande_paid"),
    DemoPerson("Saepul Anwar", "L", date(1990, 10, 30), "3602", 14, 3,
               "Kp. Muara RT 001/RW 002, Kel. Muara Ciujung Timur, Kec. Rangkasbitung",
               "Petani", 1_000_000, False, "B0101", 32, ARREARS(9), 1, COUNTER),
    DemoPerson("Jamhari", "L", date(1976, 6, 17), "3601", 16, 2,
               "Kp. Teluk RT 003/RW 001, Desa Teluk, Kec. Labuan", "Nelayan", 1_500_000, True,
               "B0103", 54, PAID, 3, BANK),
    DemoPerson("Ratnasari", "P", date(1996, 2, 5), "3601", 32, 1,
               "Kp. Sukarame RT 001/RW 004, Desa Sukarame, Kec. Carita", "Pedagang ikan",
               1_000_000, False, "B0103", 16, PAID, 1, COUNTER),
    # ---- KC Jakarta Salemba (D21), Kanwil DKI Jakarta ----------------------------------------
    DemoPerson("Rojali", "L", date(1973, 9, 12), "3173", 4, 2,
               "Jl. Kramat Sentiong RT 007/RW 003, Kel. Kramat, Kec. Senen",
               "Pedagang kaki lima", 2_000_000, True, "D21", 62, PAID, 1, BANK,
               key="salemba_paid"),
    DemoPerson("Mursidah", "P", date(1980, 4, 21), "3172", 1, 3,
               "Jl. Pisangan Baru III RT 010/RW 004, Kel. Pisangan Baru, Kec. Matraman",
               "Pedagang sayur", 1_500_000, True, "D21", 46, PAID, 1, ONLINE),
    # Aged 62, last month paid a year ago.
    DemoPerson("Sabeni", "L", date(1964, 7, 1), "3175", 6, 1,
               "Kp. Marunda Kepu RT 005/RW 007, Kel. Marunda, Kec. Cilincing", "Nelayan",
               1_000_000, False, "D21", 70, ARREARS(12), 1, COUNTER, key="salemba_in_arrears"),
]
# fmt: on

#: Demo members other code and tests refer to: key -> NIK. The situations hold on the day of
#: seeding (see the module docstring); "now" is that day.
#: - serang_long_paid: KC Serang, JKK+JKM, paid monthly since 68 months ago (69 months paid,
#:   more than 36), covered.
#: - serang_age_56: KC Serang, aged 59, JHT, paid quarterly since 90 months ago: covered, a JHT
#:   balance, eligible for a JHT age claim.
#: - serang_jht_long: KC Serang, aged 44, JHT, paid monthly online since 80 months ago: JHT
#:   balance year by year, and the demo's JHT claim (stopped working) paying it.
#: - serang_jkk_death: KC Serang, JHT, paid monthly at the bank since 40 months ago: died in a
#:   work accident (the demo's JKK claim, with two children in school).
#: - serang_in_arrears: KC Serang, last month paid 7 months ago: not covered, protection ended.
#: - serang_lapsed: KC Serang, last month paid 20 months ago (after 41 months paid): ended.
#: - serang_age_56_in_arrears: KC Serang, aged 57, JHT, last month paid 5 months ago: not
#:   covered (a JKM or JKK claim is refused), but a JHT age claim is accepted (JHT is his own
#:   savings: arrears never refuse it), JHT balance from 70 months.
#: - serang_caught_up: KC Serang, five months unpaid from 20 months ago (protection ended after
#:   the fourth), all paid late together with the sixth, within the three months allowed after
#:   protection ends; paid monthly since: covered now.
#: - serang_recent: KC Serang, started two months ago, three months paid.
#: - serang_short_arrears: KC Serang, last month paid 2 months ago: behind but covered.
#: - serang_transport: KC Serang, a minibus driver (transport) paying quarterly at the counter:
#:   PP 50/2025 halves his JKK and JKM from January 2026 (to March 2027).
#: - serang_farmer: KC Serang, a farmer (agriculture) paying yearly at the counter: her JKK and
#:   JKM are whole in January - March 2026 and halved April - December 2026.
#: - serang_department_paid: KC Serang, registered through Dinas Pertanian Kab. Serang, which
#:   pays every six months (channel payer): covered.
#: - serang_department_arrears: KC Serang, Dinas PU Kab. Serang paid 24 months and stopped: the
#:   last month paid is 6 months ago, not covered.
#: - cilegon_paid: KC Cilegon, paid monthly at the bank since 48 months ago: covered.
#: - cilegon_age_56: KC Cilegon, aged 60, JHT, paid quarterly since 86 months ago: JHT age
#:   claim.
#: - cilegon_in_arrears: KC Cilegon, last month paid 8 months ago: not covered.
#: - kcp_cikande_paid: KCP Cikande (under KC Serang), paid quarterly: covered.
#: - salemba_paid: KC Jakarta Salemba (Kanwil DKI), paid monthly: covered.
#: - salemba_in_arrears: KC Jakarta Salemba, aged 62, last month paid 12 months ago.
#: - serang_scattered: KC Serang, four scattered months unpaid (10, 7, 4, 2 months ago):
#:   active and covered.
#: - serang_four_unpaid: KC Serang, JHT, the last four months due unpaid: lapsed (a JKM or
#:   JKK claim is refused, "lapsed since ..."); within the window for arrears, so paying the
#:   two oldest unpaid months makes her active again.
#: - serang_past_window: KC Serang, the last eight months due unpaid: past the window for
#:   arrears, the membership ended; a contribution paid today is refused with the reason.
DEMO_MEMBERS: dict[str, str] = {p.key: p.nik for p in PEOPLE if p.key}

#: The clerks who register and record at the counter, per office (a KCP has no clerk of its
#: own in the demo: its KC's clerks serve it).
OFFICE_CLERKS = {
    "B01": ("petugas.serang", "petugas2.serang"),
    "B0101": ("petugas.serang",),
    "B0102": ("petugas.serang", "petugas2.serang"),
    "B0103": ("petugas2.serang",),
    "B02": ("petugas.cilegon",),
    "D21": ("petugas.salemba",),
}
#: Short names of the paying departments on their payment orders (SP2D).
PAYER_CODES = {DISTAN: "DISTAN", DISKOP: "DISKOUMPERINDAG", DPU: "DPUPR"}
BANKS = ("BNI", "BRI", "MANDIRI", "BJB", "BANKBANTEN")


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int = 1) -> None:
        if count:
            self.created[kind] = self.created.get(kind, 0) + count

    @property
    def total(self) -> int:
        return sum(self.created.values())


def seed_demo(
    session: Session,
    password: str = DEMO_PASSWORD,
    *,
    today: date | None = None,
    claims: bool = True,
) -> SeedReport:
    """Load what is missing (flushed, not committed). ``today`` ends the contribution histories.

    ``claims``: also the demo's waiting work (``_seed_claims`` and ``work.seed_work``: claims
    at every stage, batches, an office proposal), made through the services and so audited,
    and the members' history (``work.seed_member_history``); without them the demo writes no
    audit event."""
    report = SeedReport()
    regions: dict[str, Region] = {r.code: r for r in session.scalars(select(Region))}
    for code, name in REGIONS:
        if code not in regions:
            regions[code] = Region(code=code, name=name)
            session.add(regions[code])
            report.add("region")
    session.flush()

    regencies: dict[str, Regency] = {r.code: r for r in session.scalars(select(Regency))}
    for code, name, region in REGENCIES:
        if code not in regencies:
            regencies[code] = Regency(code=code, name=name, region=regions[region])
            session.add(regencies[code])
            report.add("regency")
    session.flush()

    offices: dict[str, Office] = {o.code: o for o in session.scalars(select(Office))}
    for code, kind, name, region, parent, regency, opened, active in OFFICES:
        if code not in offices:
            offices[code] = Office(
                code=code,
                office_type=kind,
                name=name,
                region=regions[region],
                parent=offices[parent] if parent else None,
                regency=regencies[regency],
                opened_on=opened,
                active=active,
            )
            session.add(offices[code])
            report.add("office")
    session.flush()

    departments: dict[str, Department] = {d.name: d for d in session.scalars(select(Department))}
    for name, regency, office, sector in DEPARTMENTS:
        if name not in departments:
            departments[name] = Department(
                name=name, regency=regencies[regency], office=offices[office], sector=sector
            )
            session.add(departments[name])
            report.add("department")
    session.flush()

    existing = set(session.scalars(select(User.username)))
    for username, full_name, role, scope_key in USERS:
        if username in existing:
            continue
        column = user_service.ROLE_SCOPE_COLUMN[role]
        data = user_service.UserData(
            username=username,
            full_name=full_name,
            role=role,
            region=regions[scope_key] if column == "region_id" else None,
            office=offices[scope_key] if column == "office_id" else None,
            department=departments[scope_key] if column == "department_id" else None,
        )
        # The demo password (demo1234) is below the password policy: demo accounts only.
        user_service.create_user(session, data, password, demo=True)
        report.add("user")
    session.flush()

    today = today or today_in_jakarta()
    known = set(session.scalars(select(HolidayCorrection.day)))
    for day, name in CUTI_BERSAMA:
        if day not in known:
            session.add(HolidayCorrection(day=day, name=name, kind=HolidayKind.ADD))
            report.add("holiday_correction")
    session.flush()
    _seed_members(session, report, offices, departments, today)
    _seed_correction(session, report, today)
    if claims:
        _seed_claims(session, report, today)
        work.seed_work(session, report, today, DEMO_MEMBERS)
        work.seed_member_history(session, report, [p.nik for p in PEOPLE])
    report.add("coverage_target", seed_targets(session, today))
    return report


#: The demo's waiting correction: petugas.serang proposes it, petugas2.serang or kepala.serang
#: decides it (the proposer may not). A higher income level and JHT change the contribution
#: from the month after the approval.
DEMO_CORRECTION = {
    "member": "Muhamad Jaelani",
    "proposer": "petugas.serang",
    "values": {
        "income_level": "1500000",
        "jht": "1",
        "address": "Kp. Pasauran RT 002/RW 001, Desa Bandulu, Kec. Anyar",
    },
    "reason": "Peserta melaporkan penghasilan baru dan memilih ikut JHT; pindah RT "
    "(formulir perubahan data ditandatangani peserta).",
}


def _seed_correction(session: Session, report: SeedReport, today: date) -> None:
    """The waiting correction of KC Serang, unless the member already has a correction."""
    member = session.scalar(
        select(Member).where(
            Member.name == DEMO_CORRECTION["member"],
            Member.office.has(Office.code == "B01"),
        )
    )
    proposer = session.scalar(select(User).where(User.username == DEMO_CORRECTION["proposer"]))
    if member is None or proposer is None:
        return
    if session.scalar(select(MemberCorrection.id).where(MemberCorrection.member_id == member.id)):
        return
    corrections.propose(
        session,
        proposer,
        member,
        DEMO_CORRECTION["values"],
        DEMO_CORRECTION["reason"],
        document=None,
        today=today,
        demo=True,
    )
    report.add("member_correction")


# --------------------------------------------------------------------------------------------
# Demo members: created in bulk with their ledgers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """One payment: ``months`` consecutive months from ``first``."""

    first: date
    months: int
    paid_in: date  # the month the payment was made


def _blocks(first: date, last: date, cadence: int, run_ahead: bool) -> list[_Block]:
    """Payments of ``cadence`` months from ``first`` to ``last``; when the history stops at
    ``last`` (not ``run_ahead``) the rest is paid month by month so that it ends there."""
    blocks = []
    month = first
    while month <= last:
        size = cadence if run_ahead or add_months(month, cadence - 1) <= last else 1
        blocks.append(_Block(month, size, month))
        month = add_months(month, size)
    return blocks


def _history(
    person: DemoPerson, start: date, end: date, last_due: date | None = None
) -> list[_Block]:
    """The payments of ``person`` from ``start`` to ``end`` (the month of seeding);
    ``last_due`` is the last month already due then (default: the month before ``end``)."""
    kind, n = person.history
    first = month_start(start)
    if kind == "paid":
        return _blocks(first, end, person.cadence, run_ahead=True)
    if kind == "scattered":
        missed = {add_months(end, -k) for k in (10, 7, 4, 2)}
        months = _blocks(first, end, 1, run_ahead=True)
        return [block for block in months if block.first not in missed]
    if kind == "unpaid_due":
        last_due = last_due or add_months(end, -1)
        return _blocks(first, add_months(last_due, -n), person.cadence, run_ahead=False)
    if kind == "arrears":
        return _blocks(first, add_months(end, -n), person.cadence, run_ahead=False)
    assert kind == "gap" and n >= 6
    gap = add_months(end, -n)
    return [
        *_blocks(first, add_months(gap, -1), person.cadence, run_ahead=False),
        # Five months unpaid; in the sixth the member pays all six at once.
        _Block(gap, 6, add_months(gap, 5)),
        *_blocks(add_months(gap, 6), end, person.cadence, run_ahead=True),
    ]


def _pay_day(rng: random.Random, due_day: int) -> int:
    """Mostly between the 5th and the due day (the 15th); now and then early or late."""
    roll = rng.random()
    if roll < 0.8:
        return rng.randint(5, due_day)
    return rng.randint(1, 4) if roll < 0.9 else rng.randint(due_day + 1, 27)


def _reference(channel: PaymentChannel, office: str, paid_on: date, rng: random.Random) -> str:
    if channel is PaymentChannel.COUNTER:
        return f"KWT/{office}/{paid_on:%Y%m}/{rng.randint(1, 9999):04d}"
    if channel is PaymentChannel.BANK:
        return f"{rng.choice(BANKS)}-{paid_on:%y%m%d}-{rng.randint(0, 999_999):06d}"
    return f"JMO-{paid_on:%y%m%d}-{rng.getrandbits(32):08X}"


def _seed_members(
    session: Session,
    report: SeedReport,
    offices: dict[str, Office],
    departments: dict[str, Department],
    today: date,
) -> None:
    """The demo members not there yet (by NIK), each with their contributions, in bulk."""
    niks = [p.nik for p in PEOPLE]
    existing = set(session.scalars(select(Member.nik).where(Member.nik.in_(niks))))
    new = [p for p in PEOPLE if p.nik not in existing]
    if not new:
        return
    clerks = dict(
        session.execute(
            select(User.username, User.id).where(
                User.username.in_({u for names in OFFICE_CLERKS.values() for u in names})
            )
        ).all()
    )
    end = month_start(today)
    now = datetime.now(UTC)
    kpjs = reserve_kpj(session, len(new))
    rates: dict[date, Any] = {}
    sector_terms = reference.sectors(session)
    members: list[dict[str, Any]] = []
    plans: dict[str, tuple[DemoPerson, date, random.Random]] = {}
    for person, kpj in zip(new, kpjs, strict=True):
        # One generator per member, seeded by the NIK: a member's data does not depend on the
        # others or on the order of PEOPLE.
        rng = random.Random(f"bpjs-demo:{person.nik}")
        start = min(add_months(end, -person.start_ago).replace(day=rng.randint(1, 28)), today)
        programmes = [Programme.JKK, Programme.JKM] + ([Programme.JHT] if person.jht else [])
        if start not in rates:
            rates[start] = reference.rates_on(session, start)
        contribution = contributions.monthly_contribution(person.income, programmes, rates[start])
        office = offices[person.office]
        department = departments[person.department] if person.department else None
        prefix = rng.choice(("0812", "0813", "0821", "0852", "0857", "0877", "0895"))
        phone = f"{prefix}{rng.randint(0, 10**8 - 1):08d}"
        members.append(
            {
                "kpj": kpj,
                "nik": person.nik,
                "name": person.name,
                "birth_date": person.born,
                "sex": person.sex,
                "address": person.address,
                "phone": phone,
                "occupation": person.occupation,
                # The ledger's rule: a member's sector from their occupation, else their
                # department's; their domicile the regency of their office.
                "sector": sectors.member_sector(
                    None, person.occupation, department and department.sector, sector_terms
                ),
                "domicile_regency_code": reference.kemendagri_code_of(session, office.regency),
                "income_level": person.income,
                "programmes": ",".join(p.value for p in programmes),
                "start_date": start,
                "contribution_jkk": contribution.jkk,
                "contribution_jkm": contribution.jkm,
                "contribution_jht": contribution.jht,
                "monthly_contribution": contribution.total,
                "active": True,
                "department_id": department.id if department else None,
                "office_id": office.id,
                "region_id": office.region_id,
                "batch_id": None,
                "registered_by_id": clerks[rng.choice(OFFICE_CLERKS[person.office])],
                "created_at": now,
            }
        )
        plans[person.nik] = (person, start, rng)
    session.execute(insert(Member).execution_options(render_nulls=True), members)
    report.add("member", len(members))

    ids = dict(session.execute(select(Member.nik, Member.id).where(Member.nik.in_(plans))).all())
    payments: list[dict[str, Any]] = []
    discounts = reference.discounts(session)
    due_day = reference.due_day(reference.parameters_on(session, today))
    last_due = end if today.day > due_day else add_months(end, -1)
    for row in members:
        person, start, rng = plans[row["nik"]]
        standard = contributions.Contribution(
            row["contribution_jkk"], row["contribution_jkm"], row["contribution_jht"]
        )
        for block in _history(person, start, end, last_due):
            if person.department:
                # A department pays for all its members at once: one date and one payment
                # order (SP2D) per department and month.
                channel = PaymentChannel.PAYER
                order = random.Random(f"bpjs-demo:{person.department}:{block.paid_in}")
                paid_on = block.paid_in.replace(day=_pay_day(order, due_day))
                reference_no = f"SP2D/{PAYER_CODES[person.department]}/{paid_on:%Y}/{order.randint(1, 999):03d}"
                payer = row["department_id"]
            else:
                channel = person.channel
                if rng.random() < 0.2:  # now and then another way
                    others = [c for c in (COUNTER, BANK, ONLINE) if c is not person.channel]
                    channel = rng.choice(others)
                paid_on = block.paid_in.replace(day=_pay_day(rng, due_day))
                reference_no = None
                payer = None
            paid_on = min(max(paid_on, start), today)
            if reference_no is None:
                reference_no = _reference(channel, person.office, paid_on, rng)
            recorded_by = (
                clerks[rng.choice(OFFICE_CLERKS[person.office])]
                if channel in (PaymentChannel.COUNTER, PaymentChannel.PAYER)
                else None  # bank and online payments arrive through the payment partners
            )
            for i in range(block.months):
                period = add_months(block.first, i)
                # The ledger's rule: the discount of the month, unless a government budget pays.
                amounts = contributions.month_contribution(
                    standard, period, channel, discounts, row["sector"]
                )
                payments.append(
                    {
                        "member_id": ids[row["nik"]],
                        "period": period,
                        "jkk": amounts.jkk,
                        "jkm": amounts.jkm,
                        "jht": amounts.jht,
                        "paid_on": paid_on,
                        "channel": channel,
                        "reference": reference_no,
                        "payer_department_id": payer,
                        "recorded_by_id": recorded_by,
                        "created_at": now,
                    }
                )
    session.execute(insert(ContributionPayment).execution_options(render_nulls=True), payments)
    report.add("contribution_payment", len(payments))
    session.flush()
    # Each new member's status from their history (registered, active, lapsed, ended).
    new_members = session.scalars(select(Member).where(Member.id.in_(ids.values())))
    lifecycle.sync(session, new_members, today=today, audited=False)


# --------------------------------------------------------------------------------------------
# Demo claims: registered through the claims service, as a clerk would
# --------------------------------------------------------------------------------------------

#: The widow of the JKK death claim: born 12/04/1981 in Kota Serang (day + 40 in the NIK).
JKK_HEIR = ("Rina Marlina", date(1981, 4, 12), "3673", 5, 7)
#: Their children in school: (name, birth date, school level).
JKK_CHILDREN = (
    ("Dewi Salim", date(2013, 8, 17), "smp"),
    ("Fajar Salim", date(2018, 3, 2), "tk_sd"),
)


def _recent(session: Session, today: date, days: int) -> date:
    """``days`` before ``today``, or ``today`` when that was in the previous school year (the
    claim then shows one school year of scholarship paid now, the current one)."""
    start = int(reference.parameters_on(session, today)["scholarship.school_year_start_month"])
    day = today - timedelta(days=days)
    same = benefits.school_year_of(day, start) == benefits.school_year_of(today, start)
    return day if same else today


def _seed_claims(session: Session, report: SeedReport, today: date) -> None:
    """A JHT claim paying the balance year by year (contributions plus the declared returns)
    and a JKK death claim with two children and their scholarship schedule; each only when its
    member has no claim of its type yet."""
    clerk = session.scalar(select(User).where(User.username == "petugas.serang"))
    members = {
        key: session.scalar(select(Member).where(Member.nik == DEMO_MEMBERS[key]))
        for key in ("serang_jht_long", "serang_jkk_death")
    }
    if clerk is None or None in members.values():
        return
    saver, worker = members["serang_jht_long"], members["serang_jkk_death"]
    wanted = []
    if not _has_claim(session, saver, ClaimType.JHT):
        wanted.append(
            claim_service.ClaimData(
                claim_type=ClaimType.JHT,
                member=saver,
                event_date=today - timedelta(days=5),
                claimant_name=saver.name,
                claimant_nik=saver.nik,
                claimant_relationship=Relationship.SELF,
                bank_name="BRI",
                bank_account="0021-01-034567-50-3",
                account_holder=saver.name,
                jht_reason=JhtReason.STOPPED_WORKING,
            )
        )
    if not _has_claim(session, worker, ClaimType.JKK):
        heir, born, regency, district, serial = JKK_HEIR
        wanted.append(
            claim_service.ClaimData(
                claim_type=ClaimType.JKK,
                member=worker,
                event_date=_recent(session, today, 20),
                claimant_name=heir,
                claimant_nik=make_nik(regency, district, born, "P", serial),
                claimant_relationship=Relationship.SPOUSE,
                bank_name="Bank Banten",
                bank_account="5010-0077-4321",
                account_holder=heir,
                details={
                    "accident_place": "Jl. Raya Serang-Cilegon Km 5, Kec. Kramatwatu",
                    "on_commute": True,
                    "treatment_cost": 4_500_000,
                    "transport_mode": "land",
                    "transport_cost": 750_000,
                    "stmb_days": 0,
                    "disability_percent": "0",
                    "death": True,
                },
                children=[benefits.Child(n, b, level) for n, b, level in JKK_CHILDREN],
            )
        )
    for data in wanted:
        claim_service.register_claim(session, clerk, data, today=today)
        report.add("claim")
    session.flush()


def _has_claim(session: Session, member: Member, claim_type: ClaimType) -> bool:
    return (
        session.scalar(
            select(Claim.id).where(Claim.member_id == member.id, Claim.claim_type == claim_type)
        )
        is not None
    )
