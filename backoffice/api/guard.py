"""What every call of the API goes through: its bearer token, its rate, its errors."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext
from limits import parse
from werkzeug.exceptions import HTTPException

from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..services import api_tokens
from .problems import API_PREFIX, problem


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def error_message(code: int) -> str:
    """The message of an HTTP error status, the same on the screens' error pages and the API."""
    messages = {
        400: lambda: gettext("The request could not be understood."),
        403: lambda: gettext("You do not have access to this page."),
        404: lambda: gettext("The page or record was not found."),
        405: lambda: gettext("This action is not allowed here."),
        413: lambda: gettext(
            "The file is larger than %(limit)s MB. Split it into smaller files and upload them "
            "one by one.",
            limit=max(1, current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024)),
        ),
        429: lambda: gettext("Too many requests. Please wait a moment and try again."),
    }
    if code in messages:
        return messages[code]()
    if code >= 500:
        return gettext("Something went wrong on our side. The error has been logged.")
    return gettext("The request could not be completed.")


def handle_error(error: HTTPException) -> Any:
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if code == 422 and errors is not None:
        return problem(
            422, gettext("The request could not be understood."), code="invalid", errors=errors
        )
    return problem(code, error_message(code))


def handle_domain_error(error: DomainError) -> Any:
    if isinstance(error, NotFound):
        return problem(404, error_message(404), code="not_found")
    if isinstance(error, Forbidden):
        return problem(403, error.message, code="forbidden")
    return problem(409, error.message, code="refused")


def unauthorized(detail: str) -> Any:
    return problem(
        401, detail, code="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="api"'}
    )


def authenticate() -> Any:
    """Before every call of the API's blueprints: the bearer token, never a cookie."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return unauthorized(gettext("Send an API token: Authorization: Bearer <token>."))
    principal = api_tokens.authenticate(db.session, raw.strip())
    if principal is None:
        db.session.rollback()
        return unauthorized(gettext("The API token is unknown, expired or revoked."))
    db.session.commit()  # last used
    refusal = _rate_limited(principal.api_token_id)
    if refusal is not None:
        return refusal
    g.api_principal = principal
    return None


def _rate_limited(token_id: int) -> Any:
    throttle = current_app.extensions["login_throttle"]
    if not throttle.enabled:
        return None
    item = parse(current_app.config["API_RATE_LIMIT"])
    ids = (throttle.prefix, "api-token", str(token_id))
    if throttle._call("hit", item, *ids):
        return None
    stats = throttle._call("get_window_stats", item, *ids)
    wait = max(1, int(stats.reset_time - time.time()) + 1)
    return problem(429, error_message(429), code="rate_limited", headers={"Retry-After": str(wait)})
