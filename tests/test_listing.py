"""The list engine on its own (backoffice.listing): a session and a ``select()`` in, a page out,
without a screen; and the name rule asked in Python and in SQL alike. On SQLite and PostgreSQL.

The screens' use of it (statements per page, estimates, far pages, searches routed by the term,
the walks of name searches) is tested through the screens in tests/test_list_performance.py,
tests/test_list_estimates.py and tests/test_name_search.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from backoffice.listing import names
from backoffice.listing.counts import Count
from backoffice.listing.pages import FAR_PAGE, Limits, ListQuery, read_page
from backoffice.listing.search import NameSearch, apply_search
from backoffice.listing.words import WordIndex
from models import Member, Office
from models.words import member_name_pair, member_name_word

NAMES = [
    "AHMAD RAMADHAN",
    "Siti Nur'aini",
    "M. Yusuf Al-Hakim, S.Pd.",
    "Nur Nur Hidayah",
    "JOSÉ Müller",
    "Abdul_Rahman (Alm.)",
    "R.A. Kartini/Soedjono",
    "0812 Budi 2",
]
SEARCHES = ["ahmad", "ramad", "hmad", "nur", "aini", "m", "mu", "müll", "josé", "_", "a", "0812"]
NEWEST_FIRST = (Member.created_at.desc(), Member.id.desc())


def _members(*where: sa.ColumnElement[bool]) -> ListQuery:
    """The members list (``where``: its scope), newest first, as a screen would give it."""
    rows = sa.select(Member).where(*where)
    count = sa.select(sa.func.count()).select_from(Member).where(*where)
    return ListQuery(
        Member,
        rows,
        count,
        base=rows,
        order=lambda statement: statement.order_by(*NEWEST_FIRST),
        word_index=WordIndex(
            member_name_word, key="created_at", id="member_id", pairs=member_name_pair
        ),
        name_text=lambda: Member.name,
        default_order=("created_at", True),
    )


def _ids(session, *where):
    return session.scalars(sa.select(Member.id).where(*where).order_by(*NEWEST_FIRST)).all()


@pytest.mark.parametrize("search", SEARCHES)
def test_the_name_rule_is_the_same_in_python_and_in_sql(session, backend, search):
    terms = names.search_terms(search)
    for name in NAMES:
        text = sa.literal(name, sa.Text)
        if backend == "sqlite":
            condition = names.sqlite_condition(text, search)
        else:  # each typed word in the name as PostgreSQL's name_words splits it
            condition = sa.and_(sa.true(), *(names.name_has(text, t) for t in terms))
        in_sql = bool(session.scalar(sa.select(condition))) and bool(terms)
        assert in_sql == names.matches(name, terms), (name, search)


def test_a_list_is_counted_and_paged_by_its_order(session):
    serang = Member.office_id == session.scalar(sa.select(Office.id).where(Office.code == "B01"))
    query = _members(serang)
    expected = _ids(session, serang)
    assert len(expected) > 4
    first = read_page(session, query, page=0, page_size=3)
    second = read_page(session, query, page=1, page_size=3)
    assert [m.id for m in first.rows] + [m.id for m in second.rows] == expected[:6]
    assert first.count.rows == len(expected) and not first.count.estimated
    assert (first.page, first.notice) == (0, None)
    # Not executed (an export): the statement reading every row, in the list's order.
    every = read_page(session, query, page=0, page_size=0, execute=False)
    assert [m.id for m in session.scalars(every.rows)] == expected


def test_a_far_page_is_the_last_allowed_with_a_notice(session):
    query = _members()
    page = read_page(session, query, page=50, page_size=5, limits=Limits(max_offset=10))
    assert (page.page, page.notice) == (2, FAR_PAGE)
    assert [m.id for m in page.rows] == _ids(session)[10:15]


def test_a_long_list_shows_an_estimate_on_postgresql(session, backend):
    total = session.scalar(sa.select(sa.func.count()).select_from(Member))
    page = read_page(session, _members(), page=0, page_size=5, limits=Limits(exact_count=5))
    assert len(page.rows) == 5
    if backend == "postgresql":
        assert page.count.estimated
    else:
        assert page.count == Count(total)


@pytest.mark.parametrize("search", ["nur", "siti", "ramad ahmad", "zzz", "%"])
@pytest.mark.parametrize("candidates", [500, 1])
def test_a_name_search_finds_the_rows_the_rule_selects(session, search, candidates):
    members = session.scalars(sa.select(Member).order_by(Member.id).limit(len(NAMES))).all()
    for member, name in zip(members, NAMES, strict=True):
        member.name = name
    session.commit()
    query = _members()
    rows, count, pending = apply_search(
        session, NameSearch(search), query.rows, query.count, query.name_text
    )
    query = replace(query, rows=rows, count=count)
    page = read_page(
        session,
        query,
        page=0,
        page_size=100,
        searched=True,
        names=pending,
        limits=Limits(word_candidates=candidates),
    )
    terms = names.search_terms(search)
    everyone = session.execute(sa.select(Member.id, Member.name).order_by(*NEWEST_FIRST)).all()
    expected = [i for i, name in everyone if names.matches(name, terms)]
    assert sorted(m.id for m in page.rows) == sorted(expected)
    assert page.count.rows == len(expected) and not page.count.estimated
