"""Printed documents through the screens (SQLite and PostgreSQL): a clerk of KC Serang prints
a member's card and downloads the payment letter of a paid claim. The PDF's text is read back
(pypdf) and must say, in Bahasa Indonesia (official documents, whatever the screen language),
who the member is, with the NIK masked (UU 27/2022), and what was paid. Scoped like the details
pages (another office's clerk: 404), refused for a claim not paid, each download audited.
"""

from __future__ import annotations

import io
from datetime import datetime, time
from typing import Any

import pytest
from babel.dates import format_date
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select

from backoffice.clock import JAKARTA
from backoffice.i18n import format_rupiah
from backoffice.rules.personal_data import mask_nik
from backoffice.services import claim_decisions, claim_documents
from backoffice.services import claims as service
from backoffice.services.lifecycle import status_label
from models import AuditEvent, Claim, ClaimDocument, ClaimState, Member, Office
from tests.fixtures import claim_world as world
from tests.steps import done

CLERK, SECOND_CLERK = "petugas.serang", "petugas2.serang"
OTHER_OFFICE_CLERK, LIAISON = "petugas.cilegon", "dinas.pertanian.serang"


@pytest.fixture
def settings(app: Any) -> claim_documents.DocumentSettings:
    return claim_documents.DocumentSettings.from_config(app.config, app.instance_path)


def pdf_text(response: Any) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """The text with its line breaks as spaces (a long line wraps)."""
    return " ".join(text.split())


def downloads(session: Any, action: str, record_type: str, record_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == action,
                AuditEvent.record_type == record_type,
                AuditEvent.record_id == str(record_id),
            )
        )
    )


def paid_claim(session: Any, user: Any, settings: Any) -> Claim:
    """A JKM claim of a new member of KC Serang, registered, documented, verified, approved by
    a second clerk and paid, through the services."""
    member = world.paid_member(session, years=4, name="Siti Rahmawati")
    clerk = user(CLERK)
    claim = done(session, service.register_claim, clerk, world.jkm_data(member))
    for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
        data, filename = world.document_bytes(index)
        document = done(
            session,
            claim_documents.upload_document,
            clerk,
            claim,
            requirement.id,
            data,
            filename,
            settings=settings,
        )
        done(session, claim_documents.check_document, clerk, document)
    done(session, claim_decisions.decide, clerk, claim.id, "verify")
    done(session, claim_decisions.decide, user(SECOND_CLERK), claim.id, "approve")
    done(
        session,
        claim_decisions.decide,
        clerk,
        claim.id,
        "pay",
        payment_reference="BRI-2026-004242",
        paid_on=world.today(),
    )
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state is ClaimState.PAID
    return claim


def card_url(member: Member) -> str:
    return f"/admin/member/card/?id={member.id}"


def letter_url(claim: Claim) -> str:
    return f"/admin/claim/payment-letter/?id={claim.id}"


# --- the member card ---------------------------------------------------------------------------


def test_the_clerk_prints_the_card_of_a_demo_member_in_indonesian_with_the_nik_masked(
    session, login
):
    serang = session.scalar(select(Office).where(Office.code == "B01"))
    member = session.scalar(
        select(Member).where(Member.office_id == serang.id).order_by(Member.id).limit(1)
    )
    client = login(CLERK)
    page = client.get(f"/admin/member/details/?id={member.id}").get_data(as_text=True)
    assert 'id="print-card"' in page and "Cetak kartu peserta" in page

    response = client.get(card_url(member))
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="kartu-peserta-{member.kpj}.pdf"'
    text = flat(pdf_text(response))
    assert "BPJS Ketenagakerjaan" in text and "KARTU PESERTA" in text
    assert member.name in text and member.kpj in text
    assert mask_nik(member.nik) in text and member.nik not in text
    assert f"Diterbitkan oleh Kantor Cabang (KC) {serang.name}" in text and "Dicetak" in text
    assert "Status kepesertaan" in text


def test_the_card_of_a_factory_member_names_the_programmes_birth_date_and_status(session, login):
    member = world.paid_member(session, years=2, jht=True, name="Budi Santoso")
    text = flat(pdf_text(login(CLERK).get(card_url(member))))
    assert "Budi Santoso" in text and member.kpj in text and mask_nik(member.nik) in text
    assert "JKK, JKM, JHT" in text
    assert "17 Mei 1980" in text  # claim_world's birth date, the month in Indonesian
    with force_locale("id"):
        assert f"Status kepesertaan : {status_label(member.status)}" in text
    events = downloads(session, "print_member_card", "member", member.id)
    assert len(events) == 1 and events[0].actor.username == CLERK


def test_the_card_of_another_offices_member_is_not_found_and_not_audited(session, login):
    member = world.paid_member(session, years=1)
    assert login(OTHER_OFFICE_CLERK).get(card_url(member)).status_code == 404
    assert login(LIAISON).get(card_url(member)).status_code == 403
    assert downloads(session, "print_member_card", "member", member.id) == []


# --- the payment letter ------------------------------------------------------------------------


def test_the_clerk_downloads_the_payment_letter_of_a_paid_claim(session, user, login, settings):
    claim = paid_claim(session, user, settings)
    client = login(CLERK)
    page = client.get(f"/admin/claim/details/?id={claim.id}").get_data(as_text=True)
    assert 'id="payment-letter"' in page and "Unduh surat pembayaran" in page

    response = client.get(letter_url(claim))
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="surat-pembayaran-JKM-{claim.id:06d}.pdf"'
    )
    text = flat(pdf_text(response))
    assert "SURAT PEMBAYARAN KLAIM" in text and f"JKM-{claim.id:06d}" in text
    assert world.HEIR_NAME in text and "Siti Rahmawati" in text and claim.member.kpj in text
    assert claim.office.name in text
    assert format_rupiah(claim.amount) in text and claim.amount >= 42_000_000
    # each line of the breakdown, with its Indonesian label and its amount
    assert "Santunan sekaligus" in text
    for line in claim.breakdown["lines"]:
        assert format_rupiah(line["amount"]) in text
    assert "BRI-2026-004242" in text and "Jumlah dibayar" in text
    assert "***********3501" in text and claim.bank_account not in text
    # approved by the second clerk: signed for the branch head, the approver named below
    assert "Kepala Kantor Cabang" in text
    assert f"Disetujui oleh {claim.approved_by.full_name} (Petugas Pelayanan)" in text
    events = downloads(session, "print_payment_letter", "claim", claim.id)
    assert len(events) == 1 and events[0].actor.username == CLERK


def test_a_claim_not_paid_has_no_letter(session, user, login, settings):
    member = world.paid_member(session, years=4)
    claim = done(session, service.register_claim, user(CLERK), world.jkm_data(member))
    client = login(CLERK)
    page = client.get(f"/admin/claim/details/?id={claim.id}").get_data(as_text=True)
    assert 'id="payment-letter"' not in page
    response = client.get(letter_url(claim))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/claim/details/?id={claim.id}")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hanya klaim yang sudah dibayar yang memiliki surat pembayaran." in shown
    assert downloads(session, "print_payment_letter", "claim", claim.id) == []


def test_the_branch_head_downloads_it_too_and_the_claims_history_tells(
    session, user, login, settings
):
    claim = paid_claim(session, user, settings)
    head = login("kepala.serang")
    assert f"JKM-{claim.id:06d}" in flat(pdf_text(head.get(letter_url(claim))))
    page = head.get(f"/admin/claim/details/?id={claim.id}").get_data(as_text=True)
    assert "surat pembayaran diunduh" in page
    assert login("auditor.banten").get(letter_url(claim)).status_code == 403


def test_another_offices_clerk_gets_no_letter(session, user, login, settings):
    claim = paid_claim(session, user, settings)
    assert login(OTHER_OFFICE_CLERK).get(letter_url(claim)).status_code == 404
    assert downloads(session, "print_payment_letter", "claim", claim.id) == []


def test_the_english_screen_still_prints_the_official_document_in_indonesian(session, login):
    member = world.paid_member(session, years=1)
    client = login(CLERK)
    client.post("/language", data={"locale": "en", "next": "/admin/"})
    page = client.get(f"/admin/member/details/?id={member.id}").get_data(as_text=True)
    assert "Print the member card" in page
    text = flat(pdf_text(client.get(card_url(member))))
    assert "KARTU PESERTA" in text and "MEMBER CARD" not in text


def test_a_name_outside_latin_1_is_printed_without_its_accents(session, login):
    # The core fonts cover Latin-1: a letter outside it loses its accent, never the download.
    member = world.paid_member(session, years=1, name="Nguyễn Thị Ánh")
    text = flat(pdf_text(login(CLERK).get(card_url(member))))
    assert "Nguyen Thi Ánh" in text and member.kpj in text


# --- the receipt of documents ------------------------------------------------------------------


def receipt_url(claim: Claim) -> str:
    return f"/admin/claim/documents/receipt/?id={claim.id}"


def test_the_clerk_prints_the_receipt_of_the_documents_received(session, user, login, settings):
    member = world.paid_member(session, years=4, name="Siti Rahmawati")
    clerk = user(CLERK)
    claim = done(session, service.register_claim, clerk, world.jkm_data(member))
    requirements = claim_documents.requirements_for(session, claim)
    handed_in, still_missing = requirements[:4], requirements[4:]
    for index, requirement in enumerate(handed_in):
        data, filename = world.document_bytes(index)
        done(
            session,
            claim_documents.upload_document,
            clerk,
            claim,
            requirement.id,
            data,
            filename,
            settings=settings,
        )
    # The first card came in at 00:30 WIB today, which is still yesterday in UTC: the receipt
    # prints the day in Jakarta, whatever the hour the test runs.
    first = session.scalars(
        select(ClaimDocument).where(ClaimDocument.claim_id == claim.id).order_by(ClaimDocument.id)
    ).first()
    first.uploaded_at = datetime.combine(world.today(), time(0, 30), tzinfo=JAKARTA)
    claim.office.address = "Jl. Jenderal Sudirman No. 5, Kota Serang, Banten 42118"
    session.commit()
    client = login(CLERK)
    page = client.get(f"/admin/claim/details/?id={claim.id}").get_data(as_text=True)
    assert 'id="documents-receipt"' in page and "Unduh tanda terima dokumen" in page

    response = client.get(receipt_url(claim))
    number = f"JKM-{claim.id:06d}"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tanda-terima-dokumen-{number}.pdf"'
    )
    text = flat(pdf_text(response))
    office = claim.office
    assert "BPJS Ketenagakerjaan" in text and "TANDA TERIMA DOKUMEN" in text
    assert f"Kantor Cabang (KC) {office.name}" in text
    assert "Jl. Jenderal Sudirman No. 5, Kota Serang, Banten 42118" in text
    assert f"Nomor klaim: {number}" in text
    assert "Siti Rahmawati" in text and member.kpj in text and world.HEIR_NAME in text
    received = text.split("Dokumen berikut telah diterima:")[1].split("Masih harus diserahkan:")
    day = format_date(world.today(), "d MMMM y", locale="id")
    for position, requirement in enumerate(handed_in, start=1):
        assert f"{position} {requirement.name} {day}" in received[0]
    for requirement in still_missing:
        if requirement.required:
            assert f"- {requirement.name}" in received[1]
            assert requirement.name not in received[0]
    assert f"( {clerk.full_name} )" in text and "Yang menerima" in text
    events = downloads(session, "print_document_receipt", "claim", claim.id)
    assert len(events) == 1 and events[0].actor.username == CLERK
    history = client.get(f"/admin/claim/details/?id={claim.id}").get_data(as_text=True)
    assert "tanda terima dokumen diunduh" in history


def test_no_receipt_before_a_document_is_received_nor_for_another_office(
    session, user, login, settings
):
    member = world.paid_member(session, years=4)
    claim = done(session, service.register_claim, user(CLERK), world.jkm_data(member))
    client = login(CLERK)
    page = client.get(f"/admin/claim/details/?id={claim.id}").get_data(as_text=True)
    assert 'id="documents-receipt"' not in page
    response = client.get(receipt_url(claim))
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Belum ada dokumen klaim ini yang diterima." in shown
    assert login(OTHER_OFFICE_CLERK).get(receipt_url(claim)).status_code == 404
    assert login(LIAISON).get(receipt_url(claim)).status_code == 403
    assert downloads(session, "print_document_receipt", "claim", claim.id) == []
