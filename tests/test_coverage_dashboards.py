"""Coverage dashboards by role, in scope (issue #19): what each demo user sees, where each
figure leads (the member list filtered the same way, counting the same members), the
drill-down region -> regency -> its departments (and the offices serving it) -> sector, the XLSX export, and that a
place outside the user's scope answers 404."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import openpyxl
from sqlalchemy import func, select

from backoffice.clock import today_in_jakarta
from models import Department, Member, MemberStatus, Office
from tests import factories
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
    # The trend's table (readable without the chart): active at the end of each month, the
    # last one today's active figure, in Indonesian numbers.
    trend = page.by_id("coverage-trend-table")
    assert "Aktif pada akhir bulan" in trend.text
    last = [cells for cells in (r.all("td") for r in trend.all("tr")) if cells][-1]
    assert last[-1].text.strip() == f"{banten_active:,}".replace(",", ".")

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


def _rows(page: Page, id_: str) -> dict[str, list[Any]]:
    """A breakdown table's rows by the name in their first cell: the cells (nodes)."""
    table = page.by_id(id_)
    return {
        cells[0].text.strip(): cells for cells in (r.all("td") for r in table.all("tr")) if cells
    }


def _number(cell: Any) -> int:
    return int(cell.text.replace(".", "").strip())


def test_a_click_on_a_regency_opens_its_departments_then_sectors(login, session):
    client = login("kanwil.banten")
    banten = _banten(session)
    page = _page(client, "/admin/coverage/?regency=3604")
    assert "Menurut dinas, diurutkan menurut cakupan" in page.html
    assert page.text("coverage-crumbs").endswith("Kabupaten/kota: Kabupaten Serang")
    departments = {d.name: d for d in session.scalars(select(Department))}
    rows = _rows(page, "coverage-breakdown")
    # Every department of the regency (Department.regency_id), with its own figures: all its
    # members wherever they live, against its own target.
    assert set(rows) == set(departments)
    distan = departments["Dinas Pertanian Kab. Serang"]
    cells = rows[distan.name]
    own = _count(session, Member.department_id == distan.id)
    own_active = _count(
        session, Member.department_id == distan.id, Member.status == MemberStatus.ACTIVE
    )
    domiciled = _count(
        session, Member.department_id == distan.id, Member.domicile_regency_code == "3604"
    )
    assert own > domiciled  # some live in Kota Serang: counted too
    assert _number(cells[4]) == own == _listed(client, cells[4].all("a")[0].attrs["href"])
    assert _number(cells[1]) == own_active
    assert cells[5].text.strip() == "18.000"
    assert cells[6].text.strip() == page_percent(own_active, 18_000)

    # Below: the offices serving the regency, by their members domiciled in it.
    offices = _rows(page, "coverage-offices")
    assert offices
    total = sum(_number(cells[4]) for cells in offices.values())
    assert total == _count(
        session, Member.region_id == banten, Member.domicile_regency_code == "3604"
    )
    by_code = {o.code: o for o in session.scalars(select(Office))}
    for name, row in offices.items():
        office = by_code[name.split(" ", 1)[0]]
        assert row[0].all("a")[0].attrs["href"] == f"/admin/coverage/?office={office.id}"
        assert (
            _number(row[4])
            == _listed(client, row[4].all("a")[0].attrs["href"])
            == _count(
                session, Member.office_id == office.id, Member.domicile_regency_code == "3604"
            )
        )

    # The department opens on its own figures and target, by sector; the crumbs lead back.
    href = cells[0].all("a")[0].attrs["href"]
    assert href == f"/admin/coverage/?department={distan.id}"
    page = _page(client, href)
    assert "Menurut sektor" in page.html
    assert "dari 18.000 pekerja" in page.text("coverage-target")
    crumbs = page.text("coverage-crumbs")
    assert "Kabupaten/kota: Kabupaten Serang" in crumbs and crumbs.endswith(distan.name)
    shown, url = _figure(page, "fig-active")
    assert shown == own_active == _listed(client, url)
    sectors = _rows(page, "coverage-breakdown")
    assert sum(_number(c[4]) for c in sectors.values()) == own

    # An office (from the regency's second table) opens on its departments.
    serang = by_code["B01"]
    page = _page(client, f"/admin/coverage/?office={serang.id}")
    assert "Menurut dinas" in page.html
    assert page.text("coverage-crumbs").endswith(f"Kantor: B01 {serang.name}")
    assert not page.has_id("coverage-offices")


def page_percent(active: int, target: int) -> str:
    from backoffice.rules.figures import percent

    return percent(100.0 * active / target, "id")


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


CLAIM_NUMBER = re.compile(r"\b(?:JKK|JKM|JHT)-\d{6}\b")


def _claims_listed(client: Any, url: str) -> int:
    response = client.get(url + "&page_size=100")
    assert response.status_code == 200
    return len(set(CLAIM_NUMBER.findall(response.get_data(as_text=True))))


def test_the_clerk_sees_their_office_queue_claims_and_collections(login, session):
    today = today_in_jakarta()
    serang = session.scalar(select(Office).where(Office.code == "B01"))
    late = factories.make_claim(session, member=factories.make_member(session, office=serang))
    late.due_date = today - timedelta(days=2)
    session.commit()
    client = login("petugas.serang")
    page = _page(client)
    assert page.has_id("fig-claims-overdue") and page.has_id("fig-collected")
    # The branch's own office, by department: each department against its own target.
    assert "Menurut dinas" in page.html
    rows = _rows(page, "coverage-breakdown")
    assert rows["Dinas Pertanian Kab. Serang"][5].text.strip() == "18.000"
    _, url = _figure(page, "fig-waiting")
    assert url == "/admin/registration_queue/"
    assert _figure(page, "fig-claims-overdue")[0] >= 1  # the late claim at least
    # Each claim figure opens the claims it counts.
    for figure in ("fig-claims-received", "fig-claims-paid", "fig-claims-overdue"):
        count, url = _figure(page, figure)
        assert url.startswith("/admin/claim/?"), (figure, url)
        assert _claims_listed(client, url) == count, figure
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
    trend = list(book["Tren"].iter_rows(values_only=True))
    assert len(trend) == 13 and trend[0][4] == "Aktif pada akhir bulan"
    assert trend[-1][4] == figures["Peserta aktif"]  # the last month ends today
    # A regency's export: its departments and the offices serving it.
    response = client.get("/admin/coverage/export.xlsx?regency=3604")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    departments = [r[0] for r in book["Dinas"].iter_rows(values_only=True)][1:]
    assert "Dinas Pertanian Kab. Serang" in departments
    offices = list(book["Kantor (domisili)"].iter_rows(values_only=True))
    assert offices[0][0] == "Kantor" and len(offices) > 1
    assert sum(r[4] for r in offices[1:]) == _count(
        session, Member.region_id == _banten(session), Member.domicile_regency_code == "3604"
    )


def test_english_figures_are_english(login):
    client = login("kanwil.banten")
    client.post("/language", data={"locale": "en", "csrf_token": client.csrf_token()})
    page = _page(client)
    assert " of 2.620.000 workers (" in page.text("coverage-target")
    assert "By regency/city, ranked by coverage" in page.html


def _banten(session: Any) -> int:
    from models import Region

    return session.scalar(select(Region.id).where(Region.code == "BTN"))


def _dashboard_urls(session: Any) -> list[tuple[str, str]]:
    serang = session.scalar(select(Office.id).where(Office.code == "B01"))
    distan = session.scalar(select(Department.id).where(Department.name.like("Dinas Pertanian%")))
    return [
        ("kanwil.banten", "/admin/coverage/"),
        ("kanwil.banten", "/admin/coverage/?regency=3604"),
        ("kanwil.banten", f"/admin/coverage/?office={serang}"),
        ("kanwil.banten", f"/admin/coverage/?department={distan}"),
        ("kanwil.banten", f"/admin/coverage/?department={distan}&sector=agriculture"),
        ("kanwil.banten", "/admin/coverage/export.xlsx?regency=3604"),
        ("kepala.serang", "/admin/coverage/"),
        ("petugas.serang", "/admin/coverage/"),
        ("dinas.pertanian.serang", "/admin/coverage/"),
    ]


def _statements(client: Any, db: Any, url: str) -> list[str]:
    from backoffice import caching
    from tests.sql_recorder import Recorder

    caching.cache.clear()  # the menu badges and filter options: counted every time
    with Recorder(db.engine) as recorder:
        response = client.get(url)
    assert response.status_code == 200, url
    return recorder.sql


#: The statements of a dashboard with nothing cached: the user, the names of its offices,
#: departments, sectors and regencies, one per summary table (members grouped with the
#: breakdown, payments, claims, active changes), the trend's registrations, the targets of the
#: place and all its children in one, the overdue claims and the waiting batches, a regency's
#: departments and offices, and the page's menu badges and notifications.
DASHBOARD_STATEMENTS = 18


def test_a_dashboard_sends_a_fixed_number_of_statements_whatever_its_rows(
    login, session, db, backend
):
    """No statement per breakdown row (targets, names): a dashboard sends as many statements
    with 300 more members over more regencies, offices, departments and sectors as before."""
    from backoffice.seed.bulk import seed_bulk

    urls = _dashboard_urls(session)
    clients = {username: login(username) for username in {u for u, _ in urls}}
    before = {(u, url): len(_statements(clients[u], db, url)) for u, url in urls}
    rows_before = len(_rows(_page(clients["kanwil.banten"]), "coverage-breakdown"))
    seed_bulk(session, 300, 30, seed=7, fast_load=backend == "postgresql")
    session.commit()
    after = {(u, url): len(_statements(clients[u], db, url)) for u, url in urls}
    assert len(_rows(_page(clients["kanwil.banten"]), "coverage-breakdown")) > rows_before
    assert after == before
    assert max(after.values()) <= DASHBOARD_STATEMENTS, after
