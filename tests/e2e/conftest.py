"""Browser tests: a real Chromium driving the app served by a real server process.

One server per database backend and test session (the journeys share it and use distinct data):

- the database is built as in production, through ``flask db upgrade`` and ``flask seed-demo``:
  a SQLite file by default; with ``TEST_DATABASE_URL`` (and ``postgresql`` in ``TEST_BACKENDS``)
  a fresh PostgreSQL database ``e2e_<random>`` too, created and dropped through the ``postgres``
  maintenance database;
- the server is gunicorn when installed (one worker, threads), otherwise ``flask run``
  (``E2E_SERVER=flask`` or ``gunicorn`` chooses), on a free port of 127.0.0.1, with its own
  instance directory and ``TASK_QUEUE=embedded``: uploaded files are checked by the task consumer
  running inside the server, as in a default installation;
- the browser is Debian's Chromium (``/usr/bin/chromium``, or ``E2E_CHROMIUM``), driven by
  Playwright; nothing downloads a browser. Without it the tests are skipped with the reason, and
  with ``REQUIRE_BROWSER=1`` (CI) a missing browser fails them.

Each person of a journey gets their own browser context (cookies), signs in through the login
page and clicks through the menus. A JavaScript dialog (``alert``, ``confirm``), an uncaught
script error or a page refused by the server (5xx) fails the test. A failing test keeps a
screenshot of each open page in ``tests/e2e/artifacts/`` and shows the end of the server's log.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url
from tests.conftest import BACKENDS, DEMO_PASSWORD, postgres_or_skip

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"

#: How long an action or an assertion may wait for the page (auto-waiting), in milliseconds.
TIMEOUT_MS = 15_000
#: How long the server may take to start answering, in seconds.
START_TIMEOUT = 60.0


# --- the browser ---------------------------------------------------------------------------


def _browser_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(f"browser tests cannot run: {missing} (REQUIRE_BROWSER=1)")
        pytest.skip(f"browser tests skipped: {missing}")
    # Playwright is optional (the dev extras): imported once it is known to be there.
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# --- the server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_command(port: int) -> list[str]:
    choice = os.environ.get("E2E_SERVER") or (
        "gunicorn" if importlib.util.find_spec("gunicorn") else "flask"
    )
    if choice == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            "wsgi:app",
        ]
    if choice != "flask":
        raise pytest.UsageError(f"E2E_SERVER must be 'gunicorn' or 'flask', not {choice!r}")
    return [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-reload",
        "--no-debugger",
    ]


class _PostgresDatabase:
    """A fresh database ``e2e_<random>`` on the server of ``TEST_DATABASE_URL``."""

    def __init__(self, url: str) -> None:
        base = make_url(normalise_database_url(url))
        self.name = f"e2e_{secrets.token_hex(5)}"
        self.admin = sa.create_engine(
            base.set(database="postgres"),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        self._execute(f'CREATE DATABASE "{self.name}"')
        self.url = base.set(database=self.name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


@dataclass
class LiveServer:
    backend: str
    url: str
    database_url: str
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _wait_until_answering(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    assert server.process is not None
    while True:
        if server.process.poll() is not None:
            pytest.fail(
                f"the server stopped (exit {server.process.returncode}):\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(server.url + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(
                f"the server did not answer within {START_TIMEOUT:.0f} s:\n{server.log_tail()}"
            )
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # quick shutdown (gunicorn), Ctrl-C (flask run)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(
    request: pytest.FixtureRequest, chromium: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 from a freshly migrated and seeded database."""
    backend = request.param
    directory = tmp_path_factory.mktemp(f"e2e-{backend}")
    postgres = postgres_or_skip(_PostgresDatabase) if backend == "postgresql" else None
    database_url = postgres.url if postgres else f"sqlite:///{directory / 'backoffice.sqlite3'}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "BACKOFFICE_", "TEST_", "UPLOAD_", "IMPORT_"))
        and key not in {"DATABASE_URL", "SECRET_KEY", "TASK_QUEUE"}
    }
    env.update(
        BACKOFFICE_INSTANCE_PATH=str(directory / "instance"),
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        TASK_QUEUE="embedded",
        PYTHONUNBUFFERED="1",
    )
    port = _free_port()
    server = LiveServer(backend, f"http://127.0.0.1:{port}", database_url, directory / "server.log")
    try:
        _run(["db", "upgrade"], env, "flask db upgrade")
        _run(["seed-demo"], env, "flask seed-demo")
        with server.log.open("wb") as log:
            server.process = subprocess.Popen(
                _server_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        _wait_until_answering(server)
        yield server
    finally:
        if server.process is not None:
            _stop(server.process)
        if postgres is not None:
            postgres.drop()


# --- people in front of the browser --------------------------------------------------------


@dataclass
class Actors:
    """The people of a journey: each signs in in their own browser context."""

    browser: Any
    server: LiveServer
    pages: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # shown when a test fails
    last: Any = None

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Any:
        from playwright.sync_api import expect  # optional: only once chromium() found it

        context = self.browser.new_context(
            base_url=self.server.url,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        self._watch(page, username)
        self.pages[username] = self.last = page
        page.goto("/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        page.get_by_role("button", name="Masuk").click()
        expect(page.locator("#current-user")).to_be_visible()
        return page

    def _watch(self, page: Any, who: str) -> None:
        def on_dialog(dialog: Any) -> None:
            self.problems.append(f"{who}: a {dialog.type} dialog opened: {dialog.message!r}")
            dialog.dismiss()

        def on_page_error(error: Any) -> None:
            self.problems.append(f"{who}: script error on {page.url}: {error}")

        def on_response(response: Any) -> None:
            if response.status >= 500:
                self.problems.append(f"{who}: {response.status} for {response.url}")

        def on_console(message: Any) -> None:
            if message.type in ("error", "warning"):
                self.console.append(f"{who}: {message.type}: {message.text} ({page.url})")

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("response", on_response)
        page.on("framenavigated", lambda frame: setattr(self, "last", page))

    def assert_no_problems(self) -> None:
        assert not self.problems, "\n".join(self.problems)

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def actors(
    request: pytest.FixtureRequest, chromium: Any, live_server: LiveServer
) -> Iterator[Actors]:
    # Screenshots of an earlier run of this test would be mistaken for this one's.
    for old in ARTIFACTS.glob(f"{_artifact_name(request.node.nodeid)}*.png"):
        old.unlink()
    people = Actors(chromium, live_server)
    yield people
    try:
        if people.problems:  # a dialog, a script error or a 5xx the test did not check for
            saved = _keep_screenshots(request.node, people)
            pytest.fail("\n".join([*people.problems, "screenshots:", saved]))
    finally:
        people.close()


# --- a screenshot and the server's log when a test fails ------------------------------------


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::")[-1]).strip("_")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and report.when in ("call", "teardown"):
        people = getattr(item, "funcargs", {}).get("actors")
        if isinstance(people, Actors):
            if report.when == "call":
                report.sections.append(("screenshots", _keep_screenshots(item, people)))
            if people.console:
                report.sections.append(("browser console", "\n".join(people.console[-30:])))
        server = getattr(item, "funcargs", {}).get("live_server")
        if isinstance(server, LiveServer):
            report.sections.append(("server log (end)", server.log_tail()))
    return report


def _keep_screenshots(item: pytest.Item, people: Actors) -> str:
    """A screenshot of each person's page: ``<test>.png`` for the page used last,
    ``<test>--<username>.png`` for the others. What was saved, one line each."""
    ARTIFACTS.mkdir(exist_ok=True)
    name = _artifact_name(item.nodeid)
    saved = []
    for who, page in people.pages.items():
        target = ARTIFACTS / (f"{name}.png" if page is people.last else f"{name}--{who}.png")
        try:
            page.screenshot(path=str(target), full_page=True)
        except Exception as exc:  # a closed page: nothing to keep
            saved.append(f"{who}: no screenshot ({exc.__class__.__name__})")
            continue
        saved.append(f"{who}: {target.relative_to(ROOT)} ({page.url})")
    return "\n".join(saved)
