"""A JKM claim from intake to payment, with the maker-checker step, in a real browser.

A clerk of KC Serang finds a demo member who paid for years (by NIK on the members list),
registers a JKM claim for the widow with two children in school (the form shows the JKM fields
only), uploads every document in one step (one file input, each file matched to its checklist
item), views one in the page, ticks them all as checked and verifies the claim; the same clerk is
offered no approval. A second clerk finds it in "Klaim untuk ditangani", approves it and records
the transfer, each confirmed in the page first. The breakdown reads as in the regulation: Rp20.000.000 lump sum,
Rp12.000.000 periodic, Rp10.000.000 funeral, plus the scholarships.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from backoffice.clock import today_in_jakarta
from backoffice.rules.personal_data import mask_nik
from backoffice.seed.demo import DEMO_MEMBERS
from tests.e2e import ui
from tests.fixtures import claim_world as world

expect = ui.expect
pytestmark = pytest.mark.e2e

CLERK, SECOND_CLERK = "petugas.serang", "petugas2.serang"
MEMBER_NIK = DEMO_MEMBERS["serang_long_paid"]  # Jaenudin: paid monthly for 68 months
#: What each kind of file is (its bytes are judged, not its name).
FILES = [
    ("dokumen.pdf", "application/pdf", world.PDF),
    ("foto.jpg", "image/jpeg", world.JPEG),
    ("pindaian.png", "image/png", world.PNG),
]


def test_clerk_registers_and_verifies_a_jkm_claim_second_clerk_approves_and_pays(actors):
    event_date = world.recent_event()  # in this school year: one year of scholarship now

    # The clerk finds the member by NIK and opens their page: protected, years paid.
    clerk = actors.login(CLERK)
    ui.open_menu(clerk, "Peserta")
    ui.search_list(clerk, MEMBER_NIK)
    row = ui.list_row(clerk, mask_nik(MEMBER_NIK))  # found by the whole NIK, shown masked
    kpj = row.locator("td.col-kpj").inner_text().strip()
    assert re.fullmatch(r"\d{11}", kpj), kpj
    expect(row.locator("td.col-name")).to_have_text("Jaenudin")
    ui.open_details(row)
    protection = clerk.locator("#protection")
    expect(protection).to_have_class(re.compile(r"\balert-success\b"))
    expect(protection).to_contain_text("Terlindungi hari ini.")
    paid = re.search(r"(\d+) bulan iuran dibayar", protection.inner_text())
    assert paid and int(paid.group(1)) >= 36, protection.inner_text()

    # The claim form, opened from the member's page, knows the KPJ.
    clerk.get_by_role("link", name="Daftarkan klaim untuk peserta ini").click()
    expect(clerk.get_by_label("Nomor KPJ peserta")).to_have_value(kpj)
    clerk.get_by_label("Jenis klaim").select_option(label="JKM (Jaminan Kematian)")
    # The JKM fields only: no work-accident fields, no JHT reason.
    expect(clerk.locator("#jkk-fields")).to_be_hidden()
    expect(clerk.locator("#jht-fields")).to_be_hidden()
    expect(clerk.locator("#children-fields")).to_be_visible()
    clerk.get_by_label("Tanggal kejadian").fill(event_date.isoformat())
    clerk.get_by_label("Nama pemohon").fill(world.HEIR_NAME)
    clerk.get_by_label("NIK pemohon").fill(world.HEIR_NIK)
    clerk.get_by_label("Hubungan dengan peserta").select_option(label="suami/istri")
    clerk.get_by_label("Bank").fill("BRI")
    clerk.get_by_label("Nomor rekening").fill("0123-01-000123-50-1")
    clerk.get_by_label("Nama pemilik rekening").fill(world.HEIR_NAME)
    for n, (name, born, level) in enumerate(
        (
            ("Putri", date(event_date.year - 8, 2, 1), "TK/SD"),
            ("Bagas", date(event_date.year - 14, 2, 1), "SMP"),
        ),
        start=1,
    ):
        clerk.get_by_label(f"Nama anak {n}").fill(name)
        clerk.get_by_label(f"Tanggal lahir {n}").fill(born.isoformat())
        clerk.get_by_label(f"Jenjang sekolah {n}").select_option(label=level)
    clerk.get_by_role("button", name="Daftarkan klaim").click()

    # Registered: the benefit itemised, the documents missing, nothing to decide yet.
    expect(ui.flash(clerk)).to_contain_text("Unggah dokumennya.")
    number = re.search(
        r"Klaim (JKM-\d{6}) terdaftar: Rp45\.500\.000\.", ui.flash(clerk).inner_text()
    )
    assert number, ui.flash(clerk).inner_text()
    number = number.group(1)
    details_url = clerk.url
    expect(clerk.locator("#item-state")).to_have_text("diajukan")
    amounts = [line[-1] for line in ui.cell_texts(clerk.locator("#breakdown tbody tr"))]
    assert amounts[:3] == ["Rp20.000.000", "Rp12.000.000", "Rp10.000.000"], amounts
    assert amounts[3:] == ["Rp1.500.000", "Rp2.000.000"], amounts  # TK/SD, SMP scholarships
    expect(clerk.locator("#total")).to_have_text("Rp45.500.000")
    expect(clerk.locator("#action-verify")).to_have_count(0)

    # Every document of the checklist in one step: the files chosen at once, each matched to
    # its checklist item (the next one missing, in order), one upload.
    documents = clerk.locator("#documents tbody tr")
    rows = [row.get_attribute("id") for row in documents.all()]
    required = [
        row.get_attribute("id")
        for row in documents.all()
        if row.locator("td").first.locator(".text-danger").count()
    ]
    assert len(rows) == 7 and len(required) >= 5, rows
    chosen = [FILES[index % len(FILES)] for index in range(len(rows))]
    clerk.locator("#documents-files").set_input_files(
        files=[
            {"name": f"{n}-{name}", "mimeType": mime, "buffer": content}
            for n, (name, mime, content) in enumerate(chosen, start=1)
        ]
    )
    expect(clerk.locator("#documents-matches select")).to_have_count(len(rows))
    clerk.get_by_role("button", name="Unggah dokumen").click()
    expect(ui.flash(clerk)).to_have_text(re.compile(r"7 dokumen telah diunggah: "))
    for n, row_id in enumerate(rows, start=1):
        expect(clerk.locator(f"#{row_id} td").nth(1)).to_contain_text(f"{n}-{chosen[n - 1][0]}")
    # A document is seen in the page, not only downloaded.
    clerk.locator(f"#{rows[2]} a.document-view").click()  # the PNG
    expect(clerk.locator("img#document-view")).to_be_visible()
    assert clerk.locator("img#document-view").evaluate("image => image.naturalWidth") == 1
    clerk.locator("#back-to-claim").click()
    # Ticked all at once, then marked as checked in one click.
    clerk.get_by_role("button", name="Centang semua").click()
    clerk.get_by_role("button", name="Tandai dokumen yang dicentang sudah diperiksa").click()
    expect(ui.flash(clerk)).to_have_text(re.compile(r"7 dokumen ditandai sudah diperiksa\."))
    for row_id in rows:
        expect(clerk.locator(f"#{row_id} td").nth(2)).to_contain_text("Petugas Pelayanan KC Serang")
    expect(clerk.locator("#history")).to_contain_text("dokumen Surat keterangan kematian diunggah")

    # Verified by the clerk, who may not approve what they registered and verified.
    clerk.get_by_role("button", name="Verifikasi").click()
    expect(ui.flash(clerk)).to_contain_text(f"Klaim {number} kini berstatus diverifikasi.")
    expect(clerk.locator("#item-state")).to_have_text("diverifikasi")
    expect(clerk.locator("#action-approve")).to_have_count(0)
    expect(clerk.get_by_role("button", name="Setujui")).to_have_count(0)

    # The second clerk: the claim waits in "Klaim untuk ditangani".
    second = actors.login(SECOND_CLERK)
    expect(ui.menu_badge(second, "Klaim untuk ditangani")).to_have_text(re.compile(r"^[1-9]\d*$"))
    ui.open_menu(second, "Klaim untuk ditangani")
    ui.open_details(ui.list_row(second, number))
    expect(second.locator("#item-state")).to_have_text("diverifikasi")
    ui.ready(second)
    second.get_by_role("button", name="Setujui").click()
    # Asked first, in the page: nothing is sent until "Ya, setujui".
    expect(second.locator("#decision-confirm")).to_contain_text(
        "Persetujuan tidak dapat dibatalkan."
    )
    second.locator("#confirm-no").click()
    expect(second.locator("#decision-confirm")).to_have_count(0)
    expect(second.locator("#item-state")).to_have_text("diverifikasi")
    second.get_by_role("button", name="Setujui").click()
    second.locator("#confirm-yes").click()
    expect(ui.flash(second)).to_contain_text(number)
    second.goto(details_url)
    expect(second.locator("#item-state")).to_have_text("disetujui")

    # The transfer is recorded with its reference and date.
    paid_on = today_in_jakarta()
    second.get_by_label("Referensi transfer").fill("BRI-TRF-20261122-0001")
    second.get_by_label("Tanggal transfer").fill(paid_on.isoformat())
    ui.ready(second)
    second.get_by_role("button", name="Catat pembayaran").click()
    expect(second.locator("#decision-confirm")).to_contain_text("Rp45.500.000")
    second.get_by_role("button", name="Ya, catat pembayaran").click()
    expect(second.locator("#item-state")).to_have_text("dibayar")
    expect(second.locator("#payment")).to_have_text(
        f"{paid_on:%d/%m/%Y}, referensi transfer BRI-TRF-20261122-0001"
    )
    amounts = [line[-1] for line in ui.cell_texts(second.locator("#breakdown tbody tr"))]
    assert amounts == ["Rp20.000.000", "Rp12.000.000", "Rp10.000.000", "Rp1.500.000", "Rp2.000.000"]
    expect(second.locator("#total")).to_have_text("Rp45.500.000")
    expect(second.locator("#decision")).to_have_count(0)

    # Nothing is left for either clerk.
    clerk.reload()
    expect(clerk.locator("#item-state")).to_have_text("dibayar")
    ui.open_menu(clerk, "Klaim untuk ditangani")
    expect(clerk.locator("body")).not_to_contain_text(number)
    actors.assert_no_problems()
