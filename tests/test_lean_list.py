"""The lean list table (views.lean_list, issue #21): each row built once in Python shows what
Flask-Admin's per-cell macros showed; names are escaped, row action links carry each row's id,
the edit pencil is on the rows that may be edited, list actions have their checkboxes, and the
page reads in both languages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask_login import current_user
from sqlalchemy import select

from backoffice import authz
from backoffice.seed.demo import seed_demo
from models import ClaimState, Member, Office, OfficeProposal
from tests.factories import make_claim, make_member
from tests.html_page import Node, _TreeBuilder
from views.base import SecuredModelView
from views.lean_list import LeanRows

TABLE = re.compile(
    r'<table class="table table-striped table-bordered table-hover model-list">.*?</table>', re.S
)
SCRIPT_NAME = "<script>alert(1)</script>"


@pytest.fixture
def demo_with_claims(session):
    seed_demo(session)  # the template leaves the demo's claims (and their audit events) out
    session.commit()
    return session


def _table(html: str) -> str:
    found = TABLE.search(html)
    assert found, "no list table on the page"
    # Whitespace next to a tag shows as nothing in a table cell.
    return " ".join(re.sub(r"\s*(<[^>]*>)\s*", r"\1", found.group(0)).split())


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _rows(html: str) -> list:
    builder = _TreeBuilder()
    builder.feed(html)
    table = builder.root.one("table", cls="model-list")
    return [tr for tr in table.iter() if tr.tag == "tr" and _cells(tr)]


def _cells(row) -> list[Node]:
    return [c for c in row.children if isinstance(c, Node) and c.tag == "td"]


def _hrefs(row, icon: str) -> list[str]:
    return [
        a.attrs["href"]
        for a in row.iter()
        if a.tag == "a" and any(icon in s.attrs.get("class", "") for s in a.iter())
    ]


def _id(href: str) -> str:
    return parse_qs(urlsplit(href).query)["id"][0]


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("petugas.serang", "/admin/member/"),
        ("petugas.serang", "/admin/member/?search=zzzz-none"),
        ("petugas.serang", "/admin/claim/"),
        ("petugas.serang", "/admin/claim_queue/"),
        ("petugas.serang", "/admin/registration_queue/"),
        ("petugas.serang", "/admin/batch/"),
        ("kanwil.banten", "/admin/proposal_queue/"),
        ("kanwil.banten", "/admin/proposal/"),
        ("kanwil.banten", "/admin/audit/"),
        ("admin", "/admin/office/"),
        ("admin", "/admin/user/"),
    ],
)
@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_lean_table_is_the_table_flask_admin_renders(
    demo_with_claims, login, monkeypatch, username, url, locale
):
    client = login(username)
    if locale == "en":
        client.post("/language", data={"locale": "en"})
    lean = _html(client, url)
    monkeypatch.setattr(SecuredModelView, "lean_list", False)
    macros = _html(client, url)
    assert 'class="col-' in lean or "search=zzzz" in url
    assert _table(lean) == _table(macros)


def test_a_hostile_member_name_is_text_in_the_list(session, login):
    office = session.scalar(select(Office).where(Office.code == "B01"))
    make_member(session, office=office, name=SCRIPT_NAME)
    session.commit()
    html = _html(login("petugas.serang"), "/admin/member/")
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_each_rows_links_and_checkbox_carry_its_own_id(session, login):
    office = session.scalar(select(Office).where(Office.code == "B01"))
    made = [make_member(session, office=office, name=f"Baris Uji {n}") for n in range(4)]
    session.commit()
    html = _html(login("petugas.serang"), "/admin/member/")
    by_name = {}
    for row in _rows(html):
        cells = {td.attrs.get("class"): td.text for td in _cells(row)}
        views = _hrefs(row, "fa-eye")
        assert len(views) == 1
        assert urlsplit(views[0]).path == "/admin/member/details/"
        back = parse_qs(urlsplit(views[0]).query)["url"]
        assert len(back) == 1 and urlsplit(back[0]).path == "/admin/member/"
        by_name[cells["col-name"]] = _id(views[0])
    for member in made:
        assert by_name[member.name] == str(member.id)
    assert len(set(by_name.values())) == len(by_name) >= 4


def test_the_edit_pencil_is_only_on_rows_the_user_may_edit(session, login, app):
    office = session.scalar(select(Office).where(Office.code == "B01"))
    states = [ClaimState.SUBMITTED, ClaimState.VERIFIED, ClaimState.RETURNED, ClaimState.APPROVED]
    claims = [
        make_claim(session, member=make_member(session, office=office), state=s) for s in states
    ]
    session.commit()
    client = login("petugas.serang")
    html = _html(client, "/admin/claim/")
    pencils = {_id(h) for row in _rows(html) for h in _hrefs(row, "fa-pencil")}
    viewed = {_id(h) for row in _rows(html) for h in _hrefs(row, "fa-eye")}
    from models import User

    clerk = session.scalar(select(User).where(User.username == "petugas.serang"))
    with app.test_request_context():
        from flask_login import login_user

        login_user(clerk)
        allowed = {str(c.id) for c in claims if authz.check(current_user, "edit", c)}
        refused = {str(c.id) for c in claims} - allowed
    assert allowed and refused  # both kinds of row are on the page
    assert allowed <= pencils and not (refused & pencils)
    assert {str(c.id) for c in claims} <= viewed


def test_list_actions_have_a_checkbox_per_row_with_its_id(demo_with_claims, login):
    session = demo_with_claims
    html = _html(login("kanwil.banten"), "/admin/proposal_queue/")
    rows = _rows(html)
    assert rows, "the demo has proposals waiting for the regional head"
    assert 'class="action-rowtoggle"' in html
    for row in rows:
        boxes = [
            i
            for i in row.iter()
            if i.tag == "input" and "action-checkbox" in i.attrs.get("class", "")
        ]
        assert len(boxes) == 1 and boxes[0].attrs["name"] == "rowid"
        assert _id(_hrefs(row, "fa-eye")[0]) == boxes[0].attrs["value"]
        assert session.get(OfficeProposal, int(boxes[0].attrs["value"])) is not None


def test_an_empty_list_says_so_in_either_language(session, login):
    client = login("petugas.serang")
    url = "/admin/member/?search=zzzz-tidak-ada"
    assert '<td colspan="999"><div class="text-center">Tidak ada data.</div></td>' in _table(
        _html(client, url)
    )
    client.post("/language", data={"locale": "en"})
    assert "There are no items in the table." in _table(_html(client, url))
    assert session.scalar(select(Member).where(Member.name == "zzzz-tidak-ada")) is None


def test_a_row_action_of_an_unknown_kind_is_rendered_by_flask_admin(app, login, monkeypatch):
    from flask_admin.model.template import LinkRowAction

    from views.members import MemberView

    extra = LinkRowAction("fa fa-star", "/elsewhere?member={row_id}", title="Lain")
    monkeypatch.setattr(MemberView, "column_extra_row_actions", [extra])
    html = _html(login("petugas.serang"), "/admin/member/")
    rows = _rows(html)
    assert rows
    for row in rows:
        stars = _hrefs(row, "fa-star")
        assert stars == [f"/elsewhere?member={_id(_hrefs(row, 'fa-eye')[0])}"]


def test_ids_are_url_quoted_and_escaped_in_the_links(app):
    class View:
        column_display_actions = True

        def get_url(self, endpoint, **kwargs):
            return f"/x/{endpoint}?id={kwargs['id']}&url={kwargs['url']}"

        def get_pk_value(self, row):
            return row

        def get_list_value(self, context, row, name):
            return row

    from flask_admin.model.template import ViewRowAction

    with app.test_request_context():
        rows = LeanRows(
            View(),
            list_columns=[("name", "Nama")],
            row_actions=[ViewRowAction()],
            return_url="/back",
            actions=None,
        )
        html = str(rows.row_actions(None, "a b&'<", "a b&'<"))
        cells = rows.cells(None, "<b>")
    assert "id=a+b%26&#39;%3C&amp;url=/back" in html
    assert cells == '<td class="col-name">&lt;b&gt;</td>\n'


@pytest.mark.parametrize("screen", ["member", "claim"])
def test_a_details_page_reads_its_record_once(session, login, db, screen):
    office = session.scalar(select(Office).where(Office.code == "B01"))
    member = make_member(session, office=office)
    record = member if screen == "member" else make_claim(session, member=member)
    session.commit()
    client = login("petugas.serang")
    sent: list[tuple[str, str]] = []

    def record_sql(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, repr(parameters)))

    sa.event.listen(db.engine, "before_cursor_execute", record_sql)
    try:
        _html(client, f"/admin/{screen}/details/?id={record.id}")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record_sql)
    # The record read in the clerk's scope (the office's condition, then the id).
    reads = [s for s in sent if f"FROM {screen}" in s[0] and f" AND {screen}.id = " in s[0]]
    # The scope check of _handle_view and the details view share one read of the record.
    assert len(reads) == 1, reads


def test_a_search_for_the_placeholder_leaves_the_links_right(session, login):
    from views.lean_list import PLACEHOLDER

    office = session.scalar(select(Office).where(Office.code == "B01"))
    member = make_member(session, office=office, name=f"Nama {PLACEHOLDER}")
    session.commit()
    html = _html(login("petugas.serang"), f"/admin/member/?search={PLACEHOLDER}")
    views = [h for row in _rows(html) for h in _hrefs(row, "fa-eye")]
    assert len(views) == 1 and _id(views[0]) == str(member.id)
    back = parse_qs(urlsplit(views[0]).query)["url"][0]
    assert parse_qs(urlsplit(back).query)["search"] == [PLACEHOLDER]
