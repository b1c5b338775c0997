"""Member batches through the screens, as the people who use them (HTTP, both databases).

A department liaison uploads a list of informal workers and submits it; a clerk of the branch
office that serves the department accepts or rejects its rows from the registration queue;
accepted rows become members with a KPJ number. The service rules themselves are covered in
tests/test_member_batches.py; here every step goes through the pages and forms, and the
assertions are on what a user sees (Indonesian, the default language) and on what was stored.

The task queue runs in immediate mode in tests: a file is checked within its upload request.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from backoffice.rules.kpj import kpj_is_valid
from backoffice.rules.personal_data import mask_phone
from models import (
    AuditEvent,
    BatchRow,
    ContributionRate,
    IncomeLevel,
    Member,
    MemberBatch,
    Programme,
)
from tests.html_page import Page, follow, get, links_to
from tests.steps import export_rows

TODAY = date.today()
LIAISON = "dinas.pertanian.serang"
OTHER_DEPARTMENT = "diskoumperindag.serang"
CLERK = "petugas.serang"
SECOND_CLERK = "petugas2.serang"
OTHER_OFFICE_CLERK = "petugas.cilegon"
OTHER_REGION_HEAD = "kanwil.jakarta"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCRIPT_NAME = "<script>alert(1)</script>"
ESCAPED_SCRIPT_NAME = "&lt;script&gt;alert(1)&lt;/script&gt;"
FORMULA_NAME = '=HYPERLINK("http://contoh.invalid/","klik")'
HEADERS = [
    "NIK",
    "Nama Lengkap",
    "Tanggal Lahir",
    "Jenis Kelamin",
    "Alamat",
    "No HP",
    "Pekerjaan",
    "Penghasilan",
    "Program",
]

NOT_FOUND = "Halaman atau data tidak ditemukan."
NO_ACCESS = "Anda tidak memiliki akses ke halaman ini."
STALE = "Data ini baru saja diubah oleh orang lain. Muat ulang halaman untuk melihat keputusannya."


@pytest.fixture(autouse=True)
def upload_dir(app: Any, tmp_path: Path) -> Path:
    """Uploaded files of this test only (the app fixture leaves UPLOAD_DIR to instance/)."""
    path = tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = str(path)
    return path


# --- building files ----------------------------------------------------------------------------


def nik(born: date, sex: str, serial: int, regency: str = "3604") -> str:
    """A NIK that agrees with the birth date and sex (women: day + 40)."""
    day = born.day + (40 if sex == "P" else 0)
    return f"{regency}01{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def person(serial: int, name: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid row keyed by template header; ``Tanggal Lahir`` as text in dd/mm/yyyy."""
    born = date(1990, 8, 17)
    row = {
        "NIK": nik(born, "L", serial),
        "Nama Lengkap": name or f"Peserta {serial}",
        "Tanggal Lahir": born.strftime("%d/%m/%Y"),
        "Jenis Kelamin": "L",
        "Alamat": "Kp. Cibeber RT 001/RW 002, Kec. Cikande",
        "No HP": f"0812345678{serial % 100:02d}",
        "Pekerjaan": "Petani",
        "Penghasilan": "1.000.000",
        "Program": "JKK, JKM",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, Any]], headers: list[str] = HEADERS) -> bytes:
    """As Excel with Indonesian settings saves a CSV: ';', CRLF, UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([row.get(h, "") for h in headers] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


SEVENTY = date(TODAY.year - 70, 1, 1)


def messy_file() -> bytes:
    """Rows 2-5 valid, rows 6-11 each wrong in one way; an extra column "Keterangan"."""
    siti_born, eko_born, ahmad_born = date(1985, 3, 12), date(1992, 1, 5), date(1980, 2, 1)
    rows = [
        person(1, "Budi Santoso"),  # row 2
        person(  # row 3: ISO date, "Rp" income, JHT chosen
            2,
            "Siti Aminah",
            NIK=nik(siti_born, "P", 2),
            **{"Tanggal Lahir": "1985-03-12", "Jenis Kelamin": "P"},
            Penghasilan="Rp 2.000.000",
            Program="JKK, JKM, JHT",
        ),
        person(3, SCRIPT_NAME, NIK=nik(eko_born, "L", 3), **{"Tanggal Lahir": "5-1-1992"}),  # 4
        person(4, "Ahmad Fauzi", NIK=nik(ahmad_born, "L", 4), **{"Tanggal Lahir": "01.02.1980"}),
        person(5, "Dewi Lestari", NIK="360401170890005"),  # row 6: 15 digits
        person(6, "Rudi Hartono", NIK="3.60401E+15"),  # row 7: what a spreadsheet made of it
        person(7, "Agus Salim", Penghasilan="1.250.000"),  # row 8: not an income level
        person(8, "Wati Susanti", Program="JKK"),  # row 9: JKM missing
        person(9, "Joko Widodo", NIK=nik(date(1990, 8, 17), "L", 1)),  # row 10: NIK of row 2
        person(  # row 11: 70 years old
            10,
            "Mbah Karto",
            NIK=nik(SEVENTY, "L", 10),
            **{"Tanggal Lahir": SEVENTY.strftime("%d/%m/%Y")},
        ),
    ]
    for row in rows:
        row["Keterangan"] = "catatan dinas"
    return csv_bytes(rows, [*HEADERS, "Keterangan"])


MESSY_ERRORS = [
    ["6", "NIK", "NIK harus 16 digit, tertulis 15 digit."],
    [
        "7",
        "NIK",
        "NIK ini diubah menjadi angka oleh aplikasi spreadsheet (3.60401E+15) sehingga digit "
        "terakhirnya hilang. Ubah format kolom NIK menjadi Teks, ketik ulang NIK, lalu unggah "
        "kembali berkasnya.",
    ],
    [
        "8",
        "Penghasilan",
        "Rp1.250.000 bukan tingkat penghasilan yang berlaku. Pilih salah satu tingkat dari "
        "Rp1.000.000 sampai Rp20.700.000 yang tercantum di lembar Petunjuk pada template.",
    ],
    ["9", "Program", "Program JKK, JKM wajib diikuti; yang belum ada: JKM."],
    ["10", "NIK", "NIK ini sudah ada di baris 2 pada berkas ini."],
    [
        "11",
        "Tanggal Lahir",
        "Usia peserta pada tanggal pendaftaran 70 tahun; pendaftaran BPU hanya untuk usia di "
        "bawah 65 tahun.",
    ],
]


# --- steps -------------------------------------------------------------------------------------


def upload(client: Any, data: bytes, filename: str = "peserta.csv") -> Any:
    return client.post("/admin/batch/new/", data={"file": (io.BytesIO(data), filename)})


def uploaded(client: Any, data: bytes, filename: str = "peserta.csv") -> int:
    """Upload a file that is accepted as a whole; the new batch's number."""
    response = upload(client, data, filename)
    assert response.status_code == 302, Page(response).html
    match = re.search(r"/admin/batch/details/\?id=(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def decide(client: Any, batch_id: int, action: str, version: str, **form: Any) -> Any:
    return client.post(
        "/admin/batch/decide/", data={"id": batch_id, "action": action, "version": version, **form}
    )


def submit(client: Any, batch_id: int) -> Page:
    version = get(client, f"/admin/batch/details/?id={batch_id}").version()
    return follow(client, decide(client, batch_id, "submit", version))


def submitted_batch(login: Any, rows: list[dict[str, Any]], filename: str = "peserta.csv") -> int:
    liaison = login(LIAISON)
    batch_id = uploaded(liaison, csv_bytes(rows), filename)
    assert submit(liaison, batch_id).text("item-state") == "diajukan"
    return batch_id


def queue_details(batch_id: int) -> str:
    return f"/admin/registration_queue/details/?id={batch_id}"


def count(session: Any, model: type, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(session: Any, batch_id: int) -> tuple[Any, ...]:
    """Everything a decision changes: the batch, its rows, members, audit events."""
    session.expire_all()
    batch = session.get(MemberBatch, batch_id)
    rows = session.execute(
        select(BatchRow.number, BatchRow.state, BatchRow.reason, BatchRow.member_id)
        .where(BatchRow.batch_id == batch_id)
        .order_by(BatchRow.number)
    ).all()
    return (
        batch.state,
        batch.version,
        batch.accepted_count,
        batch.rejected_count,
        tuple(rows),
        count(session, Member, Member.batch_id.is_not(None)),
        count(session, AuditEvent),
    )


# --- 1. the journey ----------------------------------------------------------------------------


def test_liaison_uploads_a_messy_file_clerk_decides_and_liaison_sees_kpj_numbers(login, session):
    liaison = login(LIAISON)
    data = messy_file()
    assert data.startswith(b"\xef\xbb\xbfNIK;Nama Lengkap;") and data.count(b"\r\n") == 11
    response = upload(liaison, data, "peserta april.csv")
    batch_id = int(response.headers["Location"].rsplit("=", 1)[1])
    details = follow(liaison, response)

    # The preview: counts, every error at its spreadsheet row and column, the ignored column.
    assert details.text("item-state") == "draf"
    counts = {c: details.text(f"count-{c}") for c in ("rows", "valid", "invalid", "accepted")}
    assert counts == {"rows": "10", "valid": "4", "invalid": "6", "accepted": "0"}
    assert details.table("errors") == MESSY_ERRORS
    assert (
        details.text("ignored-note") == "Kolom berikut tidak digunakan dan diabaikan: Keterangan."
    )
    assert details.text("batch-title") == f"Batch no. {batch_id} peserta april.csv"
    assert not details.dom.all("input", name="row_id")  # the liaison does not decide rows

    # The error report: the invalid rows as uploaded, plus what is wrong with each.
    report = liaison.get(details.dom.by_id("error-report").attrs["href"])
    assert report.status_code == 200 and report.mimetype == XLSX
    assert report.headers["Content-Disposition"].startswith("attachment;")
    assert report.headers["X-Content-Type-Options"] == "nosniff"
    sheet = openpyxl.load_workbook(io.BytesIO(report.data)).worksheets[0]
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0] == [*HEADERS, "Keterangan", "Kesalahan"]
    assert [line[1] for line in lines[1:]] == [
        "Dewi Lestari",
        "Rudi Hartono",
        "Agus Salim",
        "Wati Susanti",
        "Joko Widodo",
        "Mbah Karto",
    ]
    assert lines[2][0] == "3.60401E+15"
    assert lines[4][-1] == "Program: Program JKK, JKM wajib diikuti; yang belum ada: JKM."

    # Submitted: the office's clerks see it in their queue, with the count in the menu.
    sent = submit(liaison, batch_id)
    assert sent.alerts("success") == [
        f"Batch no. {batch_id} telah dikirim ke KC Serang: 4 baris menunggu verifikasi."
    ]
    clerk = login(CLERK)
    queue = get(clerk, "/admin/registration_queue/")
    assert queue.text("registration-count") == "1"
    assert "peserta april.csv" in queue.dom.one("table", cls="model-list").text
    assert links_to(queue, queue_details(batch_id))

    # The clerk accepts three rows and rejects one with a reason.
    page = get(clerk, queue_details(batch_id))
    queue_html = page.html  # the queue shows the batch only while it waits for decisions
    assert page.text("count-pending") == "4"
    assert not page.row(6).all("input")  # an invalid row cannot be ticked
    # Every decision on rows cannot be undone: each button asks first, in the page
    # (static/confirm.js), in Indonesian.
    for action, label in (
        ("accept_all", "Terima semua baris yang menunggu"),
        ("accept_rows", "Terima baris terpilih"),
        ("reject_rows", "Tolak baris terpilih"),
    ):
        button = page.dom.by_id(f"action-{action}")
        assert button.text == label
        assert button.attrs["data-confirm"] == (
            f"{label}: keputusan ini tidak dapat dibatalkan. Lanjutkan?"
        )
        assert button.attrs["data-confirm-yes"] == f"Ya, {label.lower()}"
        assert button.attrs["data-confirm-no"] == "Batal"
    response = decide(
        clerk,
        batch_id,
        "accept_rows",
        page.version(),
        row_id=[page.row_id(2), page.row_id(3), page.row_id(4)],
        next=queue_details(batch_id),
    )
    page = follow(clerk, response)
    assert page.alerts("success") == [
        f"Baris diterima. Batch no. {batch_id}: 3 diterima, 0 ditolak, 1 menunggu."
    ]
    assert page.text("item-state") == "sedang diverifikasi"
    reason = "Sudah terdaftar lewat kantor lain"
    response = decide(
        clerk,
        batch_id,
        "reject_rows",
        page.version(),
        row_id=[page.row_id(5)],
        comment=reason,
        next=queue_details(batch_id),
    )
    # Nothing left to decide: back to the queue, now empty (no badge in the menu).
    assert response.headers["Location"] == "/admin/registration_queue/"
    queue = follow(clerk, response)
    assert queue.alerts("success") == ["1 baris ditolak."]
    assert not queue.dom.has_id("registration-count")
    assert "peserta april.csv" not in queue.html

    # The liaison sees the KPJ numbers and the reason.
    page = get(liaison, f"/admin/batch/details/?id={batch_id}")
    assert page.text("item-state") == "diterima sebagian"
    counts = {c: page.text(f"count-{c}") for c in ("accepted", "rejected")}
    assert counts == {"accepted": "3", "rejected": "1"}
    kpjs = [page.row(n).one("td", "kpj").text for n in (2, 3, 4)]
    assert all(len(k) == 11 and k.isdigit() and kpj_is_valid(k) for k in kpjs), kpjs
    assert len(set(kpjs)) == 3
    assert page.row(5).one("td", "kpj").text == ""
    assert page.row(5).one("td", "reason").text == reason
    members = session.scalars(select(Member).where(Member.batch_id == batch_id)).all()
    assert sorted(m.kpj for m in members) == sorted(kpjs)
    history = page.text("history")
    assert "baris diterima" in history and reason in history

    # The <script> name is text on every page that shows it.
    script_member = next(m for m in members if m.name == SCRIPT_NAME)
    pages = {"queue details": queue_html, "liaison preview": details.html}
    for client, url in [
        (liaison, f"/admin/batch/details/?id={batch_id}"),
        (clerk, f"/admin/batch/details/?id={batch_id}"),
        (clerk, "/admin/member/"),
        (liaison, "/admin/member/"),
        (clerk, f"/admin/member/details/?id={script_member.id}"),
    ]:
        pages[url] = get(client, url).html
    for where, html in pages.items():
        assert ESCAPED_SCRIPT_NAME in html, where
        assert SCRIPT_NAME not in html, where


def test_markup_in_a_quoted_cell_is_escaped_in_the_error_list(login):
    liaison = login(LIAISON)
    batch_id = uploaded(liaison, csv_bytes([person(1, NIK="<img src=x onerror=alert(1)>")]))
    page = get(liaison, f"/admin/batch/details/?id={batch_id}")
    assert page.table("errors") == [
        ["2", "NIK", "NIK hanya boleh berisi angka 0-9, tertulis <img src=x onerror=alert(1)>."]
    ]
    assert "<img src=x" not in page.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.html


# --- 2. who sees a batch -----------------------------------------------------------------------

SECRET_FILE = "peserta-dinas-pertanian-rahasia.csv"


@pytest.fixture
def serang_batch(login) -> int:
    """A submitted batch of Dinas Pertanian (KC Serang): two valid rows, one invalid."""
    return submitted_batch(login, [person(1), person(2), person(3, NIK="123")], SECRET_FILE)


@pytest.mark.parametrize("username", [OTHER_OFFICE_CLERK, OTHER_REGION_HEAD, OTHER_DEPARTMENT])
def test_a_batch_outside_the_users_scope_is_not_found_anywhere(
    login, session, serang_batch, username
):
    other = login(username)
    before = snapshot(session, serang_batch)
    for url in (
        f"/admin/batch/details/?id={serang_batch}",
        f"/admin/batch/errors.xlsx?id={serang_batch}",
    ):
        assert get(other, url, status=404).dom.one("p", "lead").text == NOT_FOUND
    listing = get(other, "/admin/batch/")
    assert SECRET_FILE not in listing.html
    assert f"details/?id={serang_batch}" not in listing.html
    if username == OTHER_OFFICE_CLERK:
        get(other, queue_details(serang_batch), status=404)
        queue = get(other, "/admin/registration_queue/")
        assert SECRET_FILE not in queue.html
        assert not queue.dom.has_id("registration-count")
        version = str(before[1])
        forged = decide(other, serang_batch, "accept_all", version)
        assert forged.status_code == 404
        forged = decide(other, serang_batch, "reject_rows", version, comment="x", row_id=["1"])
        assert forged.status_code == 404
    assert snapshot(session, serang_batch) == before


def test_the_liaison_cannot_decide_rows_of_its_own_batch(login, session, serang_batch):
    liaison = login(LIAISON)
    before = snapshot(session, serang_batch)
    forged = decide(liaison, serang_batch, "accept_all", str(before[1]))
    assert forged.status_code == 403
    assert NO_ACCESS in forged.get_data(as_text=True)
    assert snapshot(session, serang_batch) == before
    get(liaison, "/admin/registration_queue/", status=403)


def test_the_serving_office_and_its_region_see_the_batch(login, serang_batch):
    """The counterpart of the 404s above: the same URLs work for the users in scope."""
    for username in (SECOND_CLERK, "kepala.serang"):
        user = login(username)
        page = get(user, queue_details(serang_batch))
        assert page.text("count-pending") == "2"
        assert page.dom.has_id("action-accept_all")
        assert user.get(f"/admin/batch/errors.xlsx?id={serang_batch}").status_code == 200
    for username in ("kanwil.banten", "auditor.banten", SECOND_CLERK):
        listing = get(login(username), "/admin/batch/")
        assert SECRET_FILE in listing.html, username
        assert links_to(listing, f"/admin/batch/details/?id={serang_batch}"), username


def test_the_clerk_verifies_each_row_with_its_details_personal_data_masked(login, serang_batch):
    page = get(login(SECOND_CLERK), queue_details(serang_batch))
    row = page.dom.by_id("row-2")
    cells = {c.attrs["class"]: c.text for c in row.all("td") if "class" in c.attrs}
    assert cells["birth-date"] == "17/08/1990" and cells["sex"] == "Laki-laki"
    assert cells["income"] == "Rp1.000.000" and cells["programmes"] == "JKK, JKM"
    # Address and phone masked (UU 27/2022), like the NIK beside them.
    assert cells["phone"] == mask_phone("081234567801") and "Cibeber" not in cells["address"]
    assert cells["address"].startswith("Kp. C")
    # A row the checks refused has no values: it points to its errors.
    refused = page.dom.by_id("row-4").text
    assert "Lihat kesalahan di atas" in refused


# --- 3. files refused as a whole ---------------------------------------------------------------

REFUSED = [
    pytest.param(
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "peserta.xlsx",
        "Berkas ini bukan buku kerja Excel (.xlsx) atau berkas CSV. Simpan dari aplikasi "
        'spreadsheet sebagai "Excel Workbook (.xlsx)" atau "CSV", lalu unggah kembali.',
        id="pdf-renamed-xlsx",
    ),
    pytest.param(b"", "peserta.csv", "Berkas kosong.", id="empty"),
    pytest.param(
        csv_bytes([]),
        "peserta.csv",
        "Berkas berisi judul kolom tetapi tidak ada baris data.",
        id="header-only",
    ),
    pytest.param(
        csv_bytes([person(1)], [h for h in HEADERS if h != "Program"]),
        "peserta.csv",
        "Kolom wajib tidak ditemukan: Program. Gunakan judul kolom sesuai template unggahan.",
        id="missing-column",
    ),
]


@pytest.mark.parametrize(("data", "filename", "message"), REFUSED)
def test_a_file_refused_as_a_whole_is_explained_on_the_upload_page_and_nothing_is_kept(
    login, session, upload_dir, data, filename, message
):
    response = upload(login(LIAISON), data, filename)
    page = Page(response)
    assert page.status == 200
    assert page.text("refusal") == f"Berkas tidak diterima. {message} Tidak ada yang disimpan."
    assert page.dom.has_id("upload-form")
    assert count(session, MemberBatch) == 0
    assert count(session, AuditEvent, AuditEvent.record_type == "member_batch") == 0
    assert not [p for p in upload_dir.rglob("*") if p.is_file()]


MIB = 1024 * 1024


@pytest.fixture
def small_limits(app: Any) -> None:
    """A 1 MB import limit; requests up to 64 KB larger are read (the form around the file)."""
    app.config.update(IMPORT_MAX_BYTES=MIB, MAX_CONTENT_LENGTH=MIB + 64 * 1024)


def test_a_file_over_the_import_limit_is_refused_with_the_limit_in_megabytes(
    login, session, upload_dir, small_limits
):
    page = Page(upload(login(LIAISON), b"x" * (MIB + 1)))
    assert page.status == 200
    assert page.text("refusal") == (
        "Berkas tidak diterima. Ukuran berkas lebih dari 1 MB. Bagi menjadi beberapa berkas yang "
        "lebih kecil. Tidak ada yang disimpan."
    )
    assert count(session, MemberBatch) == 0
    assert not [p for p in upload_dir.rglob("*") if p.is_file()]


def test_a_request_over_the_size_limit_gets_a_413_page_with_the_limit(
    login, session, upload_dir, small_limits
):
    response = upload(login(LIAISON), b"x" * (2 * MIB))
    assert response.status_code == 413
    assert Page(response).dom.one("p", "lead").text == (
        "Berkas lebih besar dari 1 MB. Pecah menjadi beberapa berkas yang lebih kecil dan "
        "unggah satu per satu."
    )
    assert count(session, MemberBatch) == 0
    assert not [p for p in upload_dir.rglob("*") if p.is_file()]


def test_an_upload_without_a_file_asks_for_one(login, session):
    page = Page(login(LIAISON).post("/admin/batch/new/", data={}))
    assert page.status == 200 and not page.dom.has_id("refusal")
    assert "Kolom ini wajib diisi." in page.dom.by_id("upload-form").text
    assert count(session, MemberBatch) == 0


def test_the_upload_page_shows_a_progress_bar_while_the_file_goes_up(login, session):
    """static/upload.js sends the form itself and fills the hidden <progress>; without the
    script the form is an ordinary post (its action is the page itself)."""
    liaison = login(LIAISON)
    page = get(liaison, "/admin/batch/new/")
    form = page.dom.by_id("upload-form")
    assert form.attrs["data-upload-progress"] == "upload-progress"
    assert form.attrs["method"] == "post" and "action" not in form.attrs  # posts to its page
    box = page.dom.by_id("upload-progress")
    assert "hidden" in box.attrs and box.all("progress")
    assert box.text == "Mengirim berkas..."
    [script] = [s for s in page.dom.all("script") if s.attrs.get("src", "").endswith("upload.js")]
    assert script.attrs.get("nonce")
    served = liaison.get(script.attrs["src"])
    assert served.status_code == 200 and "data-upload-progress" in served.get_data(as_text=True)


# --- 4. the same file twice --------------------------------------------------------------------


def test_uploading_the_same_file_again_warns_with_the_earlier_batch_number(login, session):
    liaison = login(LIAISON)
    data = csv_bytes([person(1), person(2)])
    first = uploaded(liaison, data)
    assert not get(liaison, f"/admin/batch/details/?id={first}").alerts("warning")
    response = upload(liaison, data, "peserta-lagi.csv")
    page = follow(liaison, response)
    (warning,) = page.alerts("warning")
    assert f"Berkas yang sama sudah pernah diunggah sebagai batch no. {first} pada " in warning
    assert warning.endswith("(draf). Pastikan Anda tidak mendaftarkan orang yang sama dua kali."), (
        warning
    )
    assert count(session, MemberBatch) == 2  # a warning, not a refusal


# --- 5. the template ---------------------------------------------------------------------------


def test_the_template_is_an_xlsx_attachment_with_a_text_nik_column(login):
    liaison = login(LIAISON)
    upload_page = get(liaison, "/admin/batch/new/")
    href = upload_page.dom.by_id("template-download").attrs["href"]
    response = liaison.get(href)
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == [*HEADERS, "Kabupaten/Kota Domisili", "Sektor"]
    assert sheet.column_dimensions["A"].number_format == "@"
    get(login(CLERK), href, status=403)


# --- 6./7. decisions: stale forms, double submits, reasons -------------------------------------


def test_a_decision_from_a_stale_page_is_refused_and_changes_nothing(login, session):
    batch_id = submitted_batch(login, [person(1), person(2)])
    first, second = login(CLERK), login(SECOND_CLERK)
    stale = get(first, queue_details(batch_id))
    fresh = get(second, queue_details(batch_id))
    decide(second, batch_id, "accept_rows", fresh.version(), row_id=[fresh.row_id(2)])
    before = snapshot(session, batch_id)
    response = decide(
        first,
        batch_id,
        "reject_rows",
        stale.version(),
        row_id=[stale.row_id(3)],
        comment="Data tidak lengkap",
        next=queue_details(batch_id),
    )
    page = follow(first, response)
    assert page.alerts("danger") == [STALE]
    assert snapshot(session, batch_id) == before
    assert page.row(3).one("td", "reason").text == ""


def accept_twice(client: Any, batch_id: int, page: Page, back: str) -> tuple[Any, Any]:
    """The same accept form sent twice (a double click): both responses."""
    form = {"row_id": [page.row_id(2), page.row_id(3)], "next": back}
    first = decide(client, batch_id, "accept_rows", page.version(), **form)
    second = decide(client, batch_id, "accept_rows", page.version(), **form)
    return first, second


def test_sending_the_same_accept_form_twice_registers_each_row_once(login, session):
    batch_id = submitted_batch(login, [person(1), person(2)])
    clerk = login(CLERK)
    back = f"/admin/batch/details/?id={batch_id}"
    page = get(clerk, back)
    first, second = accept_twice(clerk, batch_id, page, back)
    assert first.status_code == 302
    assert count(session, Member, Member.batch_id.is_not(None)) == 2
    page = follow(clerk, second)
    assert page.alerts("danger") == [STALE]
    assert page.text("item-state") == "selesai"
    assert page.text("count-accepted") == "2"
    assert count(session, Member, Member.batch_id.is_not(None)) == 2
    decisions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.record_type == "member_batch", AuditEvent.record_id == str(batch_id)
        )
    ).all()
    assert decisions.count("accept_rows") == 1


def test_a_refused_second_decision_from_the_queue_lands_on_the_queue_not_a_404(login, session):
    batch_id = submitted_batch(login, [person(1), person(2)])
    clerk = login(CLERK)
    page = get(clerk, queue_details(batch_id))
    first, second = accept_twice(clerk, batch_id, page, queue_details(batch_id))
    assert first.headers["Location"] == "/admin/registration_queue/"  # the batch is complete
    assert count(session, Member, Member.batch_id.is_not(None)) == 2
    queue = follow(clerk, second)
    assert queue.alerts("danger") == [STALE]
    assert count(session, Member, Member.batch_id.is_not(None)) == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_rows_without_a_reason_is_refused_and_changes_nothing(login, session, reason):
    batch_id = submitted_batch(login, [person(1)])
    clerk = login(CLERK)
    page = get(clerk, queue_details(batch_id))
    before = snapshot(session, batch_id)
    response_row = page.row_id(2)
    response = decide(
        clerk,
        batch_id,
        "reject_rows",
        page.version(),
        row_id=[response_row],
        comment=reason,
        next=queue_details(batch_id),
    )
    page = follow(clerk, response)
    assert page.alerts("danger") == ["Alasan wajib diisi untuk Tolak baris terpilih."]
    assert snapshot(session, batch_id) == before
    # The row ticked stays ticked on the page shown again, the others not.
    ticked = {
        n.attrs["value"] for n in page.dom.all("input", name="row_id") if "checked" in n.attrs
    }
    assert ticked == {response_row}


def test_a_draft_shows_no_waiting_count_and_the_office_by_its_full_name(login, session):
    liaison = login(LIAISON)
    batch_id = uploaded(liaison, csv_bytes([person(1)]))
    page = get(liaison, f"/admin/batch/details/?id={batch_id}")
    assert not page.has_id("count-pending")
    assert "Menunggu" not in page.by_id("batch-counts").text
    assert "KC Serang" in page.by_id("batch-summary").text
    assert "ke KC Serang untuk diverifikasi" in page.by_id("decision").text


def test_a_finished_batch_opened_from_the_queue_opens_on_the_batches_screen(login, session):
    batch_id = submitted_batch(login, [person(1)])
    clerk = login(CLERK)
    page = get(clerk, queue_details(batch_id))
    response = decide(clerk, batch_id, "accept_all", page.version(), next=queue_details(batch_id))
    assert response.status_code == 302
    old_link = clerk.get(queue_details(batch_id))
    assert old_link.status_code == 302
    assert old_link.headers["Location"] == f"/admin/batch/details/?id={batch_id}"
    assert get(clerk, old_link.headers["Location"]).text("item-state") == "selesai"
    # out of scope it is still a 404, like a missing batch
    assert login("petugas.cilegon").get(queue_details(batch_id)).status_code == 404


def test_accepting_selected_rows_without_ticking_any_asks_for_a_row(login, session):
    batch_id = submitted_batch(login, [person(1)])
    clerk = login(CLERK)
    page = get(clerk, queue_details(batch_id))
    before = snapshot(session, batch_id)
    response = decide(clerk, batch_id, "accept_rows", page.version(), next=queue_details(batch_id))
    assert follow(clerk, response).alerts("danger") == ["Pilih setidaknya satu baris."]
    assert snapshot(session, batch_id) == before


# --- 7b. checks whose task was lost ------------------------------------------------------------


def test_liaison_starts_again_checks_whose_task_was_lost(login, session, monkeypatch):
    from backoffice.services import batches as service

    liaison = login(LIAISON)
    with monkeypatch.context() as lost:
        lost.setattr(service, "start_processing", lambda batch_id: None)  # never runs
        batch_id = uploaded(liaison, csv_bytes([person(1), person(2)]))
    details = f"/admin/batch/details/?id={batch_id}"
    page = get(liaison, details)
    assert page.text("item-state") == "sedang diperiksa"
    assert '<meta http-equiv="refresh"' in page.html  # still expected to finish
    assert page.dom.by_id("checking-bar").attrs.get("value") is None  # under way, no total yet
    assert not page.dom.all(id="action-retry") and not page.dom.all(id="checks-lost")

    batch = session.get(MemberBatch, batch_id)
    batch.processing_since -= service.CHECKS_LOST_AFTER
    session.commit()
    page = get(liaison, details)
    assert '<meta http-equiv="refresh"' not in page.html  # nothing to wait for
    warning = page.text("checks-lost")
    assert "belum selesai" in warning and "Periksa ulang" in warning
    assert page.dom.by_id("action-retry").text == "Periksa ulang"
    # The branch clerk sees the batch in the same state, and no button of the liaison's.
    assert not get(login(CLERK), details).dom.all(id="action-retry")

    page = follow(liaison, decide(liaison, batch_id, "retry", page.version()))
    assert page.alerts("success") == [f"Batch no. {batch_id} sedang diperiksa ulang."]
    assert page.text("item-state") == "draf"
    assert page.text("count-valid") == "2"


# --- 8. members ----------------------------------------------------------------------------------


def test_clerk_sees_new_members_with_kpj_and_contribution_and_exports_them_formula_safe(
    login, session
):
    batch_id = submitted_batch(login, [person(1, "Budi Santoso"), person(2, FORMULA_NAME)])
    clerk = login(CLERK)
    page = get(clerk, queue_details(batch_id))
    assert page.row(3).all("td")[3].text == FORMULA_NAME
    follow(clerk, decide(clerk, batch_id, "accept_all", page.version()))
    budi = session.scalar(select(Member).where(Member.name == "Budi Santoso"))
    assert budi is not None and budi.programmes == "JKK,JKM" and budi.income_level == 1_000_000

    listing = get(clerk, "/admin/member/")
    table = listing.dom.one("table", cls="model-list")
    (row,) = [tr for tr in table.all("tr") if tr.all("td") and "Budi Santoso" in tr.text]
    assert row.one("td", "col-kpj").text == budi.kpj and kpj_is_valid(budi.kpj)
    assert row.one("td", "col-income_level").text == "Rp1.000.000"
    assert row.one("td", "col-monthly_contribution").text == "Rp16.800"

    export = clerk.get("/admin/member/export/csv/")
    assert export.status_code == 200
    cells = [cell for line in export_rows(export) for cell in line]
    assert "'" + FORMULA_NAME in cells
    assert not [cell for cell in cells if cell.startswith("=")]
    assert budi.kpj in cells


# --- 9. reference data -------------------------------------------------------------------------


def rate_form(**values: Any) -> dict[str, Any]:
    form = {"programme": "JKK", "percent": "", "flat_amount": "", "valid_from": "", "valid_to": ""}
    form["note"] = ""
    form.update(values)
    return form


def jkk_rate_in_force(session: Any) -> ContributionRate:
    return session.scalar(
        select(ContributionRate).where(
            ContributionRate.programme == Programme.JKK, ContributionRate.valid_to.is_(None)
        )
    )


def test_admin_cannot_add_a_rate_overlapping_the_one_in_force(login, session):
    before = count(session, ContributionRate)
    response = login("admin").post(
        "/admin/contribution_rate/new/",
        data=rate_form(percent="1.5", valid_from="2031-01-01", note="Tarif baru"),
    )
    page = Page(response)
    assert page.status == 200  # the form again, with the reason
    assert page.alerts("danger") == [
        "Sudah ada tarif program ini yang berlaku pada sebagian tanggal tersebut: akhiri dulu "
        "tarif lama (isi tanggal terakhirnya), lalu tambahkan yang baru."
    ]
    assert page.dom.by_id("percent").attrs["value"] == "1.5"  # what was typed is kept
    assert count(session, ContributionRate) == before
    assert jkk_rate_in_force(session).valid_to is None
    assert count(session, AuditEvent, AuditEvent.record_type == "contribution_rate") == 0


# Reference data: rates and income levels saved from the admin forms.


def test_admin_ends_the_rate_in_force_and_the_change_is_audited(login, session):
    old = jkk_rate_in_force(session)
    ended = login("admin").post(
        f"/admin/contribution_rate/edit/?id={old.id}",
        data=rate_form(percent="1", valid_from="2015-07-01", valid_to="2030-12-31", note=old.note),
    )
    assert ended.status_code == 302, Page(ended).alerts("danger")
    session.expire_all()
    assert session.get(ContributionRate, old.id).valid_to == date(2030, 12, 31)
    event = session.scalar(select(AuditEvent).where(AuditEvent.record_type == "contribution_rate"))
    assert (event.action, event.record_id, event.actor_username) == ("edit", str(old.id), "admin")


def test_admin_adds_an_income_level_that_overlaps_nothing(login, session):
    added = login("admin").post(
        "/admin/income_level/new/",
        data={"amount": "25000000", "valid_from": "2031-01-01", "valid_to": ""},
    )
    assert added.status_code == 302, Page(added).alerts("danger")
    new = session.scalar(select(IncomeLevel).where(IncomeLevel.amount == 25_000_000))
    assert new is not None and new.valid_from == date(2031, 1, 1)
    event = session.scalar(select(AuditEvent).where(AuditEvent.record_type == "income_level"))
    assert (event.action, event.record_id) == ("create", str(new.id))


def test_admin_adds_a_rate_after_ending_the_old_one_and_both_changes_are_audited(login, session):
    admin = login("admin")
    old = jkk_rate_in_force(session)
    ended = admin.post(
        f"/admin/contribution_rate/edit/?id={old.id}",
        data=rate_form(percent="1", valid_from="2015-07-01", valid_to="2030-12-31", note=old.note),
    )
    assert ended.status_code == 302, Page(ended).alerts("danger")
    added = admin.post(
        "/admin/contribution_rate/new/",
        data=rate_form(percent="1.5", valid_from="2031-01-01", note="Tarif baru"),
    )
    assert added.status_code == 302, Page(added).alerts("danger")
    session.expire_all()
    new = session.scalar(
        select(ContributionRate).where(
            ContributionRate.programme == Programme.JKK,
            ContributionRate.valid_from == date(2031, 1, 1),
        )
    )
    assert new is not None and new.percent == Decimal("1.5") and new.valid_to is None
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == "contribution_rate")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.record_id, e.actor_username) for e in events] == [
        ("edit", str(old.id), "admin"),
        ("create", str(new.id), "admin"),
    ]


def test_a_clerk_cannot_add_a_rate(login, session):
    clerk = login(CLERK)
    before = count(session, ContributionRate)
    get(clerk, "/admin/contribution_rate/new/", status=403)
    forged = clerk.post(
        "/admin/contribution_rate/new/",
        data=rate_form(percent="1.5", valid_from="2031-01-01"),
    )
    assert forged.status_code == 403
    assert count(session, ContributionRate) == before
    assert get(clerk, "/admin/contribution_rate/").status == 200  # reading is fine


# --- 10. CSRF ----------------------------------------------------------------------------------

CSRF_REFUSED = (
    "Formulir sudah kedaluwarsa atau terkirim dua kali. Muat ulang halaman lalu coba lagi."
)


def test_forms_without_the_csrf_token_are_refused(login, session, upload_dir):
    liaison = login(LIAISON)
    response = liaison.post(
        "/admin/batch/new/",
        data={"file": (io.BytesIO(csv_bytes([person(1)])), "peserta.csv")},
        csrf=False,
    )
    assert response.status_code == 400
    assert Page(response).dom.one("p", "lead").text == CSRF_REFUSED
    assert count(session, MemberBatch) == 0
    assert not [p for p in upload_dir.rglob("*") if p.is_file()]

    batch_id = submitted_batch(login, [person(2)])
    clerk = login(CLERK)
    page = get(clerk, queue_details(batch_id))
    before = snapshot(session, batch_id)
    response = clerk.post(
        "/admin/batch/decide/",
        data={"id": batch_id, "action": "accept_all", "version": page.version()},
        csrf=False,
    )
    assert response.status_code == 400
    assert Page(response).dom.one("p", "lead").text == CSRF_REFUSED
    assert snapshot(session, batch_id) == before
