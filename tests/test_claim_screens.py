"""Claims through the screens, as the people who use them (HTTP, SQLite and PostgreSQL).

A clerk of KC Serang registers a claim for a member of the office, uploads and checks its
documents and verifies it; a second clerk approves it (or the branch head, or the regional head,
above the clerk's limit); the payment is recorded. Assertions are on what a user sees
(Indonesian, the default language) and on what was stored. The service rules themselves are
covered in tests/test_claims.py; members and their ledgers come from
tests/fixtures/claim_world.py.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from backoffice import authz
from backoffice.services import claim_decisions, claim_documents
from backoffice.services import claims as service
from models import Claim, ClaimDocument, ClaimState, ClaimType, Role
from tests.fixtures import claim_world as world
from tests.html_page import Node, Page, follow, get
from tests.steps import done

C = ClaimState
CLERK, SECOND_CLERK, HEAD = "petugas.serang", "petugas2.serang", "kepala.serang"
OTHER_OFFICE_CLERK = "petugas.cilegon"
REGIONAL_HEAD, OTHER_REGION_HEAD = "kanwil.banten", "kanwil.jakarta"
LIAISON, AUDITOR = "dinas.pertanian.serang", "auditor.banten"
STALE = "Data ini baru saja diubah oleh orang lain. Muat ulang halaman untuk melihat keputusannya."


@pytest.fixture
def settings(app: Any) -> claim_documents.DocumentSettings:
    return claim_documents.DocumentSettings.from_config(app.config, app.instance_path)


# --- reading pages (the idea of tests/test_member_batch_screens.py) ----------------------------


def details_url(claim_id: int) -> str:
    return f"/admin/claim/details/?id={claim_id}"


# --- steps -------------------------------------------------------------------------------------


def claim_form(member: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "kpj": member.kpj,
        "claim_type": "JKM",
        "event_date": world.recent_event().isoformat(),
        "jht_reason": "",
        "claimant_name": world.HEIR_NAME,
        "claimant_nik": world.HEIR_NIK,
        "claimant_relationship": "spouse",
        "bank_name": "BRI",
        "bank_account": "0123-01-000123-50-1",
        "account_holder": world.HEIR_NAME,
        "transport_mode": "",
        **child_fields(("Putri", 8, "tk_sd"), ("Bagas", 14, "smp")),
    }
    data.update(overrides)
    return data


def child_fields(*children: tuple[str, int, str], **flags: str) -> dict[str, str]:
    """The children rows of the claim form: (name, age this year, school level) each."""
    fields: dict[str, str] = {}
    for n in range(4):
        name, age, level = children[n] if n < len(children) else ("", 0, "")
        born = date(world.today().year - age, 2, 1).isoformat() if name else ""
        fields |= {
            f"children-{n}-child_name": name,
            f"children-{n}-birth_date": born,
            f"children-{n}-level": level,
        }
    return fields | flags


def registered(client: Any, member: Any, **overrides: Any) -> int:
    response = client.post("/admin/claim/new/", data=claim_form(member, **overrides))
    assert response.status_code == 302, Page(response).alerts("danger")
    match = re.search(r"/admin/claim/details/\?id=(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def upload(client: Any, claim_id: int, requirement_id: str, data: bytes, filename: str) -> Any:
    return client.post(
        f"/admin/claim/document/upload/?id={claim_id}",
        data={"requirement_id": requirement_id, "file": (io.BytesIO(data), filename)},
    )


def requirement_of(page: Page, code: str) -> str:
    return page.by_id(f"doc-{code}").one("input", name="requirement_id").attrs["value"]


def decide(client: Any, claim_id: int, action: str, version: str | None = None, **form: Any) -> Any:
    if version is None:
        version = get(client, details_url(claim_id)).version()
    return client.post(
        "/admin/claim/decide/", data={"id": claim_id, "action": action, "version": version, **form}
    )


def claims_of(session: Any, member: Any) -> int:
    return session.scalar(
        select(func.count()).select_from(Claim).where(Claim.member_id == member.id)
    )


def queue_rows(client: Any) -> dict[str, Node]:
    """The rows of the user's claim queue by claim number (``JKM-000001``), in their order."""
    page = get(client, "/admin/claim_queue/")
    rows = {}
    for tr in page.dom.all("tr"):
        cells = tr.all("td", "col-id")
        if cells:
            rows[cells[0].text] = tr
    return rows


def waiting(session: Any, user: Any, username: str) -> int:
    """How many claims wait for ``username`` (what the menu badge should say)."""
    actor = user(username)
    condition = claim_decisions.queue_condition(actor) & authz.row_condition(actor, Claim)
    return session.scalar(select(func.count()).select_from(Claim).where(condition))


def service_claim(
    session: Any, user: Any, data: service.ClaimData, settings: Any, *, verify: bool = True
) -> Claim:
    """A claim made through the service: registered by the clerk, documents checked, verified."""
    claim = done(session, service.register_claim, user(CLERK), data)
    actor = user(CLERK)
    for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
        content, filename = world.document_bytes(index)
        document = done(
            session,
            claim_documents.upload_document,
            actor,
            claim,
            requirement.id,
            content,
            filename,
            settings=settings,
        )
        done(session, claim_documents.check_document, actor, document)
    if verify:
        done(session, claim_decisions.decide, actor, claim.id, "verify")
    return claim


# --- 1. the journey ----------------------------------------------------------------------------


def test_clerk_registers_documents_and_verifies_a_jkm_claim_another_clerk_approves_it_is_paid(
    login, session, user
):
    member = world.paid_member(session, years=4)
    clerk = login(CLERK)
    form = get(clerk, "/admin/claim/new/")
    assert form.has_id("claim-form")
    claim_id = registered(clerk, member)
    number = f"JKM-{claim_id:06d}"
    page = get(clerk, details_url(claim_id))
    assert page.alerts("success") == [f"Klaim {number} terdaftar: Rp45.500.000. Unggah dokumennya."]
    assert page.text("item-state") == "diajukan"
    assert page.text("total") == "Rp45.500.000"
    breakdown = page.table("breakdown")
    assert [row[1] for row in breakdown] == [
        "Rp20.000.000",
        "Rp12.000.000",
        "Rp10.000.000",
        "Rp1.500.000",
        "Rp2.000.000",
    ]
    assert breakdown[0][0] == "Santunan sekaligus"
    year = world.school_year(world.recent_event())
    assert breakdown[3][0].startswith(
        f"Beasiswa, Putri (anak ke-1, TK/SD), tahun ajaran {year}/{year + 1}"
    )
    assert breakdown[4][0].startswith("Beasiswa, Bagas (anak ke-2, SMP)")
    # The children as entered, and the scholarship school year by school year: this school
    # year paid with the claim, the next ones later, while the child qualifies (PP 82/2019).
    assert [row[1:4] for row in page.table("claim-children")] == [
        ["Putri", f"01/02/{world.today().year - 8}", "TK/SD"],
        ["Bagas", f"01/02/{world.today().year - 14}", "SMP"],
    ]
    schedule = page.table("scholarship-schedule")
    assert schedule[0][:2] == [f"{year}/{year + 1}", "Putri"]
    assert schedule[0][5] == "bersama klaim ini" and schedule[1][1] == "Bagas"
    assert schedule[2][0] == f"{year + 1}/{year + 2}"
    assert schedule[2][5] == "pada tahun ajaran itu, dengan bukti bersekolah"
    assert len(schedule) == len(service.shown_schedule(session.get(Claim, claim_id)))
    assert page.text("coverage").startswith("Pada tanggal kejadian: 48 bulan iuran dibayar")
    documents = page.table("documents")
    assert len(documents) == len(world.JKM_DOCUMENTS)
    assert all(row[1] == "belum ada" for row in documents)
    assert "verify" not in page.actions() and "approve" not in page.actions()
    assert not page.has_id("due-date")

    # every document of the checklist: PDF, JPEG and PNG in turn, then checked
    for index, code in enumerate(world.JKM_DOCUMENTS):
        content, filename = world.document_bytes(index)
        after = follow(
            clerk, upload(clerk, claim_id, requirement_of(page, code), content, filename)
        )
        assert after.alerts("success") == ["Dokumen telah diunggah."]
    page = get(clerk, details_url(claim_id))
    assert page.has_id("due-date") and "verify" not in page.actions()
    for code in world.JKM_DOCUMENTS:
        document_id = page.by_id(f"doc-{code}").one("input", name="document_id").attrs["value"]
        checked = follow(
            clerk, clerk.post("/admin/claim/document/check/", data={"document_id": document_id})
        )
        assert checked.alerts("success") == ["Dokumen ditandai sudah diperiksa."]
    page = get(clerk, details_url(claim_id))
    assert all("Petugas Pelayanan KC Serang" in row[2] for row in page.table("documents"))
    assert "verify" in page.actions()
    verified = follow(clerk, decide(clerk, claim_id, "verify"))
    assert verified.text("item-state") == "diverifikasi"
    assert verified.alerts("success") == [f"Klaim {number} kini berstatus diverifikasi."]

    # the one who registered and verified it cannot approve it
    assert "approve" not in verified.actions()
    assert decide(clerk, claim_id, "approve", verified.version()).status_code == 403
    session.expire_all()
    assert session.get(Claim, claim_id).state is C.VERIFIED

    second = login(SECOND_CLERK)
    assert number in queue_rows(second)
    assert get(second, "/admin/").text("claim-count") == str(waiting(session, user, SECOND_CLERK))
    page = get(second, details_url(claim_id))
    assert {"approve", "return", "reject"} <= page.actions()
    approved = follow(second, decide(second, claim_id, "approve", page.version()))
    assert approved.text("item-state") == "disetujui"

    page = get(clerk, details_url(claim_id))
    assert page.actions() == {"pay"} and page.has_id("payment_reference")
    paid = follow(
        clerk,
        decide(
            clerk,
            claim_id,
            "pay",
            page.version(),
            payment_reference="BRI-TRF-0001",
            paid_on=world.today().isoformat(),
        ),
    )
    assert paid.text("item-state") == "dibayar"
    assert paid.text("payment") == f"{world.today():%d/%m/%Y}, referensi transfer BRI-TRF-0001"
    assert paid.text("total") == "Rp45.500.000"
    assert not paid.has_id("decision") and not paid.has_id("edit-link")
    history = paid.table("history")
    assert len(history) == 1 + 2 * len(world.JKM_DOCUMENTS) + 3
    assert [row[1] for row in history[-3:]] == [CLERK, SECOND_CLERK, CLERK]
    assert number not in queue_rows(clerk)


def test_a_clerk_of_another_office_gets_not_found_for_the_claim_and_its_documents(
    login, session, user, settings
):
    claim = service_claim(session, user, world.jkm_data(world.paid_member(session)), settings)
    document = session.scalars(
        select(ClaimDocument).where(ClaimDocument.claim_id == claim.id)
    ).first()
    version = str(claim.version)
    cilegon = login(OTHER_OFFICE_CLERK)
    get(cilegon, details_url(claim.id), 404)
    get(cilegon, f"/admin/claim/edit/?id={claim.id}", 404)
    get(cilegon, f"/admin/claim/document/?id={document.id}", 404)
    assert decide(cilegon, claim.id, "approve", version).status_code == 404
    assert decide(cilegon, claim.id, "reject", version, comment="x").status_code == 404
    assert (
        cilegon.post("/admin/claim/document/check/", data={"document_id": document.id}).status_code
        == 404
    )
    assert (
        upload(cilegon, claim.id, str(document.requirement_id), world.PDF, "x.pdf").status_code
        == 404
    )
    assert f"JKM-{claim.id:06d}" not in get(cilegon, "/admin/claim/").html
    assert f"JKM-{claim.id:06d}" not in queue_rows(cilegon)
    # and a KPJ of KC Serang is no member of Cilegon's when registering
    page = Page(cilegon.post("/admin/claim/new/", data=claim_form(claim.member)))
    assert page.status == 200
    assert "Tidak ada peserta dengan nomor KPJ ini di kantor Anda." in page.html
    session.expire_all()
    assert session.get(Claim, claim.id).state is C.VERIFIED
    assert claims_of(session, claim.member) == 1


def test_a_refused_registration_shows_why_and_keeps_nothing(login, session):
    member = world.member_in_arrears(session)
    page = Page(login(CLERK).post("/admin/claim/new/", data=claim_form(member)))
    assert page.status == 200 and page.has_id("claim-form")
    [message] = page.alerts("danger")
    assert message.startswith("Peserta tidak terlindungi pada ")
    assert "nonaktif sejak" in message and "lebih dari 3 bulan berturut-turut" in message
    assert claims_of(session, member) == 0


def test_the_relationship_is_chosen_never_assumed(login, session):
    """ "The member themself" is wrong for every JKM claim: the form preselects nothing and a
    claim without a chosen relationship is refused on the field."""
    member = world.paid_member(session)
    clerk = login(CLERK)
    form = clerk.get("/admin/claim/new/").get_data(as_text=True)
    chosen = re.search(r'<select[^>]*name="claimant_relationship".*?</select>', form, re.S)
    assert chosen is not None and "selected" not in chosen.group(0).split("</option>", 1)[1]
    assert "- pilih -" in chosen.group(0)
    page = Page(clerk.post("/admin/claim/new/", data=claim_form(member, claimant_relationship="")))
    assert page.status == 200 and page.has_id("claim-form")
    assert "Pilih hubungan pengaju klaim dengan peserta." in page.text("claim-form")
    assert claims_of(session, member) == 0


def test_a_child_needs_a_name_a_birth_date_and_a_level(login, session):
    member = world.paid_member(session)
    incomplete = child_fields(("Putri", 8, "tk_sd")) | {"children-0-birth_date": ""}
    page = Page(login(CLERK).post("/admin/claim/new/", data=claim_form(member, **incomplete)))
    assert page.status == 200 and page.has_id("claim-form")
    assert "Isi tanggal lahir anak." in page.text("child-row-1")
    future = child_fields(("Putri", 8, "tk_sd")) | {"children-0-birth_date": "2999-01-01"}
    page = Page(login(CLERK).post("/admin/claim/new/", data=claim_form(member, **future)))
    assert "Tanggal lahir tidak boleh di masa depan." in page.text("child-row-1")
    assert claims_of(session, member) == 0


def test_a_work_accident_death_lists_the_childrens_scholarship_without_a_minimum(login, session):
    """domain.md: JKK (death ...) has no minimum of contributions for the scholarship."""
    member = world.make_member(session, paid_months=5)  # far from 36 months
    form = claim_form(
        member,
        claim_type="JKK",
        claimant_relationship="spouse",
        death="y",
        accident_place="Jl. Raya Serang",
        event_date=world.recent_event(days=10).isoformat(),
    )
    claim_id = registered(login(CLERK), member, **form)
    page = get(login(CLERK), details_url(claim_id))
    schedule = page.table("scholarship-schedule")
    assert {row[1] for row in schedule} == {"Putri", "Bagas"}
    assert page.text("total") == "Rp73.500.000"  # 48 x 1 M + 10 M + 12 M + 1,5 M + 2 M


# --- 2. approval levels ------------------------------------------------------------------------


def test_above_the_clerk_limit_the_claim_goes_to_the_branch_heads_queue(
    login, session, user, settings
):
    member = world.paid_member(session, income=2_000_000)
    claim = service_claim(session, user, world.jkk_data(member, death=True), settings)
    number = f"JKK-{claim.id:06d}"
    second = login(SECOND_CLERK)
    assert "Rp118.000.000" in queue_rows(second)[number].text
    sent = follow(second, decide(second, claim.id, "approve"))
    assert sent.alerts("success") == [
        f"Klaim {number} (Rp118.000.000) melebihi batas persetujuan Anda dan diteruskan ke "
        "Kepala Kantor Cabang."
    ]
    assert sent.text("item-state") == "diverifikasi"
    assert "Kepala Kantor Cabang" in sent.text("stage")
    assert "approve" not in sent.actions()
    assert number not in queue_rows(second)

    head = login(HEAD)
    rows = queue_rows(head)
    assert number in rows and "Kepala Kantor Cabang" in rows[number].one("td", "col-stage").text
    assert get(head, "/admin/").text("claim-count") == str(waiting(session, user, HEAD))
    page = get(head, details_url(claim.id))
    assert "approve" in page.actions()
    approved = follow(head, decide(head, claim.id, "approve", page.version()))
    assert approved.text("item-state") == "disetujui"
    session.expire_all()
    stored = session.get(Claim, claim.id)
    assert stored.approved_by.username == HEAD and stored.approval_level is Role.BRANCH_HEAD
    assert number not in queue_rows(head)


def test_above_the_branch_head_limit_the_regional_head_approves_and_another_region_sees_nothing(
    login, session, user, settings
):
    member = world.paid_member(session, income=5_000_000)
    claim = service_claim(session, user, world.jkk_data(member, death=True), settings)
    number = f"JKK-{claim.id:06d}"
    assert (
        follow(login(SECOND_CLERK), decide(login(SECOND_CLERK), claim.id, "approve")).status == 200
    )
    head = login(HEAD)
    sent = follow(head, decide(head, claim.id, "approve"))
    assert sent.alerts("success") == [
        f"Klaim {number} (Rp262.000.000) melebihi batas persetujuan Anda dan diteruskan ke "
        "Kepala Kantor Wilayah."
    ]
    assert number not in queue_rows(head)

    jakarta = login(OTHER_REGION_HEAD)
    assert number not in queue_rows(jakarta)
    get(jakarta, details_url(claim.id), 404)
    assert decide(jakarta, claim.id, "approve", str(claim.version + 2)).status_code == 404

    kanwil = login(REGIONAL_HEAD)
    assert number in queue_rows(kanwil)
    page = get(kanwil, details_url(claim.id))
    assert page.text("total") == "Rp262.000.000"
    approved = follow(kanwil, decide(kanwil, claim.id, "approve", page.version()))
    assert approved.text("item-state") == "disetujui"
    assert approved.table("history")[-1][1] == REGIONAL_HEAD
    session.expire_all()
    assert session.get(Claim, claim.id).approved_by.username == REGIONAL_HEAD


# --- 3. documents ------------------------------------------------------------------------------


def test_a_document_is_served_as_an_attachment_to_users_in_scope_only(
    client, login, session, user, settings
):
    claim = service_claim(
        session, user, world.jkm_data(world.paid_member(session)), settings, verify=False
    )
    requirement = world.requirement_ids(session, claim.claim_type)["card"]
    clerk = login(CLERK)
    follow(clerk, upload(clerk, claim.id, str(requirement), world.PDF, "kartu peserta.png"))
    document = session.scalar(
        select(ClaimDocument).where(
            ClaimDocument.claim_id == claim.id, ClaimDocument.requirement_id == requirement
        )
    )
    assert document.content_type == "application/pdf" and document.filename == "kartu peserta.png"
    url = f"/admin/claim/document/?id={document.id}"
    for username in (CLERK, SECOND_CLERK, HEAD, REGIONAL_HEAD, AUDITOR):
        response = login(username).get(url)
        assert response.status_code == 200, username
        assert response.data == world.PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == 'attachment; filename="kartu peserta.png"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for username in (OTHER_OFFICE_CLERK, OTHER_REGION_HEAD):
        assert login(username).get(url).status_code == 404, username
    assert login(LIAISON).get(url).status_code == 403
    anonymous = client.get(url)  # a browser that never signed in
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_uploads_refused_by_content_or_size_are_explained_and_not_kept(
    app, login, session, user, settings
):
    app.config["CLAIM_DOCUMENT_MAX_BYTES"] = 1024
    claim = done(
        session, service.register_claim, user(CLERK), world.jkm_data(world.paid_member(session))
    )
    session.commit()
    clerk = login(CLERK)
    page = get(clerk, details_url(claim.id))
    death = requirement_of(page, "death_certificate")
    refused = follow(clerk, upload(clerk, claim.id, death, world.TEXT, "akta-kematian.pdf"))
    assert refused.alerts("danger") == [
        "Hanya berkas PDF, JPEG dan PNG yang diterima (dinilai dari isinya)."
    ]
    big = world.PDF + b"0" * 1024
    refused = follow(clerk, upload(clerk, claim.id, death, big, "akta-kematian.pdf"))
    assert refused.alerts("danger") == ["Berkas lebih besar dari 1 MB."]
    assert refused.table("documents")[3][1] == "belum ada"
    missing = follow(
        clerk,
        clerk.post(f"/admin/claim/document/upload/?id={claim.id}", data={"requirement_id": death}),
    )
    assert len(missing.alerts("danger")) == 1
    session.expire_all()
    documents = select(func.count()).select_from(ClaimDocument)
    assert session.scalar(documents.where(ClaimDocument.claim_id == claim.id)) == 0
    assert not (settings.storage_dir / "claims" / str(claim.id)).exists() or not any(
        (settings.storage_dir / "claims" / str(claim.id)).iterdir()
    )
    # the same file as a real PDF is taken, whatever its name
    accepted = follow(clerk, upload(clerk, claim.id, death, world.PDF, "akta.txt"))
    assert accepted.alerts("success") == ["Dokumen telah diunggah."]
    assert accepted.table("documents")[3][1].startswith("akta.txt")


# --- 4. the queue ------------------------------------------------------------------------------


def test_the_queue_shows_the_most_urgent_first_and_marks_overdue_claims(login, session, user):
    today = world.today()
    dues = {
        "late": today - timedelta(days=2),
        "soon": today + timedelta(days=1),
        "later": today + timedelta(days=6),
        "none": None,
    }
    numbers = {}
    for key, due in dues.items():
        claim = done(
            session, service.register_claim, user(CLERK), world.jkm_data(world.paid_member(session))
        )
        claim.due_date = due
        session.commit()
        numbers[key] = f"JKM-{claim.id:06d}"
    rows = queue_rows(login(SECOND_CLERK))
    ours = [number for number in rows if number in numbers.values()]
    assert ours == [numbers["late"], numbers["soon"], numbers["later"], numbers["none"]]
    late = rows[numbers["late"]].one("td", "col-due_date")
    assert late.all("span", "overdue") and "lewat batas waktu" in late.text
    assert late.text.startswith(f"{dues['late']:%d/%m/%Y}")
    for key in ("soon", "later", "none"):
        assert not rows[numbers[key]].all(cls="overdue"), key
    claim_id = int(numbers["late"].split("-")[1])
    page = get(login(CLERK), details_url(claim_id))
    assert "overdue" in page.by_id("due-date").classes()
    assert "lewat batas waktu" in page.text("due-date")
    soon = get(login(CLERK), details_url(int(numbers["soon"].split("-")[1])))
    assert "overdue" not in soon.by_id("due-date").classes()


# --- 5. corrections and stale pages ------------------------------------------------------------


def test_a_returned_claim_is_corrected_through_the_form_and_verified_again(
    login, session, user, settings
):
    member = world.paid_member(session)
    claim = service_claim(session, user, world.jkm_data(member), settings)
    second = login(SECOND_CLERK)
    page = get(second, details_url(claim.id))
    refused = follow(second, decide(second, claim.id, "return", page.version(), comment=" "))
    assert refused.alerts("danger") == ["Alasan wajib diisi untuk Kembalikan ke penerimaan."]
    reason = "Anak kedua sudah SMA menurut KK terbaru."
    returned = follow(second, decide(second, claim.id, "return", page.version(), comment=reason))
    assert returned.text("item-state") == "dikembalikan untuk perbaikan"
    assert reason in returned.text("decision-comment-shown")

    clerk = login(CLERK)
    page = get(clerk, details_url(claim.id))
    assert page.has_id("edit-link") and page.actions() >= {"resubmit"}
    form = get(clerk, f"/admin/claim/edit/?id={claim.id}")
    assert form.dom.one("input", name="kpj").attrs["value"] == member.kpj
    saved = follow(
        clerk,
        clerk.post(
            f"/admin/claim/edit/?id={claim.id}",
            data=claim_form(member, **{"children-1-level": "sma"}),
        ),
    )
    assert saved.alerts("success") == ["Klaim telah disimpan."]
    assert saved.text("total") == "Rp46.500.000"
    resubmitted = follow(clerk, decide(clerk, claim.id, "resubmit", saved.version()))
    assert resubmitted.text("item-state") == "diajukan"
    verified = follow(clerk, decide(clerk, claim.id, "verify", resubmitted.version()))
    assert verified.text("item-state") == "diverifikasi"
    assert not verified.has_id("edit-link")
    # the form does not open on a claim that may not be changed, and saving is refused
    closed = get(clerk, f"/admin/claim/edit/?id={claim.id}")
    refused = Page(clerk.post(f"/admin/claim/edit/?id={claim.id}", data=claim_form(member)))
    assert refused.status == 200
    assert refused.alerts("danger") == [
        "Klaim hanya dapat diubah sebelum diverifikasi atau setelah dikembalikan."
    ]
    assert closed.alerts("danger") == refused.alerts("danger")
    assert not closed.has_id("claim-form") and not refused.has_id("claim-form")
    session.expire_all()
    assert session.get(Claim, claim.id).state is C.VERIFIED


def test_a_decision_from_a_stale_page_is_refused_and_changes_nothing(
    login, session, user, settings
):
    claim = service_claim(session, user, world.jkm_data(world.paid_member(session)), settings)
    second = login(SECOND_CLERK)
    stale = get(second, details_url(claim.id)).version()
    done(
        session,
        claim_decisions.decide,
        user(HEAD),
        claim.id,
        "return",
        comment="KTP ahli waris buram",
    )
    page = follow(second, decide(second, claim.id, "approve", stale))
    assert page.alerts("danger") == [STALE]
    assert page.text("item-state") == "dikembalikan untuk perbaikan"
    session.expire_all()
    assert session.get(Claim, claim.id).approved_by_id is None


def test_a_liaison_has_no_claim_screens(login):
    liaison = login(LIAISON)
    for url in ("/admin/claim/", "/admin/claim_queue/", "/admin/claim/new/"):
        assert liaison.get(url).status_code == 403, url
    assert not Page(liaison.get("/admin/")).has_id("claim-count")


def test_the_claim_form_names_each_childs_fields_by_its_row(login, session):
    page = get(login(CLERK), "/admin/claim/new/")
    for row in range(1, 5):
        cells = page.by_id(f"child-row-{row}")
        labels = [node.attrs.get("aria-label") for node in cells.all("input") + cells.all("select")]
        assert f"Nama anak {row}" in labels and f"Tanggal lahir {row}" in labels
        assert f"Jenjang sekolah {row}" in labels and f"Menikah {row}" in labels


# --- 4. what the user may do, said before the click ---------------------------------------------


def paid(session: Any, user: Any, settings: Any) -> Claim:
    """A JKM claim verified by the clerk, approved by the second clerk and paid."""
    claim = service_claim(session, user, world.jkm_data(world.paid_member(session)), settings)
    done(session, claim_decisions.decide, user(SECOND_CLERK), claim.id, "approve")
    done(
        session,
        claim_decisions.decide,
        user(CLERK),
        claim.id,
        "pay",
        payment_reference=f"BRI-PAID-{claim.id}",
        paid_on=world.today(),
    )
    session.expire_all()
    return session.get(Claim, claim.id)


def test_above_the_limit_the_button_says_where_the_claim_goes_and_decisions_ask_first(
    login, session, user, settings
):
    member = world.paid_member(session, income=2_000_000)
    claim = service_claim(session, user, world.jkk_data(member, death=True), settings)
    number = f"JKK-{claim.id:06d}"
    second = login(SECOND_CLERK)
    page = get(second, details_url(claim.id))
    # No "Setujui" the service would refuse: the button says where the claim goes, and why.
    assert page.actions() == {"escalate", "return", "reject"}
    assert page.text("action-escalate") == "Teruskan ke Kepala Kantor Cabang"
    assert "data-confirm" not in page.by_id("action-escalate").attrs
    assert page.text("refusals") == (
        "\u24d8 Di atas batas persetujuan Anda: diteruskan ke Kepala Kantor Cabang."
    )
    # A rejection cannot be undone: the page asks first (static/confirm.js), in Indonesian.
    reject = page.by_id("action-reject").attrs
    assert reject["data-confirm"] == f"Tolak klaim {number}? Penolakan tidak dapat dibatalkan."
    assert reject["data-confirm-yes"] == "Ya, tolak" and reject["data-confirm-no"] == "Batal"
    assert "confirm.js" in page.html

    sent = follow(second, decide(second, claim.id, "escalate"))
    assert "Kepala Kantor Cabang" in sent.text("stage")
    head = get(login(HEAD), details_url(claim.id))
    assert "escalate" not in head.actions()
    assert head.text("action-approve") == "Setujui"
    assert head.by_id("action-approve").attrs["data-confirm"] == (
        f"Setujui klaim {number} sebesar Rp118.000.000? Persetujuan tidak dapat dibatalkan."
    )
    done(session, claim_decisions.decide, user(HEAD), claim.id, "approve")
    pay = get(login(CLERK), details_url(claim.id)).by_id("action-pay").attrs
    assert pay["data-confirm"] == (
        f"Catat pembayaran Rp118.000.000 untuk klaim {number}? Pembayaran yang dicatat tidak "
        "dapat dibatalkan."
    )
    assert pay["data-confirm-yes"] == "Ya, catat pembayaran"


def test_a_paid_claim_offers_no_correction_in_the_list_nor_by_its_address(
    login, session, user, settings
):
    claim = paid(session, user, settings)
    open_claim = service_claim(
        session, user, world.jkk_data(world.paid_member(session)), settings, verify=False
    )
    clerk = login(CLERK)
    listing = get(clerk, "/admin/claim/")
    edit_links = {
        a.attrs["href"]
        for a in listing.dom.all("a")
        if "/admin/claim/edit/" in a.attrs.get("href", "")
    }
    assert any(f"id={open_claim.id}" in href for href in edit_links)
    assert not any(
        f"id={claim.id}&" in href or href.endswith(f"id={claim.id}") for href in edit_links
    )
    details = get(clerk, details_url(claim.id))
    assert not details.has_id("edit-link")
    form = get(clerk, f"/admin/claim/edit/?id={claim.id}")
    assert not form.has_id("claim-form") and form.has_id("back-to-claim")
    assert form.alerts("danger") == [
        "Klaim hanya dapat diubah sebelum diverifikasi atau setelah dikembalikan."
    ]
    changed = clerk.post(
        f"/admin/claim/edit/?id={claim.id}", data=claim_form(claim.member, claimant_name="X")
    )
    assert changed.status_code == 200
    session.expire_all()
    assert session.get(Claim, claim.id).claimant_name == world.HEIR_NAME


# --- 5. documents in one step ------------------------------------------------------------------


def many(client: Any, claim_id: int, files: list[tuple[bytes, str]], **chosen: str) -> Any:
    return client.post(
        f"/admin/claim/documents/upload/?id={claim_id}",
        data={"files": [(io.BytesIO(data), name) for data, name in files], **chosen},
        content_type="multipart/form-data",
    )


def test_a_jkm_claims_seven_documents_go_up_in_one_step_and_are_checked_at_once(
    login, session, user
):
    member = world.paid_member(session, years=4)
    clerk = login(CLERK)
    claim_id = registered(clerk, member)
    page = get(clerk, details_url(claim_id))
    assert page.by_id("documents-files").attrs.get("multiple") is not None
    choices = {
        option.attrs["value"]: option.text
        for option in page.by_id("requirement-choices").all("option")
        if option.attrs["value"]
    }
    ids = world.requirement_ids(session, ClaimType.JKM)
    assert len(world.JKM_DOCUMENTS) == 7 and set(choices) >= {str(ids[c]) for c in ids}
    files = [world.document_bytes(index) for index in range(7)]
    chosen = {f"requirement-{n}": str(ids[code]) for n, code in enumerate(world.JKM_DOCUMENTS)}
    after = follow(clerk, many(clerk, claim_id, files, **chosen))
    names = [choices[str(ids[code])] for code in world.JKM_DOCUMENTS]
    assert after.alerts("success") == [f"7 dokumen telah diunggah: {', '.join(names)}."]
    assert all(row[1] != "belum ada" for row in after.table("documents"))
    assert after.has_id("due-date")

    ticks = [n.attrs["value"] for n in after.dom.all("input", name="document_id")]
    assert len(ticks) == 7
    checked = follow(
        clerk,
        clerk.post(
            "/admin/claim/document/check/", data={"document_id": ticks, "claim_id": claim_id}
        ),
    )
    assert checked.alerts("success") == ["7 dokumen ditandai sudah diperiksa."]
    assert all("Petugas Pelayanan KC Serang" in row[2] for row in checked.table("documents"))
    assert "verify" in checked.actions()
    # The history names each document.
    actions = [row[2] for row in checked.table("history")]
    death = choices[str(ids["death_certificate"])]
    assert death == "Surat keterangan kematian"
    assert f"dokumen {death} diunggah" in actions and f"dokumen {death} diperiksa" in actions
    assert {f"dokumen {name} diunggah" for name in names} <= set(actions)
    assert "dokumen diunggah" not in actions and len(set(actions)) == len(actions)


def test_files_are_matched_by_their_names_and_an_unmatched_one_refuses_the_upload(
    login, session, user, settings
):
    member = world.paid_member(session, years=4)
    clerk = login(CLERK)
    claim_id = registered(clerk, member)
    ids = world.requirement_ids(session, ClaimType.JKM)
    refused = follow(
        clerk,
        many(
            clerk,
            claim_id,
            [(world.PDF, "surat-keterangan-kematian.pdf"), (world.PNG, "scan1.png")],
        ),
    )
    assert refused.alerts("danger") == [
        "scan1.png: pilih dokumen daftar periksa yang sesuai dengan berkas ini."
    ]
    stored = (
        select(func.count()).select_from(ClaimDocument).where(ClaimDocument.claim_id == claim_id)
    )
    assert session.scalar(stored) == 0
    folder = settings.storage_dir / "claims" / str(claim_id)
    assert not folder.exists() or not any(folder.iterdir())
    # the same checklist item twice
    twice = follow(
        clerk,
        many(
            clerk,
            claim_id,
            [(world.PDF, "a.pdf"), (world.PDF, "b.pdf")],
            **{"requirement-0": str(ids["card"]), "requirement-1": str(ids["card"])},
        ),
    )
    assert twice.alerts("danger") == [
        "a.pdf dan b.pdf sama-sama untuk Kartu peserta BPJS Ketenagakerjaan: pilih salah satu."
    ]
    # a file refused by its content names itself
    bad = follow(
        clerk,
        many(
            clerk,
            claim_id,
            [(world.PDF, "kartu.pdf"), (world.TEXT, "surat.pdf")],
            **{"requirement-0": str(ids["card"]), "requirement-1": str(ids["family_card"])},
        ),
    )
    assert bad.alerts("danger") == [
        "surat.pdf: Hanya berkas PDF, JPEG dan PNG yang diterima (dinilai dari isinya)."
    ]
    assert session.scalar(stored) == 0
    matched = follow(
        clerk,
        many(
            clerk,
            claim_id,
            [(world.PDF, "Surat keterangan kematian.pdf"), (world.JPEG, "death_certificate.jpg")],
        ),
    )
    assert matched.alerts("danger") == [
        "Surat keterangan kematian.pdf dan death_certificate.jpg sama-sama untuk Surat keterangan "
        "kematian: pilih salah satu."
    ]
    ok = follow(clerk, many(clerk, claim_id, [(world.PDF, "surat_keterangan_kematian.pdf")]))
    assert ok.alerts("success") == ["1 dokumen telah diunggah: Surat keterangan kematian."]
    session.expire_all()
    document = session.scalar(select(ClaimDocument).where(ClaimDocument.claim_id == claim_id))
    assert document.requirement_id == ids["death_certificate"]


def test_pdfs_and_images_are_shown_in_the_page_to_users_in_scope_only(
    login, session, user, settings
):
    claim = service_claim(
        session, user, world.jkm_data(world.paid_member(session)), settings, verify=False
    )
    documents = {
        d.content_type: d
        for d in session.scalars(select(ClaimDocument).where(ClaimDocument.claim_id == claim.id))
    }
    pdf, png = documents["application/pdf"], documents["image/png"]
    head = login(HEAD)
    details = get(head, details_url(claim.id))
    assert f"/admin/claim/document/view/?id={pdf.id}" in {
        a.attrs["href"] for a in details.dom.all("a", "document-view")
    }
    shown = get(head, f"/admin/claim/document/view/?id={pdf.id}")
    frame = shown.by_id("document-view")
    assert (
        frame.tag == "iframe"
        and frame.attrs["src"] == f"/admin/claim/document/?id={pdf.id}&inline=1"
    )
    response = head.get(frame.attrs["src"])
    assert response.status_code == 200 and response.data == world.PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="dokumen.pdf"'
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"
    )
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    image = get(head, f"/admin/claim/document/view/?id={png.id}").by_id("document-view")
    assert image.tag == "img"
    response = head.get(image.attrs["src"])
    assert response.mimetype == "image/png" and response.data == world.PNG
    assert response.headers["Content-Security-Policy"].endswith("; sandbox")
    # a download stays a download, never framed
    download = head.get(f"/admin/claim/document/?id={pdf.id}")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Frame-Options"] == "DENY"
    for username in (OTHER_OFFICE_CLERK, OTHER_REGION_HEAD):
        assert login(username).get(f"/admin/claim/document/view/?id={pdf.id}").status_code == 404
        assert login(username).get(frame.attrs["src"]).status_code == 404


# --- 6. one form per claim type ----------------------------------------------------------------


def test_the_form_shows_one_claim_types_fields_and_ignores_the_others(login, session, user):
    clerk = login(CLERK)
    form = get(clerk, "/admin/claim/new/")
    groups = {
        n.attrs["id"]: n.attrs["data-claim-types"] for n in form.dom.all(cls="claim-type-fields")
    }
    assert groups == {"jht-fields": "JHT", "jkk-fields": "JKK", "children-fields": "JKM JKK"}
    assert "claim_form.js" in form.html
    # A JKM claim with work-accident fields and a JHT reason left over: ignored, even invalid.
    member = world.paid_member(session, years=4)
    claim_id = registered(
        clerk,
        member,
        accident_place="Pabrik",
        treatment_cost="banyak",
        stmb_days="-4",
        death="y",
        jht_reason="age",
    )
    session.expire_all()
    claim = session.get(Claim, claim_id)
    assert claim.details == {} and claim.jht_reason is None
    assert len(claim.children) == 2
    # A JHT claim's children rows are ignored too (a half-filled one is no error).
    other = world.aged_member(session)
    jht_id = registered(
        clerk,
        other,
        claim_type="JHT",
        jht_reason="age",
        event_date=(world.today() - timedelta(days=1)).isoformat(),
        **child_fields(("Anak", 8, "")),
    )
    session.expire_all()
    jht = session.get(Claim, jht_id)
    assert jht.children == [] and jht.jht_reason.value == "age"


def test_the_claims_search_box_speaks_indonesian(login):
    page = get(login(CLERK), "/admin/claim/")
    box = page.dom.one("input", name="search")
    assert box.attrs["placeholder"] == "KPJ, NIK, nomor klaim atau nama"
