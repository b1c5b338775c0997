"""What every page shows but seldom changes, read once and kept briefly (Flask-Caching).

Every page shows the menu badges (claims, batches, proposals, corrections waiting for the user,
unread notifications) and a list page the options of its filters (the offices, departments,
sectors and regencies in the user's scope). Each is a query, on every page, for a figure that
changes a few times an hour. ``remembered`` keeps such a value in the cache (``CACHE_TYPE``:
``SimpleCache`` per process by default, ``RedisCache`` shared by every worker in production)
for a short time, and in the request (``g``) so that a page asking twice reads once.

Nothing stale is shown after a change the app makes: each value is cached under a *generation*
of what it depends on (``WORK``: the queues; ``REFERENCE``: the reference data and users), and a
commit that wrote one of those tables starts a new generation (the session events below), so
the next page reads afresh. With the default per-process cache another worker process notices
at the latest after the value's timeout (30 s for a badge); with Redis at once. A table written
outside the ORM session (a bulk load, a trigger) is noticed after the timeout.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from flask import current_app, g, has_app_context, has_request_context
from flask_caching import Cache
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")

cache = Cache()

#: The tables the menu badges count (and whose changes move an item between queues): the items,
#: the users and offices (a role or an office changes a scope), the approval limits.
WORK = "work"
#: The tables of the filters' options: offices, departments, sectors, regencies, users.
REFERENCE = "reference"

DEPENDS: dict[str, frozenset[str]] = {
    WORK: frozenset(
        {
            "claim",
            "member_batch",
            "office_proposal",
            "member_correction",
            "notification",
            "benefit_parameter",
            "user_account",
            "office",
            "department",
        }
    ),
    REFERENCE: frozenset(
        {
            "office",
            "department",
            "region",
            "regency",
            "kemendagri_regency",
            "sector",
            "user_account",
        }
    ),
}

#: How long a badge and a filter's options are kept, in seconds.
BADGE_SECONDS = 30
OPTIONS_SECONDS = 300

_CHANGED = "cache_changed_tables"


def init_app(app: Any) -> None:
    cache.init_app(app)


def generation(kind: str) -> int:
    """The current generation of ``kind`` (read once per request)."""
    memo = _request_memo()
    key = ("generation", kind)
    if memo is not None and key in memo:
        return memo[key]
    value = cache.get(f"generation:{kind}")
    if value is None:
        _start(kind)
        value = cache.get(f"generation:{kind}")
    if memo is not None:
        memo[key] = value
    return int(value or 0)


def remembered(
    name: str, kind: str, parts: Iterable[Hashable], compute: Callable[[], T], timeout: int
) -> T:
    """``compute()``, kept ``timeout`` seconds under ``name``, ``parts`` (whatever the value
    depends on besides ``kind``'s tables: the user, the language) and ``kind``'s generation."""
    try:
        key = ":".join([name, str(generation(kind)), *(str(part) for part in parts)])
    except Exception:  # no cache (Redis down): the page reads afresh, it still works
        current_app.logger.exception("caching: the cache does not answer")
        return compute()
    memo = _request_memo()
    if memo is not None and key in memo:
        return memo[key]
    value = cache.get(key)
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=timeout)
        except Exception:
            current_app.logger.exception("caching: could not keep %s", name)
    if memo is not None:
        memo[key] = value
    return value


def per_user(name: str, kind: str = WORK, timeout: int = BADGE_SECONDS) -> Callable[..., Any]:
    """A function of no arguments that reads for the signed-in user (a menu badge's count),
    ``remembered`` per user."""

    def decorate(read: Callable[[], T]) -> Callable[[], T]:
        @functools.wraps(read)
        def remembered_read() -> T:
            if not current_user.is_authenticated:
                return read()
            return remembered(name, kind, (current_user.id,), read, timeout)

        return remembered_read

    return decorate


def _request_memo() -> dict[Any, Any] | None:
    if not has_request_context():
        return None
    if "cache_memo" not in g:
        g.cache_memo = {}
    return g.cache_memo


def _start(kind: str) -> None:
    """A new cache (or one that dropped the key) starts ``kind`` at a generation no earlier
    value was cached under, never 0 again (``add``: a concurrent start wins, once)."""
    cache.add(f"generation:{kind}", secrets.randbits(62), timeout=0)


def _new_generation(kinds: set[str]) -> None:
    for kind in kinds:
        if cache.get(f"generation:{kind}") is None:
            _start(kind)
        else:
            cache.cache.inc(f"generation:{kind}")
    if has_request_context():
        g.pop("cache_memo", None)


# --- what a commit wrote -------------------------------------------------------------------


def _note(session: Session, tables: Iterable[str]) -> None:
    session.info.setdefault(_CHANGED, set()).update(tables)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    _note(session, {obj.__table__.name for obj in changed if hasattr(obj, "__table__")})


@event.listens_for(Session, "do_orm_execute")
def _orm_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and getattr(table, "name", None):
            _note(state.session, {table.name})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    tables = session.info.pop(_CHANGED, set())
    if not tables or not has_app_context() or "cache" not in current_app.extensions:
        return
    kinds = {kind for kind, depends in DEPENDS.items() if tables & depends}
    if kinds:
        try:
            _new_generation(kinds)
        except Exception:  # the commit stands whatever the cache does
            current_app.logger.exception("caching: could not start a new generation of %s", kinds)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
