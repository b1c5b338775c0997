"""One unit of work per request, command or task: services change and flush, the caller commits.

``unit_of_work(session)`` is how every caller (a view's POST handler, a CLI command, a huey task)
ends its work: committed when the block ends, rolled back when it raises. What is not in the
database (a stored upload, a file to remove) follows the transaction through ``after_commit``
and ``after_rollback``: a service registers it, the caller's commit or rollback runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)

_HOOKS = "backoffice.transaction.hooks"


@contextmanager
def unit_of_work(
    session: Session | scoped_session, *, on_failure: Callable[[], Any] | None = None
) -> Iterator[None]:
    """Commit when the block ends normally, roll back when it or the commit raises (and
    re-raise).

    ``on_failure`` runs after the rollback, in a unit of work of its own: what a failure must
    leave behind (a batch marked failed) is committed although the work itself was not.
    """
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        if on_failure is not None:
            with unit_of_work(session):
                on_failure()
        raise


def after_commit(session: Session | scoped_session, hook: Callable[[], Any]) -> None:
    """Run ``hook`` once the session's transaction is committed (never if it is not)."""
    _hooks(session)["commit"].append(hook)


def after_rollback(session: Session | scoped_session, hook: Callable[[], Any]) -> None:
    """Run ``hook`` if the session's transaction ends without a commit."""
    _hooks(session)["rollback"].append(hook)


def _hooks(session: Session | scoped_session) -> dict[str, list[Callable[[], Any]]]:
    real = session() if isinstance(session, scoped_session) else session
    hooks = real.info.get(_HOOKS)
    if hooks is None:
        hooks = real.info[_HOOKS] = {"commit": [], "rollback": []}
        event.listen(real, "after_commit", _committed)
        event.listen(real, "after_transaction_end", _ended)
    return hooks


def _run(session: Session, which: str) -> None:
    hooks = session.info[_HOOKS]
    due = hooks[which]
    hooks["commit"], hooks["rollback"] = [], []
    for hook in due:
        try:
            hook()
        except Exception:  # the transaction is over: a hook's failure cannot undo it
            log.exception("A hook after the %s failed", which)


def _committed(session: Session) -> None:
    _run(session, "commit")


def _ended(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended; after a commit its hooks already ran (and were cleared).
    if transaction.parent is None:
        _run(session, "rollback")
