"""Load test: N users working the queues of KC Serang at once, through real HTTP.

    python bench/load.py [--users 100] [--duration 60] [--think 2.0] [--workers N]
                         [--backend sqlite|postgresql] [--pgbouncer [--pgbouncer-pool N]]
    python bench/load.py --base-url http://127.0.0.1:8000 [--database-url URL]

By default it builds a database (PostgreSQL when ``BENCH_DATABASE_URL`` is set or a server
answers on 127.0.0.1:5432, as ``postgres``, database ``bo_load``, dropped at the end; else a
temporary SQLite file), migrates it, loads the demo data and prepares work, then starts gunicorn
with the repo's gunicorn.conf.py (``--workers`` processes, default that file's 2 x cores + 1) on
a free loopback port. With ``--pgbouncer`` gunicorn reaches PostgreSQL through PgBouncer, the
production shape of docs/deployment.md: the script installs Debian's ``pgbouncer`` package when
the program is missing (``apt-get install -y pgbouncer``, as root), writes its configuration into
a temporary directory, runs it on a free loopback port in transaction pooling with
``--pgbouncer-pool`` server connections (default 2 x cores), as the ``postgres`` user when run by
root (PgBouncer refuses to run as root), gives gunicorn ``DATABASE_PREPARED_STATEMENTS=off`` and
a pool of 2 + 2 per worker (``DATABASE_POOL_SIZE``, ``DATABASE_MAX_OVERFLOW``), and stops it at
the end. The preparation and the final count still talk to PostgreSQL directly.

With ``--base-url`` it uses a server that runs already; with
``--database-url`` (the database that server uses, migrated and seeded, once per database: the
members it makes have fixed NIKs) it prepares the work there first, without it the users only
browse with the demo accounts.

The work prepared (through the services, as the screens would do it):
- ``--accounts`` branch clerk accounts of KC Serang (``load.petugas.NNN``), shared round robin
  by the users (each user has its own session); every tenth user is the branch head
  ``kepala.serang`` and every tenth (from the fifth) the regional head ``kanwil.banten``, who
  only browses and approves nothing;
- ``--claims`` JKM claims registered and verified by ``petugas.serang`` (so any other clerk of
  the office may approve them), each for its own member with four years of contributions;
- ``--batches`` member batches of ``--rows`` rows from the two departments KC Serang serves,
  submitted to its registration queue.

Each user signs in, then until the time is up: opens the dashboard, the claim queue, the
registration queue, the member list with a search (a KPJ or a name), claim details; and decides
items: approves a claim (its details page, then the form's POST with the version it showed) or
accepts all rows of a batch (the same through the registration queue). Items are handed out once
each, so two users never race for one (the engine's race is tested elsewhere). Between two pages
a user waits a random time of 0 to 2 x ``--think`` seconds. Sign-ins are spread over the first
``--ramp`` seconds.

Reported per page type: requests and requests per second, p50/p95/max latency as the users saw
it (from sending the request to the last byte of the answer, queueing included), and p50/p95
inside gunicorn (the request time its access log holds, in microseconds, in a log format this
script sets: from the worker taking the request to its answer, without the wait in the listen
queue). Sign-ins (the login form and its POST, which hashes the password on purpose) are reported
on their own lines and left out of the totals and of the throughput. Then errors (any 5xx, a
connection error or a timeout; the bar is zero), other unexpected answers (4xx, a sign-in
refused), the machine's load average (1, 5 and 15 minutes) at the start, before the measured run
and after it (the machine may be busy with other work: read the figures with it), PgBouncer's
own counts with ``--pgbouncer``, and the decisions the database holds at the end. The client
runs on the same machine as the server and takes part of its CPU: the figures are a floor. A
plain script: it reports; its exit status is 1 when there were errors.
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import importlib.util
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(HERE), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)

from bench_batches import _admin as admin_database  # noqa: E402
from bench_batches import _postgres_answers  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bo_load"
DEMO_PASSWORD = "demo1234"
# The password of the load accounts: long enough for the password policy, no username in it.
LOAD_PASSWORD = "Beban-Uji-Kanwil-Banten-2026"
REGISTRAR = "petugas.serang"  # registers and verifies the claims: it never approves them
LIAISONS = ("dinas.pertanian.serang", "diskoumperindag.serang")
BRANCH_HEAD, REGIONAL_HEAD = "kepala.serang", "kanwil.banten"
REQUEST_TIMEOUT = 30.0
LOAD_AT_START = os.getloadavg()  # what the machine was doing before this script
START_WAIT = 60.0

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')

# (method, path) -> page type, in the order of the report.
PAGES = {
    ("GET", "/login"): "login form",
    ("POST", "/login"): "sign in",
    ("GET", "/admin/"): "dashboard",
    ("GET", "/admin/claim_queue/"): "claim queue",
    ("GET", "/admin/registration_queue/"): "registration queue",
    ("GET", "/admin/member/"): "member search",
    ("GET", "/admin/claim/details/"): "claim details",
    ("GET", "/admin/registration_queue/details/"): "batch details",
    ("POST", "/admin/claim/decide/"): "approve claim",
    ("POST", "/admin/batch/decide/"): "accept batch",
    ("GET", "/admin/proposal_queue/"): "proposal queue",
}
# Signing in hashes the password (scrypt) on purpose: reported apart, not in the totals.
SIGN_IN_PAGES = ("login form", "sign in")

# gunicorn.conf.py's access log with the request time in microseconds (%(D)s) in place of
# milliseconds: set on gunicorn's command line, which overrides the file.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus %(p)s'
ACCESS_RE = re.compile(r'"([A-Z]+) (\S+) [^"]*" (\d{3}) \S+ (\d+)us')


# ------------------------------------------------------------------------------------------------
# The work: accounts and items prepared in the database
# ------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    accounts: list[tuple[str, str, bool]]  # (username, password, decides)
    claims: list[int] = field(default_factory=list)  # verified claims to approve
    batches: list[int] = field(default_factory=list)  # submitted batches to accept
    viewable_claims: list[int] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)


def _account(index: int, clerks: int) -> tuple[str, str, bool]:
    """The account of user ``index``: (username, password, decides). ``clerks`` load clerk
    accounts are shared round robin (0: the demo clerk ``petugas2.serang``)."""
    if index % 10 == 0:
        return BRANCH_HEAD, DEMO_PASSWORD, True
    if index % 10 == 5:
        return REGIONAL_HEAD, DEMO_PASSWORD, False
    if clerks:
        return f"load.petugas.{index % clerks + 1:03d}", LOAD_PASSWORD, True
    return "petugas2.serang", DEMO_PASSWORD, True


def _claim_world() -> types.ModuleType:
    """The members and claim data the claim tests build (tests/fixtures/claim_world.py)."""
    path = ROOT / "tests" / "fixtures" / "claim_world.py"
    spec = importlib.util.spec_from_file_location("claim_world", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _setup_app(url: str, work: Path, secret_key: str) -> Any:
    from backoffice import create_app

    return create_app(
        {
            "BACKOFFICE_ENV": "development",
            "SECRET_KEY": secret_key,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(work / "setup-instance"),
            "UPLOAD_DIR": str(work / "uploads"),
            "TASK_QUEUE": "immediate",
        }
    )


def prepare(
    url: str, work: Path, args: argparse.Namespace, *, build: bool, secret_key: str
) -> Plan:
    """Migrate + seed (when ``build``), then the accounts, claims and batches of the run."""
    import gen_members
    from flask_migrate import upgrade
    from sqlalchemy import select

    from backoffice.extensions import db
    from backoffice.seed.demo import seed_demo
    from backoffice.services import batch_intake, claim_decisions, claim_documents
    from backoffice.services import batches as batch_service
    from backoffice.services import claims as claim_service
    from backoffice.services import users as user_service
    from models import Claim, Member, Office, Role, User

    app = _setup_app(url, work, secret_key)
    with app.app_context():
        session = db.session
        started = time.perf_counter()
        if build:
            upgrade()
            seed_demo(session, DEMO_PASSWORD)
            session.commit()

        def user(username: str) -> User:
            return session.scalars(select(User).where(User.username == username)).one()

        serang = session.scalars(select(Office).where(Office.code == "B01")).one()
        accounts = [_account(i, args.accounts) for i in range(args.users)]
        for username in sorted({a[0] for a in accounts if a[0].startswith("load.")}):
            if not user_service.username_taken(session, username):
                user_service.create_user(
                    session,
                    user_service.UserData(
                        username=username,
                        full_name=f"Petugas Uji Beban {username[-3:]}",
                        role=Role.BRANCH_CLERK,
                        office=serang,
                        must_change_password=False,  # straight to work, no password change page
                    ),
                    LOAD_PASSWORD,
                )
        session.commit()

        world = _claim_world()
        documents = claim_documents.DocumentSettings.from_config(app.config, app.instance_path)
        registrar = user(REGISTRAR)
        claim_ids = []
        for _ in range(args.claims):
            member = world.paid_member(session)
            claim = claim_service.register_claim(session, registrar, world.jkm_data(member))
            session.commit()
            for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
                data, filename = world.document_bytes(index)
                document = claim_documents.upload_document(
                    session, registrar, claim, requirement.id, data, filename, settings=documents
                )
                claim_documents.check_document(session, registrar, document)
            claim_decisions.decide(session, registrar, claim.id, "verify")
            session.commit()
            claim_ids.append(claim.id)

        settings = batch_intake.Settings.from_config(app.config, app.instance_path)
        rows = gen_members.generate_rows(args.batches * args.rows, seed=11)
        batch_ids = []
        for number in range(args.batches):
            path = work / f"load_{number}.csv"
            gen_members.write_csv(path, rows[number * args.rows : (number + 1) * args.rows])
            liaison = user(LIAISONS[number % len(LIAISONS)])
            upload = batch_intake.upload_batch(
                session,
                liaison,
                path.read_bytes(),
                path.name,
                settings=settings,
                today=gen_members.DEFAULT_REGISTRATION_DATE,
            )
            session.commit()
            path.unlink()
            batch_intake.process_batch(session, upload.batch.id, settings)
            session.commit()
            batch_service.decide(session, liaison, upload.batch.id, "submit")
            session.commit()
            batch_ids.append(upload.batch.id)

        viewable = list(session.scalars(select(Claim.id).where(Claim.office_id == serang.id)))
        members = session.execute(
            select(Member.kpj, Member.name).where(Member.office_id == serang.id).limit(200)
        ).all()
        searches = [kpj for kpj, _ in members[:100]]
        searches += sorted({name.split()[0] for _, name in members})
        print(
            f"prepared in {time.perf_counter() - started:.1f} s: {len(accounts)} users on "
            f"{len(set(accounts))} accounts, "
            f"{len(claim_ids)} verified claims, {len(batch_ids)} submitted batches "
            f"of {args.rows} rows"
        )
        session.remove()
        db.engine.dispose()
    return Plan(accounts, claim_ids, batch_ids, viewable, searches)


def browse_only_plan(users: int) -> Plan:
    """Against a server whose database we do not reach: demo accounts, nothing to decide."""
    return Plan(
        [_account(i, 0) for i in range(users)],
        searches=["Siti", "Ahmad", "Dewi", "Budi"],
    )


def decisions_held(url: str, work: Path, plan: Plan, secret_key: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from backoffice.extensions import db
    from models import BatchState, Claim, ClaimState, MemberBatch

    app = _setup_app(url, work, secret_key)
    with app.app_context():
        session = db.session
        approved = session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.id.in_(plan.claims), Claim.state == ClaimState.APPROVED)
        )
        accepted = session.scalar(
            select(func.count())
            .select_from(MemberBatch)
            .where(MemberBatch.id.in_(plan.batches), MemberBatch.state == BatchState.COMPLETED)
        )
        session.remove()
        db.engine.dispose()
    return {"claims approved": approved or 0, "batches accepted": accepted or 0}


# ------------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    url: str,
    work: Path,
    workers: int | None,
    secret_key: str,
    database_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn on a free loopback port; ``database_env``: the DATABASE_* settings of its pool
    (behind PgBouncer), which replace any in the environment."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BACKOFFICE_", "GUNICORN_"))
        and key not in ("TASK_QUEUE", "UPLOAD_DIR", "BIND")
        and not (database_env is not None and key.startswith("DATABASE_"))
        and key != "DATABASE_URL"
    }
    env.update(database_env or {})
    env.update(
        BACKOFFICE_ENV="development",  # plain http on the loopback: cookies without Secure
        BACKOFFICE_INSTANCE_PATH=str(work / "server-instance"),
        SECRET_KEY=secret_key,
        DATABASE_URL=url,
        TASK_QUEUE="immediate",  # the scenario enqueues nothing
        UPLOAD_DIR=str(work / "uploads"),
        BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG=str(work / "access.log"),
    )
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    log = (work / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_WAIT
    while True:
        if server.poll() is not None:
            raise SystemExit(
                "gunicorn exited:\n" + (work / "gunicorn.log").read_text(errors="replace")[-3000:]
            )
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"gunicorn did not answer /healthz within {START_WAIT:.0f} s")
        time.sleep(0.2)
    return server, base


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# ------------------------------------------------------------------------------------------------
# PgBouncer in front of PostgreSQL (docs/deployment.md)
# ------------------------------------------------------------------------------------------------

PGBOUNCER_PROGRAM = "/usr/sbin/pgbouncer"  # Debian's package
PGBOUNCER_COUNTS = ("total_xact_count", "total_query_count", "total_wait_time")


def pgbouncer_program() -> str:
    """The pgbouncer program; installed from Debian's packages when missing (as root)."""
    found = shutil.which("pgbouncer") or (
        PGBOUNCER_PROGRAM if Path(PGBOUNCER_PROGRAM).exists() else None
    )
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("no pgbouncer: install it (apt-get install pgbouncer) or run as root")
    print("installing pgbouncer: apt-get install -y pgbouncer", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "pgbouncer"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        # The package lists may be missing or stale (a fresh container): read them and retry.
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=True)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    if not Path(PGBOUNCER_PROGRAM).exists():
        raise SystemExit(f"apt-get installed pgbouncer but {PGBOUNCER_PROGRAM} is missing")
    return PGBOUNCER_PROGRAM


@dataclass
class PgBouncer:
    process: subprocess.Popen[bytes]
    url: str  # the database through PgBouncer (for gunicorn)
    admin: str  # its console (libpq keywords)
    version: str
    pool: int
    directory: Path

    def counts(self) -> dict[str, int]:
        """SHOW STATS of the load database: transactions, queries, microseconds clients waited
        for a server connection, since PgBouncer started."""
        import psycopg

        # The console speaks only the simple query protocol: no parameters, never prepared.
        with psycopg.connect(self.admin, autocommit=True, prepare_threshold=None) as conn:
            cursor = conn.execute("SHOW STATS")
            names = [column.name for column in cursor.description or []]
            database = self.url.rsplit("/", 1)[1]
            for row in cursor.fetchall():
                values = dict(zip(names, row, strict=True))
                if values["database"] == database:
                    return {name: int(values[name]) for name in PGBOUNCER_COUNTS}
        return dict.fromkeys(PGBOUNCER_COUNTS, 0)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # immediate shutdown: gunicorn has stopped
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_pgbouncer(database_url: str, pool: int, clients: int) -> PgBouncer:
    """PgBouncer on a free loopback port, in transaction pooling with ``pool`` server
    connections to the database of ``database_url``; clients are trusted (the loopback, a
    temporary instance), PgBouncer signs in to PostgreSQL as the URL says."""
    from sqlalchemy.engine import make_url

    program = pgbouncer_program()
    target = make_url(database_url)
    user = target.username or "postgres"
    port = _free_port()
    server = f"host={target.host or '127.0.0.1'} port={target.port or 5432} user={user}"
    if target.password:
        server += f" password={target.password}"
    # Root may not run it: the postgres account of the database server's package, else nobody.
    account = None
    if os.geteuid() == 0:
        names = [name for name in ("postgres", "nobody") if _account_exists(name)]
        if not names:
            raise SystemExit("pgbouncer refuses to run as root and there is no other account")
        account = pwd.getpwnam(names[0])
    directory = Path(tempfile.mkdtemp(prefix="bench_pgbouncer_"))
    directory.chmod(0o755)
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
{target.database} = {server} dbname={target.database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "userlist.txt"}
admin_users = {user}
pool_mode = transaction
default_pool_size = {pool}
max_client_conn = {max(100, clients)}
ignore_startup_parameters = extra_float_digits
"""
    )
    if account:
        for path in (directory, *directory.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
    version = subprocess.run(
        [program, "--version"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    log = (directory / "pgbouncer.log").open("wb")
    process = subprocess.Popen(
        [program, str(directory / "pgbouncer.ini")],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=directory,
        **(
            {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []} if account else {}
        ),
    )
    deadline = time.monotonic() + START_WAIT
    while True:
        if process.poll() is not None:
            raise SystemExit(
                "pgbouncer exited:\n"
                + (directory / "pgbouncer.log").read_text(errors="replace")[-3000:]
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"pgbouncer did not listen within {START_WAIT:.0f} s") from None
            time.sleep(0.1)
    through = target.set(host="127.0.0.1", port=port, password=None)
    return PgBouncer(
        process=process,
        url=through.render_as_string(hide_password=False),
        admin=f"host=127.0.0.1 port={port} dbname=pgbouncer user={user}",
        version=version or "PgBouncer",
        pool=pool,
        directory=directory,
    )


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# ------------------------------------------------------------------------------------------------
# The users
# ------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    unexpected: collections.Counter[str] = field(default_factory=collections.Counter)
    examples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # seconds of CPU this process used during the run
    # The machine's load average (1, 5, 15 minutes): at the start of the script, before the
    # measured run and after it.
    load: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def merge(self, other: Stats) -> None:
        for page, values in other.latencies.items():
            self.latencies[page].extend(values)
        self.errors.update(other.errors)
        self.unexpected.update(other.unexpected)
        self.examples.extend(other.examples[: max(0, 10 - len(self.examples))])


class Work:
    """The items still to decide, each handed out once."""

    def __init__(self, claims: list[int], batches: list[int]) -> None:
        self.lock = threading.Lock()
        self.claims = collections.deque(claims)
        self.batches = collections.deque(batches)

    def take(self, kind: str) -> int | None:
        with self.lock:
            queue = self.claims if kind == "claim" else self.batches
            return queue.popleft() if queue else None


class User:
    def __init__(
        self,
        base: str,
        account: tuple[str, str, bool],
        plan: Plan,
        work: Work,
        think: float,
        seed: int,
    ) -> None:
        self.base = base
        self.username, self.password, self.decides = account
        self.plan = plan
        self.work = work
        self.think = think
        self.random = random.Random(seed)
        self.stats = Stats()
        self.deadline = float("inf")  # set by run(); the warm-up has none
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
        )

    # -- one request, timed ---------------------------------------------------------------
    def request(
        self, page: str, path: str, form: dict[str, str] | None = None, expect: int = 200
    ) -> tuple[int, str, str] | None:
        """(status, body, Location) or None after an error; every answer is counted."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        started = time.perf_counter()
        try:
            try:
                with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                    status, body = response.status, response.read()
                    location = response.headers.get("Location", "")
            except urllib.error.HTTPError as answer:
                status, body = answer.code, answer.read()
                location = answer.headers.get("Location", "")
        except (OSError, urllib.error.URLError) as exc:  # refused, reset, timed out
            self.stats.latencies[page].append(time.perf_counter() - started)
            self._error(page, f"{type(exc).__name__}: {exc}")
            return None
        self.stats.latencies[page].append(time.perf_counter() - started)
        if status >= 500:
            self._error(page, f"HTTP {status} on {path}")
            return None
        if status != expect:
            self.stats.unexpected[page] += 1
            if len(self.stats.examples) < 10:
                self.stats.examples.append(f"{page}: HTTP {status} on {path} ({self.username})")
        return status, body.decode("utf-8", "replace"), location

    def _error(self, page: str, what: str) -> None:
        self.stats.errors[page] += 1
        if len(self.stats.examples) < 10:
            self.stats.examples.append(f"{page}: {what} ({self.username})")

    def pause(self) -> None:
        """A think time, cut short at the end of the run (the clock stops with the last page)."""
        if self.think:
            wait = self.random.uniform(0, 2 * self.think)
            time.sleep(max(0.0, min(wait, self.deadline - time.monotonic())))

    # -- what a user does ---------------------------------------------------------------------
    def sign_in(self) -> bool:
        answer = self.request("login form", "/login")
        token = answer and CSRF_RE.search(answer[1])
        if not token:
            return False
        form = {"username": self.username, "password": self.password, "csrf_token": token[1]}
        answer = self.request("sign in", "/login", form, expect=302)
        return bool(answer and answer[0] == 302)

    def decide(self, kind: str) -> None:
        item = self.work.take(kind)
        if item is None:
            self.browse_claim()
            return
        if kind == "claim":
            details, url, action, back = (
                "claim details",
                f"/admin/claim/details/?id={item}",
                ("approve claim", "/admin/claim/decide/", "approve"),
                "/admin/claim_queue/",
            )
        else:
            details, url, action, back = (
                "batch details",
                f"/admin/registration_queue/details/?id={item}",
                ("accept batch", "/admin/batch/decide/", "accept_all"),
                "/admin/registration_queue/",
            )
        answer = self.request(details, url)
        if answer is None:
            return
        token, version = CSRF_RE.search(answer[1]), VERSION_RE.search(answer[1])
        if not (token and version):
            self.stats.unexpected[details] += 1
            if len(self.stats.examples) < 10:
                self.stats.examples.append(f"{details}: no decision form on {url}")
            return
        self.pause()
        page, path, name = action
        form = {
            "id": str(item),
            "action": name,
            "version": version[1],
            "csrf_token": token[1],
            "next": back,
        }
        answer = self.request(page, path, form, expect=302)
        if answer and answer[2]:
            self.follow(answer[2])

    def follow(self, location: str) -> None:
        parts = urllib.parse.urlsplit(location)
        page = PAGES.get(("GET", parts.path), parts.path)
        self.request(page, parts.path + (f"?{parts.query}" if parts.query else ""))

    def browse_claim(self) -> None:
        if self.plan.viewable_claims:
            claim = self.random.choice(self.plan.viewable_claims)
            self.request("claim details", f"/admin/claim/details/?id={claim}")
        else:
            self.request("claim queue", "/admin/claim_queue/")

    def search(self) -> None:
        term = self.random.choice(self.plan.searches) if self.plan.searches else "Siti"
        self.request("member search", "/admin/member/?" + urllib.parse.urlencode({"search": term}))

    def step(self) -> None:
        choices: list[tuple[float, Any]] = [
            (1, lambda: self.request("dashboard", "/admin/")),
            (3, lambda: self.request("claim queue", "/admin/claim_queue/")),
            (3, self.search),
            (3, self.browse_claim),
        ]
        if self.decides:
            choices += [
                (2, lambda: self.request("registration queue", "/admin/registration_queue/")),
                (2, lambda: self.decide("claim")),
                (1, lambda: self.decide("batch")),
            ]
        else:
            choices += [(1, lambda: self.request("proposal queue", "/admin/proposal_queue/"))]
        weights = [weight for weight, _ in choices]
        self.random.choices([action for _, action in choices], weights)[0]()

    def run(self, start_at: float, deadline: float) -> None:
        self.deadline = deadline
        time.sleep(max(0.0, start_at - time.monotonic()))
        while time.monotonic() < deadline:
            if self.sign_in():
                break
            time.sleep(1)  # refused or throttled: try again, as a person would
        while time.monotonic() < deadline:
            self.pause()
            if time.monotonic() >= deadline:
                break
            self.step()


# ------------------------------------------------------------------------------------------------
# Running and reporting
# ------------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def gunicorn_workers(args: argparse.Namespace) -> int:
    """As gunicorn.conf.py: ``--workers`` (WEB_CONCURRENCY), else 2 x cores + 1."""
    return args.workers or 2 * (os.cpu_count() or 1) + 1


def warm_up(base: str, plan: Plan, rounds: int) -> None:
    """Unmeasured: every page type a few times from several sessions at once, so that each
    worker has loaded its templates and catalogs before the clock starts."""
    nothing = Work([], [])

    def browse(index: int) -> None:
        user = User(base, plan.accounts[index % len(plan.accounts)], plan, nothing, 0, index)
        if user.sign_in():
            for _ in range(3):
                user.request("dashboard", "/admin/")
                user.request("claim queue", "/admin/claim_queue/")
                user.request("registration queue", "/admin/registration_queue/")
                user.search()
                user.browse_claim()

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(rounds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(base: str, plan: Plan, args: argparse.Namespace) -> tuple[Stats, float]:
    work = Work(plan.claims, plan.batches)
    users = [
        User(base, account, plan, work, args.think, seed=index)
        for index, account in enumerate(plan.accounts)
    ]
    load_before, cpu_before = os.getloadavg(), time.process_time()
    started = time.monotonic()
    deadline = started + args.duration
    threads = [
        threading.Thread(
            target=user.run,
            args=(started + args.ramp * index / max(1, len(users)), deadline),
            name=f"user-{index}",
            daemon=True,
        )
        for index, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.duration + REQUEST_TIMEOUT * 3)
    elapsed = time.monotonic() - started
    total = Stats(client_cpu=time.process_time() - cpu_before)
    total.load = {"at the start": LOAD_AT_START, "before the run": load_before}
    total.load["after it"] = os.getloadavg()
    for user in users:
        total.merge(user.stats)
    return total, elapsed


def report(
    stats: Stats,
    elapsed: float,
    args: argparse.Namespace,
    header: str,
    server: dict[str, list[float]] | None = None,
) -> int:
    """The table; ``server``: the times gunicorn logged per page type, without the waits in its
    listen queue and in the client (what the request itself cost)."""
    server = server or {}
    errors = sum(stats.errors.values())
    unexpected = sum(stats.unexpected.values())
    print()
    print(header)
    print(
        f"{args.users} users, {args.duration:.0f} s (sign-ins over the first {args.ramp:.0f} s), "
        f"think time 0-{2 * args.think:.1f} s; client on the same machine"
    )

    def ms(values: list[float], fraction: float) -> str:
        return f"{percentile(values, fraction) * 1000:.0f}" if values else "-"

    def row(name: str, values: list[float], on_server: list[float], fails: int, other: int) -> str:
        return (
            f"  {name:<20} {len(values):>8} {len(values) / elapsed:>6.1f} {ms(values, 0.5):>7} "
            f"{ms(values, 0.95):>7} {max(values) * 1000:>7.0f} {fails:>6} {other:>6} "
            f"{ms(on_server, 0.5):>10} {ms(on_server, 0.95):>10}"
        )

    line = (
        f"  {'page':<20} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'errors':>6} {'other':>6} {'server p50':>10} {'server p95':>10}"
    )
    rule = "  " + "-" * (len(line) - 2)
    print(line)
    print(rule)

    def print_page(page: str) -> None:
        if stats.latencies.get(page):
            print(
                row(
                    page,
                    stats.latencies[page],
                    server.get(page, []),
                    stats.errors[page],
                    stats.unexpected[page],
                )
            )

    known = [page for page in PAGES.values() if page not in SIGN_IN_PAGES]
    pages = known + sorted(set(stats.latencies) - set(PAGES.values()))
    for page in pages:
        print_page(page)
    everything = [v for page in pages for v in stats.latencies.get(page, [])]
    if everything:
        print(rule)
        print(
            row(
                "all but sign-ins",
                everything,
                [v for page in pages for v in server.get(page, [])],
                sum(stats.errors[page] for page in pages),
                sum(stats.unexpected[page] for page in pages),
            )
        )
    print("  sign-ins, not in the line above:")
    for page in SIGN_IN_PAGES:
        print_page(page)
    signed = len(stats.latencies.get("sign in", []))
    print(
        f"throughput: {len(everything) / elapsed:.1f} requests/s over {elapsed:.1f} s without "
        f"the sign-ins ({signed} sign-ins besides)"
    )
    loads = ", ".join(
        f"{when} {'/'.join(f'{value:.1f}' for value in values)}"
        for when, values in stats.load.items()
    )
    print(f"machine: {os.cpu_count()} cores; load average (1/5/15 min): {loads}")
    print(
        f"this client used {stats.client_cpu:.0f} CPU-seconds "
        f"({stats.client_cpu / elapsed:.0%} of a core)"
    )
    verdict = "ok" if errors == 0 else "MISSED"
    print(f"errors (5xx, connection errors, timeouts): {errors} (bar: 0) {verdict}")
    print(f"other unexpected answers (4xx, refused sign-in): {unexpected}")
    for example in stats.examples:
        print(f"    {example}")
    return 1 if errors else 0


def server_times(access_log: Path, offset: int) -> tuple[dict[str, list[float]], int]:
    """The seconds per page type that gunicorn's access log (ACCESS_LOG_FORMAT) holds
    after ``offset`` bytes, and how many answers it logged with a 5xx status."""
    times: dict[str, list[float]] = collections.defaultdict(list)
    failed = 0
    with access_log.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    for method, path, status, took in ACCESS_RE.findall(text):
        page = PAGES.get((method, path))
        if page:
            times[page].append(int(took) / 1_000_000)
        failed += status.startswith("5")
    return times, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between pages (s)")
    parser.add_argument("--ramp", type=float, default=10.0, help="sign-ins spread over (s)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--accounts", type=int, default=20, help="load clerk accounts the users share"
    )
    parser.add_argument("--claims", type=int, default=300, help="verified claims to approve")
    parser.add_argument("--batches", type=int, default=150, help="submitted batches to accept")
    parser.add_argument("--rows", type=int, default=5, help="rows per batch")
    parser.add_argument(
        "--pgbouncer",
        action="store_true",
        help="gunicorn reaches PostgreSQL through PgBouncer (installed when missing)",
    )
    parser.add_argument(
        "--pgbouncer-pool",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="PgBouncer's server connections (default 2 x cores)",
    )
    parser.add_argument("--base-url", help="a running server (loopback only)")
    parser.add_argument("--database-url", help="with --base-url: its database, to prepare work")
    args = parser.parse_args()

    if args.base_url:
        host = urllib.parse.urlsplit(args.base_url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("the load test only runs against the loopback (127.0.0.1)")
        with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
            secret = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
            plan = (
                prepare(args.database_url, Path(tmp), args, build=False, secret_key=secret)
                if args.database_url
                else browse_only_plan(args.users)
            )
            warm_up(args.base_url.rstrip("/"), plan, rounds=2 * gunicorn_workers(args))
            stats, elapsed = run(args.base_url.rstrip("/"), plan, args)
            status = report(stats, elapsed, args, f"Load on {args.base_url}")
            if args.database_url:
                print(
                    f"decisions in the database: {decisions_held(args.database_url, Path(tmp), plan, secret)}"
                )
        return status

    if args.pgbouncer and args.backend == "sqlite":
        raise SystemExit("--pgbouncer needs PostgreSQL")
    postgres = None
    if args.backend != "sqlite":
        postgres = os.environ.get("BENCH_DATABASE_URL") or (
            DEFAULT_POSTGRES_URL if _postgres_answers() else None
        )
        if postgres is None and (args.backend == "postgresql" or args.pgbouncer):
            raise SystemExit("no PostgreSQL: set BENCH_DATABASE_URL or start one on 127.0.0.1:5432")
    secret = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        work = Path(tmp)
        if postgres:
            server_info = admin_database("create", postgres)
            url = postgres
            label = (
                f"PostgreSQL {server_info['server_version']} (database {server_info['database']})"
            )
        else:
            url = f"sqlite:///{work / 'load.sqlite3'}"
            label = "SQLite (temporary file)"
        bouncer = None
        try:
            plan = prepare(url, work, args, build=True, secret_key=secret)
            workers = gunicorn_workers(args)
            server_url, database_env = url, None
            if args.pgbouncer:
                assert postgres
                bouncer = start_pgbouncer(url, args.pgbouncer_pool, clients=workers * 4)
                server_url = bouncer.url
                # docs/deployment.md: nothing prepared on a server connection, small pools.
                database_env = {
                    "DATABASE_URL": server_url,
                    "DATABASE_PREPARED_STATEMENTS": "off",
                    "DATABASE_POOL_SIZE": "2",
                    "DATABASE_MAX_OVERFLOW": "2",
                }
                label += (
                    f" through {bouncer.version} (transaction pooling, {bouncer.pool} server "
                    "connections; each worker's pool 2 + 2, no prepared statements)"
                )
            server, base = start_server(server_url, work, args.workers, secret, database_env)
            access_log = work / "access.log"
            try:
                warm_up(base, plan, rounds=2 * workers)
                offset = access_log.stat().st_size
                counted = bouncer.counts() if bouncer else None
                stats, elapsed = run(base, plan, args)
                if bouncer and counted is not None:
                    counted = {
                        name: value - counted[name] for name, value in bouncer.counts().items()
                    }
            finally:
                stop_server(server)
            logged, failed = server_times(access_log, offset)
            status = report(
                stats,
                elapsed,
                args,
                f"Load on gunicorn ({workers} workers x 2 threads), {label}:",
                logged,
            )
            print(f"5xx answers in gunicorn's access log: {failed}")
            if counted is not None:
                transactions = counted["total_xact_count"]
                waited = counted["total_wait_time"] / 1000
                print(
                    f"PgBouncer during the run: {transactions} transactions, "
                    f"{counted['total_query_count']} queries; clients waited {waited:.0f} ms "
                    f"in all for a server connection "
                    f"({waited / max(1, transactions):.2f} ms a transaction)"
                )
            print(f"decisions in the database: {decisions_held(url, work, plan, secret)}")
        finally:
            if bouncer:
                bouncer.stop()
            if postgres:
                admin_database("drop", postgres)
    return status


if __name__ == "__main__":
    sys.exit(main())
