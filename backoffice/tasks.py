"""Background tasks on huey: work that must not run inside a web request (large member batches).

Declaring a task (e.g. in ``backoffice/services/batches.py``)::

    from backoffice import tasks

    @tasks.task(on_failure=mark_failed)  # huey options pass through: tasks.task(retries=1)
    def process_batch(batch_id: int) -> None:
        # Runs inside an application context with its own ``db.session`` (also in immediate
        # mode). The body changes and flushes, like any service; the task is the unit of work:
        # its return commits, an exception rolls back, then ``on_failure(batch_id)`` runs and is
        # committed on its own (what a failure must leave behind), and the task fails.
        tasks.set_progress(f"batch:{batch_id}", done, total)

Enqueueing: call the decorated function, after committing whatever the task will read (the task
runs in another session, thread or process)::

    db.session.commit()
    process_batch(batch.id)            # returns a huey ``Result`` at once

- Arguments are pickled: pass ids and plain values, never ORM objects.
- Return ``None`` (results nobody reads stay in the queue storage). A failure is logged; its
  ``Result.get()`` raises ``huey.exceptions.TaskException``.
- ``process_batch.call_local(batch_id)`` runs the body now, without the queue.
- A task module must be imported by ``create_app()`` (through the view that enqueues) or be listed
  in ``TASK_MODULES`` so that the consumer process knows its tasks.

Where tasks run (config key ``TASK_QUEUE``, environment variable ``TASK_QUEUE``):

- ``"immediate"``: in the caller, synchronously (huey's immediate mode, memory storage). Tests.
- ``"embedded"`` (default): a SQLite queue in ``instance/tasks.sqlite3`` and a consumer thread
  inside the web process, started on the first enqueue of that process (CLI commands that never
  enqueue start nothing) and stopped at interpreter exit. Tasks left in the queue by a previous
  run start with the next enqueue.
- ``redis://host:6379/0`` (also ``rediss://``, ``unix://``): a Redis queue; nothing runs in the web
  process. Run the consumer separately: ``make worker``, i.e.
  ``huey_consumer backoffice.tasks.huey -w 2 -k thread`` with the same environment as the web app.

``huey`` below is one real ``Huey`` instance for every mode: tasks register on it once, and
``init_tasks(app)`` (called by ``create_app``) only swaps its storage. In the consumer process,
``huey_consumer`` calls ``huey.create_consumer()``, which first builds the app with
``create_app()`` (registered by the package: ``use_app_factory``); that reads ``TASK_QUEUE`` and configures the storage exactly as in the web app.

Progress (``set_progress``/``get_progress``) lives in the queue storage's key-value store, not in
the database, so another request sees it while the task's transaction is still open.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.consumer import Consumer
from huey.exceptions import ConfigurationError
from huey.storage import MemoryStorage, PriorityRedisStorage, SqliteStorage
from redis import ConnectionPool

from .extensions import db
from .transaction import unit_of_work

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
JSONScalar = str | int | float | bool | None

QUEUE_NAME = "backoffice"
# Modules whose tasks the consumer process must know, besides those create_app() imports.
TASK_MODULES: tuple[str, ...] = (
    "backoffice.services.batches",
    "backoffice.services.lifecycle",
    "backoffice.services.notifications",
    "backoffice.services.reminders",
)
# The default SQLite database has one writer at a time: a second worker would only wait for it.
EMBEDDED_WORKERS = 1
# At exit, how long a running embedded task may take to finish (its transaction is otherwise lost,
# i.e. rolled back, and the task does not run again).
EMBEDDED_SHUTDOWN_TIMEOUT = 10.0
PROGRESS_PREFIX = "progress:"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class QueueSpec(NamedTuple):
    mode: str  # "immediate", "embedded" or "redis"
    location: str  # SQLite file or Redis URL; "" when immediate


def parse_task_queue(value: str | None, instance_path: str) -> QueueSpec:
    """Read the ``TASK_QUEUE`` setting; an unknown value is refused, never guessed."""
    value = (value or "embedded").strip()
    if value == "immediate":
        return QueueSpec("immediate", "")
    if value == "embedded":
        return QueueSpec("embedded", str(Path(instance_path) / "tasks.sqlite3"))
    if value.startswith(REDIS_SCHEMES):
        return QueueSpec("redis", value)
    scheme = value.split(":", 1)[0]  # do not echo a URL that may carry a password
    raise ValueError(
        f"TASK_QUEUE must be 'immediate', 'embedded' or a redis:// URL (got {scheme!r}...)."
    )


class _UnconfiguredStorage:
    """Storage of the module-level instance until ``init_tasks(app)`` chooses the real one."""

    blocking = False
    priority = True

    def __init__(self, name: str = QUEUE_NAME, **kwargs: Any) -> None:
        self.name = name

    def close(self) -> None:
        pass

    def __getattr__(self, attribute: str) -> Any:
        raise RuntimeError(
            "The task queue is not configured: create the app (create_app) first, "
            "which calls backoffice.tasks.init_tasks(app)."
        )


class InProcessConsumer(Consumer):
    """A huey consumer running as threads of a process that keeps its own signal handling
    (the web server, tests): ``start()`` must not take over SIGINT/SIGTERM/SIGHUP."""

    def _set_signal_handlers(self) -> None:
        pass


class BackofficeHuey(Huey):
    """``Huey`` that starts the embedded consumer on the first enqueue and, in the consumer
    process, builds the Flask app before consuming."""

    def enqueue(self, task: Any) -> Any:
        result = super().enqueue(task)
        _ensure_embedded_consumer()
        return result

    def create_consumer(self, **options: Any) -> Consumer:
        # Called by huey_consumer: this process is the consumer; it needs the app (configuration,
        # storage, database) and every task module before the first dequeue.
        _state.in_consumer_process = True
        task_app()
        _import_task_modules()
        if self.immediate:
            raise ConfigurationError(
                "TASK_QUEUE=immediate runs tasks in the caller: there is no queue to consume. "
                "Set TASK_QUEUE to a redis:// URL (or 'embedded')."
            )
        return super().create_consumer(**options)


huey = BackofficeHuey(
    QUEUE_NAME, results=True, store_none=False, storage_class=_UnconfiguredStorage
)


@dataclass
class _State:
    app: Flask | None = None
    app_factory: Callable[[], Flask] | None = None
    spec: QueueSpec | None = None
    consumer: Consumer | None = None
    consumer_pid: int | None = None
    in_consumer_process: bool = False
    atexit_registered: bool = False


_state = _State()
_lock = threading.Lock()  # configuration and the embedded consumer
_app_lock = threading.Lock()  # the app a consumer process creates (create_app takes _lock)


def init_tasks(app: Flask) -> None:
    """Configure the queue from ``app.config["TASK_QUEUE"]`` and bind ``app`` for task bodies.

    Called by ``create_app``. Idempotent: the same setting keeps the storage (and a running
    embedded consumer); another setting stops that consumer and swaps the storage. Immediate mode
    always gets a fresh memory storage, so progress never leaks from one test app to the next.
    """
    spec = parse_task_queue(app.config.get("TASK_QUEUE"), app.instance_path)
    with _lock:
        if spec != _state.spec or spec.mode == "immediate":
            _stop_embedded_consumer_locked(timeout=EMBEDDED_SHUTDOWN_TIMEOUT)
            _configure_storage(spec)
            _state.spec = spec
        _state.app = app
    app.extensions["backoffice.tasks"] = huey


def _configure_storage(spec: QueueSpec) -> None:
    old = huey.storage
    if spec.mode == "immediate":
        huey.storage_class, huey.storage_kwargs = MemoryStorage, {}
    elif spec.mode == "embedded":
        Path(spec.location).parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": spec.location}
    else:
        # A parameter in the URL wins over this default (redis-py from_url).
        pool = ConnectionPool.from_url(spec.location, socket_connect_timeout=5)
        huey.storage_class, huey.storage_kwargs = PriorityRedisStorage, {"connection_pool": pool}
    immediate = spec.mode == "immediate"
    if huey.immediate != immediate:
        huey.immediate = immediate  # the setter recreates the storage
    else:
        huey.storage = huey.create_storage()
    if old is not huey.storage:
        old.close()


def queue_mode() -> str | None:
    """``"immediate"``, ``"embedded"``, ``"redis"``, or None before ``init_tasks``."""
    return _state.spec.mode if _state.spec else None


def queue_ok() -> bool:
    """Can the queue storage be reached? (for a health check; never raises)"""
    try:
        huey.storage.queue_size()
    except Exception:
        log.warning("task queue storage unreachable", exc_info=True)
        return False
    return True


# -- running task bodies inside the application --------------------------------------------------


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """How a process without an app (the consumer process) builds one: ``create_app``,
    registered by the package, which imports this module (never the other way round)."""
    _state.app_factory = factory


def task_app() -> Flask:
    """The app task bodies run in: the one bound by ``init_tasks``; in a process without one
    (the consumer process), an app created once with the registered factory."""
    if _state.app is not None:
        return _state.app
    with _app_lock:
        if _state.app is None:
            if _state.app_factory is None:
                raise RuntimeError("No app to run tasks in: import backoffice first.")
            _state.app_factory()  # create_app() calls init_tasks(app), which binds it
        assert _state.app is not None
        return _state.app


def run_in_app(fn: Callable[P, R], on_failure: Callable[P, Any] | None = None) -> Callable[P, R]:
    """Run ``fn`` in a fresh application context (its own ``g`` and ``db.session``, removed at
    the end) as one unit of work: committed when it returns, rolled back when it raises (then
    ``on_failure`` with the same arguments, committed on its own). The app is the current one
    when called inside one (immediate mode), otherwise ``task_app()`` (embedded consumer
    thread, consumer process)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        app = current_app._get_current_object() if has_app_context() else task_app()  # type: ignore[attr-defined]
        with app.app_context():
            failed = None if on_failure is None else functools.partial(on_failure, *args, **kwargs)
            with unit_of_work(db.session, on_failure=failed):
                return fn(*args, **kwargs)

    return wrapper


def task(
    *, on_failure: Callable[..., Any] | None = None, **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a background task: ``@tasks.task()`` (options go to ``huey.task``: ``retries``,
    ``retry_delay``, ``priority``, ``expires``, ``name``...). The body runs via ``run_in_app``,
    as one unit of work; ``on_failure`` is called with the task's arguments after a failure
    was rolled back. Calling the decorated function enqueues it and returns a huey ``Result``."""

    def decorator(fn: Callable[..., Any]) -> Any:
        return huey.task(**options)(run_in_app(fn, on_failure))

    return decorator


def periodic_task(
    validate_datetime: Callable[[datetime], bool], **options: Any
) -> Callable[[Callable[[], Any]], Any]:
    """Declare a task the consumer runs by itself whenever ``validate_datetime(now)`` is true
    (checked once a minute; ``now`` is naive UTC, huey's clock): ``@tasks.periodic_task(f)``.
    The body runs like a ``task``'s, as one unit of work. Only a consumer runs periodic tasks
    (``make worker``, or the embedded one once started); ``.call_local()`` runs it now."""

    def decorator(fn: Callable[[], Any]) -> Any:
        return huey.periodic_task(validate_datetime, **options)(run_in_app(fn))

    return decorator


def _import_task_modules() -> None:
    for name in TASK_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            log.warning("task module %s not found: its tasks cannot run here", name)


# -- the embedded consumer --------------------------------------------------------------------------


def _ensure_embedded_consumer() -> None:
    def wanted() -> bool:
        return (
            _state.spec is not None
            and _state.spec.mode == "embedded"
            and not _state.in_consumer_process
            and (_state.consumer is None or _state.consumer_pid != os.getpid())
        )

    if not wanted():  # the common case, without the lock
        return
    with _lock:
        if not wanted():
            return
        consumer = InProcessConsumer(
            huey,
            workers=EMBEDDED_WORKERS,
            worker_type="thread",
            initial_delay=0.1,
            max_delay=1.0,  # an idle worker polls the SQLite queue at most once a second
            check_worker_health=False,  # nobody runs the consumer's main loop here
            shutdown_timeout=EMBEDDED_SHUTDOWN_TIMEOUT,
        )
        consumer.start()
        _state.consumer, _state.consumer_pid = consumer, os.getpid()
        if not _state.atexit_registered:
            atexit.register(stop_embedded_consumer)
            _state.atexit_registered = True
        log.info("embedded task consumer started (%d thread worker)", EMBEDDED_WORKERS)


def embedded_consumer() -> Consumer | None:
    """The embedded consumer running in this process, if any."""
    return _state.consumer if _state.consumer_pid == os.getpid() else None


def stop_embedded_consumer(timeout: float | None = EMBEDDED_SHUTDOWN_TIMEOUT) -> None:
    """Stop the embedded consumer (if running), letting a running task finish within ``timeout``."""
    with _lock:
        _stop_embedded_consumer_locked(timeout)


def _stop_embedded_consumer_locked(timeout: float | None) -> None:
    consumer = embedded_consumer()
    if consumer is not None:
        # Still registered while it stops: a running task that enqueues must not wait for _lock.
        consumer.shutdown_timeout = timeout
        consumer.stop(graceful=True)
        log.info("embedded task consumer stopped")
    _state.consumer = _state.consumer_pid = None


# -- progress -------------------------------------------------------------------------------------


def set_progress(key: str, done: int, total: int | None = None, **extra: JSONScalar) -> None:
    """Record the progress of a task under ``key`` (e.g. ``f"batch:{batch_id}"``), outside any
    database transaction. ``extra`` adds small JSON values (``state="failed"``, ``message=...``)."""
    value: dict[str, Any] = {
        **extra,
        "done": done,
        "total": total,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    json.dumps(value)  # refuse what a JSON status endpoint could not send
    huey.put(PROGRESS_PREFIX + key, value)


def get_progress(key: str) -> dict[str, Any] | None:
    """The last ``set_progress`` value of ``key``, or None."""
    value = huey.get(PROGRESS_PREFIX + key, peek=True)
    return value if isinstance(value, dict) else None


def clear_progress(key: str) -> None:
    huey.delete(PROGRESS_PREFIX + key)


__all__ = [
    "EMBEDDED_WORKERS",
    "TASK_MODULES",
    "BackofficeHuey",
    "InProcessConsumer",
    "QueueSpec",
    "clear_progress",
    "embedded_consumer",
    "get_progress",
    "huey",
    "init_tasks",
    "parse_task_queue",
    "periodic_task",
    "queue_mode",
    "queue_ok",
    "run_in_app",
    "set_progress",
    "stop_embedded_consumer",
    "task",
    "task_app",
]
