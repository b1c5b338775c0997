"""Long lists on PostgreSQL: the planner's estimate first.

A list the planner expects to be long shows its estimate without reading any ids. (A searched
page bounded in time: tests/test_name_search.py.) PostgreSQL only: SQLite counts exactly.
"""

from __future__ import annotations

import re

import pytest

from backoffice.seed.bulk import seed_bulk
from tests.sql_recorder import Recorder

KPJ_CELL = re.compile(r'<td class="col-kpj">\s*(\d{11})')


@pytest.fixture
def bulk(app, session, postgres_only):
    seed_bulk(session, 300, 0, seed=5)
    session.commit()
    with session.get_bind().connect() as conn:
        conn.exec_driver_sql("ANALYZE member")
        conn.commit()


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
