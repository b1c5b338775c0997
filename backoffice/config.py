"""Configuration read from the environment (12-factor); ``create_app(test_config)`` overrides it."""

from __future__ import annotations

import os


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://``/``postgresql://`` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    # "development" (default), "production" or "testing"
    BACKOFFICE_ENV = os.environ.get("BACKOFFICE_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = (
        normalise_database_url(os.environ["DATABASE_URL"])
        if os.environ.get("DATABASE_URL")
        else None
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Secure cookies unless running the local development server (set in create_app).
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_SECURE: bool | None = None

    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a working day

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")

    # Uploads of member batches (bytes, data rows)
    IMPORT_MAX_BYTES = _int_env("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    IMPORT_MAX_ROWS = _int_env("IMPORT_MAX_ROWS", 200_000)
    # Uploaded files waiting to be checked (member batches); default: instance/uploads
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR")
    # Requests larger than this are refused before they are read (413); the margin leaves room
    # for the form around a file at the import limit, which gets the importer's own message.
    MAX_CONTENT_LENGTH: int | None = None

    # Background tasks (backoffice/tasks.py): "embedded" (SQLite queue under instance/, a worker
    # thread in the web process), "immediate" (run in the caller; tests) or a redis:// URL
    # (run the consumer separately: `make worker`).
    TASK_QUEUE = os.environ.get("TASK_QUEUE", "embedded")
