"""``/healthz``: can this app server serve? For load balancers, systemd and monitoring.

It checks what every request needs: the database (``SELECT 1`` on a pooled connection) and the
task queue storage (``tasks.queue_ok()``). The answer is JSON, 200 when both answer and 503
otherwise::

    {"status": "ok", "database": "ok", "queue": "ok"}
    {"status": "fail", "database": "fail", "queue": "ok"}

No authentication (a load balancer has no account) and so nothing secret in the body: no error
text, host names or URLs; the error itself goes to the log. It reads no form (CSRF-exempt, GET
only) and leaves the session alone, so a probe never gets a cookie.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from . import tasks
from .extensions import csrf, db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)
csrf.exempt(bp)


def database_ok() -> bool:
    """Does the database answer? (never raises; the error is logged)"""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        log.warning("health check: the database does not answer", exc_info=True)
        return False
    return True


@bp.get("/healthz")
def healthz() -> Response:
    checks = {"database": database_ok(), "queue": tasks.queue_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "fail",
        **{name: "ok" if ok else "fail" for name, ok in checks.items()},
    }
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
