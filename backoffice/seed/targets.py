"""The demo's coverage targets: Banten's 2.62 million informal workers (BPU) to protect, a
share for each of its eight regencies and cities, and one for each demo department.

Banten's figure is the one the Plt Gubernur gave in June 2015; the regencies' shares and the
departments' targets are demo values (their note says so), summing to Banten's."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CoverageTarget, Department, Regency, Region

from ..clock import today_in_jakarta

BANTEN = 2_620_000
BANTEN_SOURCE = "Plt Gubernur Banten, Juni 2015: 2.620.000 pekerja bukan penerima upah"
DEMO_NOTE = "Nilai demo: bagian Banten menurut perkiraan pekerja informal"

#: Regency code -> workers to protect (demo shares of Banten's 2.62 million).
REGENCY_TARGETS = {
    "3601": 290_000,  # Kab. Pandeglang
    "3602": 310_000,  # Kab. Lebak
    "3603": 640_000,  # Kab. Tangerang
    "3604": 350_000,  # Kab. Serang
    "3671": 390_000,  # Kota Tangerang
    "3672": 95_000,  # Kota Cilegon
    "3673": 160_000,  # Kota Serang
    "3674": 385_000,  # Kota Tangerang Selatan
}

#: Department name -> (workers, source): the regent of Kab. Serang has each bring in its sector.
DEPARTMENT_TARGETS = {
    "Diskoumperindag Kab. Serang": (25_000, "Bupati Serang: pedagang dan pelaku UMKM"),
    "Dinas Pertanian Kab. Serang": (18_000, "Bupati Serang: petani dan buruh tani"),
    "Dinas PU Kab. Serang": (8_000, "Bupati Serang: pekerja jasa konstruksi"),
}


def seed_targets(session: Session, today: date | None = None) -> int:
    """Add the targets of this year that are missing (flushed, not committed); how many."""
    today = today or today_in_jakarta()
    year = today.year
    banten = session.scalar(select(Region).where(Region.code == "BTN"))
    if banten is None:
        return 0
    existing = {
        (t.region_id, t.regency_id, t.department_id, t.sector)
        for t in session.scalars(select(CoverageTarget).where(CoverageTarget.year == year))
    }
    wanted: list[CoverageTarget] = []

    def want(workers: int, source: str, note: str | None = None, **place: int | None) -> None:
        key = (banten.id, place.get("regency_id"), place.get("department_id"), None)
        if key in existing:
            return
        wanted.append(
            CoverageTarget(
                year=year,
                region_id=banten.id,
                workers=workers,
                source=source,
                note=note,
                valid_from=date(year, 1, 1),
                **place,
            )
        )

    want(BANTEN, BANTEN_SOURCE)
    regencies = {r.code: r for r in session.scalars(select(Regency))}
    for code, workers in REGENCY_TARGETS.items():
        if code in regencies:
            want(workers, BANTEN_SOURCE, DEMO_NOTE, regency_id=regencies[code].id)
    departments = {d.name: d for d in session.scalars(select(Department))}
    for name, (workers, source) in DEPARTMENT_TARGETS.items():
        if name in departments:
            want(workers, source, "Nilai demo", department_id=departments[name].id)
    session.add_all(wanted)
    session.flush()
    return len(wanted)
