"""A member's contributions in a real browser: a department pays by file, the member at the
counter, each at the amount the rules say (the PP 50/2025 discount for the member, the whole
contribution for a government budget).

The clerk of KC Serang opens Ujang Suryana's page (a demo member in arrears), reads what his
next month costs, imports a one-row payer's file for that month (the whole contribution, and the
preview says why), then records the following month at the counter (the discounted amount).
"""

from __future__ import annotations

import re

import pytest

from backoffice.clock import today_in_jakarta
from backoffice.rules.personal_data import mask_nik
from backoffice.seed import demo
from tests.e2e import ui

expect = ui.expect
pytestmark = pytest.mark.e2e

CLERK = "petugas.serang"
NIK = demo.DEMO_MEMBERS["serang_in_arrears"]
NEXT_MONTH = re.compile(
    r"^Iuran bulan (\d\d/\d{4}): (Rp[\d.]+) \(potongan 50% iuran JKK dan JKM selama potongan "
    r"berlaku; (Rp[\d.]+) bila dibayar anggaran pemerintah\)\.$"
)


def _next_month(page) -> tuple[str, str, str]:
    """(month, what the member pays, the whole contribution) from the member page."""
    text = " ".join(page.locator("#next-month").inner_text().split())
    match = NEXT_MONTH.match(text)
    assert match, text
    return match.group(1), match.group(2), match.group(3)


def _open_member(page) -> None:
    ui.open_menu(page, "Peserta")
    ui.search_list(page, NIK)
    ui.open_details(ui.list_row(page, mask_nik(NIK)))  # found by the whole NIK, shown masked
    expect(page.locator("#next-month")).to_be_visible()


def test_a_department_pays_a_month_whole_and_the_member_the_next_one_discounted(actors):
    clerk = actors.login(CLERK)
    _open_member(clerk)
    month, discounted, whole = _next_month(clerk)
    assert discounted != whole

    # The department's file: one row, that month, paid today.
    day = today_in_jakarta().strftime("%d/%m/%Y")
    csv = (
        f"NIK;Bulan;Jumlah Bulan;Tanggal Bayar;Referensi\r\n{NIK};{month};1;{day};SP2D/E2E/001\r\n"
    )
    ui.open_menu(clerk, "Impor iuran")
    clerk.get_by_label("Dinas pembayar").select_option(index=0)
    ui.upload_file(clerk, clerk.locator("#file"), "iuran dinas.csv", csv.encode(), "text/csv")
    clerk.get_by_role("button", name="Unggah dan periksa").click()
    expect(clerk.locator("#count-valid")).to_have_text("1")
    expect(clerk.locator("#total-amount")).to_have_text(whole)
    expect(clerk.locator("#no-discount")).to_contain_text("anggaran pemerintah")
    clerk.get_by_role("button", name="Catat baris yang valid").click()
    expect(ui.flash(clerk)).to_contain_text(whole)

    # The member's page: the month is paid by the department; the next one costs him less.
    _open_member(clerk)
    paid_row = clerk.locator("table tr").filter(has_text="SP2D/E2E/001")
    expect(paid_row).to_have_count(1)
    expect(paid_row).to_contain_text(month)
    following, discounted_next, whole_next = _next_month(clerk)
    assert following != month and whole_next == whole

    # He pays that month at the counter: the discounted amount.
    clerk.get_by_label("Dibayar melalui").select_option(label="di kantor cabang")
    clerk.get_by_role("button", name="Catat iuran").click()
    expect(ui.flash(clerk)).to_contain_text(f"Iuran dicatat untuk 1 bulan: {discounted_next}.")
    actors.assert_no_problems()
