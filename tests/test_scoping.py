"""Every user sees only their region, office or department; out of scope is 404.

On the empty database with the small organisation of tests/fixtures/org.py: two regions, KC
Serang with two KCPs, two more KCs of Banten (one with a KCP), one KC of Jakarta, departments
served by KC Serang, and a user of each demo login.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_login import login_user
from sqlalchemy import select

from models import Office, User
from tests.factories import make_department
from tests.fixtures.org import Org, make_org
from views.users import UserView


@pytest.fixture(autouse=True)
def org(empty_db) -> Org:
    return make_org(empty_db)


def office_id(session, name: str, kind: str = "KC") -> int:
    return session.scalar(select(Office.id).where(Office.name == name, Office.office_type == kind))


def listed_names(html: str) -> set[str]:
    return set(re.findall(r'<td class="col-name">\s*(.*?)\s*</td>', html, re.S))


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("petugas.cilegon", {"Cilegon"}),
        ("petugas.serang", {"Serang"}),
        ("kepala.serang", {"Serang", "Lebak", "Cikande"}),
        ("kanwil.jakarta", {"Jakarta Salemba"}),
        ("petugas.salemba", {"Jakarta Salemba"}),
    ],
)
def test_office_list_shows_only_offices_in_scope(login, username, expected):
    page = login(username).get("/admin/office/?page_size=100")
    assert page.status_code == 200
    assert listed_names(page.get_data(as_text=True)) == expected


def test_regional_head_sees_every_office_of_the_region_and_no_other(login):
    html = login("kanwil.banten").get("/admin/office/?page_size=100").get_data(as_text=True)
    names = listed_names(html)
    assert names == {"Serang", "Cilegon", "Tangerang Batuceper", "Lebak", "Cikande", "Dadap"}
    assert "Jakarta Salemba" not in names
    # the count Flask-Admin shows comes from the scoped count query
    assert "Jakarta" not in html


def test_clerk_of_other_office_gets_404_on_office_details_and_edit(login, session):
    serang = office_id(session, "Serang")
    client = login("petugas.cilegon")
    assert client.get(f"/admin/office/details/?id={serang}").status_code == 404
    assert client.get(f"/admin/office/edit/?id={serang}").status_code == 404
    assert client.post(f"/admin/office/edit/?id={serang}", data={"name": "x"}).status_code == 404


def test_out_of_scope_row_and_missing_row_answer_the_same(login, session):
    client = login("petugas.cilegon")
    serang = office_id(session, "Serang")
    out_of_scope = client.get(f"/admin/office/details/?id={serang}")
    missing = client.get("/admin/office/details/?id=999999")
    garbage = client.get("/admin/office/details/?id=abc")
    assert out_of_scope.status_code == missing.status_code == garbage.status_code == 404

    # identical pages but for the requested URL echoed in the language switch and the CSRF
    # token (signed with the time it was issued: two pages a second apart differ there)
    def page(response: Any, requested: str) -> str:
        html = response.get_data(as_text=True).replace(requested, "id=N")
        return re.sub(r'(name="csrf_token" type="hidden" value=)"[^"]*"', r'\1"T"', html)

    assert page(out_of_scope, f"id={serang}") == page(missing, "id=999999")


def test_clerk_can_open_own_office_details(login, session):
    cilegon = office_id(session, "Cilegon")
    page = login("petugas.cilegon").get(f"/admin/office/details/?id={cilegon}")
    assert page.status_code == 200
    assert "Cilegon" in page.get_data(as_text=True)


def test_export_contains_only_rows_in_scope(login):
    export = login("kanwil.jakarta").get("/admin/office/export/csv/")
    assert export.status_code == 200
    body = export.get_data(as_text=True)
    assert "Jakarta Salemba" in body
    assert "Serang" not in body and "Cilegon" not in body


def test_user_list_of_regional_head_is_limited_to_the_region(login):
    html = login("kanwil.jakarta").get("/admin/user/?page_size=100").get_data(as_text=True)
    assert "petugas.salemba" in html
    assert "petugas.serang" not in html and "dinas.pertanian.serang" not in html


def test_auditor_sees_banten_users_including_liaisons(login):
    html = login("auditor.banten").get("/admin/user/?page_size=100").get_data(as_text=True)
    for username in ("kepala.serang", "petugas.cilegon", "dinas.pertanian.serang", "kanwil.banten"):
        assert username in html
    assert "petugas.salemba" not in html and "kanwil.jakarta" not in html


def test_liaison_sees_no_office_or_user_administration(login):
    client = login("dinas.pertanian.serang")
    home = client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/office/", "/admin/user/", "/admin/region/", "/admin/department/"):
        assert f'href="{path}"' not in home
        assert client.get(path).status_code == 403


def test_menu_shows_only_screens_the_role_may_use(login):
    home = login("petugas.serang").get("/admin/").get_data(as_text=True)
    assert 'href="/admin/office/"' in home
    assert 'href="/admin/user/"' not in home
    assert 'href="/admin/region/"' not in home


def test_relationship_choices_offer_only_rows_in_scope(app, session):
    """A select field of a related model lists only what the user may see."""
    view = next(v for v in app.extensions["admin"][0]._views if isinstance(v, UserView))
    jakarta_head = session.scalar(select(User).where(User.username == "kanwil.jakarta"))
    with app.test_request_context("/admin/user/new/"):
        login_user(jakarta_head)
        form = view.create_form()
        regions = {str(r) for r in form.region.query}
        offices = {o.name for o in form.office.query}
    assert regions == {"Kanwil DKI Jakarta"}
    assert offices == {"Jakarta Salemba"}


def test_clerk_cannot_create_or_edit_offices_even_by_forged_post(login, session):
    client = login("petugas.serang")
    own = office_id(session, "Serang")
    assert (
        client.post("/admin/office/new/", data={"code": "X1", "name": "Palsu"}).status_code == 403
    )
    assert client.post(f"/admin/office/edit/?id={own}", data={"name": "Palsu"}).status_code == 403
    assert session.scalar(select(Office).where(Office.name == "Palsu")) is None


def test_export_neutralises_formulas_and_pages_escape_html(login, session, org):
    make_department(
        session, office=org.offices["B01"], name='=HYPERLINK("http://x")<script>alert(1)</script>'
    )
    session.commit()
    client = login("admin")
    export = client.get("/admin/department/export/csv/").get_data(as_text=True)
    assert "'=HYPERLINK" in export
    assert "\n=HYPERLINK" not in export and ";=HYPERLINK" not in export
    page = client.get("/admin/department/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
