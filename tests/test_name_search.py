"""Name searches (backoffice.listing.names): every typed word begins a word of the name, a short
one is a whole word, in any order and case; on SQLite and PostgreSQL alike.

On PostgreSQL they read the tables of name words that triggers keep (migration 0012): these
tests check the triggers against the Python rule, and each way a list is read from them (all
candidates when the leading word is rare, a walk in the list's order when it is common, the
list's usual path when the walk takes too long) against the rows the rule selects, in order,
in the user's scope.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from backoffice.listing import names, words
from backoffice.seed.bulk import seed_bulk
from models import Claim, Member, Office
from tests.sql_recorder import Recorder
from tests.steps import export_rows
from views.members import MemberView

KPJ_CELL = re.compile(r'<td class="col-kpj">\s*(\d{11})')
CLAIM_CELL = re.compile(r'<td class="col-id">\s*(J[KH][KMT]-\d{6})')
COUNT = re.compile(r'class="nav-link active">[^<(]*(?:\((.*?)\))?</a>', re.S)

NAMES = {
    "ahmad": "AHMAD RAMADHAN",
    "ahmadi": "Ahmadi Ramadhani",
    "siti": "Siti Nur'aini",
    "yusuf": "M. Yusuf Al-Hakim",
    "muhammad": "Muhammad Ramadhan Putra",
    "dewi": "Dewi  Sartika",
    "nur": "Nur Nuraini Ramadhan",
}


@pytest.fixture
def people(app, session):
    """Demo-data members renamed to names that exercise the rule: {key: KPJ}."""
    seed_bulk(session, 120, 60, seed=3)
    members = session.scalars(sa.select(Member).order_by(Member.id).limit(len(NAMES))).all()
    for member, name in zip(members, NAMES.values(), strict=True):
        member.name = name
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        with session.get_bind().connect() as conn:
            conn.exec_driver_sql("ANALYZE member_name_word")
            conn.exec_driver_sql("ANALYZE claim_name_word")
            conn.commit()
    return {key: m.kpj for key, m in zip(NAMES, members, strict=True)}


def _body(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _count_text(body):
    match = COUNT.search(body)
    assert match, "no list tab"
    return re.sub(r"<[^>]+>", "", match.group(1) or "")


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("ahmad ramadhan", {"ahmad", "ahmadi"}),  # each typed word begins a word of the name
        ("Ramadhan AHMAD", {"ahmad", "ahmadi"}),  # any order, any case
        ("ahmadi", {"ahmadi"}),
        ("ramad", {"ahmad", "ahmadi", "muhammad", "nur"}),
        ("hmad", set()),  # inside a word: no
        ("nur", {"siti", "nur"}),
        ("nuraini", {"nur"}),
        ("aini", {"siti"}),  # an apostrophe separates words
        ("nur'aini siti", {"siti"}),
        ("m yusuf", {"yusuf"}),  # a short typed word is a whole word
        ("M. Yusuf", {"yusuf"}),
        ("al-hakim", {"yusuf"}),
        ("m", {"yusuf"}),  # not Muhammad
        ("mu", set()),
        ("dewi sartika", {"dewi"}),
        ("nur nura", {"nur"}),  # both typed words in one word of the name (Nuraini)
        ("putra ramadhan muhammad", {"muhammad"}),
        ("ahmad putra", set()),  # every typed word, not any
        ("%", set()),  # no words at all: nothing
        ("-- .", set()),
    ],
)
def test_member_name_search(people, login, search, found):
    body = _body(login("admin"), f"/admin/member/?search={search}&page_size=100")
    shown = set(KPJ_CELL.findall(body))
    assert {key for key, kpj in people.items() if kpj in shown} == found


def test_claim_search_reads_the_claimant_and_the_member(people, login, session):
    claim = session.scalars(sa.select(Claim).order_by(Claim.id)).first()
    claim.claimant_name = "Rina Kartika"
    member = session.get(Member, claim.member_id)
    member.name = "Ujang Sukmajaya"
    session.commit()
    client = login("admin")

    def claims(search):
        return set(
            CLAIM_CELL.findall(_body(client, f"/admin/claim/?search={search}&page_size=100"))
        )

    shown = str(claim)
    assert shown in claims("rina kartika")  # the claimant
    assert shown in claims("ujang sukma")  # the member
    assert shown in claims("kartika ujang")  # one word from each
    assert shown not in claims("rina hakim")
    assert shown not in claims("artika")


# --------------------------------------------------------------------------------------------
# PostgreSQL: the tables of name words
# --------------------------------------------------------------------------------------------

TRICKY = [
    "AHMAD RAMADHAN",
    "Siti Nur'aini",
    "M. Yusuf Al-Hakim, S.Pd.",
    "  Dewi   Sartika  ",
    "I Gusti Ngurah Rai",
    "Nur Nur Hidayah",  # a word twice is one word
    "JOSÉ Müller",
    "Abdul_Rahman (Alm.)",
    "R.A. Kartini/Soedjono",
    "0812 Budi 2",
]


def test_sql_and_python_split_names_alike(session, postgres_only):
    for name in TRICKY:
        found = session.scalars(sa.text("SELECT name_words(:name)"), {"name": name}).all()
        assert sorted(found) == sorted(names.name_words(name)), name
        found = session.scalars(sa.text("SELECT name_pairs(:name)"), {"name": name}).all()
        assert sorted(found) == sorted(names.name_pairs(name)), name


def _words(session, table, row_id, kind="word"):
    key, column = ("created_at", "member_id") if table == "member" else ("submitted_at", "claim_id")
    return set(
        session.execute(
            sa.text(f"SELECT {kind}, {key} FROM {table}_name_{kind} WHERE {column} = :id"),  # noqa: S608
            {"id": row_id},
        ).all()
    )


def _member_words(session, member_id):
    return _words(session, "member", member_id)


def _claim_words(session, claim_id):
    return _words(session, "claim", claim_id)


def _every_name_has_its_words(session):
    """Every member's words and pairs of words, and every claim's (claimant and member)."""
    for member in session.scalars(sa.select(Member)):
        for kind, split in (("word", names.name_words), ("pair", names.name_pairs)):
            expected = {(w, member.created_at) for w in split(member.name)}
            assert _words(session, "member", member.id, kind) == expected, member.name
    for claim in session.scalars(sa.select(Claim)):
        text = f"{claim.claimant_name} {claim.member.name}"
        for kind, split in (("word", names.name_words), ("pair", names.name_pairs)):
            expected = {(w, claim.submitted_at) for w in split(text)}
            assert _words(session, "claim", claim.id, kind) == expected, text


def test_the_triggers_keep_the_words_of_every_name(people, session, postgres_only):
    # Inserted (the bulk load's statements and the demo data) and renamed (the fixture).
    _every_name_has_its_words(session)
    total = session.scalar(sa.text("SELECT count(*) FROM member_name_word"))
    assert total == sum(len(names.name_words(n)) for n in session.scalars(sa.select(Member.name)))

    # A member renamed: their words and their claims' words follow.
    claim = session.scalars(sa.select(Claim).order_by(Claim.id)).first()
    member = session.get(Member, claim.member_id)
    member.name = "Ujang Suryana"
    claim.claimant_name = "Imas Suryani"
    session.commit()
    assert {w for w, _ in _member_words(session, member.id)} == {"ujang", "suryana"}
    assert {w for w, _ in _claim_words(session, claim.id)} == {
        "imas",
        "suryani",
        "ujang",
        "suryana",
    }
    _every_name_has_its_words(session)
    # Removed with their row.
    session.execute(sa.text("DELETE FROM claim_document WHERE claim_id = :id"), {"id": claim.id})
    session.delete(claim)
    session.commit()
    assert _claim_words(session, claim.id) == set()
    assert _words(session, "claim", claim.id, "pair") == set()


def _entries(session, term):
    return session.scalar(
        sa.text("SELECT count(*) FROM member_name_word WHERE word >= :low AND word < :high")
        if term.prefix
        else sa.text("SELECT count(*) FROM member_name_word WHERE word = :low"),
        {"low": term.word, "high": term.upper_bound},
    )


def _expected(session, search, *where, order=(Member.created_at, Member.id)):
    terms = names.search_terms(search)
    rows = session.execute(
        sa.select(Member.kpj, Member.name).where(*where).order_by(*(c.desc() for c in order))
    ).all()
    return [kpj for kpj, name in rows if names.matches(name, terms)]


@pytest.mark.parametrize("candidates", [500, 3])
def test_a_common_word_is_walked_in_the_lists_order(
    people, app, db, login, session, postgres_only, candidates, monkeypatch
):
    """A leading word (or pair of words) with few entries reads them all (an exact count);
    with more than ``LIST_WORD_CANDIDATES`` the entries are walked newest first until the page
    is full (an estimated count, and the same rows in the same order, on every page)."""
    app.config["LIST_WORD_CANDIDATES"] = candidates
    monkeypatch.setattr(MemberView, "page_size_options", (5, 20, 50, 100))
    client = login("admin")
    walks = 0
    # "nur" stands for two words of one name (Nur Nuraini): the member is listed once.
    for search in ("ramadhan", "ramad ahmad", "siti", "a", "nur", "nur ramad", "nur nura"):
        expected = _expected(session, search)
        lead = min(_entries(session, t) for t in names.search_terms(search))
        shown = []
        for page in range(0, 40):
            url = f"/admin/member/?search={search}&page_size=5&page={page}"
            with Recorder(db.engine) as recorded:
                body = _body(client, url)
            walked = any(s.startswith("SELECT DISTINCT hit.key") for s in recorded.sql)
            assert not walked or lead > candidates, (search, page)
            walks += walked
            kpjs = KPJ_CELL.findall(body)
            if not kpjs:
                break
            shown += kpjs
            # A walk does not know whether a full page was the last: its count is an estimate.
            assert ("≈" in _count_text(body)) == (walked and len(kpjs) == 5), (search, page)
        assert shown == expected, search
    assert walks or candidates > 3

    # Another order of a long list: the same rows, by the list's usual path.
    app.config["LIST_WORD_CANDIDATES"] = 3
    body = _body(client, "/admin/member/?search=ramadhan&sort=2&page_size=100")
    expected = _expected(session, "ramadhan", order=(Member.name, Member.id))
    assert KPJ_CELL.findall(body) == expected[::-1]


def test_two_common_words_seldom_together_are_read_by_their_pair(
    people, app, db, login, session, postgres_only
):
    """Two typed words each with more entries than ``LIST_WORD_CANDIDATES`` but few rows
    together: the rows are their pair's entries, counted exactly, without a walk."""
    a, b, together = session.execute(
        sa.text(
            "SELECT split_part(p.pair, ' ', 1), split_part(p.pair, ' ', 2), count(*)"
            " FROM member_name_pair p GROUP BY p.pair"
            " HAVING count(*) < (SELECT count(*) FROM member_name_word w"
            "   WHERE w.word = split_part(p.pair, ' ', 1))"
            " AND count(*) < (SELECT count(*) FROM member_name_word w"
            "   WHERE w.word = split_part(p.pair, ' ', 2))"
            " ORDER BY count(*) DESC, p.pair LIMIT 1"
        )
    ).one()
    app.config["LIST_WORD_CANDIDATES"] = together
    client = login("admin")
    with Recorder(db.engine) as recorded:
        body = _body(client, f"/admin/member/?search={b} {a}&page_size=100")
    assert KPJ_CELL.findall(body) == _expected(session, f"{a} {b}")
    assert _count_text(body) == str(len(_expected(session, f"{a} {b}")))
    assert any("member_name_pair" in s for s in recorded.sql)
    assert not any(s.startswith("SELECT DISTINCT hit.key") for s in recorded.sql)


def test_a_typed_word_standing_for_many_words_is_checked_on_the_row(
    people, app, db, login, session, postgres_only, monkeypatch
):
    """Beyond ``WALK_WORDS`` words beginning with it, a typed word is neither merged into a walk
    nor probed word by word: the row's name is split and checked (or, leading, the list goes
    its usual way). The same rows either way."""
    monkeypatch.setattr(words, "WALK_WORDS", 1)
    app.config["LIST_WORD_CANDIDATES"] = 3
    client = login("admin")
    for search in ("nur ramadhan", "nur", "ramadhan nur", "ramad nur ahmad", "ramadhan a"):
        body = _body(client, f"/admin/member/?search={search}&page_size=100")
        assert KPJ_CELL.findall(body) == _expected(session, search), search
    # A walk led by a word that stands for itself alone, with "nur" checked on each row.
    lead = session.scalar(
        sa.text(
            "SELECT word FROM member_name_word w WHERE length(word) >= 3 AND NOT EXISTS"
            " (SELECT 1 FROM member_name_word o WHERE o.word > w.word"
            "  AND o.word LIKE w.word || '%') GROUP BY word HAVING count(*) > 3"
            " ORDER BY count(*) DESC, word LIMIT 1"
        )
    )
    with Recorder(db.engine) as recorded:
        body = _body(client, f"/admin/member/?search={lead} nur&page_size=100")
    assert KPJ_CELL.findall(body) == _expected(session, f"{lead} nur")
    walk = [s for s in recorded.sql if s.startswith("SELECT DISTINCT hit.key")]
    assert len(walk) == 1 and "name_words(member.name)" in walk[0]


def test_a_walk_stays_in_scope_and_filters(people, app, login, session, postgres_only):
    app.config["LIST_WORD_CANDIDATES"] = 3
    cilegon = session.scalar(sa.select(Office.id).where(Office.code == "B02"))
    serang = session.scalar(sa.select(Office.id).where(Office.code == "B01"))
    clerk = login("petugas.cilegon")
    body = _body(clerk, "/admin/member/?search=ramadhan&page_size=100")
    assert KPJ_CELL.findall(body) == _expected(session, "ramadhan", Member.office_id == cilegon)
    # Another office in the filter: nothing (the scope still applies).
    body = _body(clerk, f"/admin/member/?search=ramadhan&flt0_0={serang}&page_size=100")
    assert KPJ_CELL.findall(body) == []
    admin = login("admin")
    body = _body(admin, f"/admin/member/?search=ramadhan&flt0_0={serang}&page_size=100")
    assert KPJ_CELL.findall(body) == _expected(session, "ramadhan", Member.office_id == serang)


def test_a_claim_search_walks_in_the_claims_order(people, app, login, session, postgres_only):
    app.config["LIST_WORD_CANDIDATES"] = 3
    word = session.scalar(
        sa.text(
            "SELECT word FROM claim_name_word WHERE length(word) >= 3"
            " GROUP BY word ORDER BY count(*) DESC, word LIMIT 1"
        )
    )
    terms = names.search_terms(word)
    claims = session.scalars(
        sa.select(Claim).order_by(Claim.submitted_at.desc(), Claim.id.desc())
    ).all()
    expected = [
        str(c) for c in claims if names.matches(f"{c.claimant_name} {c.member.name}", terms)
    ]
    assert len(expected) > 3
    body = _body(login("admin"), f"/admin/claim/?search={word}&page_size=100")
    assert CLAIM_CELL.findall(body) == expected


def test_a_slow_walk_is_cancelled_and_the_list_read_another_way(
    people, app, db, login, session, postgres_only
):
    """A walk longer than ``LIST_SEARCH_TIMEOUT_MS`` (two common words seldom together) is
    cancelled by the database; the page is then read by the list's usual path, itself bounded
    in time, then by the matching ids: the same rows every time."""
    app.config["LIST_WORD_CANDIDATES"] = 3
    app.config["LIST_SEARCH_TIMEOUT_MS"] = 50
    client = login("admin")
    url = "/admin/member/?search=ramadhan&page_size=100"
    expected = _expected(session, "ramadhan")
    assert len(expected) > 3

    def slow_walk(statement):
        if statement.startswith("SELECT DISTINCT hit.key, hit.id"):
            return statement.replace("\nFROM (", "\nFROM (SELECT pg_sleep(0.5)) AS slow, (", 1)
        return statement

    with Recorder(db.engine, slow_walk) as recorded:
        assert KPJ_CELL.findall(_body(client, url)) == expected
    walk = next(i for i, s in enumerate(recorded.sql) if "pg_sleep" in s)
    assert any("statement_timeout" in s for s in recorded.sql[:walk])
    assert any(
        s.startswith("SELECT member.id AS member_id, member.kpj") for s in recorded.sql[walk:]
    )

    def slow_pages(statement):
        statement = slow_walk(statement)
        if statement.startswith("SELECT member.id AS member_id, member.kpj") and (
            "ORDER BY" in statement and "ANY" not in statement
        ):
            return statement.replace(
                "\nFROM member", "\nFROM (SELECT pg_sleep(0.5)) AS slow, member", 1
            )
        return statement

    # Every list counts as long (no probe of its ids first): the usual page is the planner's.
    app.config["LIST_EXACT_COUNT_LIMIT"] = 3
    app.config["LIST_ESTIMATE_FIRST_FACTOR"] = 0
    with Recorder(db.engine, slow_pages) as recorded:
        assert KPJ_CELL.findall(_body(client, url)) == expected
    assert sum("pg_sleep" in s for s in recorded.sql) == 2, "the walk, then the usual page"
    # The timeout ended with those statements: the next page works as before.
    app.config["LIST_SEARCH_TIMEOUT_MS"] = 300
    assert KPJ_CELL.findall(_body(client, url)) == expected


def test_a_fast_load_fills_the_words_and_puts_their_keys_back(app, session, postgres_only):
    def keys():
        return sorted(
            session.execute(
                sa.text(
                    "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conrelid::regclass::text IN ('member_name_word', 'claim_name_word')"
                )
            ).all()
        )

    before = keys()
    assert len(before) == 2
    seed_bulk(session, 150, 30, seed=8, fast_load=True)  # the keys dropped, rebuilt
    session.commit()
    assert keys() == before
    _every_name_has_its_words(session)


@pytest.mark.parametrize("candidates", [500, 3])
def test_an_export_of_a_name_search_has_the_lists_rows(people, app, login, session, candidates):
    """The CSV export of a searched list: the same members, in the list's order (a long list
    is exported by the list's usual path, never by a walk of one page)."""
    app.config["LIST_WORD_CANDIDATES"] = candidates
    client = login("admin")
    response = client.get("/admin/member/export/csv/?search=ramad")
    assert response.status_code == 200
    exported = [row[0] for row in export_rows(response)[1:]]
    assert exported == _expected(session, "ramad")
