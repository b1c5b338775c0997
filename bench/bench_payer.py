"""Benchmark of a payer's contributions file: checking and recording 1,000 and 10,000 rows.

    python bench/bench_payer.py [--rows 1000,10000] [--members 200000] [--database-url URL]

Loads a fresh PostgreSQL database (migrations, demo data, ``seed-bulk --members N --claims 0``;
default ``postgresql+psycopg://postgres@127.0.0.1:5432/bo_bench_payer``, dropped at the end),
then for each size the clerk ``petugas.serang`` records a file of that many rows for the
department ``demo.DPU``, each row one month of a different member of the clerk's office (the
member's first month of protection), through the importer's service: ``upload`` (the file
checked as a whole), ``preview`` (every row checked against the database) and ``record`` (the
file checked again, then every row recorded and audited in one transaction).

"audit lock held" is the time from the audit trail's append lock being taken to the commit:
every other audited action of every user waits for it. For comparison the same number of
members (other ones) is also recorded row by row, one ``record_payment`` after another in one
transaction, as the importer did before it recorded set-based: there the lock is taken at the
first row and held until the last is recorded.

A plain script (``make bench``): it reports, it does not assert.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench_pages import _admin_sql, _database_name, _flask

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bo_bench_payer"
CLERK = "petugas.serang"
HEADER = ["KPJ", "NIK", "Nama", "Bulan", "Jumlah Bulan", "Tanggal Bayar", "Referensi"]


def _file(members: list[Any], paid_on: date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    for n, member in enumerate(members):
        first = member.start_date.replace(day=1)
        writer.writerow(
            [
                member.kpj,
                "",
                member.name,
                first.strftime("%m/%Y"),
                "1",
                paid_on.strftime("%d/%m/%Y"),
                f"SP2D/BENCH/{n}",
            ]
        )
    return out.getvalue().encode("utf-8")


class LockClock:
    """When the audit append lock was first taken in the current transaction."""

    def __init__(self) -> None:
        from backoffice import audit

        self.audit = audit
        self.real = audit._lock_head
        self.taken: float | None = None

    def __enter__(self) -> LockClock:
        def timed(session: Any) -> Any:
            if self.taken is None:
                self.taken = time.perf_counter()
            return self.real(session)

        self.audit._lock_head = timed
        return self

    def __exit__(self, *exc: Any) -> None:
        self.audit._lock_head = self.real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,10000")
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    url = args.database_url
    _database_name(url)  # refuses to drop a database that is not a scratch one
    _admin_sql(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', 'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        _flask(url, "db", "upgrade")
        _flask(url, "seed-demo")
        _flask(url, "seed-bulk", "--members", str(args.members), "--claims", "0", "--seed", "3")
        print(f"database loaded in {time.perf_counter() - started:.0f} s")
        _measure(url, sizes)
    finally:
        _admin_sql(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(url: str, sizes: list[int]) -> None:
    import tempfile

    from sqlalchemy import func, select

    from backoffice import create_app
    from backoffice.clock import today_in_jakarta
    from backoffice.extensions import db
    from backoffice.seed import demo
    from backoffice.services import ledger, payer_import, payer_tickets
    from backoffice.transaction import unit_of_work
    from models import AuditEvent, ContributionPayment, Department, Member, User

    storage = tempfile.mkdtemp(prefix="bench-payer-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "BACKOFFICE_ENV": "development",
            "UPLOAD_DIR": storage,
            "PAYER_IMPORT_MAX_ROWS": max(sizes),
            "PAYER_IMPORT_MAX_BYTES": 64 * 1024 * 1024,
            "TASK_QUEUE": "immediate",
        }
    )
    print(
        "\n| rows | upload | preview | record | audit lock held | row by row: record, lock held |"
    )
    print("|---|---|---|---|---|---|")
    with app.app_context():
        session = db.session
        clerk = session.scalar(select(User).where(User.username == CLERK))
        department = session.scalar(select(Department).where(Department.name == demo.DPU))
        today = today_in_jakarta()
        pool = list(
            session.scalars(
                select(Member)
                .where(Member.office_id == clerk.office_id, Member.active.is_(True))
                .where(Member.start_date <= today)
                # Not the demo members, who have payments already.
                .where(
                    ~select(ContributionPayment.id)
                    .where(ContributionPayment.member_id == Member.id)
                    .exists()
                )
                .order_by(Member.id)
                .limit(sum(sizes) * 2)
            )
        )
        if len(pool) < sum(sizes) * 2:
            raise SystemExit(f"only {len(pool)} members in the clerk's office: raise --members")
        settings = payer_tickets.Settings.from_config(app.config, app.instance_path)
        for size in sizes:
            members, others, pool = pool[:size], pool[size : 2 * size], pool[2 * size :]
            data = _file(members, today)
            t0 = time.perf_counter()
            token = payer_import.upload(
                session, clerk, department.id, data, "bench.csv", settings=settings
            )
            t1 = time.perf_counter()
            preview = payer_import.preview(session, clerk, token, settings=settings)
            t2 = time.perf_counter()
            if len(preview.valid_rows) != size:
                first = next(iter(preview.errors()))
                raise SystemExit(
                    f"{size - len(preview.valid_rows)} rows invalid in the bench file, e.g. {first}"
                )
            with LockClock() as clock, unit_of_work(session):
                payer_import.record(
                    session, clerk, token, expected=preview.fingerprint, settings=settings
                )
                t3 = time.perf_counter()
            held = t3 - (clock.taken or t3)
            # The same number of other members, row by row in one transaction (the former way).
            session.expire_all()
            with LockClock() as old_clock:
                r0 = time.perf_counter()
                for member in others:
                    ledger.record_payment(
                        session,
                        clerk,
                        member,
                        period=member.start_date.replace(day=1),
                        paid_on=today,
                        channel="payer",
                        payer_department=department,
                    )
                session.commit()
                r1 = time.perf_counter()
            old_held = r1 - (old_clock.taken or r1)
            print(
                f"| {size:,} | {t1 - t0:.2f} s | {t2 - t1:.2f} s | {t3 - t2:.2f} s "
                f"| {held * 1000:.0f} ms | {r1 - r0:.2f} s, {old_held * 1000:.0f} ms |",
                flush=True,
            )
        payments = session.scalar(select(func.count()).select_from(ContributionPayment))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        print(f"\n{payments:,} payments recorded; {events:,} audit events in the trail")
        session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
