"""Security hardening: login throttling, response headers, a password change the admin forced.

- **Login throttling** (Flask-Limiter's storage and moving-window strategy): failed sign-ins are
  counted per username and per address. ``LOGIN_LIMITS_PER_USERNAME`` (default
  ``3 per minute; 5 per 15 minutes``: slowed after three failures, then refused for a while) and
  ``LOGIN_LIMITS_PER_ADDRESS`` (``10 per minute; 20 per 15 minutes``). Only failures count; while
  a limit is reached every attempt, even with the right password, answers 429. The counts live in
  ``RATELIMIT_STORAGE_URI`` (``memory://``: per process; ``redis://...`` shared by every worker).
- **Headers** on every response: a Content-Security-Policy whose scripts need the request's nonce
  (Flask-Admin renders it on its tags), no framing, no MIME sniffing, same-origin referrers, no
  caching of signed-in pages.
- **Forced password change**: a user the administrator flagged reaches only the password change
  page (and sign-out and the language switch) until the password is changed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from .labels import ACTION_LABELS

log = logging.getLogger(__name__)

# Endpoints a user who must change their password may still use.
OPEN_DURING_PASSWORD_CHANGE = frozenset(
    {"auth.change_password", "auth.logout", "auth.language", "static", "admin.static"}
)
STATIC_ENDPOINTS = frozenset({"static", "admin.static"})

# How the audit trail names the security events (the audit view shows these labels).
ACTION_LABELS.update(
    {
        "login": _l("signed in"),
        "logout": _l("signed out"),
        "login_failed": _l("sign-in failed"),
        "login_throttled": _l("sign-in refused: too many failed attempts"),
        "password_change": _l("password changed"),
        "password_set": _l("password set by the administrator"),
        "password_reset_forced": _l("password change required at next sign-in"),
    }
)


def _sha256_source(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def inline_handler_hashes(app: Flask) -> str:
    """CSP hashes of the inline event handlers Flask-Admin 2.2 renders, and of nothing else.

    Its filter menu items carry ``onclick="return false;"`` and its bulk-action menu items
    ``onclick="return modelActions.execute('NAME');"`` (admin/model/layout.html,
    admin/actions.html). The browser runs an inline handler only when its exact text has one of
    these hashes (``'unsafe-hashes'``), so an injected handler still does not run.
    """
    cached = app.extensions.get("csp_handler_hashes")
    if cached is None:
        handlers = {"return false;"}
        for admin in app.extensions.get("admin", []):
            for view in admin._views:
                for name, _text in getattr(view, "_actions", None) or []:
                    handlers.add(f"return modelActions.execute('{name}');")
        cached = " ".join(sorted(_sha256_source(code) for code in handlers))
        app.extensions["csp_handler_hashes"] = cached
    return cached


def content_security_policy(nonce: str, handler_hashes: str = "") -> str:
    return "; ".join(
        [
            "default-src 'self'",
            # Scripts only from this site and carrying this response's nonce: an injected
            # <script> or inline handler does not run; Flask-Admin's few inline handlers are
            # allowed by their exact hashes.
            f"script-src 'self' 'nonce-{nonce}' 'unsafe-hashes' {handler_hashes}".rstrip(),
            f"style-src 'self' 'nonce-{nonce}'",
            # Flask-Admin's widgets (select2, date picker) set style attributes.
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _security_headers(response: Any) -> Any:
    headers = response.headers
    policy = content_security_policy(csp_nonce(), inline_handler_hashes(current_app))
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["BACKOFFICE_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Signed in: the session names a user (read without loading it: no query on any response).
    if request.endpoint not in STATIC_ENDPOINTS and "_user_id" in session:
        # Personal data (NIK, accounts) must not stay in a shared computer's cache.
        response.cache_control.no_store = True
        response.cache_control.max_age = None
        response.cache_control.public = False
        response.cache_control.private = True
    return response


def _require_password_change() -> Any:
    if request.endpoint in OPEN_DURING_PASSWORD_CHANGE or request.endpoint is None:
        return None
    if request.path.startswith("/api/"):  # the API never reads the session cookie
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash(gettext("Please choose a new password before you continue."), "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.change_password", next=target))
    return None


@dataclass(frozen=True)
class Refusal:
    """A sign-in refused by the throttle: for how long, and whether by username or address."""

    username: str
    ip: str
    seconds: int
    by: tuple[str, ...]


class LoginThrottle:
    """Counts failed sign-ins per username and per address in the limiter's storage."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        self.enabled = bool(config["RATELIMIT_ENABLED"])
        self.per_username = parse_many(config["LOGIN_LIMITS_PER_USERNAME"])
        self.per_address = parse_many(config["LOGIN_LIMITS_PER_ADDRESS"])
        self.audit_once = parse(config["LOGIN_THROTTLE_AUDIT_EVERY"])
        self.prefix = config["RATELIMIT_KEY_PREFIX"]
        self.limiter = Limiter(
            get_remote_address,
            app=app,
            storage_uri=config["RATELIMIT_STORAGE_URI"],
            strategy="moving-window",
            key_prefix=config["RATELIMIT_KEY_PREFIX"],
            enabled=self.enabled,
        )
        # Counting goes on in this process while the shared storage (Redis) does not answer.
        self.fallback = MovingWindowRateLimiter(MemoryStorage())
        if (
            self.enabled
            and config["BACKOFFICE_ENV"] == "production"
            and config["RATELIMIT_STORAGE_URI"].startswith("memory")
        ):
            log.warning(
                "Login throttling counts per process (RATELIMIT_STORAGE_URI=memory://); "
                "set RATELIMIT_STORAGE_URI=redis://... when several workers serve the app."
            )

    def _call(self, method: str, *args: Any) -> Any:
        strategy: RateLimiter = self.limiter.limiter
        try:
            return getattr(strategy, method)(*args)
        except Exception as exc:  # the storage is down: lock nobody out, keep counting
            log.warning("Rate-limit storage failed (%s); counting in this process meanwhile", exc)
            return getattr(self.fallback, method)(*args)

    def _keys(self, username: str, ip: str) -> list[tuple[str, RateLimitItem, tuple[str, ...]]]:
        name = (username or "").strip().lower()[:64]
        return [
            ("username", item, (self.prefix, "login-username", name)) for item in self.per_username
        ] + [("address", item, (self.prefix, "login-address", ip)) for item in self.per_address]

    def check(self, username: str, ip: str) -> Refusal | None:
        """Whether this username may try to sign in from this address now."""
        if not self.enabled:
            return None
        waits: dict[str, int] = {}
        for kind, item, ids in self._keys(username, ip):
            if not self._call("test", item, *ids):
                stats = self._call("get_window_stats", item, *ids)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                waits[kind] = max(wait, waits.get(kind, 0))
        if not waits:
            return None
        return Refusal(username=username, ip=ip, seconds=max(waits.values()), by=tuple(waits))

    def failed(self, username: str, ip: str) -> None:
        if self.enabled:
            for _kind, item, ids in self._keys(username, ip):
                self._call("hit", item, *ids)

    def succeeded(self, username: str) -> None:
        """A right password clears the username's failures (not the address's)."""
        if self.enabled:
            for kind, item, ids in self._keys(username, ""):
                if kind == "username":
                    self._call("clear", item, *ids)

    def first_refusal(self, refusal: Refusal) -> bool:
        """True once per ``LOGIN_THROTTLE_AUDIT_EVERY`` and throttled username or address.

        A refusal is audited, its repetitions are not: an attack from one address trying many
        usernames, or from many addresses on one username, writes one event per period.
        """
        values = {"username": (refusal.username or "").strip().lower()[:64], "address": refusal.ip}
        first = False
        for kind in refusal.by:
            ids = (self.prefix, "login-throttled", kind, values[kind])
            first = bool(self._call("hit", self.audit_once, *ids)) or first
        return first

    def reset(self) -> None:
        """Forget every count (tests, or an operator after an incident)."""
        if self.enabled:
            self.limiter.reset()
        self.fallback = MovingWindowRateLimiter(MemoryStorage())


def login_throttle() -> LoginThrottle:
    return current_app.extensions["login_throttle"]


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return gettext(
        "Too many failed sign-in attempts for this account or from this computer. For your "
        "security, signing in is blocked for a while: try again in %(minutes)s minute(s). Forgot "
        "your password? Ask the administrator to reset it.",
        minutes=minutes,
    )


def init_security(app: Flask) -> None:
    if app.config.get("RATELIMIT_ENABLED") is None:
        # Tests sign in hundreds of times from one address; the throttling tests enable it.
        app.config["RATELIMIT_ENABLED"] = app.config["BACKOFFICE_ENV"] != "testing"
    app.extensions["login_throttle"] = LoginThrottle(app)
    app.before_request(_require_password_change)
    app.after_request(_security_headers)


__all__ = [
    "LoginThrottle",
    "Refusal",
    "content_security_policy",
    "inline_handler_hashes",
    "init_security",
    "login_throttle",
    "wait_message",
]


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only local paths: ``/admin/...``, never ``//host`` or ``http://host``."""
    default = default or url_for("admin.index")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def csp_nonce() -> str:
    """One nonce per request, shared by every tag Flask-Admin renders."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce
