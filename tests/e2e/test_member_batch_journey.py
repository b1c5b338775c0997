"""A department liaison's spreadsheet, from the template to KPJ numbers, in a real browser.

The liaison downloads the template, uploads the list their office keeps (a semicolon CSV saved by
Excel: BOM, CRLF, dates typed four ways, incomes with and without "Rp", three bad rows, one name
that is markup), reads the errors, downloads the rows with errors, corrects them (openpyxl plays
the spreadsheet application) and uploads them as a second batch, then submits both. A clerk of
KC Serang accepts rows, rejects one with a reason, accepts the second batch whole; the liaison
sees the KPJ numbers and the reason. Files are checked by the task consumer inside the server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from backoffice.clock import today_in_jakarta
from backoffice.rules.kpj import kpj_is_valid
from backoffice.seed.work import DEMO_BATCHES
from bench import gen_members
from tests.e2e import ui

expect = ui.expect
pytestmark = pytest.mark.e2e

LIAISON, CLERK = "dinas.pertanian.serang", "petugas.serang"
SCRIPT_NAME = "<script>alert(1)</script>"
FILENAME = "peserta dinas pertanian.csv"
#: The demo's own batches in petugas.serang's registration queue.
DEMO_WAITING = sum(b.outcome == "submitted" for b in DEMO_BATCHES)
REASON = "Sudah terdaftar lewat kantor lain"


def messy_rows() -> tuple[list[dict[str, Any]], dict[int, tuple[str, Any, Any]]]:
    """Ten people (spreadsheet rows 2-11) and the three rows spoilt: row -> (column, bad value,
    the value it should have had)."""
    rows = gen_members.generate_rows(10, seed=6, registration_date=today_in_jakarta())
    rows[1]["Nama Lengkap"] = SCRIPT_NAME  # row 3, valid: it becomes a member's name
    spoilt = {
        5: ("NIK", rows[3]["NIK"][:-1], rows[3]["NIK"]),  # a digit lost
        7: ("Penghasilan", 1_250_000, 1_000_000),  # not an income level
        9: ("Program", "JKK", "JKK, JKM"),  # JKM is compulsory
    }
    for number, (column, bad, _good) in spoilt.items():
        rows[number - 2][column] = bad
    return rows, spoilt


def date_style(text: str) -> str:
    """How a birth date was typed: "d/m/yyyy" (one or two digits), "dd-mm-yyyy" or "iso"."""
    for style, pattern in (
        ("d/m/yyyy", r"\d{1,2}/\d{1,2}/\d{4}"),
        ("dd-mm-yyyy", r"\d\d-\d\d-\d{4}"),
        ("iso", r"\d{4}-\d\d-\d\d"),
    ):
        if re.fullmatch(pattern, text):
            return style
    return text


def upload(page: Any, path: Path) -> str:
    """Upload a file from the batch list; wait until it is checked; the batch number."""
    ui.open_menu(page, "Batch peserta")
    page.get_by_role("link", name="Unggah daftar peserta").click()
    page.get_by_label("Daftar peserta (XLSX atau CSV)").set_input_files(path)
    page.get_by_role("button", name="Unggah dan periksa").click()
    expect(page).to_have_url(re.compile(r"/admin/batch/details/\?id=\d+$"))
    ui.wait_until_checked(page)
    expect(page.locator("#item-state")).to_have_text("draf")
    return page.url.rsplit("=", 1)[1]


def counts(page: Any, *names: str) -> dict[str, str]:
    return {name: page.locator(f"#count-{name}").inner_text().strip() for name in names}


def name_cell(page: Any, row: int) -> Any:
    """The name cell of a spreadsheet row in a batch's rows table (a clerk's has a tick box
    column first)."""
    titles = [" ".join(t.split()) for t in page.locator("#rows thead th").all_inner_texts()]
    return page.locator(f"#row-{row} td").nth(titles.index("Nama"))


def test_liaison_uploads_a_messy_file_corrects_its_errors_clerk_decides_kpj_numbers_shown(
    actors, tmp_path
):
    liaison = actors.login(LIAISON)

    # The template: an XLSX whose first row are the column titles, NIK a text column.
    ui.open_menu(liaison, "Batch peserta")
    template = ui.download(liaison, liaison.get_by_role("link", name="Unduh template"), tmp_path)
    assert template.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(template).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers == list(gen_members.HEADERS)
    assert sheet.column_dimensions["A"].number_format == "@"

    # The office's own list, kept in Excel and saved as CSV with its Indonesian settings.
    rows, spoilt = messy_rows()
    messy = tmp_path / FILENAME
    gen_members.write_csv(messy, rows)
    data = messy.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfNIK;Nama Lengkap;") and data.count(b"\r\n") == 11
    births = [line.split(";")[2] for line in data.decode("utf-8-sig").splitlines()[1:]]
    assert {date_style(text) for text in births} == {"d/m/yyyy", "dd-mm-yyyy", "iso"}, births
    first = upload(liaison, messy)

    # The preview: totals, each error at its spreadsheet row and column.
    expect(liaison.locator("#batch-title")).to_contain_text(FILENAME)
    assert counts(liaison, "rows", "valid", "invalid") == {
        "rows": "10",
        "valid": "7",
        "invalid": "3",
    }
    errors = ui.cell_texts(liaison.locator("#errors tbody tr"))
    assert [(row, column) for row, column, _ in errors] == [
        ("5", "NIK"),
        ("7", "Penghasilan"),
        ("9", "Program"),
    ], errors
    assert errors[0][2] == "NIK harus 16 digit, tertulis 15 digit."
    assert errors[1][2].startswith("Rp1.250.000 bukan tingkat penghasilan yang berlaku."), errors
    assert errors[2][2] == "Program JKK, JKM wajib diikuti; yang belum ada: JKM.", errors
    # The name that is markup is shown as text (and no dialog opened: see the fixture).
    expect(name_cell(liaison, 3)).to_have_text(SCRIPT_NAME)
    expect(liaison.locator("#rows script")).to_have_count(0)

    # The rows with errors, downloaded, corrected in the spreadsheet, saved under a new name.
    report = ui.download(liaison, liaison.locator("#error-report"), tmp_path)
    book = openpyxl.load_workbook(report)
    sheet = book.worksheets[0]
    titles = [cell.value for cell in sheet[1]]
    assert titles[: len(headers)] == headers and titles[-1] == "Kesalahan"
    lines = list(sheet.iter_rows(min_row=2))
    assert len(lines) == 3
    names = [rows[number - 2]["Nama Lengkap"] for number in spoilt]
    assert [line[1].value for line in lines] == names
    for line, (column, _bad, good) in zip(lines, spoilt.values(), strict=True):
        line[titles.index(column)].value = good
    corrected = tmp_path / "peserta dinas pertanian - perbaikan.xlsx"
    book.save(corrected)
    second = upload(liaison, corrected)
    assert second != first
    assert counts(liaison, "rows", "valid", "invalid") == {
        "rows": "3",
        "valid": "3",
        "invalid": "0",
    }
    expect(liaison.locator("#errors")).to_have_count(0)

    # Both are submitted to KC Serang.
    for batch, valid in ((first, 7), (second, 3)):
        liaison.goto(f"/admin/batch/details/?id={batch}")
        liaison.get_by_role("button", name="Ajukan ke kantor cabang").click()
        expect(ui.flash(liaison)).to_contain_text(
            f"Batch no. {batch} telah dikirim ke KC Serang: {valid} baris menunggu verifikasi."
        )
        expect(liaison.locator("#item-state")).to_have_text("diajukan")

    # The clerk: two batches waiting besides the demo's, oldest first.
    clerk = actors.login(CLERK)
    expect(ui.menu_badge(clerk, "Antrean pendaftaran")).to_have_text(str(2 + DEMO_WAITING))
    ui.open_menu(clerk, "Antrean pendaftaran")
    ui.open_details(ui.list_row(clerk, FILENAME))
    expect(clerk.locator("#count-pending")).to_have_text("7")
    expect(name_cell(clerk, 3)).to_have_text(SCRIPT_NAME)
    expect(clerk.locator("#row-5 input[type=checkbox]")).to_have_count(0)  # invalid row

    # Six rows accepted, then the last one rejected with a reason.
    accepted = [2, 3, 4, 6, 8, 10]
    for number in accepted:
        clerk.locator(f"#row-{number} input[type=checkbox]").check()
    ui.ready(clerk)
    clerk.get_by_role("button", name="Terima baris terpilih").click()
    expect(clerk.locator("#decision-confirm")).to_contain_text("tidak dapat dibatalkan")
    clerk.locator("#confirm-yes").click()
    expect(ui.flash(clerk)).to_contain_text(
        f"Baris diterima. Batch no. {first}: 6 diterima, 0 ditolak, 1 menunggu."
    )
    expect(clerk.locator("#item-state")).to_have_text("sedang diverifikasi")
    clerk.locator("#row-11 input[type=checkbox]").check()
    clerk.get_by_label("Alasan (wajib untuk menolak baris)").fill(REASON)
    ui.ready(clerk)
    clerk.get_by_role("button", name="Tolak baris terpilih").click()
    expect(clerk.locator("#decision-confirm")).to_contain_text("tidak dapat dibatalkan")
    clerk.locator("#confirm-yes").click()
    expect(ui.flash(clerk)).to_contain_text("1 baris ditolak.")
    expect(clerk).to_have_url(actors.server.url + "/admin/registration_queue/")

    # The corrected batch, accepted whole; then only the demo's batches wait.
    ui.open_details(ui.list_row(clerk, "perbaikan.xlsx"))
    ui.ready(clerk)
    clerk.get_by_role("button", name="Terima semua baris yang menunggu").click()
    expect(clerk.locator("#decision-confirm")).to_contain_text("tidak dapat dibatalkan")
    clerk.locator("#confirm-yes").click()
    expect(clerk).to_have_url(actors.server.url + "/admin/registration_queue/")
    expect(ui.menu_badge(clerk, "Antrean pendaftaran")).to_have_text(str(DEMO_WAITING))
    expect(clerk.locator("table.model-list")).not_to_contain_text(FILENAME)

    # The liaison sees each row's KPJ number, or the reason it was rejected.
    liaison.goto(f"/admin/batch/details/?id={first}")
    expect(liaison.locator("#item-state")).to_have_text("diterima sebagian")
    assert counts(liaison, "accepted", "rejected") == {"accepted": "6", "rejected": "1"}
    kpjs = [liaison.locator(f"#row-{n} td.kpj").inner_text().strip() for n in accepted]
    assert all(kpj_is_valid(kpj) for kpj in kpjs) and len(set(kpjs)) == 6, kpjs
    expect(liaison.locator("#row-11 td.kpj")).to_have_text("")
    expect(liaison.locator("#row-11 td.reason")).to_have_text(REASON)
    expect(name_cell(liaison, 3)).to_have_text(SCRIPT_NAME)
    liaison.goto(f"/admin/batch/details/?id={second}")
    expect(liaison.locator("#item-state")).to_have_text("selesai")
    more = [liaison.locator(f"#row-{n} td.kpj").inner_text().strip() for n in (2, 3, 4)]
    assert all(kpj_is_valid(kpj) for kpj in more) and not set(more) & set(kpjs), more

    # The new member with the markup name, as text in the clerk's member list.
    ui.open_menu(clerk, "Peserta")
    ui.search_list(clerk, kpjs[1])
    expect(ui.list_row(clerk, kpjs[1]).locator("td.col-name")).to_have_text(SCRIPT_NAME)
    actors.assert_no_problems()
