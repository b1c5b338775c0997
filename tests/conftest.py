"""Test fixtures: a real database built through the migrations, one fresh copy per test.

Two templates, each built once per backend and test run, on first use: a migrated database (the
reference data the migrations load, nothing else) and the same with the demo data (``seed-demo``).
A test gets a copy of the seeded one, or of the empty one when it asks for ``empty_db`` and builds
what it needs with the factories (tests/factories.py).

The backend comes from the environment:
- default: SQLite (a template file, copied for every test);
- ``TEST_DATABASE_URL=postgresql+psycopg://...``: PostgreSQL too (a template database, cloned
  with ``CREATE DATABASE ... TEMPLATE`` for every test); ``TEST_BACKENDS=postgresql`` runs only it;
- ``REQUIRE_POSTGRES=1``: a missing PostgreSQL server fails the run instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy.engine import make_url

from backoffice import create_app
from backoffice.config import normalise_database_url
from backoffice.extensions import db
from backoffice.seed.demo import seed_demo
from models import User

DEMO_PASSWORD = "demo1234"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
_BACKENDS = os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",")
BACKENDS = [b for b in ("sqlite", "postgresql") if b in _BACKENDS]

T = TypeVar("T")


def pytest_report_header(config: Any) -> list[str]:
    pg = POSTGRES_URL and make_url(normalise_database_url(POSTGRES_URL)).render_as_string()
    return [f"database backends: {', '.join(BACKENDS)}; PostgreSQL: {pg or 'not configured'}"]


def _app_config(uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "BACKOFFICE_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": uri,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_ENABLED": True,
        "TASK_QUEUE": "immediate",
        **extra,
    }


def _build_template(uri: str, *, seeded: bool) -> None:
    """Upgrade an empty database through every migration, or load the demo data into a copy."""
    app = create_app(_app_config(uri))
    with app.app_context():
        if seeded:
            # Without the demo claims: they are audited, and the template's audit trail stays
            # empty for the tests of the chain (test_seed.py seeds and checks the claims).
            seed_demo(db.session, DEMO_PASSWORD, claims=False)
            db.session.commit()
        else:
            upgrade()
        db.session.remove()
        db.engine.dispose()


class SqliteDatabases:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.templates: dict[bool, Path] = {}

    def template(self, seeded: bool = True) -> Path:
        """The template file, built on first use (the seeded one from a copy of the empty one)."""
        if seeded not in self.templates:
            path = self.directory / ("seeded.sqlite3" if seeded else "empty.sqlite3")
            if seeded:
                shutil.copyfile(self.template(seeded=False), path)
            _build_template(f"sqlite:///{path}", seeded=seeded)
            self.templates[seeded] = path
        return self.templates[seeded]

    def new(self, tmp_path: Path, *, seeded: bool = True) -> tuple[str, Any]:
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(self.template(seeded), target)
        return f"sqlite:///{target}", lambda: None


class PostgresDatabases:
    def __init__(self, url: str) -> None:
        self.url = make_url(normalise_database_url(url))
        self.admin_engine = sa.create_engine(
            self.url.set(database="postgres"),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        self.prefix = f"bo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.counter = itertools.count()
        self.templates: dict[bool, str] = {}
        self._execute("SELECT 1")  # an unreachable server fails here, not in the first test

    def _execute(self, sql: str) -> None:
        with self.admin_engine.connect() as conn:
            conn.exec_driver_sql(sql)

    def _url(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def template(self, seeded: bool = True) -> str:
        """The template database's name, built on first use (the seeded one cloned from the
        empty one)."""
        if seeded not in self.templates:
            name = f"{self.prefix}_{'seeded' if seeded else 'empty'}"
            source = f' TEMPLATE "{self.template(seeded=False)}"' if seeded else ""
            self._execute(f'CREATE DATABASE "{name}"{source}')
            try:
                _build_template(self._url(name), seeded=seeded)
            except BaseException:  # no half-built template for the next test to clone
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise
            self.templates[seeded] = name
        return self.templates[seeded]

    def new(self, tmp_path: Path, *, seeded: bool = True) -> tuple[str, Any]:
        name = f"{self.prefix}_{next(self.counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template(seeded)}"')
        return self._url(name), lambda: self._execute(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )

    def close(self) -> None:
        for name in self.templates.values():
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin_engine.dispose()


def postgres_or_skip(connect: Callable[[str], T]) -> T:
    """``connect(TEST_DATABASE_URL)``, or skip (fail with ``REQUIRE_POSTGRES=1``) the tests
    that need it when PostgreSQL is not configured or not reachable."""
    if not POSTGRES_URL:
        message = "PostgreSQL not configured: set TEST_DATABASE_URL=postgresql+psycopg://..."
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    try:
        return connect(POSTGRES_URL)
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.orig}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (REQUIRE_POSTGRES=1)")
        pytest.skip(message)


@pytest.fixture(scope="session")
def database_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    backend = request.param
    if backend == "sqlite":
        yield SqliteDatabases(tmp_path_factory.mktemp("sqlite-template"))
        return
    databases = postgres_or_skip(PostgresDatabases)
    yield databases
    databases.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_factory" in metafunc.fixturenames:
        metafunc.parametrize("database_factory", BACKENDS, indirect=True, scope="session")


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, database_factory: Any, tmp_path: Path
) -> Iterator[str]:
    # Asked for directly or through another fixture, ``empty_db`` leaves the demo data out.
    seeded = "empty_db" not in request.fixturenames
    url, drop = database_factory.new(tmp_path, seeded=seeded)
    yield url
    drop()


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("needs PostgreSQL (row locks, triggers, real concurrent connections)")


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by the many apps of a test run (compiling is the slow part)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Any) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Any) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _SharedBytecode()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    app = create_app(_app_config(database_url, UPLOAD_DIR=str(tmp_path / "uploads")))
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(name="db")
def db_fixture(app: Any) -> Any:
    return db


@pytest.fixture
def session(db: Any) -> Any:
    return db.session


@pytest.fixture
def empty_db(session: Any) -> Any:
    """The session of a migrated database without the demo data: only the reference data the
    migrations load (rates, income levels, benefit parameters, document checklists). The test
    makes what it needs with tests/factories.py; ``app``, ``client`` and ``login`` use it too."""
    return session


_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Client:
    """A test client that behaves like a browser: it sends the CSRF token it was given."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = app.test_client()

    def csrf_token(self) -> str:
        page = self.get("/login") if not self.logged_in else self.get("/admin/")
        match = _CSRF_RE.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    logged_in = False

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Any:
        token = self.csrf_token()
        response = self.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        self.logged_in = response.status_code == 302
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        # Each request gets its own app context (its own ``g`` and database session), as in
        # production; otherwise it would reuse the test's context and cached user. Like a
        # browser (and a WSGI server) it reads a streamed answer to the end and closes it
        # there, not later when the garbage collector finds it outside any context.
        kwargs.setdefault("buffered", True)
        with self.app.app_context():
            response = getattr(self.http, method)(url, **kwargs)
        db.session.expire_all()  # the test's own session sees what the request committed
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._send("get", url, **kwargs)

    def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> Any:
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token()
        return self._send("post", url, data=data, **kwargs)


@pytest.fixture
def client(app: Any) -> Client:
    return Client(app)


@pytest.fixture
def login(app: Any) -> Any:
    """``login("petugas.serang")`` -> a Client signed in as that user (a demo user, or one made
    by the factories: both have the demo password)."""

    def _login(username: str) -> Client:
        c = Client(app)
        response = c.login(username)
        assert response.status_code == 302, f"login as {username} failed"
        return c

    return _login


@pytest.fixture
def user(session: Any) -> Any:
    """``user("petugas.serang")`` -> the User row."""
    return lambda username: session.scalar(sa.select(User).where(User.username == username))
