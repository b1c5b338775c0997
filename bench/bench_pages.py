"""Benchmark of list pages at scale: this project's screens against plain Flask-Admin.

    python bench/bench_pages.py [--members 1000000] [--claims N] [--requests 20]
                                [--database-url URL] [--keep | --reuse]

Loads a fresh PostgreSQL database (migrations, the demo data, then
``flask --app wsgi seed-bulk --members N --claims M``, which also vacuums), then measures the
server time of each page (median and p95 over ``--requests`` requests, after two warm-up
requests) through Flask's test client in this process: the request from routing to the rendered
HTML, without a network. The same pages are measured on this project's screens (signed in as
the administrator, whose scope is everything, so both sides list the same rows) and on plain
Flask-Admin ``ModelView``s over the same tables, mounted in the same app under ``/plain`` with
the same columns, searches, filters and default order. A second table shows this project's
pages for scoped users (regional head, branch clerk), which plain Flask-Admin has no equivalent
of.

Database: ``--database-url`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
bo_bench_pages``), dropped if it exists and created; dropped at the end unless ``--keep``.
``--reuse`` measures an existing database again without loading it (after upgrading it through
this checkout's migrations). Defaults: 1,000,000 members,
a fifth as many claims; ``--members 10000000`` when asked (about 10 GB of disk).

Beside each of this project's pages, its **limit**: the same rows fetched by one raw query and
rendered by a minimal Jinja table with the same columns and a link per row, in the same process
and timed the same way (``limit_baseline``). The statement is the page's own row statement,
recorded while the page is served (the one with a LIMIT that returns the most rows; for a
details page the first that reads the record), run again on the engine's DBAPI connection; the
table has as many columns as the page's list header. What a page costs beyond its limit is our
Python and Jinja, not the database: the tables print the ratio ``page / limit`` (medians).

A slow page is measured for at most about 30 s (at least 5 requests; the table then says how many).
``--only TEXT`` measures the pages whose label contains TEXT; ``--json FILE`` keeps the figures;
``--compare FILE`` (the ``--json`` of a smaller run) prints how each page grew, e.g. a run at
10,000,000 members against one at 1,000,000.

A plain script (``make bench``, ``make bench-pages``), not a test: it reports, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bo_bench_pages"
PROTECTED_DATABASES = frozenset({"postgres", "template0", "template1"})
ADMIN, HEAD, CLERK = "admin", "kanwil.banten", "petugas.serang"
DEMO_PASSWORD = "demo1234"


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------


def _admin_sql(url: str, *statements: str) -> str:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from backoffice.config import normalise_database_url

    target = make_url(normalise_database_url(url))
    engine = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement.format(name=target.database))
        version = conn.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    return str(version)


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    from backoffice.config import normalise_database_url

    name = make_url(normalise_database_url(url)).database
    if not name or name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to drop/create the database {name!r}: name a scratch database")
    return name


def _flask(url: str, *args: str) -> tuple[float, str]:
    env = dict(os.environ, DATABASE_URL=url, BACKOFFICE_ENV="development")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started, result.stdout


def _vacuum(url: str) -> None:
    import sqlalchemy as sa

    from backoffice.config import normalise_database_url

    engine = sa.create_engine(
        normalise_database_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def load(url: str, members: int, claims: int) -> dict[str, Any]:
    _database_name(url)
    version = _admin_sql(
        url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', 'CREATE DATABASE "{name}"'
    )
    migrate, _ = _flask(url, "db", "upgrade")
    demo, _ = _flask(url, "seed-demo")
    print(f"database ready (migrations {migrate:.1f} s, demo data {demo:.1f} s); loading ...")
    seconds, output = _flask(
        url, "seed-bulk", "--members", str(members), "--claims", str(claims), "--seed", "1"
    )
    loaded = next((line for line in output.splitlines() if line.startswith("Loaded")), "")
    print(f"seed-bulk: {seconds:.1f} s: {loaded}")
    return {"server_version": version, "load_seconds": seconds, "loaded": loaded}


# --------------------------------------------------------------------------------------------
# The app: this project's screens, and plain Flask-Admin over the same tables
# --------------------------------------------------------------------------------------------


def _app(url: str) -> Any:
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView
    from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter

    from backoffice import create_app
    from backoffice.extensions import db
    from models import AuditEvent, Claim, Member, MemberBatch, OfficeProposal
    from views.audit import AuditView
    from views.batches import BatchView
    from views.claims import ClaimView
    from views.members import MemberView
    from views.proposals import ProposalView

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "BACKOFFICE_ENV": "development",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "TASK_QUEUE": "immediate",
        }
    )

    def plain(model: type, ours: type, endpoint: str, **extra: Any) -> ModelView:
        """A plain ModelView showing what ours shows: columns, searches, filters, order."""
        attrs = {
            "column_list": ours.column_list,
            "column_searchable_list": ours.column_searchable_list,
            "column_sortable_list": ours.column_sortable_list,
            "column_default_sort": ours.column_default_sort,
            "page_size": ours.page_size,
            "can_set_page_size": True,
            **extra,
        }
        view_class = type(f"Plain{model.__name__}", (ModelView,), attrs)
        return view_class(model, db, endpoint=endpoint, url=f"/plain/{endpoint}")

    admin = Admin(app, name="plain", url="/plain", endpoint="plain")
    admin.add_view(
        plain(
            Member,
            MemberView,
            "plain_member",
            column_filters=[IntEqualFilter(Member.office_id, "Office")],
        )
    )
    admin.add_view(
        plain(
            Claim,
            ClaimView,
            "plain_claim",
            column_filters=[
                FilterEqual(Claim.state, "Status"),
                FilterEqual(Claim.claim_type, "Type"),
                IntEqualFilter(Claim.office_id, "Office"),
            ],
        )
    )
    admin.add_view(
        plain(
            MemberBatch,
            BatchView,
            "plain_batch",
            column_filters=[FilterEqual(MemberBatch.state, "Status")],
        )
    )
    admin.add_view(plain(OfficeProposal, ProposalView, "plain_proposal"))
    # The same filters (plain Flask-Admin filter classes, the same URLs); a search is
    # Flask-Admin's own: a substring of every searchable column.
    admin.add_view(
        plain(AuditEvent, AuditView, "plain_audit", column_filters=list(AuditView.column_filters))
    )
    return app


def _client(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {username}")
    return client


def _samples(app: Any) -> dict[str, Any]:
    """Real values to search for: a member's KPJ and NIK, names, a claim's member."""
    from sqlalchemy import func, select

    from backoffice.extensions import db
    from models import AuditEvent, Claim, Member, Office

    with app.app_context():
        session = db.session
        newest = session.scalars(select(Member).order_by(Member.id.desc()).limit(1)).one()
        middle = session.get(Member, session.scalar(select(func.max(Member.id))) // 2) or newest
        claim = session.scalars(
            select(Claim).where(Claim.claimant_name.like("% %")).order_by(Claim.id.desc()).limit(1)
        ).one()
        office = session.scalar(select(Office.id).where(Office.code == "B01"))
        # A member and a claim of KC Serang (the clerk's office) for the details pages.
        in_office = session.scalar(
            select(Member.id).where(Member.office_id == office).order_by(Member.id.desc()).limit(1)
        )
        office_claim = session.scalar(
            select(Claim.id).where(Claim.office_id == office).order_by(Claim.id.desc()).limit(1)
        )
        values = {
            "office": office,
            "office_member": in_office,
            "office_claim": office_claim,
            "kpj": middle.kpj,
            "nik": middle.nik,  # found only whole: a masked NIK (UU 27/2022)
            "name": " ".join(middle.name.split()[:2]),
            "common_name": "siti",
            "claim_kpj": claim.member.kpj,
            "claim_name": claim.claimant_name,
            "claim_id": claim.id,
            "month": "2025-03-01+to+2025-03-31",
            "members": session.scalar(select(func.count()).select_from(Member)),
            "claims": session.scalar(select(func.count()).select_from(Claim)),
            "audit_events": session.scalar(select(func.count()).select_from(AuditEvent)),
        }
        session.remove()
    return values


def pages(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, our URL, plain URL); plain None when there is no plain counterpart."""
    v = values
    rows = [
        ("members: first page", "/admin/member/", "/plain/plain_member/"),
        ("members: page 500", "/admin/member/?page=499", "/plain/plain_member/?page=499"),
        ("members: office filter", "/admin/member/?flt0_0={office}", None),
        ("members: by start date", "/admin/member/?sort=9&desc=1", None),
        ("members: KPJ (exact)", "/admin/member/?search={kpj}", None),
        ("members: NIK (whole)", "/admin/member/?search={nik}", None),
        ("members: name (2 words)", "/admin/member/?search={name}", None),
        ("members: common first name", "/admin/member/?search={common_name}", None),
        ("claims: first page", "/admin/claim/", None),
        ("claims: page 500", "/admin/claim/?page=499", None),
        ("claims: status filter (submitted)", "/admin/claim/?flt0_0=submitted", None),
        ("claims: status filter (paid)", "/admin/claim/?flt0_0=paid", None),
        ("claims: office filter", "/admin/claim/?flt0_2={office}", None),
        ("claims: by amount", "/admin/claim/?sort=6&desc=1", None),
        ("claims: member's KPJ", "/admin/claim/?search={claim_kpj}", None),
        ("claims: claimant's name", "/admin/claim/?search={claim_name}", None),
        ("member batches", "/admin/batch/", "/plain/plain_batch/"),
        (
            "member batches: status filter",
            "/admin/batch/?flt0_0=completed",
            "/plain/plain_batch/?flt0_0=completed",
        ),
        ("office proposals", "/admin/proposal/", "/plain/plain_proposal/"),
        ("audit: first page", "/admin/audit/", None),
        ("audit: page 500", "/admin/audit/?page=499", None),
        ("audit: action filter (paid)", "/admin/audit/?flt0_3=pay", None),
        ("audit: one month", "/admin/audit/?flt0_2={month}", None),
        ("audit: a user's events (search)", "/admin/audit/?search=petugas.serang", None),
        ("audit: a claim's events (search)", "/admin/audit/?search={claim_id}", None),
    ]
    result = []
    for label, ours, theirs in rows:
        ours = ours.format(**v)
        if theirs is None:
            theirs = (
                ours.replace("/admin/member/", "/plain/plain_member/")
                .replace("/admin/claim/", "/plain/plain_claim/")
                .replace("/admin/audit/", "/plain/plain_audit/")
            )
        result.append((label, ours, theirs.format(**v)))
    return result


SCOPED = [
    (HEAD, "regional head: members, first page", "/admin/member/"),
    (HEAD, "regional head: members, page 500", "/admin/member/?page=499"),
    (HEAD, "regional head: claims, first page", "/admin/claim/"),
    (HEAD, "regional head: proposals to approve", "/admin/proposal_queue/"),
    (HEAD, "regional head: audit trail", "/admin/audit/"),
    (CLERK, "branch clerk: members, first page", "/admin/member/"),
    (CLERK, "branch clerk: members, name", "/admin/member/?search={name}"),
    (CLERK, "branch clerk: claims to handle", "/admin/claim_queue/"),
    (CLERK, "branch clerk: registration queue", "/admin/registration_queue/"),
    (CLERK, "branch clerk: member details", "/admin/member/details/?id={office_member}"),
    (CLERK, "branch clerk: claim details", "/admin/claim/details/?id={office_claim}"),
]

#: The table each screen reads its rows from (the limit baseline's row statement).
TABLES = {
    "member": "member",
    "claim": "claim",
    "claim_queue": "claim",
    "batch": "member_batch",
    "registration_queue": "member_batch",
    "proposal": "office_proposal",
    "proposal_queue": "office_proposal",
    "audit": "audit_event",
}


def _table(url: str) -> str:
    return TABLES[url.split("/")[2]]


def measure(client: Any, url: str, requests: int, budget: float = 30.0) -> dict[str, Any]:
    """Median and p95 in ms of ``requests`` requests (after two warm-ups), and the status."""
    return _timed(lambda: client.get(url).status_code, requests, budget)


def _cell(result: dict[str, Any], requests: int) -> str:
    text = f"{result['median']:.0f} / {result['p95']:.0f}"
    return text if result["n"] >= requests else f"{text} (n={result['n']})"


# --------------------------------------------------------------------------------------------
# The limit baseline: one raw query, a minimal Jinja table
# --------------------------------------------------------------------------------------------

#: The least a list page can cost: its rows and a link per row, nothing else around them.
LIMIT_TEMPLATE = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><table><thead><tr>{% for name in columns %}<th>{{ name }}</th>{% endfor %}</tr>
</thead><tbody>{% for row in rows %}<tr><td><a href="{{ details }}?id={{ row[0] }}">{{ row[0] }}</a>
</td>{% for value in row[1:width] %}<td>{{ value }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table></body></html>"""


class _Recorder:
    """The statements a request runs, with their parameters and how many rows each returned."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.engine = engine
        self.statements: list[tuple[str, Any, int]] = []
        self.on = False
        event.listen(engine, "after_cursor_execute", self._after)

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.on:
            self.statements.append((statement, params, cursor.rowcount))

    def record(self, client: Any, url: str) -> tuple[str, list[tuple[str, Any, int]]]:
        self.statements, self.on = [], True
        try:
            html = client.get(url).get_data(as_text=True)
        finally:
            self.on = False
        return html, self.statements


def _row_statement(statements: list[tuple[str, Any, int]], table: str) -> tuple[str, Any]:
    """The statement that reads the page's rows from ``table``: among those with a LIMIT, the
    one that returned the most rows (the last of equals); else the first that reads the table."""
    reading = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
    reading = [s for s in reading if f"FROM {table}" in s[0] or f"JOIN {table}" in s[0]]
    limited = [s for s in reading if "LIMIT" in s[0].upper() and s[2] > 0]
    if limited:
        statement, params, _rows = max(reversed(limited), key=lambda s: s[2])
        return statement, params
    if not reading:
        raise SystemExit(f"no statement of the page reads {table}")
    return reading[0][0], reading[0][1]


def limit_baseline(
    app: Any, recorder: _Recorder, client: Any, url: str, table: str, requests: int
) -> dict[str, Any]:
    """The page's limit, timed like the page (``measure``): its row statement on the raw DBAPI
    connection, the rows into ``LIMIT_TEMPLATE`` with the page's number of columns."""
    from jinja2 import Environment

    html, statements = recorder.record(client, url)
    statement, params = _row_statement(statements, table)
    width = max(1, html.count('class="column-header'))
    template = Environment(autoescape=True).from_string(LIMIT_TEMPLATE)
    details = url.split("?")[0].rstrip("/") + "/details/"
    connection = recorder.engine.raw_connection()
    try:

        def once() -> int:
            cursor = connection.cursor()
            cursor.execute(statement, params)
            rows = cursor.fetchall()
            cursor.close()
            connection.commit()
            body = template.render(
                title=table,
                columns=[f"c{i}" for i in range(width)],
                rows=rows,
                width=width,
                details=details,
            )
            return 200 if body else 500

        return _timed(once, requests)
    finally:
        connection.close()


def _timed(call: Any, requests: int, budget: float = 30.0) -> dict[str, Any]:
    """Median and p95 in ms of ``requests`` calls of ``call`` (after two warm-ups), and the
    status the last returned.

    A slow page (plain Flask-Admin at 10,000,000 rows takes seconds) stops after ``budget``
    seconds of measuring, with at least 5 calls (3 when the two warm-ups took over 10 s): the
    figures say how many were made.
    """
    status = 0
    started = time.perf_counter()
    for _ in range(2):
        status = call()
    spent_warm = time.perf_counter() - started
    times: list[float] = []
    spent = 0.0
    least = 3 if spent_warm > 10 else 5
    while len(times) < requests and (len(times) < least or spent < budget):
        started = time.perf_counter()
        status = call()
        elapsed = time.perf_counter() - started
        spent += elapsed
        times.append(elapsed * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    return {"median": statistics.median(times), "p95": p95, "status": status, "n": len(times)}


def _ratio(page: dict[str, Any], limit: dict[str, Any]) -> str:
    return f"{page['median'] / limit['median']:.1f}x" if limit["median"] else "-"


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {memory} RAM, Python {platform.python_version()}"


def _load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _growth(results: dict[str, Any], earlier_file: str) -> None:
    """This run against an earlier one (``--json`` of a smaller database): how each page grew."""
    earlier = json.loads(Path(earlier_file).read_text())
    print(
        f"\nGrowth: this run ({results['members']:,} members) against {earlier_file} "
        f"({earlier['members']:,} members), p95 ms\n"
    )
    print("| page | this project, before -> now | growth | plain Flask-Admin, before -> now |")
    print("|---|---|---|---|")
    before = {row["label"]: row for row in earlier["pages"] + earlier["scoped"]}
    for row in results["pages"] + results["scoped"]:
        old = before.get(row["label"])
        if old is None:
            continue
        mine, theirs = row["ours"], row.get("plain")
        growth = mine["p95"] / old["ours"]["p95"]
        plain = ""
        if theirs and old.get("plain"):
            plain = f"{old['plain']['p95']:.0f} -> {theirs['p95']:.0f}"
        print(
            f"| {row['label']} | {old['ours']['p95']:.0f} -> {mine['p95']:.0f} "
            f"| {growth:.2f}x | {plain} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=None, help="default: members / 5")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure an existing database")
    parser.add_argument("--only", help="measure only the pages whose label contains this text")
    parser.add_argument("--json", help="write the figures to this file as well")
    parser.add_argument("--compare", help="a --json file of an earlier (smaller) run: growth")
    args = parser.parse_args()
    claims = args.members // 5 if args.claims is None else args.claims
    url = args.database_url
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    info: dict[str, Any] = {}
    if not args.reuse:
        info = load(url, args.members, claims)
    else:
        # A database loaded by an older checkout gets this checkout's migrations first, and
        # what autovacuum would do a little later (a table a migration filled, e.g. the name
        # words of 0012, is read by index-only scans once its pages are marked all-visible).
        seconds, _ = _flask(url, "db", "upgrade")
        _vacuum(url)
        print(f"database upgraded and vacuumed ({seconds:.1f} s for the migrations)")
        info = {"server_version": _admin_sql(url), "load_seconds": None, "loaded": "(reused)"}
    try:
        app = _app(url)
        values = _samples(app)
        ours, theirs = _client(app, ADMIN), _client(app, ADMIN)
        results: dict[str, Any] = {
            "machine": machine(),
            "postgresql": info["server_version"],
            "members": values["members"],
            "claims": values["claims"],
            "audit_events": values["audit_events"],
            "load_seconds": info.get("load_seconds"),
            "pages": [],
            "scoped": [],
        }
        print(f"\nMachine: {machine()}; PostgreSQL {info['server_version']}")
        print(
            f"Data: {values['members']:,} members, {values['claims']:,} claims, "
            f"{values['audit_events']:,} audit events; load average before: {_load_average()}"
        )
        if info.get("load_seconds"):
            print(f"Load: seed-bulk took {info['load_seconds']:.0f} s ({info['loaded']})")
        print(f"\nServer time per page, ms (median / p95 of {args.requests} requests)\n")
        with app.app_context():
            from backoffice.extensions import db

            recorder = _Recorder(db.engine)
        print(
            "| page | this project | limit | this / limit (median) | plain Flask-Admin "
            "| plain / this (p95) |"
        )
        print("|---|---|---|---|---|---|")
        for label, mine, plain in pages(values):
            if args.only and args.only not in label:
                continue
            m = measure(ours, mine, args.requests)
            floor = limit_baseline(app, recorder, ours, mine, _table(mine), args.requests)
            p = measure(theirs, plain, args.requests)
            note = (
                ""
                if (m["status"], p["status"]) == (200, 200)
                else (f" (HTTP {m['status']}/{p['status']})")
            )
            results["pages"].append({"label": label, "ours": m, "limit": floor, "plain": p})
            print(
                f"| {label}{note} | {_cell(m, args.requests)} | {_cell(floor, args.requests)} "
                f"| {_ratio(m, floor)} | {_cell(p, args.requests)} "
                f"| {p['p95'] / m['p95']:.1f}x |",
                flush=True,
            )
        print("\nThis project, scoped users (no plain counterpart)\n")
        print("| page | median / p95 | limit | this / limit (median) |")
        print("|---|---|---|---|")
        clients: dict[str, Any] = {}
        for username, label, page in SCOPED:
            if args.only and args.only not in label:
                continue
            client = clients.setdefault(username, _client(app, username))
            url = page.format(**values)
            m = measure(client, url, args.requests)
            floor = limit_baseline(app, recorder, client, url, _table(url), args.requests)
            note = "" if m["status"] == 200 else f" (HTTP {m['status']})"
            results["scoped"].append({"label": label, "ours": m, "limit": floor})
            print(
                f"| {label}{note} | {_cell(m, args.requests)} | {_cell(floor, args.requests)} "
                f"| {_ratio(m, floor)} |",
                flush=True,
            )
        print(f"\nLoad average after: {_load_average()}")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
            print(f"figures written to {args.json}")
        if args.compare:
            _growth(results, args.compare)
        with app.app_context():
            from backoffice.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        if not args.keep and not args.reuse:
            _admin_sql(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"database {_database_name(url)} dropped")


if __name__ == "__main__":
    main()
