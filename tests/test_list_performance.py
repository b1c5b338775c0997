"""Lists at scale (issue 7): statements per page, counts and estimates, far pages, routed
searches, scoped filters, the audit trail's list, and the bulk loader behind them; on SQLite
and PostgreSQL.

The timings themselves are measured by bench/bench_pages.py (a benchmark, not a test).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from backoffice import caching
from backoffice.audit import append_event, canonical_json, verify_chain
from backoffice.rules.kpj import kpj_is_valid
from backoffice.seed.bulk import nik_parts, seed_bulk
from backoffice.seed.writer import audit_copy_line, copy_text
from models import (
    AuditChainHead,
    AuditEvent,
    BatchState,
    Claim,
    ClaimState,
    Member,
    MemberBatch,
    Office,
    Regency,
    Region,
    User,
)
from tests.steps import export_rows
from views import base as views_base
from views.audit import AuditView
from views.formats import BadgeCount, ListCount, format_count

MEMBERS = 300
CLAIMS = 60

KPJ_CELL = re.compile(r'<td class="col-kpj">\s*(\d{11})')
CLAIM_CELL = re.compile(r'<td class="col-id">\s*(J[KH][KMT]-\d{6})')
EVENT_CELL = re.compile(r'<td class="col-id">\s*(\d+)\s*</td>')
COUNT = re.compile(r'class="nav-link active">[^<(]*(?:\((.*?)\))?</a>', re.S)


@pytest.fixture
def bulk(app, session):
    report = seed_bulk(session, MEMBERS, CLAIMS, seed=11)
    session.commit()
    return report


class Statements:
    """The SQL statements the app sends while a block runs."""

    def __init__(self, engine):
        self.engine = engine
        self.sql: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.sql.append(statement)

    def __enter__(self):
        self.sql = []
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _kpjs(body):
    return KPJ_CELL.findall(body)


def _count_text(body):
    match = COUNT.search(body)
    assert match, "no list tab"
    return re.sub(r"<[^>]+>", "", match.group(1) or "")


# --------------------------------------------------------------------------------------------
# Statements per page
# --------------------------------------------------------------------------------------------

LISTS = [
    ("admin", "/admin/member/"),
    ("admin", "/admin/member/?search=siti"),
    ("admin", "/admin/member/?flt0_0={office}"),
    ("kanwil.banten", "/admin/member/?sort=9&desc=1"),
    ("petugas.serang", "/admin/member/"),
    ("admin", "/admin/claim/"),
    ("admin", "/admin/claim/?search=siti"),
    ("petugas.serang", "/admin/claim_queue/"),
    ("petugas.serang", "/admin/registration_queue/"),
    ("admin", "/admin/batch/"),
    ("admin", "/admin/proposal/"),
    ("kanwil.banten", "/admin/proposal_queue/"),
    ("admin", "/admin/audit/"),
    ("kanwil.banten", "/admin/audit/"),
    ("auditor.banten", "/admin/audit/?search=kanwil.banten"),
    ("admin", "/admin/audit/?search=ahli waris"),
    ("admin", "/admin/audit/?search=12"),
    ("kanwil.banten", "/admin/audit/?flt0_3=pay&flt1_1=2099-12-31"),
    ("admin", "/admin/audit/?flt0_4=member_batch&flt1_5=petugas.serang"),
]


@pytest.mark.parametrize(("username", "url"), LISTS)
def test_statements_per_list_page_do_not_grow_with_the_page_size(
    bulk, login, db, session, username, url
):
    office = session.scalar(sa.select(Office.id).where(Office.code == "B01"))
    url = url.format(office=office)
    client = login(username)
    joiner = "&" if "?" in url else "?"
    counts, warm = {}, {}
    for page_size in (20, 50, 100):
        for page in (0, 1):
            caching.cache.clear()
            with Statements(db.engine) as statements:
                _page(client, f"{url}{joiner}page_size={page_size}&page={page}")
            counts[(page_size, page)] = len(statements.sql)
            with Statements(db.engine) as statements:
                _page(client, f"{url}{joiner}page_size={page_size}&page={page}")
            warm[(page_size, page)] = len(statements.sql)
    # Neither the rows shown nor the page change how many statements a page sends (no query per
    # row or per related record), and it stays small: at most 12 with nothing cached, the member
    # list's being the largest (the user, the count, the rows, the options of its office,
    # sector, domicile and department filters, the three menu badges, the notifications bell; on
    # PostgreSQL also the planner's estimate).
    assert len(set(counts.values())) == 1, counts
    assert max(counts.values()) <= 12, counts
    # The next page of the same user reads the badges and the filters' options from the cache
    # (backoffice/caching.py): on the member list only the user, the count and the rows (and
    # the estimate) remain; no page sends more than with nothing cached.
    assert len(set(warm.values())) == 1, warm
    assert max(warm.values()) <= max(counts.values()), (warm, counts)
    if url.startswith("/admin/member/"):
        assert max(warm.values()) <= 4, warm


# --------------------------------------------------------------------------------------------
# Counts: exact, or an estimate shown as such
# --------------------------------------------------------------------------------------------


def test_counts_are_exact_within_the_limit(bulk, login, session):
    body = _page(login("admin"), "/admin/member/")
    total = session.scalar(sa.select(sa.func.count()).select_from(Member))
    assert _count_text(body) == f"{total:,}".replace(",", ".")
    assert "estimated-count" not in body


def test_long_lists_show_an_estimate_on_postgresql_and_exact_counts_on_sqlite(
    bulk, app, login, session, backend
):
    app.config["LIST_EXACT_COUNT_LIMIT"] = 50
    client = login("admin")
    body = _page(client, "/admin/member/")
    total = session.scalar(sa.select(sa.func.count()).select_from(Member))
    if backend == "postgresql":
        assert "estimated-count" in body
        shown = _count_text(body)
        assert shown.startswith("≈ ")
        estimate = int(shown[2:].replace(".", ""))
        assert total * 0.5 <= estimate <= total * 2
        # A short list is still counted exactly.
        member = session.scalars(sa.select(Member).order_by(Member.id.desc())).first()
        assert _count_text(_page(client, f"/admin/member/?search={member.kpj}")) == "1"
    else:
        assert "estimated-count" not in body
        assert _count_text(body) == f"{total:,}".replace(",", ".")


@pytest.mark.parametrize(
    ("value", "locale", "text"),
    [
        (1_234_567, "id", "≈ 1,2 jt"),
        (1_000_000, "id", "≈ 1 jt"),
        (12_400_000, "id", "≈ 12 jt"),
        (45_300, "id", "≈ 45 rb"),
        (4_530, "id", "≈ 4,5 rb"),
        (1_234_567, "en", "≈ 1,2 million"),
        (45_300, "en", "≈ 45 thousand"),
        (950, "id", "≈ 950"),
    ],
)
def test_estimates_read_in_indonesian_number_style(app, value, locale, text):
    with app.test_request_context(), force_locale(locale):
        assert format_count(value, estimated=True) == text
        assert format_count(1_234_567) == "1.234.567"
        assert str(ListCount(value, estimated=True)) == text


def test_badge_counts_stop_at_99(app):
    assert str(BadgeCount(7)) == "7"
    assert str(BadgeCount(99)) == "99"
    assert str(BadgeCount(100)) == "99+"


# --------------------------------------------------------------------------------------------
# Pages: far pages refused, ties never split across pages
# --------------------------------------------------------------------------------------------


def test_far_pages_show_the_last_page_allowed_and_ask_to_narrow(bulk, app, login):
    app.config["LIST_MAX_OFFSET"] = 40
    client = login("admin")
    last = _page(client, "/admin/member/?page=2")
    far = _page(client, "/admin/member/?page=50")
    assert "halaman pertama" in far and "persempit" in far
    assert _kpjs(far) == _kpjs(last)
    assert "page=3" not in far  # the pager stops at the last page allowed
    assert _page(client, "/admin/member/?page=-4").count("col-kpj") > 1


@pytest.mark.parametrize("sort", ["8", "6", "9"])  # contribution, income level, start date
def test_pages_of_a_sorted_list_neither_overlap_nor_skip_rows(bulk, login, session, sort):
    client = login("kanwil.banten")
    seen: list[str] = []
    for page in range(40):
        kpjs = _kpjs(_page(client, f"/admin/member/?sort={sort}&page_size=50&page={page}"))
        if not kpjs:
            break
        seen.extend(kpjs)
    region = session.scalar(sa.select(Member.region_id).where(Member.kpj == seen[0]))
    total = session.scalar(
        sa.select(sa.func.count()).select_from(Member).where(Member.region_id == region)
    )
    assert len(seen) == len(set(seen)) == total


# --------------------------------------------------------------------------------------------
# Searches routed by the shape of the term
# --------------------------------------------------------------------------------------------


def _member(session, **where):
    return session.scalars(sa.select(Member).filter_by(**where).order_by(Member.id)).first()


def test_member_search_by_kpj_nik_or_name(bulk, login, db, session):
    client = login("admin")
    member = session.scalars(
        sa.select(Member).where(Member.kpj.like("2%")).order_by(Member.id.desc())
    ).first()
    assert _kpjs(_page(client, f"/admin/member/?search={member.kpj}")) == [member.kpj]
    assert _kpjs(_page(client, f"/admin/member/?search={member.nik}")) == [member.kpj]
    spaced = f"{member.nik[:6]} {member.nik[6:12]}.{member.nik[12:]}"
    assert _kpjs(_page(client, f"/admin/member/?search={spaced}")) == [member.kpj]

    prefix = member.kpj[:8]
    found = _kpjs(_page(client, f"/admin/member/?search={prefix}&page_size=100"))
    expected = session.scalars(sa.select(Member.kpj).where(Member.kpj.like(f"{prefix}%"))).all()
    assert sorted(found) == sorted(expected)[:100] or len(expected) > 100

    # Words: every word in the name, in any order, any case.
    first, *rest = member.name.split()
    words = " ".join([*(w.upper() for w in rest), first.lower()])
    with Statements(db.engine) as statements:
        body = _page(client, f"/admin/member/?search={words}&page_size=100")
    names = session.scalars(sa.select(Member.name).where(Member.kpj.in_(_kpjs(body)))).all()
    assert member.kpj in _kpjs(body)
    assert all(all(w.lower() in n.lower() for w in member.name.split()) for n in names)
    # A name never looks at the number columns, a number never at the name.
    sql = " ".join(statements.sql)
    assert "member.kpj LIKE" not in sql and "member.nik LIKE" not in sql
    with Statements(db.engine) as statements:
        _page(client, f"/admin/member/?search={member.kpj}")
    sql = " ".join(statements.sql)
    assert "member.kpj LIKE" in sql
    assert "member.name ILIKE" not in sql and "lower(member.name) LIKE" not in sql


def test_search_wildcards_are_literal(bulk, login):
    client = login("admin")
    assert _kpjs(_page(client, "/admin/member/?search=%25")) == []
    assert _kpjs(_page(client, "/admin/member/?search=_")) == []
    assert _kpjs(_page(client, "/admin/member/?search=%25%25%25")) == []


def test_searches_stay_in_scope(bulk, login, session):
    serang = session.scalar(sa.select(Office.id).where(Office.code == "B01"))
    cilegon = session.scalar(sa.select(Office.id).where(Office.code == "B02"))
    member = _member(session, office_id=serang)
    clerk = login("petugas.cilegon")
    assert _kpjs(_page(clerk, f"/admin/member/?search={member.kpj}")) == []
    assert _kpjs(_page(clerk, f"/admin/member/?search={member.name}&page_size=100")) == [
        kpj
        for kpj in _kpjs(_page(clerk, f"/admin/member/?search={member.name}&page_size=100"))
        if session.scalar(sa.select(Member.office_id).where(Member.kpj == kpj)) == cilegon
    ]
    # Another office in the filter is simply nothing: the scope still applies.
    assert _kpjs(_page(clerk, f"/admin/member/?flt0_0={serang}")) == []
    claim = session.scalars(sa.select(Claim).where(Claim.office_id == serang)).first()
    assert _kpjs(_page(clerk, f"/admin/claim/?search={claim.member.kpj}")) == []
    assert CLAIM_CELL.findall(_page(clerk, f"/admin/claim/?search={claim}")) == []


def test_the_office_filter_offers_the_offices_in_scope(bulk, login, session):
    body = _page(login("petugas.cilegon"), "/admin/member/")
    assert '[["' in body and "KC Cilegon" in body
    assert "KC Serang" not in body.split("filter-groups-data", 1)[1].split("</div>", 1)[0]
    offices = _page(login("admin"), "/admin/member/").split("filter-groups-data", 1)[1]
    assert "KC Serang" in offices and "KC Jakarta Salemba" in offices

    serang = session.scalar(sa.select(Office.id).where(Office.code == "B01"))
    shown = _kpjs(_page(login("admin"), f"/admin/member/?flt0_0={serang}&page_size=100"))
    assert shown
    offices = session.scalars(sa.select(Member.office_id).where(Member.kpj.in_(shown))).all()
    assert set(offices) == {serang}


def test_claim_search_by_number_kpj_or_name(bulk, login, session):
    client = login("admin")
    claim = session.scalars(sa.select(Claim).order_by(Claim.id.desc())).first()
    shown = str(claim)  # e.g. JKK-000123

    def claims(url):
        return CLAIM_CELL.findall(_page(client, url))

    assert set(claims(f"/admin/claim/?search={shown}")) == {shown}
    assert set(claims(f"/admin/claim/?search={claim.id}")) == {shown}
    by_kpj = set(claims(f"/admin/claim/?search={claim.member.kpj}&page_size=100"))
    expected = {
        str(c) for c in session.scalars(sa.select(Claim).filter_by(member_id=claim.member_id))
    }
    assert by_kpj == expected
    by_name = set(claims(f"/admin/claim/?search={claim.member.name}&page_size=100"))
    assert shown in by_name
    by_claimant = set(claims(f"/admin/claim/?search={claim.claimant_name}&page_size=100"))
    assert shown in by_claimant


# --------------------------------------------------------------------------------------------
# The audit trail's list: searches routed by the term, indexed filters, scope, export
# --------------------------------------------------------------------------------------------

#: The audit list's filters, as their ``flt<position>_<index>`` URL arguments use them.
AUDIT_FILTERS = {"from": 0, "to": 1, "between": 2, "action": 3, "type": 4, "who": 5, "record": 6}
#: A day no bulk event falls on (bulk data starts in 2016), in Jakarta time.
QUIET_DAY = date(2015, 6, 1)


@pytest.fixture
def noted(bulk, session, user):
    """Events with notes, on QUIET_DAY in Banten: {name: event}."""
    banten = session.scalar(sa.select(Region.id).where(Region.code == "BTN"))
    kepala = user("kepala.serang")
    notes = {
        "heirs": ("Dokumen ahli waris lengkap", datetime(2015, 6, 1, 1, 0, tzinfo=UTC)),
        "percent": ("Potongan 100%_x disetujui", datetime(2015, 6, 1, 2, 0, tzinfo=UTC)),
        "code": ("kode abc diperiksa", datetime(2015, 6, 1, 3, 0, tzinfo=UTC)),
        # 23:30 in Jakarta on QUIET_DAY, still 1 June; 17:30 UTC is 2 June 00:30 there.
        "late": ("Dicek malam hari", datetime(2015, 6, 1, 16, 30, tzinfo=UTC)),
        "next_day": ("Dicek lewat tengah malam", datetime(2015, 6, 1, 17, 30, tzinfo=UTC)),
        "formula": ('=HYPERLINK("http://x")', datetime(2015, 6, 1, 4, 0, tzinfo=UTC)),
    }
    events = {}
    for name, (comment, when) in notes.items():
        events[name] = append_event(
            session,
            actor=kepala,
            action="approve",
            record_type="office_proposal",
            record_id=990_000 + len(events),
            from_state="submitted",
            to_state="approved",
            comment=comment,
            region_id=banten,
            office_id=kepala.office_id,
            occurred_at=when,
        )
    session.commit()
    return events


def _events(client, url):
    return [int(i) for i in EVENT_CELL.findall(_page(client, url))]


def _audit(session, ids):
    return session.scalars(sa.select(AuditEvent).where(AuditEvent.id.in_(ids))).all()


def test_audit_filters_are_where_the_tests_expect_them(app):
    names = {type(flt).__name__: i for i, flt in enumerate(AuditView.column_filters)}
    assert names["DayFromFilter"] == AUDIT_FILTERS["from"]
    assert names["DayToFilter"] == AUDIT_FILTERS["to"]
    assert names["DaysBetweenFilter"] == AUDIT_FILTERS["between"]
    assert names["UsernameFilter"] == AUDIT_FILTERS["who"]
    assert names["RecordNumberFilter"] == AUDIT_FILTERS["record"]
    columns = [flt.column.key for flt in AuditView.column_filters]
    assert columns[AUDIT_FILTERS["action"]] == "action"
    assert columns[AUDIT_FILTERS["type"]] == "record_type"


def test_audit_list_is_newest_first_with_ties_broken_by_number(bulk, noted, login, session):
    shown = _events(login("admin"), "/admin/audit/?page_size=100")
    expected = session.scalars(
        sa.select(AuditEvent.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(100)
    ).all()
    assert shown == expected


def test_audit_search_by_record_number(bulk, login, db, session):
    client = login("admin")
    claim = session.scalars(
        sa.select(Claim).where(Claim.state == ClaimState.PAID).order_by(Claim.id.desc())
    ).first()
    with Statements(db.engine) as statements:
        shown = _events(client, f"/admin/audit/?search={claim.id}&page_size=100")
    events = _audit(session, shown)
    # The events of every record with that number (a claim, a batch...) and the event itself.
    assert {(e.record_type, e.record_id) for e in events if e.id != claim.id} >= {
        ("claim", str(claim.id))
    }
    assert all(e.record_id == str(claim.id) or e.id == claim.id for e in events)
    expected = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(sa.or_(AuditEvent.record_id == str(claim.id), AuditEvent.id == claim.id))
    )
    assert len(events) == expected
    sql = " ".join(statements.sql)
    assert "ILIKE" not in sql and "lower(audit_event.comment)" not in sql
    # Leading zeros and a claim's number as the claims list shows it.
    assert set(_events(client, f"/admin/audit/?search=000{claim.id}&page_size=100")) == set(shown)
    by_claim = _audit(session, _events(client, f"/admin/audit/?search={claim}&page_size=100"))
    assert [e.action for e in sorted(by_claim, key=lambda e: e.id)] == [
        "create",
        "verify",
        "approve",
        "pay",
    ]
    assert {(e.record_type, e.record_id) for e in by_claim} == {("claim", str(claim.id))}
    # A number too long for an event number still finds records (and no error).
    assert _events(client, "/admin/audit/?search=12345678901234567890123") == []


def test_audit_search_by_username_in_any_case(bulk, login, db, session):
    client = login("admin")
    with Statements(db.engine) as statements:
        body = _page(client, "/admin/audit/?search=KANWIL.Banten&page_size=100")
    events = _audit(session, [int(i) for i in EVENT_CELL.findall(body)])
    assert events and {e.actor_username for e in events} == {"kanwil.banten"}
    total = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.actor_username == "kanwil.banten")
    )
    assert _count_text(body) == f"{total:,}".replace(",", ".")
    sql = " ".join(statements.sql)
    assert "audit_event.actor_username = " in sql
    assert "ILIKE" not in sql and "lower(audit_event.comment)" not in sql


def test_audit_search_by_words_of_a_note(noted, login, db):
    client = login("admin")
    with Statements(db.engine) as statements:
        shown = _events(client, "/admin/audit/?search=WARIS ahli")
    assert shown == [noted["heirs"].id]
    sql = " ".join(statements.sql)
    assert "audit_event.record_id IN" not in sql and "audit_event.actor_username =" not in sql
    assert _events(client, "/admin/audit/?search=dicek") == [
        noted["next_day"].id,
        noted["late"].id,
    ]
    assert _events(client, "/admin/audit/?search=tidak ada catatan begini") == []


def test_audit_search_wildcards_are_literal(noted, login):
    client = login("admin")
    assert _events(client, "/admin/audit/?search=100%25_x") == [noted["percent"].id]
    assert _events(client, "/admin/audit/?search=100%25%25x") == []
    assert _events(client, "/admin/audit/?search=a_c") == []
    assert _events(client, "/admin/audit/?search=a%25c") == []
    assert _events(client, "/admin/audit/?search=abc") == [noted["code"].id]
    for term in ("%25", "_", "%25%25%25", "__"):
        assert _events(client, f"/admin/audit/?search={term}") == [], term


def test_audit_day_filters_use_jakarta_days(noted, login):
    client = login("admin")
    day, f = QUIET_DAY.isoformat(), AUDIT_FILTERS
    on_the_day = {noted[n].id for n in ("heirs", "percent", "code", "late", "formula")}
    between = _events(client, f"/admin/audit/?flt0_{f['between']}={day}+to+{day}&page_size=100")
    assert set(between) == on_the_day
    until = _events(client, f"/admin/audit/?flt0_{f['to']}={day}&page_size=100")
    assert set(until) == on_the_day  # nothing before: bulk data starts in 2016
    next_day = f"flt0_{f['from']}=2015-06-02&flt1_{f['to']}=2015-06-02"
    assert _events(client, f"/admin/audit/?{next_day}") == [noted["next_day"].id]
    # Both ends: the first day of the range and the last one are included.
    both = f"flt0_{f['from']}={day}&flt1_{f['to']}=2015-06-02"
    assert set(_events(client, f"/admin/audit/?{both}")) == on_the_day | {noted["next_day"].id}
    # A badly typed day is not applied (the list is shown, unfiltered).
    assert _events(client, f"/admin/audit/?flt0_{f['from']}=01-06-2015") == _events(
        client, "/admin/audit/"
    )


@pytest.mark.parametrize(
    ("name", "value", "column", "expected"),
    [
        ("action", "pay", "action", "pay"),
        ("type", "member_batch", "record_type", "member_batch"),
        ("who", "PETUGAS.serang", "actor_username", "petugas.serang"),
        ("who", "kanwil.banten", "actor_username", "kanwil.banten"),
    ],
)
def test_audit_filters_on_action_type_and_who(bulk, login, session, name, value, column, expected):
    client = login("admin")
    body = _page(client, f"/admin/audit/?flt0_{AUDIT_FILTERS[name]}={value}&page_size=100")
    events = _audit(session, [int(i) for i in EVENT_CELL.findall(body)])
    assert events
    assert {getattr(e, column) for e in events} == {expected}
    total = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(getattr(AuditEvent, column) == expected)
    )
    assert _count_text(body) == f"{total:,}".replace(",", ".")


def test_audit_filter_on_record_number_and_unknown_choices(bulk, login, session):
    client = login("admin")
    claim = session.scalars(sa.select(Claim).order_by(Claim.id)).first()
    f = AUDIT_FILTERS["record"]
    for typed in (str(claim.id), str(claim), f"00{claim.id}"):
        events = _audit(session, _events(client, f"/admin/audit/?flt0_{f}={typed}&page_size=100"))
        assert events and {e.record_id for e in events} == {str(claim.id)}, typed
    # A value the filter does not offer is not applied.
    everything = _events(client, "/admin/audit/")
    assert _events(client, f"/admin/audit/?flt0_{AUDIT_FILTERS['action']}=nope") == everything
    assert _events(client, f"/admin/audit/?flt0_{AUDIT_FILTERS['type']}=nope") == everything


def test_audit_filter_options_are_translated_and_sorted(bulk, login):
    body = _page(login("admin"), "/admin/audit/")
    groups = body.split("filter-groups-data", 1)[1].split("</div>", 1)[0]
    assert "Batch pendaftaran" in groups and "pembayaran dicatat" in groups
    assert "Peserta (iuran)" in groups and "Tarif iuran" in groups
    assert "pada atau setelah" in groups and "pada atau sebelum" in groups
    assert groups.index("Batch pendaftaran") < groups.index("Klaim") < groups.index("Pengguna")


def test_audit_list_is_scoped_to_the_region(noted, login, session):
    banten = session.scalar(sa.select(Region.id).where(Region.code == "BTN"))
    for username in ("kanwil.banten", "auditor.banten"):
        shown = _audit(session, _events(login(username), "/admin/audit/?page_size=100"))
        assert shown and {e.region_id for e in shown} == {banten}, username
    jakarta = login("kanwil.jakarta")
    # Another region's events: not in the list, not by their number, note, author or filter.
    assert set(_events(jakarta, "/admin/audit/?page_size=100")).isdisjoint(
        {e.id for e in noted.values()}
    )
    assert _events(jakarta, "/admin/audit/?search=ahli waris") == []
    assert _events(jakarta, f"/admin/audit/?search={noted['heirs'].record_id}") == []
    assert _events(jakarta, "/admin/audit/?search=kepala.serang") == []
    assert _events(jakarta, f"/admin/audit/?flt0_{AUDIT_FILTERS['who']}=kanwil.banten") == []
    details = jakarta.get(f"/admin/audit/details/?id={noted['heirs'].id}")
    assert details.status_code == 404


@pytest.mark.parametrize(
    ("username", "url", "indexes"),
    [
        ("admin", "/admin/audit/", ["ix_audit_event_occurred_id"]),
        ("kanwil.jakarta", "/admin/audit/", ["ix_audit_event_region_occurred_id"]),
        # A number: the record number OR the event number, each by its index (a BitmapOr).
        ("admin", "/admin/audit/?search=57", ["ix_audit_event_record_id", "pk_audit_event"]),
        ("admin", "/admin/audit/?search=ahli waris", ["ix_audit_event_comment_trgm"]),
        ("admin", "/admin/audit/?search=kanwil.banten", ["ix_audit_event_actor_occurred_id"]),
        # An action as rare as at scale (a fifth of these events are payments: the planner
        # rightly walks the time order for those).
        ("admin", "/admin/audit/?flt0_3=submit", ["ix_audit_event_action_occurred_id"]),
        ("admin", "/admin/audit/?flt0_4=member_batch", ["ix_audit_event_record_type_occurred_id"]),
        ("admin", "/admin/audit/?flt0_5=kanwil.banten", ["ix_audit_event_actor_occurred_id"]),
    ],
)
def test_audit_list_statements_are_served_by_their_indexes(
    noted, app, login, db, postgres_only, username, url, indexes
):
    # The tables are tiny here, so sequential scans and sorts are switched off: what is left
    # shows that an index answers each statement, in the list's order (at scale the planner
    # picks them by itself).
    app.config["LIST_EXACT_COUNT_LIMIT"] = 5  # the long-list path: ordered by the index
    client = login(username)
    recorded = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM audit_event" in statement:
            recorded.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        _page(client, url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    plans = []
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        for statement, parameters in recorded:
            if not statement.startswith("EXPLAIN"):
                rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                plans.append("\n".join(row[0] for row in rows))
    assert plans
    for index in indexes:
        assert any(index in plan for plan in plans), (index, plans)


@pytest.mark.parametrize(
    "username", ["petugas.serang", "petugas.cilegon", "petugas2.serang", "kepala.serang"]
)
def test_audit_list_is_refused_to_office_staff(bulk, login, username):
    client = login(username)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/?search=kanwil.banten").status_code == 403
    assert client.get("/admin/audit/export/csv/").status_code == 403


def test_audit_export_streams_every_event_in_scope_formula_safe(noted, login, session):
    response = login("auditor.banten").get("/admin/audit/export/csv/")
    assert response.status_code == 200
    rows = export_rows(response)
    banten = session.scalar(sa.select(Region.id).where(Region.code == "BTN"))
    total = session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.region_id == banten)
    )
    assert len(rows) == total + 1  # the titles, then every event: never cut at a page
    formula = next(r for r in rows if "HYPERLINK" in ",".join(r))
    assert not any(cell.startswith("=") for cell in formula)
    # The export follows the filters.
    day = QUIET_DAY.isoformat()
    url = f"/admin/audit/export/csv/?flt0_{AUDIT_FILTERS['between']}={day}+to+{day}"
    filtered = export_rows(login("admin").get(url))
    assert len(filtered) == 1 + 5


# Members and claims: exports stream in batches, whole, in scope and in the list's order
EXPORTS = [
    ("member", Member, "kpj", lambda m: m.kpj),
    ("claim", Claim, "claim number", lambda c: str(c)),
]


@pytest.mark.parametrize(("screen", "model", "_", "key"), EXPORTS)
@pytest.mark.parametrize("username", ["admin", "petugas.cilegon"])
def test_exports_hold_every_row_in_scope_in_the_lists_order(
    bulk, login, session, monkeypatch, screen, model, _, key, username
):
    monkeypatch.setattr(views_base, "EXPORT_BATCH", 7)  # many batches, a last one half full
    client = login(username)
    response = client.get(f"/admin/{screen}/export/csv/")
    assert response.status_code == 200
    rows = export_rows(response)[1:]
    query = sa.select(model)
    if username == "petugas.cilegon":
        query = query.where(
            model.office_id == session.scalar(sa.select(Office.id).where(Office.code == "B02"))
        )
    expected = [key(row) for row in session.scalars(query)]
    exported = [row[0] for row in rows]
    assert sorted(exported) == sorted(expected) and len(set(exported)) == len(expected)
    # The rows come in the list's order: its first page is the export's first rows.
    listed = _page(client, f"/admin/{screen}/?page_size=20")
    first = _kpjs(listed) if screen == "member" else CLAIM_CELL.findall(listed)
    assert first and exported[: len(first)] == first


@pytest.mark.parametrize(("screen", "model", "_", "key"), EXPORTS)
def test_exports_read_the_rows_a_batch_at_a_time(
    bulk, app, login, session, monkeypatch, screen, model, _, key
):
    monkeypatch.setattr(views_base, "EXPORT_BATCH", 10)
    client = login("admin")
    loaded = []

    def count(target, context):
        loaded.append(target)

    sa.event.listen(model, "load", count)
    try:
        with app.app_context():
            response = client.http.get(f"/admin/{screen}/export/csv/", buffered=False)
            chunks = iter(response.response)
            next(chunks)  # the titles
            next(chunks)  # the first row
            first_batch = len(loaded)
            body = b"".join(chunks)
            response.close()
    finally:
        sa.event.remove(model, "load", count)
    # The first row was sent after one batch was read, not the whole list.
    assert 1 <= first_batch <= 10
    total = session.scalar(sa.select(sa.func.count()).select_from(model))
    assert total > 50 and len(loaded) == total
    assert body.count(b"\r\n") == total - 1  # the rows after the first


# --------------------------------------------------------------------------------------------
# The bulk loader
# --------------------------------------------------------------------------------------------


def test_bulk_members_are_valid_and_unique(bulk, session):
    assert (bulk.members, bulk.claims) == (MEMBERS, CLAIMS)
    members = session.scalars(sa.select(Member).order_by(Member.id.desc()).limit(MEMBERS)).all()
    assert len(members) == MEMBERS
    regencies = set(session.scalars(sa.select(Regency.code)))
    for m in members:
        assert kpj_is_valid(m.kpj)
        assert m.nik[:4] in regencies
        day = int(m.nik[6:8])
        assert (day > 40) == (m.sex == "P")
        assert (
            date(
                2000 + int(m.nik[10:12]) if int(m.nik[10:12]) < 30 else 1900 + int(m.nik[10:12]),
                int(m.nik[8:10]),
                day % 40,
            )
            == m.birth_date
        )
        age = (m.start_date - m.birth_date).days / 365.25
        assert 15 <= age < 65
        assert (
            m.monthly_contribution == m.contribution_jkk + m.contribution_jkm + m.contribution_jht
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(Member))
    assert session.scalar(sa.select(sa.func.count(sa.distinct(Member.nik)))) == total
    assert session.scalars(
        sa.select(MemberBatch).where(MemberBatch.filename.like("peserta-bpu-%"))
    ).first()


def test_bulk_claims_keep_the_rules(bulk, session):
    claims = session.scalars(sa.select(Claim)).all()
    assert len(claims) >= CLAIMS
    for claim in claims:
        member = claim.member
        assert (claim.office_id, claim.region_id) == (member.office_id, member.region_id)
        if claim.state is ClaimState.PAID:
            assert claim.approved_by_id not in (claim.registered_by_id, claim.verified_by_id)
            assert claim.payment_reference and claim.paid_on


def _chain_is_whole(session):
    """The chain verifies, and ids ascend with it (each event links to the one before by id)."""
    result = verify_chain(session)
    assert result.ok, str(result)
    head = session.get(AuditChainHead, 1)
    assert result.checked == head.event_count
    assert head.last_event_id == session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    return result


def test_bulk_audit_events_are_those_the_services_write(bulk, session):
    assert bulk.events == session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    users = {u.id: u for u in session.scalars(sa.select(User))}
    claims = session.scalars(sa.select(Claim)).all()
    events = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    by_record: dict[tuple[str, str], list[AuditEvent]] = {}
    for event in events:
        by_record.setdefault((event.record_type, event.record_id), []).append(event)
        if event.actor_id is not None:  # the actor's snapshot
            actor = users[event.actor_id]
            assert (event.actor_username, event.actor_role) == (actor.username, actor.role.value)
    for claim in claims:
        trail = by_record[("claim", str(claim.id))]
        steps = [(e.action, e.from_state, e.to_state) for e in trail]
        first = [("create", None, "submitted")]
        if claim.state is ClaimState.PAID:
            assert steps == [
                *first,
                ("verify", "submitted", "verified"),
                ("approve", "verified", "approved"),
                ("pay", "approved", "paid"),
            ]
            create, verify, approve, pay = trail
            assert (verify.actor_id, approve.actor_id, pay.actor_id) == (
                claim.verified_by_id,
                claim.approved_by_id,
                claim.paid_by_id,
            )
            assert approve.details == (
                f'{{"amount":{claim.amount},"level":"{users[claim.approved_by_id].role.value}"}}'
            )
            assert pay.details == (
                f'{{"amount":{claim.amount},"paid_on":"{claim.paid_on.isoformat()}",'
                f'"payment_reference":"{claim.payment_reference}"}}'
            )
            times = [claim.verified_at, claim.approved_at, claim.paid_at]
            assert [_utc(e.occurred_at) for e in trail[1:]] == [_utc(t) for t in times]
        else:
            assert steps == first
            create = trail[0]
        assert (create.actor_id, create.details) == (
            claim.registered_by_id,
            f'{{"amount":{claim.amount}}}',
        )
        assert _utc(create.occurred_at) == _utc(claim.created_at)
        assert {(e.region_id, e.office_id, e.department_id) for e in trail} == {
            (claim.region_id, claim.office_id, None)
        }
    batches = session.scalars(
        sa.select(MemberBatch).where(MemberBatch.filename.like("peserta-bpu-%"))
    ).all()
    assert batches
    for batch in batches:
        trail = by_record[("member_batch", str(batch.id))]
        steps = [(e.action, e.actor_id, e.from_state, e.to_state) for e in trail]
        expected = [
            ("upload", batch.uploaded_by_id, None, "processing"),
            ("checked", None, "processing", "draft"),  # the system checks the rows
            ("submit", batch.submitted_by_id, "draft", "submitted"),
        ]
        if batch.state is BatchState.COMPLETED:
            members = session.scalars(
                sa.select(Member).where(Member.batch_id == batch.id).order_by(Member.kpj)
            ).all()
            expected.append(("accept_all", members[0].registered_by_id, "submitted", "completed"))
            rows = f"2-{batch.row_count + 1}" if batch.row_count > 1 else "2"
            assert trail[-1].details == (
                f'{{"accepted":{batch.row_count},"first_kpj":"{members[0].kpj}",'
                f'"last_kpj":"{members[-1].kpj}","rows":"{rows}"}}'
            )
        assert steps == expected
        assert len(trail) == batch.version
        assert {(e.region_id, e.office_id, e.department_id) for e in trail} == {
            (batch.region_id, batch.office_id, batch.department_id)
        }
    assert sum(len(t) for t in by_record.values()) == len(events)
    _chain_is_whole(session)


def test_a_fast_load_puts_the_audit_indexes_back_and_the_chain_verifies(
    app, session, postgres_only
):
    def schema():
        return session.execute(
            sa.text(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_event'"
                " UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = 'audit_event'::regclass"
                " UNION ALL SELECT indexname FROM pg_indexes WHERE tablename = 'claim'"
            )
        ).scalars()

    before = sorted(schema())
    assert any("ix_audit_event_comment_trgm" in d and "gin_trgm_ops" in d for d in before)
    report = seed_bulk(session, 200, 40, seed=3, fast_load=True)  # indexes dropped, rebuilt
    session.commit()
    assert sorted(schema()) == before
    assert report.events > 40
    _chain_is_whole(session)
    # The id sequence was moved past the events written: the next append follows them.
    event = append_event(session, actor=None, action="checked", record_type="user", record_id=1)
    session.commit()
    assert event.id == session.get(AuditChainHead, 1).last_event_id
    _chain_is_whole(session)


@pytest.mark.parametrize(
    "text", ["plain", "tab\there", "new\nline", "back\\slash", "cr\rx", "\\N", "é 中文"]
)
def test_audit_copy_lines_escape_as_every_copied_value(text):
    row = (
        *(7, datetime(2026, 1, 1, tzinfo=UTC), 3, text, "branch_clerk", "claim", "7", "pay"),
        *("approved", "paid", None, None, audit_json(text), 1, 2, None, "a" * 64, "b" * 64),
    )
    assert audit_copy_line(row) == "\t".join(map(copy_text, row))


def audit_json(text):
    return canonical_json({"note": text})


def _utc(value):
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_a_second_run_adds_without_breaking_a_constraint(bulk, session, user):
    # An event appended by the application between two loads: the second one continues after it.
    append_event(session, actor=user("admin"), action="edit", record_type="user", record_id=1)
    session.commit()
    before = session.get(AuditChainHead, 1).last_event_id
    report = seed_bulk(session, 100, 10, seed=11)  # the same seed: new KPJs, new NIKs
    session.commit()
    assert report.members == 100
    total = session.scalar(sa.select(sa.func.count()).select_from(Member))
    assert session.scalar(sa.select(sa.func.count(sa.distinct(Member.nik)))) == total
    assert report.events >= 10 and report.events == session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.id > before)
    )
    result = _chain_is_whole(session)
    assert result.checked == bulk.events + 1 + report.events
    # And the application appends after the bulk events again.
    event = append_event(session, actor=None, action="checked", record_type="user", record_id=1)
    session.commit()
    assert event.id == session.get(AuditChainHead, 1).last_event_id > before + report.events
    _chain_is_whole(session)


def test_nik_of_a_serial_is_unique_over_the_whole_kpj_range():
    # The NIK parts are a bijection of the serial: sample neighbours and far-apart serials.
    serials = [*range(2_600_000_000, 2_600_020_000), *range(0, 10**10, 10**10 // 5_000)]
    parts = {nik_parts(s) for s in serials}
    assert len(parts) == len(set(serials))


def test_seed_bulk_command(app):
    result = app.test_cli_runner().invoke(args=["seed-bulk", "--members", "40", "--claims", "5"])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"Loaded 40 members \([\d,]+ monthly payments, [\d,]+ changes of status\), 5 claims, ",
        result.output,
    )
    assert " audit events, " in result.output
    refused = app.test_cli_runner().invoke(args=["seed-bulk", "--members", "0", "--claims", "5"])
    assert refused.exit_code != 0
