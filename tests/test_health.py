"""``/healthz``: what a load balancer or monitor asks an app server (backoffice/health.py).

It answers without signing in, without a CSRF token and without a cookie; when the database or
the task queue does not answer it says which, with 503, and nothing else: the error (which may
name hosts or carry a URL) goes to the log only.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

from backoffice import create_app

SECRET = "s3cret-password"


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe(app: Any, method: str = "get") -> Any:
    """A bare request, as a load balancer sends it: no cookie, no token, no login."""
    with app.test_client() as http:
        return getattr(http, method)("/healthz")


def config(tmp_path: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "BACKOFFICE_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TASK_QUEUE": "immediate",
        **extra,
    }


def test_healthz_answers_ok_to_an_anonymous_probe(app: Any) -> None:
    response = probe(app)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_sets_no_cookie_and_needs_no_csrf_token(app: Any) -> None:
    assert app.config["WTF_CSRF_ENABLED"]
    for method in ("get", "head"):
        response = probe(app, method)
        assert response.status_code == 200, method
        assert "Set-Cookie" not in response.headers, method


def test_healthz_only_reads(app: Any) -> None:
    assert probe(app, "post").status_code == 405


def test_an_unreachable_database_is_a_503_without_details(tmp_path: Path, caplog: Any) -> None:
    port = closed_port()
    url = f"postgresql+psycopg://backoffice:{SECRET}@127.0.0.1:{port}/backoffice"
    app = create_app(config(tmp_path, url))
    with caplog.at_level(logging.WARNING, logger="backoffice.health"):
        response = probe(app)

    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "fail", "queue": "ok"}
    body = response.get_data(as_text=True)
    for detail in (SECRET, str(port), "127.0.0.1", "psycopg", "Error", "connection"):
        assert detail not in body
    assert "the database does not answer" in caplog.text  # the cause is in the log


def test_an_unreachable_task_queue_is_a_503_without_details(
    database_url: str, tmp_path: Path, caplog: Any
) -> None:
    port = closed_port()
    app = create_app(
        config(tmp_path, database_url, TASK_QUEUE=f"redis://:{SECRET}@127.0.0.1:{port}/0")
    )
    with caplog.at_level(logging.WARNING, logger="backoffice.tasks"):
        response = probe(app)

    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "ok", "queue": "fail"}
    body = response.get_data(as_text=True)
    for detail in (SECRET, str(port), "redis", "Error"):
        assert detail not in body
    assert "task queue storage unreachable" in caplog.text
    with app.app_context():
        from backoffice.extensions import db

        db.engine.dispose()
