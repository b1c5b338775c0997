"""Configuration read from the environment (12-factor); ``create_app(test_config)`` overrides it."""

from __future__ import annotations

import os


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://``/``postgresql://`` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _bool_env(name: str) -> bool | None:
    value = os.environ.get(name)
    return None if not value else value.strip().lower() in ("1", "true", "yes", "on")


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _engine_options() -> dict[str, object]:
    """The database pool of each app process (docs/deployment.md): ``DATABASE_POOL_SIZE``
    connections kept open plus ``DATABASE_MAX_OVERFLOW`` at peaks (SQLAlchemy's 5 and 10 when
    unset), and ``DATABASE_PREPARED_STATEMENTS=off`` behind PgBouncer in transaction pooling,
    where psycopg's server-side prepared statements would meet another server connection."""
    options: dict[str, object] = {"pool_pre_ping": True}
    if os.environ.get("DATABASE_POOL_SIZE"):
        options["pool_size"] = _int_env("DATABASE_POOL_SIZE", 5)
    if os.environ.get("DATABASE_MAX_OVERFLOW"):
        options["max_overflow"] = _int_env("DATABASE_MAX_OVERFLOW", 10)
    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if postgres and _bool_env("DATABASE_PREPARED_STATEMENTS") is False:
        options["connect_args"] = {"prepare_threshold": None}  # psycopg 3: never prepare
    return options


class Config:
    # "development" (default), "production" or "testing"
    BACKOFFICE_ENV = os.environ.get("BACKOFFICE_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # The audit trail's HMAC keys, never stored in the database: "id=secret[,id=secret...]",
    # every key that ever signed an event; AUDIT_KEY_ID signs new ones (default: the last
    # listed). Required in production; elsewhere derived from SECRET_KEY (backoffice/audit_keys.py).
    AUDIT_KEYS = os.environ.get("AUDIT_KEYS")
    AUDIT_KEY_ID = os.environ.get("AUDIT_KEY_ID")
    SQLALCHEMY_DATABASE_URI = (
        normalise_database_url(os.environ["DATABASE_URL"])
        if os.environ.get("DATABASE_URL")
        else None
    )
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options()

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

    # Searches of every list: longer ones are refused with a message, the list unsearched
    # (each distinct number of words would otherwise build and cache statements of its own).
    LIST_SEARCH_MAX_CHARS = _int_env("LIST_SEARCH_MAX_CHARS", 200)
    LIST_SEARCH_MAX_WORDS = _int_env("LIST_SEARCH_MAX_WORDS", 8)

    # Uploads of member batches (bytes, data rows)
    IMPORT_MAX_BYTES = _int_env("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    IMPORT_MAX_ROWS = _int_env("IMPORT_MAX_ROWS", 200_000)
    # A payer's file of contributions is checked and recorded in the request: keep it small.
    PAYER_IMPORT_MAX_BYTES = _int_env("PAYER_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    PAYER_IMPORT_MAX_ROWS = _int_env("PAYER_IMPORT_MAX_ROWS", 1000)
    # How long a checked payer file waits for "record" (seconds).
    PAYER_IMPORT_MAX_AGE = _int_env("PAYER_IMPORT_MAX_AGE", 8 * 3600)
    # Claim documents (PDF/JPEG/PNG), bytes per file
    CLAIM_DOCUMENT_MAX_BYTES = _int_env("CLAIM_DOCUMENT_MAX_BYTES", 5 * 1024 * 1024)
    # Uploaded files waiting to be checked (member batches); default: instance/uploads
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR")
    # Requests larger than this are refused before they are read (413); the margin leaves room
    # for the form around a file at the import limit, which gets the importer's own message.
    MAX_CONTENT_LENGTH: int | None = None

    # Background tasks (backoffice/tasks.py): "embedded" (SQLite queue under instance/, a worker
    # thread in the web process), "immediate" (run in the caller; tests) or a redis:// URL
    # (run the consumer separately: `make worker`).
    TASK_QUEUE = os.environ.get("TASK_QUEUE", "embedded")

    # Login throttling (backoffice/security.py): failed sign-ins per username and per address,
    # as Flask-Limiter rate strings ("N per minute; M per 15 minutes", a moving window). Past a
    # limit the login page answers 429 until the window has passed. RATELIMIT_ENABLED unset:
    # on, except when BACKOFFICE_ENV=testing. The counts live in RATELIMIT_STORAGE_URI:
    # memory:// (per process) or redis://host:6379/1 (shared by every worker: use it when
    # gunicorn runs several).
    RATELIMIT_ENABLED: bool | None = _bool_env("RATELIMIT_ENABLED")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "backoffice")
    # Calls of one API token (/api/v1), a Flask-Limiter rate string, counted in the same storage.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    LOGIN_LIMITS_PER_USERNAME = os.environ.get(
        "LOGIN_LIMITS_PER_USERNAME", "3 per minute; 5 per 15 minutes"
    )
    LOGIN_LIMITS_PER_ADDRESS = os.environ.get(
        "LOGIN_LIMITS_PER_ADDRESS", "10 per minute; 20 per 15 minutes"
    )
    # A throttled username or address is audited once per this period, not at every refusal.
    LOGIN_THROTTLE_AUDIT_EVERY = "1 per 15 minutes"
    # How many proxies (nginx, a load balancer) stand in front of the app and append the client's
    # address to X-Forwarded-For. 0: the connection's address is the client's (never trust the
    # header when clients can reach the app directly). Audit trail and login throttling use it.
    TRUSTED_PROXIES = _int_env("TRUSTED_PROXIES", 0)

    # Short-lived caches (backoffice/caching.py: menu badges, filter options): "SimpleCache"
    # per process, or "RedisCache" with CACHE_REDIS_URL=redis://host:6379/2 shared by every
    # worker (a change in one is seen at once by all). Every value has its own timeout.
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL")
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "backoffice:")
    CACHE_DEFAULT_TIMEOUT = 0
    CACHE_THRESHOLD = _int_env("CACHE_THRESHOLD", 20_000)

    # Notifications by email (backoffice/services/notifications.py), over SMTP: README,
    # docs/deployment.md. MAIL_BACKEND=locmem|console|file|smtp is Flask-Mailman's.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int_env("MAIL_PORT", 25)
    MAIL_USE_TLS = bool(_bool_env("MAIL_USE_TLS"))
    MAIL_USE_SSL = bool(_bool_env("MAIL_USE_SSL"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "BPJS Ketenagakerjaan Banten <noreply@localhost>"
    )
    MAIL_TIMEOUT = _int_env("MAIL_TIMEOUT", 30)
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    # Attempts after the first, and seconds between them, before a message is dead.
    MAIL_RETRIES = _int_env("MAIL_RETRIES", 3)
    NOTIFY_RETRY_DELAY = _int_env("NOTIFY_RETRY_DELAY", 300)
    # The address users open the back-office at: the links in emails start with it.
    BACKOFFICE_URL = os.environ.get("BACKOFFICE_URL", "http://localhost:5000")
    # Members' reminders: "log" (default), "file:/path/to/outbox.jsonl" or an https:// URL of
    # the SMS/WhatsApp provider (POST JSON {"to", "text"}, MEMBER_GATEWAY_TOKEN as Bearer).
    MEMBER_GATEWAY = os.environ.get("MEMBER_GATEWAY", "log")
    MEMBER_GATEWAY_TOKEN = os.environ.get("MEMBER_GATEWAY_TOKEN")
    # How many days before the 15th the contribution reminder goes out.
    REMINDER_DAYS_BEFORE = _int_env("REMINDER_DAYS_BEFORE", 3)
