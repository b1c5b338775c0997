"""Coverage dashboards by role, in scope (issue #19): what each demo user sees, where each
figure leads (the member list filtered the same way, counting the same members), the
drill-down region -> regency -> office -> department -> sector, the XLSX export, and that a
place outside the user's scope answers 404."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
from sqlalchemy import func, select

from backoffice.clock import today_in_jakarta
from models import Department, Member, MemberStatus, Office
from tests.html_page import Page

KPJ_CELL = re.compile(r'<td class="col-kpj">\s*(\d{11})')


def _page(client: Any, url: str = "/admin/coverage/") -> Page:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return Page(response)


def _listed(client: Any, url: str) -> int:
    """How many members the list at ``url`` shows (every page of 100)."""
    response = client.get(url + ("&" if "?" in url else "?") + "page_size=100")
    assert response.status_code == 200
    return len(KPJ_CELL.findall(response.get_data(as_text=True)))


def _count(session: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(Member).where(*where))


def _figure(page: Page, id_: str) -> tuple[int, str | None]:
    node = page.by_id(id_)
    return int(node.text.replace(".", "").strip()), node.attrs.get("href")


def test_the_regional_head_sees_banten_against_its_target_by_regency(login, session):
    client = login("kanwil.banten")
    page = _page(client)
    banten_active = _count(
        session, Member.region_id == _banten(session), Member.status == MemberStatus.ACTIVE
    )
    assert banten_active > 0
    assert page.text("coverage-target").startswith(
        f"Terlindungi: {banten_active} dari 2.620.000 pekerja"
    )
    assert "Plt Gubernur Banten, Juni 2015" in page.html
    assert "Menurut kabupaten/kota, diurutkan menurut cakupan" in page.html
    assert "Jakarta" not in page.text("coverage-breakdown")

    # Every figure opens the member list counting exactly those members.
    for id_, status in (("fig-active", "active"), ("fig-lapsed", "lapsed"), ("fig-ended", "ended")):
        shown, url = _figure(page, id_)
        expected = _count(session, Member.region_id == _banten(session), Member.status == status)
        assert shown == expected == _listed(client, url), id_
    # The ranking: each regency row links to its drill-down and its members.
    table = page.by_id("coverage-breakdown")
    links = [a.attrs["href"] for a in table.all("a")]
    assert any("regency=3673" in link for link in links)  # Kota Serang, KC Serang's members
    row_total = sum(
        int(cells[4].text.replace(".", ""))
        for cells in (r.all("td") for r in table.all("tr"))
        if cells
    )
    assert row_total == _count(session, Member.region_id == _banten(session))


def test_a_click_on_a_regency_opens_its_offices_then_departments_then_sectors(login, session):
    client = login("kanwil.banten")
    page = _page(client, "/admin/coverage/?regency=3673")
    assert "Menurut kantor" in page.html
    assert page.text("coverage-crumbs").endswith("Kabupaten/kota: Kota Serang")
    serang = session.scalar(select(Office.id).where(Office.code == "B01"))
    page = _page(client, f"/admin/coverage/?regency=3673&office={serang}")
    assert "Menurut dinas" in page.html
    distan = session.scalar(select(Department).where(Department.name.like("Dinas Pertanian%")))
    page = _page(client, f"/admin/coverage/?regency=3673&office={serang}&department={distan.id}")
    assert "Menurut sektor" in page.html
    # The department's own target: 18.000.
    assert "dari 18.000 pekerja" in page.text("coverage-target")
    shown, url = _figure(page, "fig-active")
    expected = _count(
        session,
        Member.department_id == distan.id,
        Member.office_id == serang,
        Member.domicile_regency_code == "3673",
        Member.status == MemberStatus.ACTIVE,
    )
    assert shown == expected == _listed(client, url)


def test_the_liaison_sees_their_department_against_its_target(login, session):
    client = login("dinas.pertanian.serang")
    page = _page(client)
    distan = session.scalar(select(Department).where(Department.name.like("Dinas Pertanian%")))
    active = _count(
        session, Member.department_id == distan.id, Member.status == MemberStatus.ACTIVE
    )
    assert page.text("coverage-target").startswith(f"Terlindungi: {active} dari 18.000 pekerja")
    assert "Menurut sektor" in page.html
    assert not page.has_id("fig-claims-received")  # claims are the office's business
    assert page.has_id("fig-waiting")
    assert "2.620.000" not in page.html and "Diskoumperindag" not in page.html
    # Another department, or an office of another region: as if it did not exist.
    other = session.scalar(select(Department.id).where(Department.name.like("Diskoumperindag%")))
    assert client.get(f"/admin/coverage/?department={other}").status_code == 200  # ignored
    salemba = session.scalar(select(Office.id).where(Office.code == "D21"))
    assert client.get(f"/admin/coverage/?office={salemba}").status_code == 404


def test_the_clerk_sees_their_office_queue_claims_and_collections(login, session):
    client = login("petugas.serang")
    page = _page(client)
    assert page.has_id("fig-claims-overdue") and page.has_id("fig-collected")
    assert "Menurut kantor" in page.html
    _, url = _figure(page, "fig-waiting")
    assert url == "/admin/registration_queue/"
    _, url = _figure(page, "fig-claims-overdue")
    assert url == "/admin/claim_queue/"
    assert "Salemba" not in page.text("coverage-breakdown")
    salemba = session.scalar(select(Office.id).where(Office.code == "D21"))
    assert client.get(f"/admin/coverage/?office={salemba}").status_code == 404
    assert client.get("/admin/coverage/?sector=nothing").status_code == 404


def test_the_auditor_reads_like_the_regional_head(login):
    page = _page(login("auditor.banten"))
    assert "dari 2.620.000 pekerja" in page.text("coverage-target")


def test_the_export_has_the_figures_and_the_target(login, session):
    client = login("kanwil.banten")
    response = client.get("/admin/coverage/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    figures = {row[0]: row[1] for row in book["Angka"].iter_rows(values_only=True)}
    assert figures["Target"] == 2_620_000
    assert figures["Peserta aktif"] == _count(
        session, Member.region_id == _banten(session), Member.status == MemberStatus.ACTIVE
    )
    assert "Plt Gubernur Banten" in figures["Sumber target"]
    assert figures["Tanggal"] == today_in_jakarta().strftime("%d/%m/%Y")
    regencies = list(book["Kabupaten-kota"].iter_rows(values_only=True))
    assert regencies[0][0] == "Kabupaten/kota" and len(regencies) > 2
    assert len(list(book["Tren"].iter_rows(values_only=True))) == 13


def test_english_figures_are_english(login):
    client = login("kanwil.banten")
    client.post("/language", data={"locale": "en", "csrf_token": client.csrf_token()})
    page = _page(client)
    assert " of 2.620.000 workers (" in page.text("coverage-target")
    assert "By regency/city, ranked by coverage" in page.html


def _banten(session: Any) -> int:
    from models import Region

    return session.scalar(select(Region.id).where(Region.code == "BTN"))
