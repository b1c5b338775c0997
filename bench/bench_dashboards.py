"""Benchmark of the coverage dashboards at scale (issue #19): p95 server time of each.

    python bench/bench_dashboards.py [--members 1000000] [--requests 30]
                                     [--database-url URL] [--keep | --reuse]

Loads a fresh PostgreSQL database like ``bench_pages.py`` (migrations, the demo data, then
``seed-bulk --members N --claims N/5``, whose fast load rebuilds the coverage summaries), checks
that the summaries agree with a full recount (``verify-summaries``, timed too: it is the cost of
counting the base tables the dashboards never pay), then measures each dashboard through Flask's
test client in this process (median and p95 over ``--requests`` requests after two warm-ups):
the regional head's region, a regency, an office, a department, the liaison's department, the
branch clerk's office, the auditor, and each one's XLSX export.

Database: ``--database-url`` (default ``BENCH_DATABASE_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/bo_bench_dashboards``), dropped and created;
dropped at the end unless ``--keep``; ``--reuse`` measures an existing database again.

A plain script (``make bench``), not a test: it reports, it does not assert.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_pages  # noqa: E402  (the same database loading and measuring)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bo_bench_dashboards"


def _app(url: str) -> Any:
    from backoffice import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "BACKOFFICE_ENV": "development",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "TASK_QUEUE": "immediate",
        }
    )


def _places(app: Any) -> dict[str, str]:
    from sqlalchemy import select

    from backoffice.extensions import db
    from models import Department, Office

    with app.app_context():
        serang = db.session.scalar(select(Office.id).where(Office.code == "B01"))
        distan = db.session.scalar(
            select(Department.id).where(Department.name.like("Dinas Pertanian%"))
        )
    return {"office": str(serang), "department": str(distan)}


def dashboards(places: dict[str, str]) -> list[tuple[str, str, str]]:
    office, department = places["office"], places["department"]
    return [
        ("region (regencies)", "kanwil.banten", "/admin/coverage/"),
        ("regency (departments, offices)", "kanwil.banten", "/admin/coverage/?regency=3604"),
        ("office (departments)", "kanwil.banten", f"/admin/coverage/?office={office}"),
        ("department (sectors)", "kanwil.banten", f"/admin/coverage/?department={department}"),
        ("auditor, region", "auditor.banten", "/admin/coverage/"),
        ("branch head, departments", "kepala.serang", "/admin/coverage/"),
        ("clerk, office", "petugas.serang", "/admin/coverage/"),
        ("liaison, department", "dinas.pertanian.serang", "/admin/coverage/"),
        ("region XLSX", "kanwil.banten", "/admin/coverage/export.xlsx"),
        ("liaison XLSX", "dinas.pertanian.serang", "/admin/coverage/export.xlsx"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = args.database_url
    if args.reuse:
        bench_pages._flask(url, "db", "upgrade")
        info: dict[str, Any] = {"loaded": "(reused)"}
    else:
        info = bench_pages.load(url, args.members, args.members // 5)
    seconds, output = bench_pages._flask(url, "verify-summaries")
    print(f"verify-summaries: {output.strip()} ({seconds:.1f} s for a full recount)")
    app = _app(url)
    places = _places(app)
    print(f"\n{bench_pages.machine()}\n{info.get('loaded', '')}\n")
    print("| dashboard | user | median ms | p95 ms | status |\n|---|---|---|---|---|")
    clients: dict[str, Any] = {}
    for label, username, path in dashboards(places):
        client = clients.get(username) or bench_pages._client(app, username)
        clients[username] = client
        result = bench_pages.measure(client, path, args.requests)
        print(
            f"| {label} | {username} | {result['median']:.1f} | {result['p95']:.1f}"
            f" | {result['status']} |"
        )
    if not args.keep and not args.reuse:
        time.sleep(0.5)
        bench_pages._admin_sql(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
