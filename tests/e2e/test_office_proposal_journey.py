"""A branch head proposes a KCP; the regional head approves it from the queue; the office opens.

In a real Chromium against the served app (see tests/e2e/conftest.py), in Indonesian.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from backoffice.clock import today_in_jakarta
from tests.e2e import ui

expect = ui.expect
pytestmark = pytest.mark.e2e

OFFICE_NAME = "Kramatwatu"


def test_branch_head_proposes_a_kcp_regional_head_approves_it_and_the_office_opens(actors):
    opening = today_in_jakarta() + timedelta(days=30)

    # Kepala KC Serang fills in the proposal form and saves a draft.
    head = actors.login("kepala.serang")
    ui.open_menu(head, "Usulan kantor")
    head.locator(".nav-tabs").get_by_role("link", name="Tambah", exact=True).click()
    expect(head).to_have_url(re.compile(r"/admin/proposal/new/"))
    head.get_by_label("Nama kantor").fill(OFFICE_NAME)
    head.get_by_label("Jenis").select_option(label="Kantor Cabang Perintis (KCP)")
    ui.choose_select2(head, "parent", "KC Serang")
    ui.choose_select2(head, "regency", "3604 Kab. Serang")
    head.get_by_label("Alamat").fill("Jl. Raya Serang-Cilegon Km 10, Kramatwatu")
    head.get_by_label("Rencana pembukaan").fill(opening.isoformat())
    head.get_by_label("Jumlah pegawai").fill("4")
    head.get_by_label("Alasan pembukaan").fill(
        "Banyak pekerja informal di kawasan industri Kramatwatu, jauh dari KC Serang."
    )
    head.get_by_role("button", name="Simpan", exact=True).click()
    expect(ui.flash(head)).to_contain_text("Data berhasil ditambahkan.")

    # The draft is in the list; its page offers to submit it.
    row = ui.list_row(head, OFFICE_NAME)
    expect(row).to_contain_text("draf")
    ui.open_details(row)
    expect(head.locator("#item-state")).to_have_text("draf")
    head.get_by_role("button", name="Ajukan", exact=True).click()
    expect(ui.flash(head)).to_contain_text(f"Ajukan: selesai untuk KCP {OFFICE_NAME}.")
    expect(head.locator("#item-state")).to_have_text("diajukan")
    expect(head.locator("#action-approve")).to_have_count(0)  # not the proposer's decision

    # The regional head sees it waiting beside the demo's own proposal: a badge on the menu,
    # the proposal in the queue.
    regional = actors.login("kanwil.banten")
    expect(ui.menu_badge(regional, "Antrean persetujuan")).to_have_text("2")
    ui.open_menu(regional, "Antrean persetujuan")
    row = ui.list_row(regional, OFFICE_NAME)
    expect(row).to_contain_text("KC Serang")
    expect(row).to_contain_text("Kepala KC Serang")
    ui.open_details(row)
    expect(regional.locator("#item-state")).to_have_text("diajukan")
    ui.ready(regional)
    regional.get_by_role("button", name="Setujui", exact=True).click()
    # A decision is confirmed in the page before it is sent.
    expect(regional.locator("#decision-confirm")).to_contain_text("tidak dapat dibatalkan")
    regional.locator("#confirm-yes").click()

    # Approved: back to the queue, where only the demo's proposal waits, with the new code.
    expect(ui.flash(regional)).to_contain_text(
        f"Setujui: selesai untuk KCP {OFFICE_NAME}. Kode kantor B0104."
    )
    expect(regional).to_have_url(actors.server.url + "/admin/proposal_queue/")
    expect(ui.menu_badge(regional, "Antrean persetujuan")).to_have_text("1")
    expect(regional.locator("table.model-list")).not_to_contain_text(OFFICE_NAME)

    # The office list has it, under KC Serang.
    ui.open_menu(regional, "Kantor")
    row = ui.list_row(regional, "B0104")
    expect(row).to_contain_text(OFFICE_NAME)
    expect(row).to_contain_text("KC Serang")

    # The proposer sees the decision and the code.
    head.reload()
    expect(head.locator("#item-state")).to_have_text("disetujui")
    expect(head.locator("tr").filter(has_text="Kode kantor")).to_contain_text("B0104")
    actors.assert_no_problems()
