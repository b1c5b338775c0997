"""Banten demo data: idempotent, keyed by natural keys (codes, usernames)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Department, Office, OfficeType, Regency, Region, Role, User

from . import users as user_service

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

DEPARTMENTS = [
    ("Diskoumperindag Kab. Serang", "3604", "B01"),
    ("Dinas Pertanian Kab. Serang", "3604", "B01"),
    ("Dinas PU Kab. Serang", "3604", "B01"),
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


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.created.values())


def seed_demo(session: Session, password: str = DEMO_PASSWORD) -> SeedReport:
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
    for name, regency, office in DEPARTMENTS:
        if name not in departments:
            departments[name] = Department(
                name=name, regency=regencies[regency], office=offices[office]
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
        user_service.create_user(session, data, password)
        report.add("user")
    session.flush()
    return report
