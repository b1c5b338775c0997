"""BPJS Ketenagakerjaan back-office: the application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, redirect, render_template, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from models import User
from views import init_admin

from . import audit_keys, caching, cli, tasks
from .api import error_message, init_api, is_api_request, problem
from .auth import bp as auth_bp
from .auth.forms import LanguageForm, LogoutForm
from .config import Config
from .extensions import babel, csrf, db, login_manager, mail, migrate
from .health import bp as health_bp
from .i18n import format_date, format_number, format_rupiah, select_locale
from .labels import action_label, label, state_label
from .listing.names import register_sqlite
from .security import init_security
from .services import notifications
from .tasks import init_tasks

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    """The app refuses to start: the message says what to set."""


def _secret_key(app: Flask) -> str:
    """Production must set SECRET_KEY; elsewhere a random key is kept under instance/."""
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    if app.config["BACKOFFICE_ENV"] == "production":
        raise ConfigurationError(
            "SECRET_KEY must be set in production (BACKOFFICE_ENV=production): sessions and CSRF "
            "tokens are signed with it, and every worker must share it. Set it in the "
            "environment to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`. The back-office did not "
            "start."
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Readers go on while the task queue writes a large batch in one transaction (the
        # rollback journal would lock them out); writers wait for each other instead of failing.
        cursor.execute("PRAGMA busy_timeout=30000")
        # Name searches (PostgreSQL reads a table of name words instead).
        register_sqlite(dbapi_connection)
        if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance_path = (
        (test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("BACKOFFICE_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance")
    )
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = app.config["IMPORT_MAX_BYTES"] + 1024 * 1024
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "backoffice.sqlite3"
        )
    app.config["SECRET_KEY"] = _secret_key(app)
    if app.config["BACKOFFICE_ENV"] == "production" and app.debug:
        # The debugger shows stack traces and runs code typed in the browser.
        raise ConfigurationError(
            "Debug mode (FLASK_DEBUG) must be off in production (BACKOFFICE_ENV=production). "
            "The back-office did not start."
        )
    try:
        audit_keys.init_app(app)
    except audit_keys.AuditKeyError as exc:
        raise ConfigurationError(str(exc)) from None
    secure = app.config["BACKOFFICE_ENV"] == "production" and not app.debug
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = secure

    if app.config["TRUSTED_PROXIES"]:
        # The client's address from X-Forwarded-For, as appended by our own proxies only.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]

    _init_extensions(app)

    init_security(app)

    init_tasks(app)

    init_api(app)

    app.register_blueprint(auth_bp)
    app.register_blueprint(health_bp)
    # Browsers ask for /favicon.ico on pages without the layout's icon link (a PDF, a 404).
    app.add_url_rule(
        "/favicon.ico",
        "favicon",
        lambda: redirect(url_for("static", filename="favicon.svg"), code=301),
    )

    init_admin(app)

    cli.init_app(app)
    _register_template_helpers(app)
    _register_error_pages(app)
    return app


def _init_extensions(app: Flask) -> None:

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    caching.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # The id carries a session version: a logout or password change voids old sessions.
        try:
            pk, version = (int(part) for part in user_id.split(":", 1))
        except ValueError:
            return None
        user = db.session.get(User, pk)
        if user is None or not user.active or user.session_version != version:
            return None
        return user


def _register_template_helpers(app: Flask) -> None:

    app.jinja_env.filters.update(
        rupiah=format_rupiah,
        tanggal=format_date,
        angka=format_number,
        label=label,
        action_label=action_label,
        state_label=state_label,
    )

    @app.context_processor
    def _inject() -> dict[str, Any]:

        return {
            "current_locale": str(get_locale() or "id"),
            # Never read the request body here: an error page (413) renders through this too.
            "language_form": LanguageForm(formdata=None),
            "logout_form": LogoutForm(formdata=None),
            # The bell: one indexed count, only on the pages that show it.
            "unread_notifications": _unread_notifications,
        }


def _unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0
    return caching.remembered(
        "unread",
        caching.WORK,
        (current_user.id,),
        lambda: notifications.unread_count(db.session, current_user),
        caching.BADGE_SECONDS,
    )


def _register_error_pages(app: Flask) -> None:
    def render(code: int, message: str | None = None) -> Any:
        message = message or error_message(code)
        if is_api_request():  # a URL under /api/v1 that no endpoint answers
            return problem(code, message)
        return render_template("error.html", code=code, message=message), code

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(HTTPException)
    def _other_http_error(e: HTTPException) -> Any:
        # Every other error status gets the same page (never Werkzeug's own).
        if e.code is None or e.code < 400:
            return e
        return render(e.code)

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError) -> Any:
        return render(
            400,
            gettext("The form expired or was sent twice. Please reload the page and try again."),
        )

    @app.errorhandler(500)
    def _server_error(e: Exception) -> Any:
        # Only a fixed message: no exception text, stack trace or SQL (they go to the log).

        try:
            db.session.rollback()
            return render(500)
        except Exception:
            # The page itself needs the database (the signed-in user, their language): when
            # the database is what failed, answer with a page that needs nothing.
            app.logger.exception("The error page could not be rendered")
            return _bare_error_page(), 500


_BARE_ERROR_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Terjadi kesalahan</title></head>
<body style="font-family: sans-serif; margin: 3rem;">
<h1>Terjadi kesalahan</h1>
<p>Terjadi kesalahan pada sistem. Kesalahan sudah dicatat. Silakan coba lagi dalam beberapa
saat.</p>
<p lang="en">Something went wrong on our side and has been logged. Please try again in a
moment.</p>
<p><a href="/">Beranda / Home</a></p>
</body></html>
"""


def _bare_error_page() -> Any:

    response = Response(_BARE_ERROR_PAGE, status=500, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["create_app"]


# The consumer process (huey_consumer backoffice.tasks.huey) builds its app with this factory:
# the package registers it so that the task module needs nothing above it.
tasks.use_app_factory(create_app)
