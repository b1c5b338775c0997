"""Lists at scale (issue 7): statements per page, counts and estimates, far pages, routed
searches, scoped filters, and the bulk loader behind them; on SQLite and PostgreSQL.

The timings themselves are measured by bench/bench_pages.py (a benchmark, not a test).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from backoffice.services.batches import kpj_is_valid
from backoffice.services.bulk import nik_parts, seed_bulk
from models import Claim, ClaimState, Member, MemberBatch, Office, Regency

MEMBERS = 300
CLAIMS = 60

KPJ_CELL = re.compile(r'<td class="col-kpj">\s*(\d{11})')
CLAIM_CELL = re.compile(r'<td class="col-id">\s*(J[KH][KMT]-\d{6})')
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
]


@pytest.mark.parametrize(("username", "url"), LISTS)
def test_statements_per_list_page_do_not_grow_with_the_page_size(
    bulk, login, db, session, username, url
):
    office = session.scalar(sa.select(Office.id).where(Office.code == "B01"))
    url = url.format(office=office)
    client = login(username)
    joiner = "&" if "?" in url else "?"
    counts = {}
    for page_size in (20, 50, 100):
        for page in (0, 1):
            with Statements(db.engine) as statements:
                _page(client, f"{url}{joiner}page_size={page_size}&page={page}")
            counts[(page_size, page)] = len(statements.sql)
    # Neither the rows shown nor the page change how many statements a page sends (no query per
    # row or per related record), and it stays small.
    assert len(set(counts.values())) == 1, counts
    assert max(counts.values()) <= 9, counts


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
    from views.base import ListCount, format_count

    with app.test_request_context(), force_locale(locale):
        assert format_count(value, estimated=True) == text
        assert format_count(1_234_567) == "1.234.567"
        assert str(ListCount(value, estimated=True)) == text


def test_badge_counts_stop_at_99(app):
    from views.base import BadgeCount

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


def test_a_second_run_adds_without_breaking_a_constraint(bulk, session):
    from backoffice.audit import verify_chain

    report = seed_bulk(session, 100, 10, seed=11)  # the same seed: new KPJs, new NIKs
    session.commit()
    assert report.members == 100
    total = session.scalar(sa.select(sa.func.count()).select_from(Member))
    assert session.scalar(sa.select(sa.func.count(sa.distinct(Member.nik)))) == total
    assert verify_chain(session).ok  # nothing bulk-loaded touches the audit trail


def test_nik_of_a_serial_is_unique_over_the_whole_kpj_range():
    # The NIK parts are a bijection of the serial: sample neighbours and far-apart serials.
    serials = [*range(2_600_000_000, 2_600_020_000), *range(0, 10**10, 10**10 // 5_000)]
    parts = {nik_parts(s) for s in serials}
    assert len(parts) == len(set(serials))


def test_seed_bulk_command(app):
    result = app.test_cli_runner().invoke(args=["seed-bulk", "--members", "40", "--claims", "5"])
    assert result.exit_code == 0, result.output
    assert "Loaded 40 members, 5 claims" in result.output
    refused = app.test_cli_runner().invoke(args=["seed-bulk", "--members", "0", "--claims", "5"])
    assert refused.exit_code != 0
