"""Long lists on PostgreSQL: the planner's estimate first, and a searched page bounded in time.

A list the planner expects to be long shows its estimate without reading any ids; a page of a
searched long list that takes longer than ``LIST_SEARCH_TIMEOUT_MS`` is cancelled by the
database and read the other way round (the matching ids by the search's index, then the page
among them), with the same rows. PostgreSQL only: SQLite counts exactly.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from backoffice.services.bulk import seed_bulk
from models import Member

KPJ_CELL = re.compile(r'<td class="col-kpj">\s*(\d{11})')


@pytest.fixture
def bulk(app, session, postgres_only):
    seed_bulk(session, 300, 0, seed=5)
    session.commit()
    with session.get_bind().connect() as conn:
        conn.exec_driver_sql("ANALYZE member")
        conn.commit()


class Recorder:
    def __init__(self, engine, rewrite=None):
        self.engine = engine
        self.rewrite = rewrite
        self.sql: list[str] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.rewrite is not None:
            statement = self.rewrite(statement)
        self.sql.append(statement)
        return statement, parameters

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._before, retval=True)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._before)


def _kpjs(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return KPJ_CELL.findall(response.get_data(as_text=True))


def _probes(sql):
    """The statements that read a list's ids to count it (``SELECT member.id ... LIMIT``)."""
    return [s for s in sql if s.startswith("SELECT member.id AS member_id \nFROM member")]


def test_a_list_expected_to_be_long_is_not_probed(bulk, app, db, login):
    client = login("admin")
    app.config["LIST_EXACT_COUNT_LIMIT"] = 100
    with Recorder(db.engine) as probed:
        body = client.get("/admin/member/").get_data(as_text=True)
    # 340 rows expected, the limit 100: under 10 x 100, so the ids are read and found too many.
    assert _probes(probed.sql) and "estimated-count" in body
    app.config["LIST_ESTIMATE_FIRST_FACTOR"] = 2  # now 340 > 2 x 100: the estimate at once
    with Recorder(db.engine) as estimated:
        body = client.get("/admin/member/").get_data(as_text=True)
    assert not _probes(estimated.sql)
    assert any(s.startswith("EXPLAIN") for s in estimated.sql)
    assert "estimated-count" in body and len(KPJ_CELL.findall(body)) == 20


def test_a_slow_searched_page_is_read_by_ids_with_the_same_rows(bulk, app, db, session, login):
    client = login("admin")
    app.config["LIST_EXACT_COUNT_LIMIT"] = 3
    app.config["LIST_ESTIMATE_FIRST_FACTOR"] = 0  # every list counts as long: no probe first

    def matches(word):
        return session.scalars(
            sa.select(Member.kpj)
            .where(Member.name.ilike(f"%{word}%"))
            .order_by(Member.created_at.desc(), Member.id.desc())
            .limit(20)
        ).all()

    word = max(
        ("siti", "nur", "ahmad", "muhammad", "sri", "dewi", "putri"), key=lambda w: len(matches(w))
    )
    expected = matches(word)
    assert len(expected) > 3
    url = f"/admin/member/?search={word}"
    with Recorder(db.engine) as quick:
        assert _kpjs(client, url) == expected
    assert any("statement_timeout" in s for s in quick.sql)

    # The page statement, made slow inside the database (a one-row join that sleeps), is
    # cancelled by the statement timeout; the list is then read by ids: the same rows.
    app.config["LIST_SEARCH_TIMEOUT_MS"] = 50

    def slow(statement):
        if statement.startswith("SELECT member.id AS member_id, member.kpj") and (
            "ORDER BY" in statement and "ANY" not in statement
        ):
            return statement.replace(
                "\nFROM member", "\nFROM (SELECT pg_sleep(0.5)) AS slow, member", 1
            )
        return statement

    with Recorder(db.engine, rewrite=slow) as slowed:
        assert _kpjs(client, url) == expected
    cancelled = next(i for i, s in enumerate(slowed.sql) if "pg_sleep" in s)
    after = slowed.sql[cancelled + 1 :]
    assert _probes(after), "the ids are read after the cancelled page"
    assert any("= ANY" in s and "ORDER BY" in s for s in after), "then the page among them"
    # The timeout ended with that statement: the next page works as before.
    assert _kpjs(client, url) == expected
    assert _kpjs(client, "/admin/member/?page_size=20")
