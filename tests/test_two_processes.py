"""Two app servers, one database, one Redis: the app keeps no state of its own.

Two gunicorn processes (the repo's gunicorn.conf.py, one worker each, the same SECRET_KEY, each
with its own instance folder) on two free ports, a huey consumer process
(``huey_consumer backoffice.tasks.huey``), one fresh PostgreSQL database (migrated and seeded
with the demo data, dropped at the end) and one Redis database (task queue and rate limits;
the first empty one of 13, 12, ..., emptied at the end). B runs with the settings of a server
behind PgBouncer (a pool of 2, no prepared statements). Every request is real HTTP.

- a session opened on A is a session on B (signed cookies), and a form token from one is good on the other;
- a member batch uploaded on A is checked by the consumer process and its result shown by B
  (the file travels through the shared ``UPLOAD_DIR``);
- failed logins counted on A make B throttle (rate limits in Redis), when the app has them.

Needs PostgreSQL (``TEST_DATABASE_URL``) and Redis on 127.0.0.1:6379: without them the tests are
skipped with the reason, and with ``REQUIRE_POSTGRES=1`` they fail. Waits are bounded; nothing
asserts a time.
"""

from __future__ import annotations

import csv
import http.cookiejar
import importlib.util
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    BACKENDS,
    DEMO_PASSWORD,
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    PostgresDatabases,
)

ROOT = Path(__file__).resolve().parent.parent
REDIS_HOST = "redis://127.0.0.1:6379"
REDIS_DATABASES = range(13, 0, -1)  # the first empty one is used (15 is test_tasks.py's)
SECRET_KEY = "two-processes-secret-key-not-for-production"
LIAISON = "dinas.pertanian.serang"
CLERK = "petugas.serang"
START_WAIT = 30  # seconds for a process to answer /healthz
TASK_WAIT = 20  # seconds for the consumer to check a batch
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STATE_RE = re.compile(r'<span class="badge badge-info" id="item-state">([^<]+)</span>')


def _skip_or_fail(message: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (REQUIRE_POSTGRES=1)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_redis_db() -> str:
    """The URL of the first empty Redis database of REDIS_DATABASES (skips when Redis is down)."""
    import redis

    for number in REDIS_DATABASES:
        url = f"{REDIS_HOST}/{number}"
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            if client.dbsize() == 0:
                return url
        except redis.exceptions.ConnectionError as exc:
            _skip_or_fail(f"Redis at {REDIS_HOST} is not reachable: {exc}")
        finally:
            client.close()
    _skip_or_fail(f"no empty Redis database among {list(REDIS_DATABASES)} on {REDIS_HOST}")
    raise AssertionError("unreachable")


# --- a browser: cookies, no automatic redirects ----------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    headers: Any
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser:
    """One user's browser: one cookie jar, whichever server it talks to (as behind a load
    balancer). Cookies do not depend on the port, so A's session cookie goes to B too."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self,
        server: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        request = urllib.request.Request(server + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read().decode())

    def get(self, server: str, path: str) -> Answer:
        return self.request(server, path)

    def post(self, server: str, path: str, fields: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(
            server, path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_file(
        self, server: str, path: str, fields: dict[str, str], name: str, filename: str, data: bytes
    ) -> Answer:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            server, path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )

    def csrf_token(self, server: str, path: str = "/login") -> str:
        match = CSRF_RE.search(self.get(server, path).text)
        assert match, f"no CSRF token on {server}{path}"
        return match.group(1)

    def login(self, server: str, username: str, password: str = DEMO_PASSWORD) -> Answer:
        token = self.csrf_token(server)
        return self.post(
            server, "/login", {"username": username, "password": password, "csrf_token": token}
        )


# --- the processes ----------------------------------------------------------------------------


@dataclass
class Cluster:
    a: str
    b: str
    consumer_log: Path


class _Processes:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen[bytes], signal.Signals]] = []

    def start(
        self, name: str, command: list[str], env: dict[str, str], stop: signal.Signals
    ) -> Path:
        """Start ``command``; ``stop`` is the signal that ends it at once (gunicorn: SIGINT,
        huey_consumer: SIGTERM), as nothing is left to finish at the end of the tests."""
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.running.append((name, process, stop))
        return log

    def check_alive(self) -> None:
        for name, process, _ in self.running:
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"{name} exited with {process.returncode}:\n{tail}")

    def stop(self) -> None:
        for _, process, stop in self.running:
            if process.poll() is None:
                process.send_signal(stop)
        for _, process, _ in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(processes: _Processes, server: str) -> None:
    deadline = time.monotonic() + START_WAIT
    while True:
        processes.check_alive()
        try:
            with urllib.request.urlopen(server + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{server}/healthz did not answer 200 within {START_WAIT} s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if "postgresql" not in BACKENDS:
        pytest.skip("needs PostgreSQL, and TEST_BACKENDS leaves it out")
    if not POSTGRES_URL:
        _skip_or_fail(
            "two app processes need a shared PostgreSQL database: "
            "set TEST_DATABASE_URL=postgresql+psycopg://..."
        )
    redis_url = _free_redis_db()
    try:
        databases = PostgresDatabases(POSTGRES_URL)
    except Exception as exc:  # the server is down or refuses us
        _skip_or_fail(f"PostgreSQL at {POSTGRES_URL} is not usable: {exc}")
    work = tmp_path_factory.mktemp("two_processes")
    # The migrated and seeded database conftest builds as a template, used as it is: this module
    # needs one database, and PostgresDatabases.close() drops it.
    database_url = databases.url.set(database=databases.template()).render_as_string(
        hide_password=False
    )
    processes = _Processes(work)
    try:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BACKOFFICE_", "GUNICORN_", "RATELIMIT_", "DATABASE_", "LOGIN_"))
            and key not in ("TASK_QUEUE", "UPLOAD_DIR", "BIND", "WEB_CONCURRENCY")
        }
        env.update(
            BACKOFFICE_ENV="development",  # plain http here: cookies without Secure
            SECRET_KEY=SECRET_KEY,
            DATABASE_URL=database_url,
            TASK_QUEUE=redis_url,
            RATELIMIT_STORAGE_URI=redis_url,
            UPLOAD_DIR=str(work / "shared-uploads"),  # the shared storage of every server
            WEB_CONCURRENCY="1",
            PYTHONUNBUFFERED="1",
        )
        # B is set up as behind PgBouncer (docs/deployment.md): a small pool, no prepared
        # statements.
        pgbouncer = {"DATABASE_POOL_SIZE": "2", "DATABASE_PREPARED_STATEMENTS": "off"}
        servers = {}
        for name, extra in (("a", {}), ("b", pgbouncer)):
            port = _free_port()
            servers[name] = f"http://127.0.0.1:{port}"
            processes.start(
                f"server-{name}",
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                {
                    **env,
                    **extra,
                    "BIND": f"127.0.0.1:{port}",
                    "BACKOFFICE_INSTANCE_PATH": str(work / f"instance-{name}"),
                },
                stop=signal.SIGINT,
            )
        consumer_log = processes.start(
            "consumer",
            [sys.executable, "-m", "huey.bin.huey_consumer", "backoffice.tasks.huey", "-w", "1"],
            {**env, "BACKOFFICE_INSTANCE_PATH": str(work / "instance-consumer")},
            stop=signal.SIGTERM,
        )
        for server in servers.values():
            _wait_healthy(processes, server)
        yield Cluster(servers["a"], servers["b"], consumer_log)
    finally:
        processes.stop()
        databases.close()
        import redis

        redis.Redis.from_url(redis_url).flushdb()


# --- the tests ---------------------------------------------------------------------------------


def test_a_session_opened_on_one_server_works_on_the_other(cluster: Cluster) -> None:
    browser = Browser()
    answer = browser.login(cluster.a, CLERK)
    assert answer.status == 302, answer.text[:500]

    page = browser.get(cluster.b, "/admin/")
    assert page.status == 200
    assert "Petugas Pelayanan KC Serang" in page.text  # B knows who is signed in
    assert "Keluar" in page.text  # "Sign out" in Indonesian, the default

    # A form token handed out by B is accepted by A (it lives in the signed session), and the
    # language chosen on A is the language of B's pages.
    token = browser.csrf_token(cluster.b, "/admin/")
    answer = browser.post(cluster.a, "/language", {"locale": "en", "csrf_token": token})
    assert answer.status == 302
    assert "Sign out" in browser.get(cluster.b, "/admin/").text

    stranger = Browser()
    answer = stranger.get(cluster.b, "/admin/")
    assert answer.status == 302 and "/login" in answer.location


def _member_csv(rows: int) -> bytes:
    born = date(1988, 3, 9)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "No HP", "Pekerjaan"]
        + ["Penghasilan", "Program"]
    )
    for serial in range(8801, 8801 + rows):
        nik = f"360401{born.day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
        writer.writerow(
            [nik, f"Peserta Dua Proses {serial}", born.strftime("%d/%m/%Y"), "L"]
            + ["Kp. Cibeber RT 001/RW 002", f"08123456{serial:04d}", "Petani"]
            + ["1.000.000", "JKK, JKM"]
        )
    return buffer.getvalue().encode("utf-8-sig")


def test_a_batch_uploaded_on_one_server_is_checked_by_the_consumer_and_shown_by_the_other(
    cluster: Cluster,
) -> None:
    liaison = Browser()
    assert liaison.login(cluster.a, LIAISON).status == 302
    token = liaison.csrf_token(cluster.a, "/admin/batch/new/")
    answer = liaison.post_file(
        cluster.a,
        "/admin/batch/new/",
        {"csrf_token": token},
        "file",
        "peserta-dua-proses.csv",
        _member_csv(5),
    )
    assert answer.status == 302, answer.text[:2000]
    match = re.search(r"/admin/batch/details/\?id=(\d+)$", answer.location)
    assert match, answer.location
    details = f"/admin/batch/details/?id={match.group(1)}"

    deadline = time.monotonic() + TASK_WAIT
    while True:
        page = liaison.get(cluster.b, details)
        assert page.status == 200
        if 'id="processing"' not in page.text:
            break
        assert time.monotonic() < deadline, f"the batch was still being checked after {TASK_WAIT} s"
        time.sleep(0.3)

    state = STATE_RE.search(page.text)
    assert state and state.group(1).strip() == "draf", page.text[:3000]
    assert '<td id="count-valid">5</td>' in page.text
    assert '<td id="count-invalid">0</td>' in page.text
    # Checked by the consumer process, not by a web server.
    consumer_log = cluster.consumer_log.read_text(errors="replace")
    assert "Executing backoffice.services.batches.process_batch_task" in consumer_log


def _limiter_present() -> bool:
    from backoffice.config import Config

    installed = importlib.util.find_spec("flask_limiter") is not None
    return installed and hasattr(Config, "RATELIMIT_STORAGE_URI")


@pytest.mark.skipif(
    not _limiter_present(),
    reason="the app has no login rate limits yet (Flask-Limiter with RATELIMIT_STORAGE_URI): "
    "nothing to share across servers",
)
def test_failed_logins_counted_on_one_server_throttle_the_other(cluster: Cluster) -> None:
    browser = Browser()
    token = browser.csrf_token(cluster.a)
    wrong = {"username": "petugas.cilegon", "password": "wrong-password", "csrf_token": token}
    attempts = 0
    while True:  # wrong passwords on A until A throttles
        answer = browser.post(cluster.a, "/login", wrong)
        attempts += 1
        if answer.status == 429:
            break
        assert answer.status == 401, answer.status
        assert attempts < 100, "A never throttled failed logins"
    # B has seen none of them, yet it counts them: the counters are in Redis.
    other = Browser()
    token = other.csrf_token(cluster.b)
    answer = other.post(cluster.b, "/login", {**wrong, "csrf_token": token})
    assert answer.status == 429
