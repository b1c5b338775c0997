"""One unit of work per request, command or task (SQLite and PostgreSQL): committed when the
work ends, rolled back when it raises; what is not in the database follows the transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from backoffice.transaction import after_commit, after_rollback, unit_of_work
from models import User


def _name(session) -> str:
    return session.scalar(select(User.full_name).where(User.username == "admin"))


def _rename(session, name: str) -> None:
    session.execute(update(User).where(User.username == "admin").values(full_name=name))


def test_the_work_is_committed_and_the_hooks_of_a_commit_run(session):
    ran: list[str] = []
    with unit_of_work(session):
        _rename(session, "Admin Baru")
        after_commit(session, lambda: ran.append("commit"))
        after_rollback(session, lambda: ran.append("rollback"))
    assert ran == ["commit"]
    session.rollback()  # nothing left to undo
    assert _name(session) == "Admin Baru" and ran == ["commit"]


def test_a_failure_rolls_back_runs_the_rollback_hooks_and_then_what_it_must_leave(session):
    before = _name(session)
    ran: list[str] = []

    def record_the_failure() -> None:
        ran.append("on failure")
        _rename(session, "Gagal")

    with pytest.raises(RuntimeError, match="disk full"):
        with unit_of_work(session, on_failure=record_the_failure):
            _rename(session, "Setengah Jalan")
            after_commit(session, lambda: ran.append("commit"))
            after_rollback(session, lambda: ran.append("rollback"))
            raise RuntimeError("disk full")
    assert ran == ["rollback", "on failure"]
    session.rollback()
    assert _name(session) == "Gagal" != before


def test_a_transaction_ended_without_a_commit_runs_the_rollback_hooks(session):
    ran: list[str] = []
    _rename(session, "Tidak Jadi")
    after_rollback(session, lambda: ran.append("rollback"))
    session.close()  # as at the end of a request that never committed
    assert ran == ["rollback"]
