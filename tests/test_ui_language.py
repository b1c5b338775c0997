"""Every screen of every demo role reads as Indonesian: no code identifier, raw JSON or English
text (issue #18). The checker is tests/ui_language.py; the browser tour of
tests/e2e/test_roles_tour.py runs it too."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backoffice.seed.demo import seed_demo
from models import User
from tests.ui_language import links, problems, screen_of, visible_texts

ROLES = [
    "admin",
    "kanwil.banten",
    "kepala.serang",
    "petugas.serang",
    "dinas.pertanian.serang",
    "diskoumperindag.serang",
    "auditor.banten",
]


def crawl(client, *, details_per_screen: int = 1) -> dict[str, str]:
    """Home, each menu screen's list, a details page and a create/edit form of each: url -> html."""
    pages: dict[str, str] = {}

    def visit(url: str) -> str | None:
        if url in pages:
            return pages[url]
        response = client.get(url, headers={"Accept-Language": "id"})
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        pages[url] = response.get_data(as_text=True)
        return pages[url]

    home = visit("/admin/")
    menu = [u for u in dict.fromkeys(links(home).menu) if "javascript" not in u]
    for url in menu:
        html = visit(url)
        found = links(html)
        screen = screen_of(url)
        for detail in [d for d in found.details if screen_of(d) == screen][:details_per_screen]:
            details_html = visit(detail)
            for form in [f for f in links(details_html).forms if screen_of(f) == screen][:1]:
                visit(form)
        for form in [f for f in found.forms if screen_of(f) == screen and "/new/" in f][:1]:
            visit(form)
        for form in [f for f in found.forms if screen_of(f) == screen and "/edit/" in f][:1]:
            visit(form)
    return pages


@pytest.fixture
def demo_with_claims(session):
    seed_demo(session)  # the template leaves the demo's claims (and their audit events) out
    session.commit()
    return session


@pytest.mark.parametrize("username", ROLES)
def test_every_screen_of_a_role_reads_as_indonesian(demo_with_claims, login, username):
    usernames = set(demo_with_claims.scalars(sa.select(User.username)))
    client = login(username)
    pages = crawl(client)
    assert len(pages) > 3, sorted(pages)
    found = [f"{url}: {p}" for url, html in pages.items() for p in problems(html, usernames)]
    assert not found, "\n".join(found)


# --- the checker itself --------------------------------------------------------------------


def page(body: str) -> str:
    return f"<html><head><title>Beranda</title></head><body>{body}</body></html>"


def test_the_checker_flags_code_json_and_english():
    html = page(
        "<td>approval.limit.branch_clerk</td><td>member.kpj, member.name, claimant_name</td>"
        '<td>JKK_TRANSPORT</td><pre>{"amount": 5}</pre><p>Limit of the branch clerk</p>'
        "<p>Approval queue</p>"
    )
    kinds = {(p.kind, p.piece) for p in problems(html)}
    assert ("dotted key", "approval.limit.branch_clerk") in kinds
    assert ("dotted key", "member.kpj,") in kinds
    assert ("code identifier", "claimant_name") in kinds
    assert ("enum value", "JKK_TRANSPORT") in kinds
    assert ("raw JSON", '{"amount":') in kinds
    assert ("English word", "the") in kinds
    assert ("untranslated message", "Approval queue") in kinds


def test_the_checker_leaves_indonesian_names_masks_and_amounts_alone():
    html = page(
        "<td>H. Mulyadi</td><td>3604********0001</td><td>Rp16.800</td><td>Rp1.234,50</td>"
        "<td>petugas.serang</td><td>anggota.xlsx</td><td>0812****7890</td><td>22/11/2026</td>"
        "<td>s.d. 31/12/2026</td><td>KC Serang</td><td>Antrean persetujuan</td>"
        '<input type="hidden" name="member_id" value="approval.limit.x">'
        '<a href="/admin/claim/?search=member.kpj" title="the claims">Klaim</a>'
        '<script>var x = {"a": 1}; call_me();</script>'
    )
    assert problems(html, {"petugas.serang"}) == []


def test_visible_text_leaves_out_scripts_hidden_elements_and_attributes():
    html = page('<p hidden>secret_key</p><p data-x="a_b">Terlihat</p><style>.a_b{}</style>')
    assert visible_texts(html) == ["Beranda", "Terlihat"]


# --- what the checker found, fixed ----------------------------------------------------------


def test_benefit_parameters_read_by_name_with_their_unit(session, login):
    admin = login("admin")
    html = admin.get("/admin/benefit_parameter/?page_size=100").get_data(as_text=True)
    assert problems(html) == []
    text = " ".join(visible_texts(html))
    assert "approval.limit" not in text
    assert "Batas persetujuan petugas kantor cabang Rp50.000.000" in text
    assert "petugas kantor cabang menyetujui klaim sampai jumlah ini" in text
    assert "Potongan iuran JKK dan JKM PP 50/2025, sektor Transportasi" in text
    assert "Periode pembayaran 12 bulan 12 bulan" in text
    assert "Target layanan JKM 3 hari kerja" in text
    assert "Beasiswa: bulan awal tahun ajaran Juli" in text


def test_a_note_the_administrator_wrote_is_shown_as_written(session, login):
    from models import BenefitParameter

    row = session.scalar(sa.select(BenefitParameter).where(BenefitParameter.key == "jkm.lump_sum"))
    row.note = "Catatan admin: sesuai PP 82/2019"
    session.commit()
    html = (
        login("admin").get(f"/admin/benefit_parameter/details/?id={row.id}").get_data(as_text=True)
    )
    text = " ".join(visible_texts(html))
    assert "Catatan admin: sesuai PP 82/2019" in text
    assert "Parameter JKM santunan sekaligus Nilai Rp20.000.000" in text


def test_the_audit_details_are_a_table_in_indonesian(demo_with_claims, login, user):
    from backoffice.services.users import UserData, update_user
    from models import AuditEvent, Claim

    clerk = user("petugas.serang")
    data = UserData(
        username=clerk.username,
        full_name="Petugas Serang Baru",
        role=clerk.role,
        email=clerk.email,
        office=clerk.office,
        locale=clerk.locale,
    )
    update_user(demo_with_claims, clerk, data, actor=user("admin"))
    demo_with_claims.commit()
    event = demo_with_claims.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "edit").order_by(AuditEvent.id.desc())
    ).first()
    admin = login("admin")
    html = admin.get(f"/admin/audit/details/?id={event.id}").get_data(as_text=True)
    usernames = set(demo_with_claims.scalars(sa.select(User.username)))
    assert problems(html, usernames) == []
    text = " ".join(visible_texts(html))
    assert "Perubahan Isian Sebelum Sesudah Nama lengkap Petugas Pelayanan KC Serang" in text
    assert "Petugas Serang Baru" in text and '{"' not in html.split("audit-details")[1][:2000]

    claim = demo_with_claims.scalars(sa.select(Claim).order_by(Claim.id)).first()
    claim_event = demo_with_claims.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.record_type == "claim", AuditEvent.record_id == str(claim.id)
        )
    ).first()
    html = admin.get(f"/admin/audit/details/?id={claim_event.id}").get_data(as_text=True)
    assert str(claim) in " ".join(visible_texts(html))  # JKM-000001, not "Klaim 1"
    listing = admin.get(f"/admin/audit/?search={claim}").get_data(as_text=True)
    assert str(claim) in " ".join(visible_texts(listing))


def test_every_page_has_the_favicon(client, login):
    login_page = client.get("/login").get_data(as_text=True)
    home = login("petugas.serang").get("/admin/").get_data(as_text=True)
    for html in (login_page, home):
        assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in html
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.get_data(as_text=True).startswith("<svg")
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.headers["Location"].endswith("/static/favicon.svg")


def test_the_search_box_of_a_details_page_says_what_it_does(session, login):
    from tests.html_page import Page

    page = Page(login("admin").get("/admin/office/details/?id=1"))
    box = page.by_id("details-search")
    assert box.text.startswith("Cari isian pada rincian ini")
    assert "Hanya baris yang memuat kata yang diketik" in box.text
    assert page.by_id("fa_filter").attrs["aria-describedby"] == "fa_filter_help"
