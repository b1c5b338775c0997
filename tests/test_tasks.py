"""The background task queue (backoffice/tasks.py) in its three modes.

Immediate mode is what every other test uses (conftest sets TASK_QUEUE=immediate). Embedded mode
runs a real SQLite queue and the in-process consumer thread; Redis mode a real round trip through
the local Redis (``TEST_REDIS_URL``, default db 15), skipped with the reason when it is down.
Waits are bounded by ``Result.get(blocking=True, timeout=...)``; nothing asserts timings.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app, g
from huey import Huey
from huey.exceptions import ConfigurationError, TaskException
from huey.utils import load_class
from sqlalchemy import func, select, update

from backoffice import create_app, tasks
from backoffice.extensions import db
from models import User

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WAIT = 10  # seconds: an upper bound for a task to come back, never a timing assertion


@tasks.task()
def probe(marker: str, progress_key: str | None = None) -> dict[str, Any]:
    """The example task: reports where it ran and what it could reach."""
    if progress_key:
        tasks.set_progress(progress_key, 1, 2, state="running")
    g.probe = marker  # a fresh context: the caller's ``g`` never sees this
    return {
        "marker": marker,
        "thread": threading.current_thread().name,
        "app": current_app.config["TASK_PROBE"],
        "users": db.session.scalar(select(func.count()).select_from(User)),
        "session": id(db.session()),
    }


@tasks.task()
def broken() -> None:
    raise RuntimeError("the task failed")


_release = threading.Event()


@tasks.task()
def renames_then_rolls_back(key: str) -> bool:
    """Holds a write transaction open while it reports progress, then leaves no change."""
    db.session.execute(update(User).where(User.username == "admin").values(full_name="Renamed"))
    tasks.set_progress(key, 1, 2)
    released = _release.wait(WAIT)
    db.session.rollback()
    return released


@pytest.fixture(autouse=True)
def _leave_no_consumer_behind() -> Iterator[None]:
    yield
    tasks.stop_embedded_consumer()


def _config(database_url: str, tmp_path: Path, queue: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "BACKOFFICE_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TASK_QUEUE": queue,
        "TASK_PROBE": f"{queue} app",
    }


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    apps: list[Flask] = []

    def _make(queue: str) -> Flask:
        app = create_app(_config(database_url, tmp_path, queue))
        apps.append(app)
        return app

    yield _make
    tasks.stop_embedded_consumer()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _workers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("Worker-")]


# -- immediate mode (the test configuration) ------------------------------------------------------


def test_immediate_mode_runs_the_task_now_in_its_own_app_context(app, session):
    app.config["TASK_PROBE"] = "test app"
    assert tasks.queue_mode() == "immediate"
    # The request's session exists before the task runs and outlives it: two live objects
    # never share an id (a session created after the task's was freed could reuse its id).
    mine = session()

    value = probe("now")()  # the Result is ready as soon as the call returns

    assert value["marker"] == "now"
    assert value["thread"] == threading.current_thread().name
    assert value["app"] == "test app"
    assert value["users"] > 0
    assert value["session"] != id(mine)  # its own session, its own transaction
    assert session() is mine
    assert "probe" not in g
    assert tasks.embedded_consumer() is None


def test_a_failing_task_is_reported_by_its_result(app):
    result = broken()
    with pytest.raises(TaskException, match="the task failed"):
        result.get()


def test_progress_is_kept_outside_the_database(app):
    assert tasks.get_progress("batch:1") is None
    tasks.set_progress("batch:1", 0, None)
    assert tasks.get_progress("batch:1")["total"] is None

    tasks.set_progress("batch:1", 250, 1000, state="running")
    progress = tasks.get_progress("batch:1")
    assert progress is not None
    assert (progress["done"], progress["total"], progress["state"]) == (250, 1000, "running")
    assert progress["updated_at"]
    assert tasks.get_progress("batch:1") == progress  # reading does not consume it

    tasks.clear_progress("batch:1")
    assert tasks.get_progress("batch:1") is None
    with pytest.raises(TypeError):
        tasks.set_progress("batch:1", 1, 2, state=object())  # type: ignore[arg-type]


def test_progress_does_not_leak_from_one_immediate_app_to_the_next(app, database_url, tmp_path):
    tasks.set_progress("batch:1", 5, 10)
    create_app(_config(database_url, tmp_path, "immediate"))
    assert tasks.get_progress("batch:1") is None


def test_queue_settings_are_parsed_and_unknown_ones_refused(tmp_path):
    assert tasks.parse_task_queue(None, str(tmp_path)) == (
        "embedded",
        str(tmp_path / "tasks.sqlite3"),
    )
    assert tasks.parse_task_queue("immediate", "x").mode == "immediate"
    assert tasks.parse_task_queue("redis://h:6379/0", "x") == ("redis", "redis://h:6379/0")
    with pytest.raises(ValueError, match="TASK_QUEUE") as refused:
        tasks.parse_task_queue("amqp://user:secret@host/", "x")
    assert "secret" not in str(refused.value)


def test_huey_consumer_finds_a_real_huey_instance():
    assert load_class("backoffice.tasks.huey") is tasks.huey
    assert isinstance(tasks.huey, Huey)
    unconfigured = tasks.BackofficeHuey("t", storage_class=tasks._UnconfiguredStorage)
    with pytest.raises(RuntimeError, match="create_app"):
        unconfigured.storage.queue_size()


def test_a_consumer_process_refuses_immediate_mode(app, monkeypatch):
    monkeypatch.setattr(tasks._state, "in_consumer_process", False)
    with pytest.raises(ConfigurationError, match="immediate"):
        tasks.huey.create_consumer(workers=1, worker_type="thread")


# -- embedded mode ----------------------------------------------------------------------------


def test_embedded_mode_runs_tasks_on_one_in_process_consumer_thread(make_app, tmp_path):
    make_app("embedded")
    assert tasks.queue_mode() == "embedded"
    assert (tmp_path / "instance" / "tasks.sqlite3").exists()
    assert tasks.queue_ok()
    assert tasks.embedded_consumer() is None  # creating the app (a CLI command) starts nothing

    # The first enqueues race from several threads: one consumer only.
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def enqueue(n: int) -> None:
        barrier.wait()
        results.append(probe(f"embedded {n}", progress_key=f"probe:{n}"))

    threads = [threading.Thread(target=enqueue, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    consumer = tasks.embedded_consumer()
    assert consumer is not None

    values = [result.get(blocking=True, timeout=WAIT) for result in results]
    assert sorted(v["marker"] for v in values) == [f"embedded {n}" for n in range(4)]
    for value in values:
        assert value["thread"].startswith("Worker-")
        assert value["app"] == "embedded app"
        assert value["users"] > 0
    assert tasks.get_progress("probe:3")["done"] == 1

    assert probe("again").get(blocking=True, timeout=WAIT)["marker"] == "again"
    assert tasks.embedded_consumer() is consumer
    assert len(_workers_alive()) == tasks.EMBEDDED_WORKERS

    tasks.stop_embedded_consumer()
    assert tasks.embedded_consumer() is None
    assert _workers_alive() == []


def test_progress_is_visible_while_the_task_transaction_is_open(make_app):
    app = make_app("embedded")
    _release.clear()
    result = renames_then_rolls_back("batch:7")
    try:
        deadline = time.monotonic() + WAIT
        while (progress := tasks.get_progress("batch:7")) is None:
            assert time.monotonic() < deadline, "no progress reported"
            time.sleep(0.02)
        assert progress["done"] == 1
        with app.app_context():  # another session: the task has not committed anything
            name = db.session.scalar(select(User.full_name).where(User.username == "admin"))
            assert name != "Renamed"
            db.session.rollback()
    finally:
        _release.set()
    assert result.get(blocking=True, timeout=WAIT) is True
    with app.app_context():
        name = db.session.scalar(select(User.full_name).where(User.username == "admin"))
        assert name != "Renamed"


def test_reconfiguring_stops_the_embedded_consumer(make_app):
    make_app("embedded")
    probe("x").get(blocking=True, timeout=WAIT)
    assert tasks.embedded_consumer() is not None
    make_app("immediate")
    assert tasks.embedded_consumer() is None
    assert _workers_alive() == []


# -- Redis mode -------------------------------------------------------------------------------


def test_redis_round_trip_through_a_consumer(make_app, monkeypatch):
    make_app(REDIS_URL)
    if not tasks.queue_ok():
        pytest.skip(f"Redis at {REDIS_URL} is not reachable (set TEST_REDIS_URL)")
    tasks.huey.flush()
    try:
        result = probe("redis", progress_key="probe:redis")
        assert tasks.embedded_consumer() is None  # production runs huey_consumer separately
        assert tasks.huey.pending_count() == 1

        # What huey_consumer does, as threads of this process (pytest keeps its signals).
        monkeypatch.setattr(tasks._state, "in_consumer_process", False)
        consumer = tasks.huey.create_consumer(
            workers=1, worker_type="thread", shutdown_timeout=WAIT
        )
        monkeypatch.setattr(consumer, "_set_signal_handlers", lambda: None)
        consumer.start()
        try:
            value = result.get(blocking=True, timeout=WAIT)
        finally:
            consumer.stop(graceful=True)

        assert value["marker"] == "redis"
        assert value["thread"].startswith("Worker-")
        assert value["app"] == f"{REDIS_URL} app"
        assert value["users"] > 0
        assert tasks.get_progress("probe:redis")["state"] == "running"
        assert tasks.huey.pending_count() == 0
    finally:
        tasks.huey.flush()
