"""Benchmark of a member batch in the database: processing and accepting 50,000 rows.

    python bench/bench_batches.py [--rows 50000] [--format csv] [--backend sqlite|postgresql]
                                  [--profile DIR]   # a cProfile of each step in DIR

On a database built through the migrations and loaded with the demo data, the liaison
``dinas.pertanian.serang`` uploads a generated file (gen_members: every row valid, every NIK
unique), then, each step in a fresh subprocess:

- process: ``process_batch`` (read + validate + store every row, one transaction);
- submit: ``decide(..., "submit")`` as the liaison;
- accept: ``decide(..., "accept_all")`` as the clerk ``petugas.serang`` (one member per row).

Each step reports its time, rows/s and memory: ru_maxrss of its subprocess at the end, and the
growth of that peak during the step (the process had loaded the app and read its users before).

Databases: a fresh SQLite file in a temporary directory; and PostgreSQL when
``BENCH_DATABASE_URL=postgresql+psycopg://user@host:5432/<name>`` is set (that database is
dropped if it exists, created, and dropped at the end) or, without it, when a server answers on
127.0.0.1:5432 (as ``postgres``, database ``bo_bench_batches``).

The bars: 50,000 rows accepted in < 10 s on PostgreSQL; < 400 MB peak (the upload pipeline's
bar, bench_import.py). A plain script: it reports, it does not assert (it fails only when a
step does not end as it should, e.g. a row left invalid).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_import
from bench_import import BENCH_MAX_BYTES, in_subprocess, peak_mb

LIAISON = "dinas.pertanian.serang"
CLERK = "petugas.serang"
DEMO_PASSWORD = "demo1234"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bo_bench_batches"
#: 50,000 rows accepted in < 10 s on PostgreSQL.
ACCEPT_TARGET_RATE = 5_000  # rows/s
PEAK_TARGET_MB = 400.0
#: Databases the benchmark never drops.
PROTECTED_DATABASES = frozenset({"postgres", "template0", "template1"})

# As in bench_import.py: this parent stays small (no SQLAlchemy, no app) so that the peak RSS
# each step's subprocess reports is its own; every database and app work runs in children.


# --------------------------------------------------------------------------------------------
# Children: one step each, its result as one JSON line.
# --------------------------------------------------------------------------------------------


def _app(url: str, work: Path) -> Any:
    from backoffice import create_app

    return create_app(
        {
            "BACKOFFICE_ENV": "development",
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(work / "instance"),
            "TASK_QUEUE": "immediate",
            "IMPORT_MAX_BYTES": BENCH_MAX_BYTES,
        }
    )


def _settings(work: Path) -> Any:
    from backoffice.services.batch_intake import Settings

    return Settings(storage_dir=work / "storage", max_bytes=BENCH_MAX_BYTES, max_rows=200_000)


def _user(session: Any, username: str) -> Any:
    from sqlalchemy import select

    from models import User

    return session.scalars(select(User).where(User.username == username)).one()


def _admin(action: str, url: str) -> dict[str, Any]:
    """Create (drop if exists + create) or drop a PostgreSQL database via the ``postgres`` db."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from backoffice.config import normalise_database_url

    target = make_url(normalise_database_url(url))
    name = target.database
    if not name or name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to drop/create the database {name!r}: name a scratch database")
    engine = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if action == "create":
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        version = conn.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    return {"database": name, "server_version": version}


def _setup(url: str, work: Path, rows: int, kind: str) -> dict[str, Any]:
    """Migrate + seed the database, write the file, upload it as the liaison."""
    import gen_members
    from flask_migrate import upgrade
    from sqlalchemy import select

    from backoffice.extensions import db
    from backoffice.seed.demo import seed_demo
    from backoffice.services import batch_intake
    from models import Regency

    app = _app(url, work)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        seed_demo(db.session, DEMO_PASSWORD)
        db.session.commit()
        built = time.perf_counter() - started
        seeded = set(db.session.scalars(select(Regency.code)))
        unknown = gen_members.REGENCY_CODES - seeded
        if unknown:
            raise SystemExit(
                f"gen_members uses regencies the seed does not know: {sorted(unknown)}"
            )
        path = work / f"members_{rows}.{kind}"
        written = bench_import.write_members(kind, rows, path, invalid_ratio=0.0)
        liaison = _user(db.session, LIAISON)
        started = time.perf_counter()
        upload = batch_intake.upload_batch(
            db.session,
            liaison,
            path.read_bytes(),
            path.name,
            settings=_settings(work),
            today=gen_members.DEFAULT_REGISTRATION_DATE,
        )
        db.session.commit()
        uploaded = time.perf_counter() - started
        batch_id = upload.batch.id
        path.unlink()
        db.session.remove()
        db.engine.dispose()
    return {
        "batch_id": batch_id,
        "build_seconds": built,
        "file_mb": written["mb"],
        "write_seconds": written["seconds"],
        "upload_seconds": uploaded,
    }


def _step(step: str, url: str, work: Path, batch_id: int, profile: str | None) -> dict[str, Any]:
    """One measured step on an existing batch, in this fresh process."""
    from sqlalchemy import func, select

    from backoffice.extensions import db
    from backoffice.services import batch_intake, batches
    from backoffice.transaction import unit_of_work
    from models import BatchState, Member, MemberBatch

    app = _app(url, work)
    with app.app_context():
        session = db.session
        actor = _user(session, CLERK if step == "accept" else LIAISON)
        actor.department, actor.office  # noqa: B018 -- loaded before the clock starts
        session.get(MemberBatch, batch_id)  # a warm connection, as in a request

        def run() -> Any:
            with unit_of_work(session):  # the commit is part of the step, as in the app
                if step == "process":
                    return batch_intake.process_batch(session, batch_id, _settings(work))
                if step == "submit":
                    return batches.decide(session, actor, batch_id, "submit")
                return batches.decide(session, actor, batch_id, "accept_all")

        before = peak_mb()
        started = time.perf_counter()
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            batch = profiler.runcall(run)
            profiler.dump_stats(profile)
        else:
            batch = run()
        seconds = time.perf_counter() - started
        after = peak_mb()

        expected = {"process": BatchState.DRAFT, "submit": BatchState.SUBMITTED}
        state = expected.get(step, BatchState.COMPLETED)
        if batch.state is not state or batch.invalid_count:
            raise SystemExit(
                f"{step}: batch {batch_id} ended {batch.state.value} with "
                f"{batch.valid_count} valid, {batch.invalid_count} invalid rows"
            )
        result = {
            "rows": batch.valid_count,
            "seconds": seconds,
            "peak_mb": after,
            "growth_mb": after - before,
        }
        if step == "accept":
            members = session.scalar(
                select(func.count()).select_from(Member).where(Member.batch_id == batch_id)
            )
            if members != batch.valid_count or batch.accepted_count != batch.valid_count:
                raise SystemExit(
                    f"accept: {batch.accepted_count} accepted, {members} members "
                    f"for {batch.valid_count} rows"
                )
        session.remove()
        db.engine.dispose()
    return result


def _child(args: argparse.Namespace) -> None:
    import json

    work = Path(args.work) if args.work else None
    if args.step in ("create", "drop"):
        result = _admin(args.step, args.url)
    elif args.step == "setup":
        result = _setup(args.url, work, args.rows, args.format)
    else:
        result = _step(args.step, args.url, work, args.batch, args.profile_to)
    print(json.dumps(result))


# --------------------------------------------------------------------------------------------
# The parent: databases, steps in order, the table.
# --------------------------------------------------------------------------------------------


def _child_run(*arguments: str) -> dict[str, Any]:
    return in_subprocess(__file__, *arguments)


def _postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _databases(only: str | None) -> list[tuple[str, str | None, bool]]:
    """(label, URL or None for a temporary SQLite file, PostgreSQL explicitly configured)."""
    found: list[tuple[str, str | None, bool]] = []
    if only in (None, "sqlite"):
        found.append(("SQLite", None, False))
    if only in (None, "postgresql"):
        configured = os.environ.get("BENCH_DATABASE_URL")
        if configured:
            found.append(("PostgreSQL", configured, True))
        elif _postgres_answers():
            found.append(("PostgreSQL", DEFAULT_POSTGRES_URL, only == "postgresql"))
        elif only == "postgresql":
            raise SystemExit("no PostgreSQL: set BENCH_DATABASE_URL or start one on 127.0.0.1:5432")
        else:
            print("PostgreSQL: not configured (BENCH_DATABASE_URL) and none on 127.0.0.1:5432")
    return found


STEPS = ("process", "submit", "accept")


def _bench_database(
    label: str, url: str | None, explicit: bool, args: argparse.Namespace
) -> dict[str, dict[str, Any]] | None:
    with tempfile.TemporaryDirectory(prefix="bench_batches_") as tmp:
        work = Path(tmp)
        if url is None:
            url = f"sqlite:///{work / 'bench.sqlite3'}"
        else:
            try:
                server = _child_run("--step", "create", "--url", url)
            except SystemExit as failure:
                if explicit:
                    raise
                print(f"PostgreSQL skipped: {failure}")
                return None
            print(f"{label} {server['server_version']}, database {server['database']}:")
        try:
            common = ("--url", url, "--work", str(work))
            setup = _child_run(
                "--step", "setup", *common, "--rows", str(args.rows), "--format", args.format
            )
            if url.startswith("sqlite"):
                print(f"{label} (temporary file):")
            print(
                f"  migrated + seeded in {setup['build_seconds']:.1f} s; wrote "
                f"{args.format.upper()} {setup['file_mb']:.1f} MB in {setup['write_seconds']:.1f} s; "
                f"upload_batch {setup['upload_seconds']:.2f} s"
            )
            results: dict[str, dict[str, Any]] = {}
            for step in STEPS:
                extra: tuple[str, ...] = ()
                if args.profile:
                    target = Path(args.profile) / f"{label.lower()}_{step}.prof"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    extra = ("--profile-to", str(target))
                result = _child_run(
                    "--step", step, *common, "--batch", str(setup["batch_id"]), *extra
                )
                results[step] = result
                print(
                    f"  {step:8} {result['rows']:>7,} rows in {result['seconds']:6.2f} s, "
                    f"peak {result['peak_mb']:.0f} MB (+{result['growth_mb']:.0f})"
                )
            return results
        finally:
            if not url.startswith("sqlite"):
                _child_run("--step", "drop", "--url", url)


LABELS = {
    "process": "process_batch (read+validate+store)",
    "submit": 'decide "submit" (liaison)',
    "accept": 'decide "accept_all" (clerk)',
}


def _bars(label: str, step: str, result: dict[str, Any]) -> tuple[str, str]:
    """(time bar, memory bar), each with its verdict where it applies."""
    memory = f"< {PEAK_TARGET_MB:.0f} MB {'ok' if result['peak_mb'] < PEAK_TARGET_MB else 'MISSED'}"
    if step != "accept":
        return "-", memory
    limit = result["rows"] / ACCEPT_TARGET_RATE
    if label != "PostgreSQL":
        return f"(PG: < {limit:.1f} s)", memory
    return f"< {limit:.1f} s {'ok' if result['seconds'] < limit else 'MISSED'}", memory


def _table(rows: int, kind: str, figures: dict[str, dict[str, dict[str, Any]]]) -> None:
    print()
    print(
        f"Member batch of {rows:,} rows ({kind.upper()}, all valid), one fresh subprocess per step"
        " (peak = ru_maxrss of the step's process, +MB = its growth during the step):"
    )
    header = (
        f"  {'database':<10} {'step':<36} {'rows':>7} {'seconds':>8} {'rows/s':>8} "
        f"{'peak MB':>8} {'+MB':>5}  {'time bar':<18} memory bar"
    )
    print(header)
    print("  " + "-" * (len(header) + 8))
    for label, results in figures.items():
        for step in STEPS:
            r = results[step]
            time_bar, memory_bar = _bars(label, step, r)
            print(
                f"  {label:<10} {LABELS[step]:<36} {r['rows']:>7,} {r['seconds']:>8.2f} "
                f"{r['rows'] / r['seconds']:>8,.0f} {r['peak_mb']:>8.0f} "
                f"{'+' + format(r['growth_mb'], '.0f'):>5}  {time_bar:<18} {memory_bar}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the batch file")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="file format")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), help="only this database (default: both)"
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="write a cProfile of each step to DIR/<db>_<step>.prof"
    )
    parser.add_argument(
        "--step", choices=("create", "drop", "setup", *STEPS), help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        _child(args)
        return

    figures: dict[str, dict[str, dict[str, Any]]] = {}
    for label, url, explicit in _databases(args.backend):
        results = _bench_database(label, url, explicit, args)
        if results is not None:
            figures[label] = results
    if figures:
        _table(args.rows, args.format, figures)
    print(f"  (this parent process: {peak_mb():.0f} MB, so the children's figures are their own)")


if __name__ == "__main__":
    sys.exit(main())
