"""The API of department and branch systems, ``/api/v1`` (flask-smorest).

The OpenAPI 3 document is generated from the code (``/api/v1/openapi.json``) and browsable with
Swagger UI (``/api/v1/docs``, its files served from the app's own static folder so that the
Content-Security-Policy holds: no inline script, no CDN). Every call carries
``Authorization: Bearer <token>``: the token's identity (``authz.ApiPrincipal``) is scoped like
the liaison's (or the clerk's) screens; cookies are never read, so the blueprints are
CSRF-exempt. Each token's calls are rate-limited (``API_RATE_LIMIT``, Flask-Limiter's storage);
errors are ``application/problem+json`` in the language of ``Accept-Language``.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from ..extensions import csrf
from .guard import error_message, handle_domain_error, handle_error, is_api_request
from .problems import API_PREFIX, problem
from .routes import BLUEPRINTS


class BackofficeApi(Api):
    """flask-smorest's Api without its app-wide error handler: the screens keep their pages,
    the API's blueprints answer problem+json (``guard.handle_error``)."""

    def _register_error_handlers(self) -> None:
        return None


def init_api(app: Flask) -> BackofficeApi:
    config = app.config
    config.setdefault("API_TITLE", "BPJS Ketenagakerjaan back-office API")
    config.setdefault("API_VERSION", "1")
    config.setdefault("OPENAPI_VERSION", "3.0.3")
    config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    config.setdefault(
        "OPENAPI_SWAGGER_UI_URL", (app.static_url_path or "/static") + "/vendor/swagger-ui/"
    )
    config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Member batches, members and payers' contributions for the "
                "systems of departments (dinas) and branch offices. Authenticate with "
                "`Authorization: Bearer <token>` (a token from the back-office's API tokens "
                "screen). Errors are application/problem+json (RFC 9457)."
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    api = BackofficeApi(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    return api


__all__ = [
    "error_message",
    "handle_domain_error",
    "handle_error",
    "init_api",
    "is_api_request",
    "problem",
]
