"""The short-lived caches of every page (backoffice/caching.py), on SQLite and PostgreSQL: a
menu badge and a filter's options are read once and kept, yet a change the app commits shows on
the next page; a cache that does not answer never breaks a page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backoffice import caching
from backoffice.services import claims as service
from models import Department
from tests.fixtures import claim_world as world
from tests.html_page import get
from tests.steps import done
from tests.test_list_performance import Statements

CLERK, SECOND_CLERK = "petugas.serang", "petugas2.serang"


def badge(page: Any) -> int:
    return int(page.text("claim-count")) if page.has_id("claim-count") else 0


def _badge_statements(statements: Statements) -> list[str]:
    return [sql for sql in statements.sql if "FROM claim" in sql and "count(" in sql.lower()]


def test_a_badge_is_read_once_and_follows_a_committed_change(session, user, login, db):
    second = login(SECOND_CLERK)
    before = badge(get(second, "/admin/"))
    with Statements(db.engine) as statements:
        assert badge(get(second, "/admin/member/")) == before
    assert _badge_statements(statements) == []  # kept: not counted again

    # Another clerk registers a claim: it waits for the second clerk, whose next page says so.
    member = world.paid_member(session, years=4)
    done(session, service.register_claim, user(CLERK), world.jkm_data(member))
    assert badge(get(second, "/admin/member/")) == before + 1


def test_a_filters_options_follow_the_reference_data(session, login):
    admin = login("admin")
    page = get(admin, "/admin/member/")
    assert "Dinas Kelautan Kab. Serang" not in page.html
    serang = session.scalars(select(Department).where(Department.name.like("%Pertanian%"))).one()
    session.add(
        Department(
            name="Dinas Kelautan Kab. Serang",
            regency_id=serang.regency_id,
            office_id=serang.office_id,
            sector=serang.sector,
        )
    )
    session.commit()
    assert "Dinas Kelautan Kab. Serang" in get(admin, "/admin/member/").html


def test_pages_work_when_the_cache_does_not_answer(app, session, login):
    # Redis down (nothing listens on port 1): every value is read afresh, the page is whole.
    from flask_caching import Cache

    broken = Cache()
    broken.init_app(
        app,
        config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    app.extensions["cache"][caching.cache] = app.extensions["cache"][broken]
    clerk = login(CLERK)
    assert get(clerk, "/admin/").has_id("current-user")
    assert get(clerk, "/admin/member/").has_id("current-user")
