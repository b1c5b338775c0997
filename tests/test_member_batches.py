"""Member batches on a real database: a liaison uploads a list of informal workers (BPU), a
branch clerk accepts or rejects its rows, accepted rows become members with a KPJ number.

The importer itself (reading, parsing, validating) is unit-tested in tests/unit; here every test
goes the integrated way: file bytes -> ``upload_batch`` -> ``process_batch`` -> ``decide``.
Service calls run outside a web request, where messages are Indonesian (the default language).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice import workflow
from backoffice.audit import history, verify_chain
from backoffice.clock import jakarta_day
from backoffice.errors import DomainError, Forbidden, NotFound
from backoffice.importing import FileRefused
from backoffice.rules.kpj import kpj_is_valid
from backoffice.services import batch_intake, batches, messages, numbering, reference
from backoffice.transaction import unit_of_work
from bench import gen_members
from models import (
    AuditEvent,
    BatchRow,
    BatchState,
    ContributionRate,
    Department,
    KpjCounter,
    Member,
    MemberBatch,
    Office,
    Programme,
    RowState,
)
from tests.steps import done as committed

# The registration date of every upload; accepting uses the real clock, so both are today.
TODAY = date.today()
B = BatchState
R = RowState
LIAISON = "dinas.pertanian.serang"
OTHER_LIAISON = "diskoumperindag.serang"
CLERK = "petugas.serang"


HEADERS = list(gen_members.HEADERS)


# --- building files --------------------------------------------------------------------------


def nik(born: date, sex: str, serial: int, regency: str = "3604", district: int = 1) -> str:
    """A NIK that agrees with the birth date and sex (women: day + 40)."""
    day = born.day + (40 if sex == "P" else 0)
    return f"{regency}{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def person(
    serial: int,
    name: str | None = None,
    born: date = date(1990, 8, 17),
    sex: str = "L",
    **overrides: Any,
) -> dict[str, Any]:
    """One row keyed by template header, valid unless overridden."""
    row = {
        "NIK": nik(born, sex, serial),
        "Nama Lengkap": name if name is not None else f"Peserta {serial}",
        "Tanggal Lahir": born,
        "Jenis Kelamin": sex,
        "Alamat": "Kp. Cibeber RT 001/RW 002, Kec. Cikande",
        "No HP": f"0812345678{serial % 100:02d}",
        "Pekerjaan": "Petani",
        "Penghasilan": 1_000_000,
        "Program": "JKK, JKM",
    }
    row.update(overrides)
    return row


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def csv_bytes(
    rows: list[dict[str, Any]],
    *,
    headers: list[str] = HEADERS,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> bytes:
    """A CSV as Excel with Indonesian settings saves it: ';', CRLF, UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([_text(row.get(h)) for h in headers] for row in rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    """A workbook whose cells are exactly the given Python values (openpyxl's own typing)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_row(row: dict[str, Any]) -> list[Any]:
    return [
        datetime.combine(v, time()) if isinstance(v, date) else v
        for v in (row.get(h) for h in HEADERS)
    ]


# --- the flow --------------------------------------------------------------------------------


@pytest.fixture
def settings(app: Any, tmp_path: Path) -> batch_intake.Settings:
    config = {**app.config, "UPLOAD_DIR": str(tmp_path / "uploads")}
    return batch_intake.Settings.from_config(config, app.instance_path)


def stored_files(settings: batch_intake.Settings) -> list[Path]:
    return [p for p in settings.storage_dir.rglob("*") if p.is_file()]


def count(session: Session, model: type, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def checked(session: Session, batch_id: int, settings: batch_intake.Settings, **kwargs: Any) -> Any:
    """The checks of a batch as the task runs them: committed, or rolled back and the batch
    marked failed."""
    with unit_of_work(session, on_failure=lambda: batch_intake.mark_failed(session, batch_id)):
        return batch_intake.process_batch(session, batch_id, settings, **kwargs)


def upload(session, user, settings, data, filename="peserta.csv", username=LIAISON, **kw):
    return committed(
        session,
        batch_intake.upload_batch,
        user(username),
        data,
        filename,
        settings=settings,
        today=TODAY,
        **kw,
    )


def load(session, user, settings, data, filename="peserta.csv", username=LIAISON) -> MemberBatch:
    """Upload and process: the batch in draft (or whatever processing made of it)."""
    up = upload(session, user, settings, data, filename, username)
    return checked(session, up.batch.id, settings)


def submitted(session, user, settings, data, username=LIAISON, **kw) -> MemberBatch:
    batch = load(session, user, settings, data, username=username, **kw)
    assert batch.state is B.DRAFT, batch.refusal
    return committed(session, batches.decide, user(username), batch.id, "submit")


def rows_of(session: Session, batch: MemberBatch) -> dict[int, BatchRow]:
    """The batch's rows by spreadsheet row number (fresh from the database)."""
    session.expire_all()
    stmt = select(BatchRow).where(BatchRow.batch_id == batch.id).order_by(BatchRow.number)
    return {row.number: row for row in session.scalars(stmt)}


def errors_of(session: Session, batch: MemberBatch) -> list[tuple[int, str, str]]:
    rows = [r for r in rows_of(session, batch).values() if r.state is R.INVALID]
    return [(e.row, e.column, str(e.message)) for e in batches.row_errors(rows)]


def actions_of(session: Session, batch: MemberBatch) -> list[str]:
    return [event.action for event in history(session, batch_intake.RECORD_TYPE, batch.id)]


def office(session: Session, code: str) -> Office:
    return session.scalar(select(Office).where(Office.code == code))


def members_by_nik(session: Session) -> dict[str, Member]:
    return {m.nik: m for m in session.scalars(select(Member).where(Member.batch_id.is_not(None)))}


# --- 1. the whole journey --------------------------------------------------------------------

# What a department really sends: headers in another order and case, an alias ("Tgl Lahir",
# "No. HP"), a column of its own, blank lines, three date formats, phones typed three ways,
# programme lists with and without spaces, amounts written as text - and some bad rows.
MESSY_LINES = [
    "nama lengkap;NIK;JENIS KELAMIN;Tgl Lahir;program;Penghasilan;No. HP;Alamat;Pekerjaan;Keterangan",
    "Budi Santoso;3604011708900001;L;17/08/1990;JKK,JKM;1000000;081234567890;Kp. Cibeber;Petani;ketua",
    "Siti Aminah;3604014503850002;P;05-03-1985;JKK, JKM, JHT;1.000.000;0812-3456-7891;Kp. Sukamaju;Buruh Tani;",
    "",
    "Ahmad Hidayat;3604010112790003;L;1979-12-01;JKK, JKM;Rp 2.000.000;+6281234567892;;Petani Penggarap;",
    "Dewi Lestari;3604015006920004;P;10/06/1992;jkk, jkm;1000000;;;Peternak;",
    "Ujang;36040117089;L;17/08/1990;JKK, JKM;1000000;;;;",
    "Rohmat Sobari;3604010203880005;L;02/03/1988;JKK, JKM;1234567;0254-12345;;;",
    ";3604014407950006;P;04/07/1995;JKK, JKP;1000000;;;;",
    "Budi Kembar;3604011708900001;L;17/08/1990;JKK, JKM;1000000;;;;",
    ";;;;;;;;;",
    "Euis Rahayu;3604016511000007;P;25/11/2000;JKK, JKM, JHT;1.500.000;0857 1234 5678;;Penjahit;",
    "",
]
MESSY_CSV = ("\r\n".join(MESSY_LINES) + "\r\n").encode("utf-8-sig")
VALID_ROWS = {
    2: "Budi Santoso",
    3: "Siti Aminah",
    5: "Ahmad Hidayat",
    6: "Dewi Lestari",
    12: "Euis Rahayu",
}
INVALID_ROWS = [7, 8, 9, 10]


def test_liaison_uploads_a_messy_file_and_the_clerk_accepts_part_of_it(session, user, settings):
    liaison, clerk = user(LIAISON), user(CLERK)
    assert MESSY_CSV.startswith(b"\xef\xbb\xbf") and b"\r\n" in MESSY_CSV

    up = committed(
        session,
        batch_intake.upload_batch,
        liaison,
        MESSY_CSV,
        "Peserta Tani.csv",
        settings=settings,
        today=TODAY,
        ip="10.1.2.3",
    )
    assert up.same_file == []
    assert up.batch.state is B.PROCESSING and up.batch.file_format == "csv"
    assert settings.file_of(up.batch).read_bytes() == MESSY_CSV
    assert up.batch.ignored_columns == ["Keterangan"]

    progress: list[int] = []
    batch = checked(session, up.batch.id, settings, progress=progress.append)
    assert batch.state is B.DRAFT
    assert (batch.row_count, batch.valid_count, batch.invalid_count) == (9, 5, 4)
    # Once every cell is in the database the uploaded copy of the personal data goes.
    assert stored_files(settings) == []

    rows = rows_of(session, batch)
    assert sorted(rows) == sorted([*VALID_ROWS, *INVALID_ROWS])  # spreadsheet row numbers
    assert {n: r.name for n, r in rows.items() if r.state is R.PENDING} == VALID_ROWS
    assert {n for n, r in rows.items() if r.state is R.INVALID} == set(INVALID_ROWS)
    assert rows[2].data["phone"] == "081234567890"
    assert rows[3].data["phone"] == "081234567891"
    assert rows[5].data["phone"] == "081234567892"
    assert rows[12].data["phone"] == "085712345678"
    assert rows[3].data["birth_date"] == "1985-03-05" and rows[3].data["sex"] == "P"
    assert rows[5].data["birth_date"] == "1979-12-01" and rows[5].data["income"] == 2_000_000
    assert rows[2].data["programmes"] == ["JKK", "JKM"]
    assert rows[3].data["programmes"] == ["JHT", "JKK", "JKM"]
    assert rows[2].original[-1] == "ketua"  # the ignored column is kept for the error report

    errors = errors_of(session, batch)
    assert [(row, column) for row, column, _ in errors] == [
        (7, "NIK"),
        (8, "No HP"),
        (8, "Penghasilan"),
        (9, "Nama Lengkap"),
        (9, "Program"),
        (9, "Program"),
        (10, "NIK"),
    ]
    text = {(row, column): message for row, column, message in errors}
    assert "NIK harus 16 digit, tertulis 11 digit" in text[7, "NIK"]
    assert "bukan nomor ponsel Indonesia" in text[8, "No HP"]
    assert "Rp1.234.567 bukan tingkat penghasilan yang berlaku" in text[8, "Penghasilan"]
    assert text[9, "Nama Lengkap"] == "Nama Lengkap wajib diisi."
    assert text[10, "NIK"] == "NIK ini sudah ada di baris 2 pada berkas ini."

    # The error report: the invalid rows exactly as uploaded, plus a column saying why.
    report = openpyxl.load_workbook(io.BytesIO(batches.error_report(session, batch, masked=False)))
    sheet = report.active
    table = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    assert table[0] == [*MESSY_LINES[0].split(";"), "Kesalahan"]
    assert [r[:-1] for r in table[1:]] == [MESSY_LINES[n - 1].split(";") for n in INVALID_ROWS]
    assert "Penghasilan" in table[2][-1] and "No HP" in table[2][-1]
    assert "sudah ada di baris 2" in table[4][-1]

    batch = committed(session, batches.decide, liaison, batch.id, "submit")
    assert batch.state is B.SUBMITTED and batch.submitted_by_id == liaison.id

    rows = rows_of(session, batch)
    batch = committed(
        session,
        batches.decide,
        clerk,
        batch.id,
        "accept_rows",
        row_ids=[rows[2].id, rows[3].id, rows[5].id],
    )
    assert batch.state is B.IN_REVIEW and batch.accepted_count == 3
    reason = "Bukan petani binaan dinas; daftarkan lewat desa."
    batch = committed(
        session, batches.decide, clerk, batch.id, "reject_rows", row_ids=[rows[6].id], reason=reason
    )
    assert batch.state is B.IN_REVIEW and batch.rejected_count == 1
    batch = committed(
        session, batches.decide, clerk, batch.id, "accept_rows", row_ids=[rows[12].id]
    )
    assert batch.state is B.PARTIALLY_ACCEPTED and batch.pending_count == 0
    assert batch.completed_at is not None

    rows = rows_of(session, batch)
    assert rows[6].state is R.REJECTED and rows[6].reason == reason
    assert rows[6].decided_by_id == clerk.id and rows[6].member_id is None
    members = members_by_nik(session)
    assert sorted(m.name for m in members.values()) == sorted(VALID_ROWS[n] for n in (2, 3, 5, 12))
    department = session.scalar(select(Department).where(Department.id == batch.department_id))
    serang = office(session, "B01")
    for number in (2, 3, 5, 12):
        row = rows[number]
        member = members[row.nik]
        assert row.state is R.ACCEPTED and row.member_id == member.id
        assert kpj_is_valid(member.kpj)
        assert member.department_id == department.id == liaison.department_id
        assert member.office_id == serang.id and member.region_id == serang.region_id
        assert member.batch_id == batch.id and member.registered_by_id == clerk.id
        assert member.start_date == jakarta_day(datetime.now(UTC))
    assert len({m.kpj for m in members.values()}) == 4

    budi, siti, ahmad, euis = (members[rows[n].nik] for n in (2, 3, 5, 12))
    assert (budi.contribution_jkk, budi.contribution_jkm, budi.contribution_jht) == (
        10_000,
        6_800,
        0,
    )
    assert budi.monthly_contribution == 16_800 and budi.programmes == "JKK,JKM"
    assert siti.monthly_contribution == 36_800 and siti.programmes == "JKK,JKM,JHT"
    assert ahmad.monthly_contribution == 26_800 and ahmad.phone == "081234567892"
    assert euis.monthly_contribution == 15_000 + 6_800 + 30_000
    assert budi.birth_date == date(1990, 8, 17) and siti.sex == "P"

    events = history(session, batch_intake.RECORD_TYPE, batch.id)
    assert [e.action for e in events] == [
        "upload",
        "checked",
        "submit",
        "accept_rows",
        "reject_rows",
        "accept_rows",
    ]
    assert events[0].actor_username == LIAISON and events[0].ip == "10.1.2.3"
    assert events[1].actor_id is None and json.loads(events[1].details) == {
        "rows": 9,
        "valid": 5,
        "invalid": 4,
    }
    assert events[2].actor_username == LIAISON
    assert [e.actor_username for e in events[3:]] == [CLERK] * 3
    assert events[4].comment == reason
    accepted = json.loads(events[3].details)
    assert accepted["accepted"] == 3 and accepted["rows"] == "2-3,5"
    assert {accepted["first_kpj"], accepted["last_kpj"]} <= {budi.kpj, siti.kpj, ahmad.kpj}
    assert [e.to_state for e in events] == [
        "processing",
        "draft",
        "submitted",
        "in_review",
        "in_review",
        "partially_accepted",
    ]
    assert verify_chain(session).ok


def test_rejecting_every_row_rejects_the_batch_and_accepting_every_row_completes_it(
    session, user, settings
):
    first = submitted(session, user, settings, csv_bytes([person(1), person(2)]))
    committed(
        session,
        batches.decide,
        user(CLERK),
        first.id,
        "reject_rows",
        row_ids=[r.id for r in rows_of(session, first).values()],
        reason="Data ganda",
    )
    assert session.get(MemberBatch, first.id).state is B.REJECTED
    second = submitted(session, user, settings, csv_bytes([person(3), person(4)]))
    done = committed(session, batches.decide, user("kepala.serang"), second.id, "accept_all")
    assert done.state is B.COMPLETED and done.accepted_count == 2
    assert count(session, Member, Member.batch_id.is_not(None)) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_error_report_can_be_corrected_and_uploaded_again(session, user, settings, fmt):
    good, bad = person(1), person(2, born=date(1988, 3, 2), Penghasilan=1_234_567)
    if fmt == "csv":
        data = csv_bytes([good, bad])
    else:
        data = xlsx_bytes([xlsx_row(good), xlsx_row(bad)])
    batch = load(session, user, settings, data, f"peserta.{fmt}")
    assert (batch.valid_count, batch.invalid_count) == (1, 1)
    committed(session, batches.decide, user(LIAISON), batch.id, "submit")

    workbook = openpyxl.load_workbook(
        io.BytesIO(batches.error_report(session, batch, masked=False))
    )
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == [*HEADERS, "Kesalahan"]
    assert sheet.max_row == 2 and sheet["A2"].value == bad["NIK"]
    sheet["H2"] = 1_000_000  # Penghasilan, corrected by the liaison
    fixed = io.BytesIO()
    workbook.save(fixed)

    again = load(session, user, settings, fixed.getvalue(), "perbaikan.xlsx")
    assert again.state is B.DRAFT and again.ignored_columns == ["Kesalahan"]
    assert (again.valid_count, again.invalid_count) == (1, 0), errors_of(session, again)
    [row] = rows_of(session, again).values()
    assert row.nik == bad["NIK"] and row.data["birth_date"] == "1988-03-02"


# --- 2. file quirks --------------------------------------------------------------------------

PEOPLE = [
    person(1, "José Andé Suparman"),
    person(2, "Siti Nurhayati", born=date(1985, 3, 5), sex="P", Program="JKK, JKM, JHT"),
    person(3, "Asep Sunandar", born=date(1979, 12, 1), Penghasilan="1.500.000"),
]


def _xlsx_with_dates_and_text_niks(tmp_path: Path) -> bytes:
    path = tmp_path / "peserta.xlsx"
    gen_members.write_xlsx(path, PEOPLE)
    sheet = openpyxl.load_workbook(path).active
    assert isinstance(sheet["C2"].value, datetime) and sheet["A2"].data_type == "s"
    return path.read_bytes()


QUIRKS = {
    # name: (data, filename, format told by the content)
    "windows-1252": lambda tmp: (csv_bytes(PEOPLE, encoding="cp1252"), "peserta.csv", "csv"),
    "comma-delimiter": lambda tmp: (csv_bytes(PEOPLE, delimiter=","), "peserta.csv", "csv"),
    "utf-8-without-bom": lambda tmp: (csv_bytes(PEOPLE, encoding="utf-8"), "peserta.csv", "csv"),
    "tab-delimiter": lambda tmp: (csv_bytes(PEOPLE, delimiter="\t"), "peserta.txt", "csv"),
    "xlsx-date-cells-text-nik": lambda tmp: (
        _xlsx_with_dates_and_text_niks(tmp),
        "peserta.xlsx",
        "xlsx",
    ),
    "xlsx-named-csv": lambda tmp: (_xlsx_with_dates_and_text_niks(tmp), "peserta.csv", "xlsx"),
}


@pytest.mark.parametrize("quirk", QUIRKS)
def test_file_quirk_is_read_like_a_clean_file(session, user, settings, tmp_path, quirk):
    data, filename, file_format = QUIRKS[quirk](tmp_path)
    if quirk == "windows-1252":
        assert "é".encode("cp1252") in data and not data.startswith(b"\xef\xbb\xbf")
    batch = load(session, user, settings, data, filename)
    assert batch.state is B.DRAFT and batch.file_format == file_format
    assert (batch.row_count, batch.valid_count, batch.invalid_count) == (3, 3, 0), errors_of(
        session, batch
    )
    got = {r.nik: r.data for r in rows_of(session, batch).values()}
    assert got == {
        p["NIK"]: {
            "nik": p["NIK"],
            "name": p["Nama Lengkap"],
            "birth_date": p["Tanggal Lahir"].isoformat(),
            "sex": p["Jenis Kelamin"],
            "address": p["Alamat"],
            "phone": p["No HP"],
            "occupation": p["Pekerjaan"],
            "income": {1_000_000: 1_000_000, "1.500.000": 1_500_000}[p["Penghasilan"]],
            "programmes": sorted(p["Program"].replace(" ", "").split(",")),
            "domicile": None,
            "sector": None,
        }
        for p in PEOPLE
    }


def test_uploaded_file_name_is_cleaned(session, user, settings):
    up = upload(session, user, settings, csv_bytes([person(1)]), "..\\..\\C:/tmp/x/da\x07ftar.csv")
    assert up.batch.filename == "daftar.csv"
    assert stored_files(settings) == [settings.storage_dir / "batches" / f"{up.batch.id}.csv"]


# --- 3. whole-file refusals ------------------------------------------------------------------


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


REFUSALS = {
    # name: (data, filename, settings changes, code)
    "pdf-renamed-xlsx": (_pdf(), "peserta.xlsx", {}, "not_spreadsheet"),
    "empty": (b"", "peserta.csv", {}, "empty"),
    "blank-lines-only": (b"\r\n \r\n;;;\r\n", "peserta.csv", {}, "empty"),
    "header-only": (csv_bytes([]), "peserta.csv", {}, "no_data"),
    "header-only-xlsx": (xlsx_bytes([]), "peserta.xlsx", {}, "no_data"),
    "missing-column": (
        csv_bytes([person(1)], headers=[h for h in HEADERS if h != "Program"]),
        "peserta.csv",
        {},
        "missing_columns",
    ),
    "over-size-limit": (csv_bytes([person(1)]), "peserta.csv", {"max_bytes": 100}, "too_large"),
    "over-row-limit": (
        csv_bytes([person(1), person(2), person(3)]),
        "peserta.csv",
        {"max_rows": 2},
        "too_many_rows",
    ),
    "over-row-limit-xlsx": (
        xlsx_bytes([xlsx_row(person(n)) for n in (1, 2, 3)]),
        "peserta.xlsx",
        {"max_rows": 2},
        "too_many_rows",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_file_leaves_nothing_behind(session, user, settings, case):
    data, filename, changes, code = REFUSALS[case]
    events = count(session, AuditEvent)
    with pytest.raises(FileRefused) as refused:
        upload(session, user, replace(settings, **changes), data, filename)
    assert refused.value.code == code
    assert str(refused.value.message)  # a sentence for the uploader
    session.rollback()
    assert count(session, MemberBatch) == 0
    assert count(session, BatchRow) == 0
    assert count(session, AuditEvent) == events
    assert stored_files(settings) == []


def test_limits_are_inclusive(session, user, settings):
    data = csv_bytes([person(1), person(2)])
    batch = load(session, user, replace(settings, max_bytes=len(data), max_rows=2), data)
    assert batch.state is B.DRAFT and batch.valid_count == 2


def test_refusal_message_is_indonesian_and_english_on_request(session, user, settings):
    with pytest.raises(FileRefused) as refused:
        upload(session, user, settings, csv_bytes([]))
    assert str(refused.value.message) == "Berkas berisi judul kolom tetapi tidak ada baris data."
    with force_locale("en"):
        assert str(refused.value.message) == "The file has column titles but no data rows."


def test_non_liaison_cannot_upload(session, user, settings):
    with pytest.raises(Forbidden):
        upload(session, user, settings, csv_bytes([person(1)]), username=CLERK)
    assert count(session, MemberBatch) == 0 and stored_files(settings) == []


def test_file_refused_while_processing_keeps_the_reason_and_no_rows(session, user, settings):
    # The upload looked fine; reading every row finds more than allowed (e.g. the limit was
    # lowered, or an XLSX understated its size): the rows read so far are not kept.
    up = upload(session, user, settings, csv_bytes([person(n) for n in range(1, 6)]))
    batch = checked(session, up.batch.id, replace(settings, max_rows=2))
    assert batch.state is B.REFUSED
    assert batch.refusal["code"] == "too_many_rows"
    assert "5" not in str(batches.refusal_message(batch)) and "2" in str(
        batches.refusal_message(batch)
    )
    assert count(session, BatchRow) == 0 and batch.row_count == 0
    assert stored_files(settings) == []
    assert actions_of(session, batch) == ["upload", "refused"]
    with pytest.raises(DomainError):
        committed(session, batches.decide, user(LIAISON), batch.id, "submit")


# --- 4. NIKs a spreadsheet turned into numbers -----------------------------------------------


NUMERIC_NIKS = {
    "csv-scientific": ("peserta.csv", "3.60401E+15"),
    "csv-scientific-decimal-comma": ("peserta.csv", "3,60401E+15"),
    "csv-decimal-tail": ("peserta.csv", "3604011708900001.0"),
    "xlsx-float-15-digits": ("peserta.xlsx", 3604011708900000.0),
    "xlsx-number-16-digits": ("peserta.xlsx", 3604011708900001),
}


@pytest.mark.parametrize("case", NUMERIC_NIKS)
def test_nik_turned_into_a_number_is_refused_with_format_as_text_advice(
    session, user, settings, case
):
    filename, value = NUMERIC_NIKS[case]
    row = person(1, NIK=value)
    other = person(2)
    if filename.endswith(".csv"):
        data = csv_bytes([row, other])
    else:
        data = xlsx_bytes([xlsx_row(row), xlsx_row(other)])
    batch = load(session, user, settings, data, filename)
    assert (batch.valid_count, batch.invalid_count) == (1, 1)
    rows = rows_of(session, batch)
    assert rows[2].state is R.INVALID and rows[2].data is None
    [(number, column, message)] = errors_of(session, batch)
    assert (number, column) == (2, "NIK")
    lowered = message.lower()
    assert "angka" in lowered and "ubah format kolom nik menjadi teks" in lowered
    # A 16-digit number whose last digit is not 0 has lost none: the message says so.
    intact = case in ("xlsx-number-16-digits", "csv-decimal-tail")
    assert ("digitnya masih lengkap" in message) is intact
    assert ("diubah menjadi angka" in message) is not intact
    with force_locale("en"):
        english = str(messages.stored_message(rows[2].problems[0])).lower()
        assert "format the nik column as text" in english
    # Nothing is guessed: the only NIK that can be registered is the other row's.
    assert [r.nik for r in rows.values() if r.state is R.PENDING] == [other["NIK"]]


# --- 5. duplicates ---------------------------------------------------------------------------


def test_nik_twice_in_the_file_refuses_the_later_row(session, user, settings):
    batch = load(session, user, settings, csv_bytes([person(1), person(2), person(1, "Lagi")]))
    assert (batch.valid_count, batch.invalid_count) == (2, 1)
    assert errors_of(session, batch) == [
        (4, "NIK", "NIK ini sudah ada di baris 2 pada berkas ini.")
    ]


def test_nik_of_an_existing_member_is_refused(session, user, settings):
    first = submitted(session, user, settings, csv_bytes([person(1)]))
    committed(session, batches.decide, user(CLERK), first.id, "accept_all")
    batch = load(session, user, settings, csv_bytes([person(1), person(2)]), username=OTHER_LIAISON)
    assert errors_of(session, batch) == [
        (2, "NIK", "NIK ini sudah terdaftar sebagai peserta BPJS Ketenagakerjaan.")
    ]


def test_nik_waiting_in_a_submitted_batch_is_refused(session, user, settings):
    submitted(session, user, settings, csv_bytes([person(1)]))
    batch = load(session, user, settings, csv_bytes([person(1), person(2)]), username=OTHER_LIAISON)
    assert errors_of(session, batch) == [
        (2, "NIK", "NIK ini sudah diajukan dalam batch lain dan sedang menunggu verifikasi.")
    ]


def test_nik_in_a_draft_or_discarded_batch_does_not_block(session, user, settings):
    draft = load(session, user, settings, csv_bytes([person(1), person(2)]))
    discarded = load(session, user, settings, csv_bytes([person(3)]))
    committed(session, batches.decide, user(LIAISON), discarded.id, "discard")
    batch = load(
        session,
        user,
        settings,
        csv_bytes([person(1), person(2), person(3)]),
        username=OTHER_LIAISON,
    )
    assert (batch.valid_count, batch.invalid_count) == (3, 0)
    assert draft.state is B.DRAFT


def test_nik_of_a_rejected_row_may_be_sent_again(session, user, settings):
    first = submitted(session, user, settings, csv_bytes([person(1)]))
    [row] = rows_of(session, first).values()
    committed(
        session,
        batches.decide,
        user(CLERK),
        first.id,
        "reject_rows",
        row_ids=[row.id],
        reason="Foto KTP tidak terbaca",
    )
    again = load(session, user, settings, csv_bytes([person(1)]))
    assert (again.valid_count, again.invalid_count) == (1, 0)


@pytest.mark.parametrize("elsewhere", ["accepted", "submitted"])
def test_rows_that_became_duplicates_since_the_preview_are_left_out_at_submit(
    session, user, settings, elsewhere
):
    mine = load(session, user, settings, csv_bytes([person(1), person(2), person(3)]))
    assert mine.valid_count == 3
    # Meanwhile another department submits person 2 (and its clerk accepts it).
    theirs = submitted(session, user, settings, csv_bytes([person(2)]), username=OTHER_LIAISON)
    if elsewhere == "accepted":
        committed(session, batches.decide, user(CLERK), theirs.id, "accept_all")

    batch = committed(session, batches.decide, user(LIAISON), mine.id, "submit")
    assert batch.state is B.SUBMITTED
    assert (batch.valid_count, batch.invalid_count) == (2, 1)
    rows = rows_of(session, batch)
    assert rows[3].state is R.INVALID
    expected = (
        "NIK ini sudah terdaftar sebagai peserta BPJS Ketenagakerjaan."
        if elsewhere == "accepted"
        else "NIK ini sudah diajukan dalam batch lain dan sedang menunggu verifikasi."
    )
    assert errors_of(session, batch) == [(3, "NIK", expected)]
    details = json.loads(history(session, batch_intake.RECORD_TYPE, batch.id)[-1].details)
    assert details["newly_left_out"] == 1 and details["rows"] == 2
    # The row left out is in the error report, for the liaison to follow up.
    report = openpyxl.load_workbook(
        io.BytesIO(batches.error_report(session, batch, masked=False))
    ).active
    assert [r[0] for r in report.iter_rows(min_row=2, values_only=True)] == [person(2)["NIK"]]
    done = committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert done.state is B.COMPLETED and done.accepted_count == 2
    assert count(session, Member, Member.batch_id.is_not(None), Member.nik == person(2)["NIK"]) == (
        1 if elsewhere == "accepted" else 0
    )


def test_submit_with_every_row_taken_meanwhile_is_refused_and_changes_nothing(
    session, user, settings
):
    mine = load(session, user, settings, csv_bytes([person(1)]))
    submitted(session, user, settings, csv_bytes([person(1)]), username=OTHER_LIAISON)
    with pytest.raises(DomainError) as refused:
        committed(session, batches.decide, user(LIAISON), mine.id, "submit")
    assert not isinstance(refused.value, Forbidden)
    batch = session.get(MemberBatch, mine.id)
    assert batch.state is B.DRAFT and (batch.valid_count, batch.invalid_count) == (1, 0)
    assert [r.state for r in rows_of(session, batch).values()] == [R.PENDING]
    assert actions_of(session, batch) == ["upload", "checked"]


def test_nik_registered_after_submission_is_rejected_not_registered_twice(session, user, settings):
    batch = submitted(session, user, settings, csv_bytes([person(1), person(2)]))
    # Registered through another channel after the batch was submitted.
    serang = office(session, "B01")
    session.add(
        Member(
            kpj=numbering.reserve_kpj(session, 1)[0],
            nik=person(1)["NIK"],
            name="Peserta 1",
            birth_date=date(1990, 8, 17),
            sex="L",
            income_level=1_000_000,
            programmes="JKK,JKM",
            start_date=TODAY,
            contribution_jkk=10_000,
            contribution_jkm=6_800,
            contribution_jht=0,
            monthly_contribution=16_800,
            office_id=serang.id,
            region_id=serang.region_id,
        )
    )
    session.commit()
    existing = session.scalar(select(Member).where(Member.nik == person(1)["NIK"]))
    with force_locale("en"):  # a clerk working in English
        done = committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert done.state is B.PARTIALLY_ACCEPTED
    assert (done.accepted_count, done.rejected_count) == (1, 1)
    rows = rows_of(session, done)
    assert rows[2].state is R.REJECTED
    # Kept in the records' language whoever decided, shown in each reader's language.
    assert rows[2].reason == f"Sudah terdaftar sebagai peserta (KPJ {existing.kpj})."
    with force_locale("en"):
        assert (
            batches.row_reason(rows[2]) == f"Already registered as a member (KPJ {existing.kpj})."
        )
    assert batches.row_reason(rows[2]) == rows[2].reason
    assert rows[3].state is R.ACCEPTED
    # The one registered elsewhere and the one accepted here: nobody twice.
    assert count(session, Member, Member.nik.in_([person(1)["NIK"], person(2)["NIK"]])) == 2
    details = json.loads(history(session, batch_intake.RECORD_TYPE, batch.id)[-1].details)
    assert details["rejected_already_member"] == "2"


def test_same_file_uploaded_twice_names_the_earlier_batch(session, user, settings):
    data = csv_bytes([person(1), person(2)])
    first = load(session, user, settings, data)
    second = upload(session, user, settings, data, "salinan.csv")
    assert [b.id for b in second.same_file] == [first.id]
    third = upload(session, user, settings, data)
    assert [b.id for b in third.same_file] == [first.id, second.batch.id]
    # Another department's identical file is not "the same upload".
    assert upload(session, user, settings, data, username=OTHER_LIAISON).same_file == []
    # A discarded batch no longer counts.
    committed(session, batches.decide, user(LIAISON), first.id, "discard")
    assert first.id not in [b.id for b in upload(session, user, settings, data).same_file]


# --- 6. formulas and markup stay text --------------------------------------------------------

HOSTILE_NAMES = [
    "=1+1",
    "+62 812 3456 7890",
    "@SUM(A1:A9)",
    "-cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","klik")',
    "<b>Budi</b><script>alert(1)</script>",
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_and_markup_in_names_are_kept_as_text(session, user, settings, fmt):
    valid = [person(n, name) for n, name in enumerate(HOSTILE_NAMES, start=1)]
    invalid = [
        person(n + 20, name, Penghasilan=1_234_567) for n, name in enumerate(HOSTILE_NAMES, start=1)
    ]
    if fmt == "csv":
        data = csv_bytes(valid + invalid)
    else:
        data = xlsx_bytes([xlsx_row(p) for p in valid + invalid])
        formula_cells = [
            c
            for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows()
            for c in row
            if c.data_type == "f"
        ]
        assert formula_cells, "the test workbook should hold real formula cells"
    batch = load(session, user, settings, data, f"peserta.{fmt}")
    assert (batch.valid_count, batch.invalid_count) == (len(valid), len(invalid))
    rows = rows_of(session, batch)
    assert [rows[n].name for n in range(2, 2 + len(valid))] == HOSTILE_NAMES

    batch = committed(session, batches.decide, user(LIAISON), batch.id, "submit")
    committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert sorted(m.name for m in members_by_nik(session).values()) == sorted(HOSTILE_NAMES)

    report = openpyxl.load_workbook(
        io.BytesIO(batches.error_report(session, batch, masked=False))
    ).active
    cells = [c for row in report.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    names = [row[1] for row in report.iter_rows(min_row=2)]
    assert [c.value for c in names] == HOSTILE_NAMES
    assert all(c.data_type == "s" for c in names)
    assert all(c.quotePrefix for c in names if c.value[0] in "=+-@")
    niks = [row[0] for row in report.iter_rows(min_row=2)]
    assert [c.value for c in niks] == [p["NIK"] for p in invalid]
    assert all(c.data_type == "s" for c in niks)


# --- 7. all or nothing -----------------------------------------------------------------------


def test_processing_failure_keeps_no_row_and_a_retry_stores_them_all(
    session, user, settings, monkeypatch
):
    monkeypatch.setattr(batch_intake, "CHUNK", 2)
    up = upload(session, user, settings, csv_bytes([person(n) for n in range(1, 6)]))
    original = batch_intake._row_record
    seen: list[int] = []
    written_before_failure: list[int] = []

    def failing(batch_id: int, row: Any, *rest: Any) -> dict[str, Any]:
        seen.append(row.number)
        if len(seen) == 3:  # after the first chunk of 2 rows was written
            written_before_failure.append(count(session, BatchRow))
            raise RuntimeError("disk full")
        return original(batch_id, row, *rest)

    monkeypatch.setattr(batch_intake, "_row_record", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        checked(session, up.batch.id, settings)
    assert written_before_failure == [2]
    session.expire_all()
    batch = session.get(MemberBatch, up.batch.id)
    assert batch.state is B.FAILED
    assert count(session, BatchRow) == 0 and batch.row_count == 0
    assert actions_of(session, batch) == ["upload", "failed"]
    assert settings.file_of(batch).exists()  # kept for the retry

    monkeypatch.setattr(batch_intake, "_row_record", original)
    batch = committed(session, batches.decide, user(LIAISON), batch.id, "retry", settings=settings)
    assert batch.state is B.PROCESSING
    progress: list[int] = []
    batch = checked(session, batch.id, settings, progress=progress.append)
    assert batch.state is B.DRAFT and batch.row_count == 5 and batch.valid_count == 5
    assert sorted(rows_of(session, batch)) == [2, 3, 4, 5, 6]
    assert progress == [2, 4]
    assert actions_of(session, batch) == ["upload", "failed", "retry", "checked"]
    # A task run twice (a queue redelivering it) changes nothing the second time.
    assert checked(session, batch.id, settings) is batch
    assert count(session, BatchRow) == 5 and len(actions_of(session, batch)) == 4
    assert checked(session, 10**6, settings) is None
    assert verify_chain(session).ok


def test_retry_without_the_stored_file_is_refused(session, user, settings, monkeypatch):
    up = upload(session, user, settings, csv_bytes([person(1)]))
    monkeypatch.setattr(batch_intake, "validation_context", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        checked(session, up.batch.id, settings)
    settings.file_of(up.batch).unlink()
    with pytest.raises(DomainError):
        committed(session, batches.decide, user(LIAISON), up.batch.id, "retry", settings=settings)
    assert session.get(MemberBatch, up.batch.id).state is B.FAILED
    assert (
        committed(session, batches.decide, user(LIAISON), up.batch.id, "discard").state
        is B.DISCARDED
    )


def test_checks_whose_task_was_lost_can_be_started_again_by_the_liaison(session, user, settings):
    # The upload queued the checks, and the task never ran (a worker stopped, a queue lost it).
    up = upload(session, user, settings, csv_bytes([person(1), person(2)]))
    batch = up.batch
    assert batch.state is B.PROCESSING and batch.processing_since is not None
    liaison = user(LIAISON)
    # Not while they may still be running: a file takes seconds to a minute.
    assert not batches.checks_lost(batch)
    assert "retry" not in [t.action for t in batches.WORKFLOW.available(liaison, batch)]
    with pytest.raises(DomainError, match="^Berkas ini masih sedang diperiksa.$"):
        committed(session, batches.decide, liaison, batch.id, "retry", settings=settings)

    batch.processing_since -= batches.CHECKS_LOST_AFTER
    session.commit()
    assert batches.checks_lost(batch)
    assert "retry" in [t.action for t in batches.WORKFLOW.available(liaison, batch)]
    # Only the department's own liaison; nobody else.
    for other in (OTHER_LIAISON, "petugas.serang"):
        with pytest.raises((DomainError, Forbidden)):
            committed(session, batches.decide, user(other), batch.id, "retry", settings=settings)

    started = batches.utcnow()
    batch = committed(session, batches.decide, liaison, batch.id, "retry", settings=settings)
    assert batch.state is B.PROCESSING and not batches.checks_lost(batch)
    since = batch.processing_since
    assert (since if since.tzinfo else since.replace(tzinfo=UTC)) >= started - timedelta(seconds=1)
    batch = checked(session, batch.id, settings)
    assert (batch.state, batch.row_count, batch.processing_since) == (B.DRAFT, 2, None)
    events = history(session, "member_batch", batch.id)
    assert [(e.action, e.from_state, e.to_state, e.actor_username) for e in events] == [
        ("upload", None, "processing", LIAISON),
        ("retry", "processing", "processing", LIAISON),
        ("checked", "processing", "draft", None),
    ]
    # The lost task, delivered after all, finds the checks done and changes nothing.
    assert checked(session, batch.id, settings) is batch
    assert count(session, BatchRow) == 2 and len(history(session, "member_batch", batch.id)) == 3
    assert verify_chain(session).ok


def test_checks_that_end_clear_their_start(session, user, settings, monkeypatch):
    refused = upload(session, user, settings, csv_bytes([person(n) for n in range(1, 4)]))
    batch = checked(session, refused.batch.id, replace(settings, max_rows=2))
    assert (batch.state, batch.processing_since) == (B.REFUSED, None)
    failing = upload(session, user, settings, csv_bytes([person(1)]))
    monkeypatch.setattr(batch_intake, "validation_context", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        checked(session, failing.batch.id, settings)
    session.expire_all()
    batch = session.get(MemberBatch, failing.batch.id)
    assert (batch.state, batch.processing_since) == (B.FAILED, None)
    assert not batches.checks_lost(batch)


def test_upload_that_cannot_be_recorded_keeps_no_file(session, user, settings, monkeypatch):
    from backoffice import audit

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(audit, "append_event", broken)
    with pytest.raises(RuntimeError):
        upload(session, user, settings, csv_bytes([person(1)]))
    assert count(session, MemberBatch) == 0 and stored_files(settings) == []


def test_discarding_a_failed_batch_removes_its_file(session, user, settings, monkeypatch):
    up = upload(session, user, settings, csv_bytes([person(1)]))
    monkeypatch.setattr(batch_intake, "validation_context", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        checked(session, up.batch.id, settings)
    committed(session, batches.decide, user(LIAISON), up.batch.id, "discard", settings=settings)
    assert stored_files(settings) == []


def test_accept_failure_changes_nothing_and_the_retry_registers_each_row_once(
    session, user, settings, monkeypatch
):
    monkeypatch.setattr(batches, "CHUNK", 2)
    batch = submitted(session, user, settings, csv_bytes([person(n) for n in range(1, 6)]))
    version, serial = batch.version, session.scalar(select(KpjCounter.next_serial))
    events = count(session, AuditEvent)
    original = numbering.reserve_kpj
    calls: list[int] = []

    def failing(s: Session, n: int) -> list[str]:
        calls.append(n)
        if len(calls) == 2:  # the second chunk: the first chunk's members are inserted
            assert count(s, Member, Member.batch_id.is_not(None)) == 2
            raise RuntimeError("connection lost")
        return original(s, n)

    monkeypatch.setattr(numbering, "reserve_kpj", failing)
    ids = [r.id for r in rows_of(session, batch).values()]
    with pytest.raises(RuntimeError, match="connection lost"):
        committed(session, batches.decide, user(CLERK), batch.id, "accept_rows", row_ids=ids)
    assert calls == [2, 2]

    session.expire_all()
    batch = session.get(MemberBatch, batch.id)
    assert count(session, Member, Member.batch_id.is_not(None)) == 0
    assert {(r.state, r.member_id, r.decided_by_id) for r in rows_of(session, batch).values()} == {
        (R.PENDING, None, None)
    }
    assert (batch.state, batch.version) == (B.SUBMITTED, version)
    assert (batch.accepted_count, batch.rejected_count, batch.valid_count) == (0, 0, 5)
    assert count(session, AuditEvent) == events
    assert session.scalar(select(KpjCounter.next_serial)) == serial  # no number was used up

    monkeypatch.setattr(numbering, "reserve_kpj", original)
    batch = committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert batch.state is B.COMPLETED and batch.accepted_count == 5
    members = members_by_nik(session)
    rows = rows_of(session, batch)
    assert sorted(members) == sorted(r.nik for r in rows.values())
    assert {r.member_id for r in rows.values()} == {m.id for m in members.values()}
    assert sorted(int(m.kpj[:10]) for m in members.values()) == list(range(serial, serial + 5))

    with pytest.raises(DomainError) as again:
        committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert not isinstance(again.value, Forbidden)
    assert count(session, Member, Member.batch_id.is_not(None)) == 5
    assert actions_of(session, batch) == ["upload", "checked", "submit", "accept_all"]
    assert verify_chain(session).ok


# --- 8. who may do what ----------------------------------------------------------------------

DENIED = [
    (LIAISON, "accept_all", Forbidden),
    (LIAISON, "reject_rows", Forbidden),
    (OTHER_LIAISON, "accept_all", NotFound),
    (OTHER_LIAISON, "submit", NotFound),
    ("petugas.cilegon", "accept_all", NotFound),
    ("petugas.salemba", "reject_rows", NotFound),
    ("kanwil.banten", "accept_all", Forbidden),
    ("kanwil.jakarta", "accept_all", NotFound),
    ("auditor.banten", "accept_rows", Forbidden),
    ("admin", "accept_all", Forbidden),
    (CLERK, "discard", Forbidden),
]


@pytest.mark.parametrize(("username", "action", "error"), DENIED)
def test_only_the_serving_office_decides(session, user, settings, username, action, error):
    batch = submitted(session, user, settings, csv_bytes([person(1), person(2)]))
    row_ids = [r.id for r in rows_of(session, batch).values()]
    events = count(session, AuditEvent)
    with pytest.raises(error) as refused:
        committed(
            session,
            batches.decide,
            user(username),
            batch.id,
            action,
            row_ids=row_ids,
            reason="Tidak lengkap",
        )
    assert type(refused.value) is error
    session.expire_all()
    batch = session.get(MemberBatch, batch.id)
    assert batch.state is B.SUBMITTED and batch.accepted_count == batch.rejected_count == 0
    assert (
        count(session, Member, Member.batch_id.is_not(None)) == 0
        and count(session, AuditEvent) == events
    )


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejecting_rows_needs_a_reason(session, user, settings, reason):
    batch = submitted(session, user, settings, csv_bytes([person(1)]))
    [row] = rows_of(session, batch).values()
    with pytest.raises(DomainError) as refused:
        committed(
            session,
            batches.decide,
            user(CLERK),
            batch.id,
            "reject_rows",
            row_ids=[row.id],
            reason=reason,
        )
    assert not isinstance(refused.value, Forbidden)
    assert rows_of(session, batch)[2].state is R.PENDING


def test_rows_of_another_batch_or_no_rows_are_refused(session, user, settings):
    batch = submitted(session, user, settings, csv_bytes([person(1), person(2)]))
    other = submitted(session, user, settings, csv_bytes([person(3)]))
    mine = [r.id for r in rows_of(session, batch).values()]
    foreign = [r.id for r in rows_of(session, other).values()]
    for action in ("accept_rows", "reject_rows"):
        for row_ids in (mine[:1] + foreign, [], [10**9]):
            with pytest.raises(DomainError):
                committed(
                    session,
                    batches.decide,
                    user(CLERK),
                    batch.id,
                    action,
                    row_ids=row_ids,
                    reason="Salah",
                )
    assert count(session, Member, Member.batch_id.is_not(None)) == 0
    assert {r.state for r in rows_of(session, other).values()} == {R.PENDING}


def test_invalid_or_decided_rows_cannot_be_decided(session, user, settings):
    batch = submitted(session, user, settings, csv_bytes([person(1), person(2, Penghasilan=5)]))
    rows = rows_of(session, batch)
    with pytest.raises(DomainError):  # row 3 is invalid: never part of the submission
        committed(
            session, batches.decide, user(CLERK), batch.id, "accept_rows", row_ids=[rows[3].id]
        )
    committed(session, batches.decide, user(CLERK), batch.id, "accept_rows", row_ids=[rows[2].id])
    with pytest.raises(DomainError):
        committed(
            session,
            batches.decide,
            user("petugas2.serang"),
            batch.id,
            "reject_rows",
            row_ids=[rows[2].id],
            reason="Terlambat",
        )
    assert count(session, Member, Member.batch_id.is_not(None)) == 1


def test_a_stale_version_is_refused(session, user, settings):
    batch = submitted(session, user, settings, csv_bytes([person(1), person(2)]))
    rows = rows_of(session, batch)
    seen = batch.version
    committed(
        session,
        batches.decide,
        user(CLERK),
        batch.id,
        "accept_rows",
        row_ids=[rows[2].id],
        expected_version=seen,
    )
    with pytest.raises(DomainError):
        committed(
            session,
            batches.decide,
            user("petugas2.serang"),
            batch.id,
            "reject_rows",
            row_ids=[rows[3].id],
            reason="Data tidak sesuai",
            expected_version=seen,
        )
    assert rows_of(session, batch)[3].state is R.PENDING
    current = session.get(MemberBatch, batch.id).version
    done = committed(
        session,
        batches.decide,
        user("petugas2.serang"),
        batch.id,
        "reject_rows",
        row_ids=[rows[3].id],
        reason="Data tidak sesuai",
        expected_version=current,
    )
    assert done.state is B.PARTIALLY_ACCEPTED


def test_branch_head_decides_for_a_department_served_by_a_kcp_under_the_kc(session, user, settings):
    from backoffice.services import users as user_service
    from models import Regency, Role

    cikande = office(session, "B0102")  # KCP Cikande under KC Serang
    department = Department(
        name="Dinas Perikanan Kab. Serang",
        regency=session.scalar(select(Regency).where(Regency.code == "3604")),
        office=cikande,
    )
    session.add(department)
    session.flush()
    user_service.create_user(
        session,
        user_service.UserData(
            username="dinas.perikanan.serang",
            full_name="Penghubung Dinas Perikanan",
            role=Role.LIAISON,
            department=department,
        ),
        "rahasia-panjang-1",
    )
    session.commit()
    batch = submitted(
        session, user, settings, csv_bytes([person(1)]), username="dinas.perikanan.serang"
    )
    assert batch.office_id == cikande.id
    with pytest.raises(NotFound):  # a KC clerk works for the KC only
        committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    done = committed(session, batches.decide, user("kepala.serang"), batch.id, "accept_all")
    assert done.state is B.COMPLETED
    [member] = members_by_nik(session).values()
    assert member.office_id == cikande.id and member.department_id == department.id


def _decide_at_once(app: Any, calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Run each (username, action, kwargs) decision in its own thread and connection."""
    from backoffice.extensions import db
    from models import User

    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(username: str, action: str, kwargs: dict[str, Any]) -> None:
        with app.app_context():
            try:
                actor = db.session.scalar(select(User).where(User.username == username))
                barrier.wait()
                committed(
                    db.session, batches.decide, actor, kwargs.pop("batch_id"), action, **kwargs
                )
                results.append("ok")
            except DomainError as exc:
                results.append(type(exc).__name__)
            except BaseException as exc:  # reported in the test's thread
                results.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


def test_two_clerks_accepting_at_once_register_each_row_once(
    app, session, user, settings, postgres_only
):
    batch = submitted(session, user, settings, csv_bytes([person(n) for n in range(1, 6)]))
    results = _decide_at_once(
        app,
        [
            (CLERK, "accept_all", {"batch_id": batch.id}),
            ("petugas2.serang", "accept_all", {"batch_id": batch.id}),
        ],
    )
    assert results == ["DomainError", "ok"]
    session.expire_all()
    assert count(session, Member, Member.batch_id.is_not(None)) == 5
    assert session.get(MemberBatch, batch.id).accepted_count == 5
    assert actions_of(session, batch).count("accept_all") == 1
    assert verify_chain(session).ok


def test_two_clerks_deciding_different_rows_at_once_both_count(
    app, session, user, settings, postgres_only
):
    batch = submitted(session, user, settings, csv_bytes([person(n) for n in range(1, 5)]))
    rows = rows_of(session, batch)
    session.commit()
    results = _decide_at_once(
        app,
        [
            (CLERK, "accept_rows", {"batch_id": batch.id, "row_ids": [rows[2].id, rows[3].id]}),
            (
                "petugas2.serang",
                "reject_rows",
                {"batch_id": batch.id, "row_ids": [rows[4].id, rows[5].id], "reason": "Ganda"},
            ),
        ],
    )
    assert results == ["ok", "ok"]
    session.expire_all()
    batch = session.get(MemberBatch, batch.id)
    assert (batch.accepted_count, batch.rejected_count) == (2, 2)
    assert (
        batch.state is B.PARTIALLY_ACCEPTED
        and count(session, Member, Member.batch_id.is_not(None)) == 2
    )
    assert verify_chain(session).ok


# --- 9. contributions ------------------------------------------------------------------------


def test_rates_in_force_come_from_the_reference_data(session):
    rates = reference.rates_on(session, TODAY)
    assert reference.contribution_of(1_000_000, ["JKK", "JKM"], rates).total == 16_800
    assert reference.contribution_of(1_000_000, ["JKK", "JKM", "JHT"], rates).total == 36_800
    assert reference.rates_on(session, date(2015, 6, 30)) == {}  # before the first regulation
    with pytest.raises(DomainError):
        reference.contribution_of(1_000_000, ["JKK", "JKM"], {})
    assert 1_000_000 in reference.income_levels_on(session, TODAY)
    assert 20_700_000 in reference.income_levels_on(session, TODAY)


def test_a_new_rate_applies_to_members_accepted_from_its_date_only(
    session, user, settings, monkeypatch
):
    later = TODAY + timedelta(days=30)
    old = session.scalar(
        select(ContributionRate).where(
            ContributionRate.programme == Programme.JKK, ContributionRate.valid_to.is_(None)
        )
    )
    old.valid_to = later - timedelta(days=1)
    session.add(ContributionRate(programme=Programme.JKK, percent=Decimal("1.5"), valid_from=later))
    session.commit()
    assert reference.rates_on(session, later - timedelta(days=1))[Programme.JKK].percent == 1
    assert reference.rates_on(session, later)[Programme.JKK].percent == Decimal("1.5")

    before = submitted(session, user, settings, csv_bytes([person(1)]))
    after = submitted(session, user, settings, csv_bytes([person(2)]), username=OTHER_LIAISON)
    committed(session, batches.decide, user(CLERK), before.id, "accept_all")
    # The clerk accepts the second batch a month later.
    monkeypatch.setattr(workflow, "utcnow", lambda: datetime.combine(later, time(3, 0), tzinfo=UTC))
    committed(session, batches.decide, user(CLERK), after.id, "accept_all")

    members = members_by_nik(session)
    first, second = members[person(1)["NIK"]], members[person(2)["NIK"]]
    assert (first.contribution_jkk, first.monthly_contribution, first.start_date) == (
        10_000,
        16_800,
        jakarta_day(datetime.now(UTC)),
    )
    assert (second.contribution_jkk, second.monthly_contribution, second.start_date) == (
        15_000,
        21_800,
        later,
    )


def test_accepting_without_a_rate_in_force_registers_no_one(session, user, settings):
    batch = submitted(
        session, user, settings, csv_bytes([person(1), person(2, Program="JKK, JKM, JHT")])
    )
    jht = session.scalar(
        select(ContributionRate).where(ContributionRate.programme == Programme.JHT)
    )
    jht.valid_to = TODAY - timedelta(days=400)
    session.commit()
    with pytest.raises(DomainError):
        committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    assert count(session, Member, Member.batch_id.is_not(None)) == 0
    assert session.get(MemberBatch, batch.id).state is B.SUBMITTED


# --- 10. KPJ numbers -------------------------------------------------------------------------


def test_reserved_kpj_blocks_are_consecutive_unique_and_valid(session):
    start = session.scalar(select(KpjCounter.next_serial))
    first = numbering.reserve_kpj(session, 3)
    second = numbering.reserve_kpj(session, 4)
    assert numbering.reserve_kpj(session, 0) == []
    numbers = first + second
    assert [int(k[:10]) for k in numbers] == list(range(start, start + 7))
    assert len(set(numbers)) == 7 and all(kpj_is_valid(k) for k in numbers)
    assert session.scalar(select(KpjCounter.next_serial)) == start + 7


def test_kpj_range_exhaustion_is_refused(session):
    session.execute(sa.update(KpjCounter).values(next_serial=10**10 - 2))
    assert [k[:10] for k in numbering.reserve_kpj(session, 2)] == ["9999999998", "9999999999"]
    with pytest.raises(DomainError):
        numbering.reserve_kpj(session, 1)
    session.rollback()


@pytest.fixture
def own_engine(db: Any) -> Iterator[sa.Engine]:
    """Connections of their own, as separate worker processes would have."""
    engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def test_concurrent_sessions_reserve_disjoint_kpj_blocks(session, own_engine, postgres_only):
    start = session.scalar(select(KpjCounter.next_serial))
    session.commit()
    threads, rounds, size = 4, 10, 7
    barrier = threading.Barrier(threads)
    blocks: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with Session(own_engine) as s:
                barrier.wait()
                for _ in range(rounds):
                    blocks.append(numbering.reserve_kpj(s, size))
                    s.commit()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert len(blocks) == threads * rounds
    for block in blocks:
        serials = [int(k[:10]) for k in block]
        assert serials == list(range(serials[0], serials[0] + size))
    everything = sorted(int(k[:10]) for block in blocks for k in block)
    assert everything == list(range(start, start + threads * rounds * size))
    session.expire_all()
    assert session.scalar(select(KpjCounter.next_serial)) == start + threads * rounds * size


def test_a_reservation_waits_for_an_open_one_and_follows_it(session, own_engine, postgres_only):
    start = session.scalar(select(KpjCounter.next_serial))
    session.commit()
    first = Session(own_engine)
    held = numbering.reserve_kpj(first, 5)
    got: list[list[str]] = []

    def second() -> None:
        with Session(own_engine) as s:
            got.append(numbering.reserve_kpj(s, 5))
            s.commit()

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=0.5)
    assert worker.is_alive(), "the second reservation did not wait for the first transaction"
    first.commit()
    first.close()
    worker.join(timeout=30)
    assert [int(k[:10]) for k in held] == list(range(start, start + 5))
    assert [int(k[:10]) for k in got[0]] == list(range(start + 5, start + 10))


# --- 11. the import-batch command ------------------------------------------------------------


@pytest.fixture
def import_batch(app: Any, tmp_path: Path) -> Any:
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    runner = app.test_cli_runner()

    def run(data: bytes, *options: str, filename: str = "peserta.csv") -> Any:
        path = tmp_path / filename
        path.write_bytes(data)
        return runner.invoke(args=["import-batch", *options, str(path)])

    return run


def test_cli_json_reports_rows_and_errors_and_exits_0(session, import_batch):
    data = csv_bytes([person(1), person(2, ""), person(3, Penghasilan=7)])
    result = import_batch(data, "--user", LIAISON, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"batch_id", "rows", "valid", "invalid", "errors"} <= set(report)
    assert (report["rows"], report["valid"], report["invalid"]) == (3, 1, 2)
    assert all(set(e) == {"row", "column", "message"} for e in report["errors"])
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (3, "Nama Lengkap"),
        (4, "Penghasilan"),
    ]
    assert report["errors"][0]["message"] == "Nama Lengkap wajib diisi."  # the user's language
    batch = session.get(MemberBatch, report["batch_id"])
    assert batch.state is B.DRAFT and batch.uploaded_by.username == LIAISON
    assert report["state"] == "draft"


def test_cli_submit_moves_the_batch_to_submitted(session, import_batch):
    result = import_batch(
        csv_bytes([person(1), person(2)]), "--user", LIAISON, "--submit", "--json"
    )
    assert result.exit_code == 0, result.output
    batch = session.get(MemberBatch, json.loads(result.stdout)["batch_id"])
    assert batch.state is B.SUBMITTED and batch.valid_count == 2
    assert actions_of(session, batch) == ["upload", "checked", "submit"]


def test_cli_text_output_names_rows_and_columns(import_batch):
    result = import_batch(csv_bytes([person(1), person(2, Penghasilan=7)]), "--user", LIAISON)
    assert result.exit_code == 0, result.output
    assert "2 rows, 1 valid, 1 invalid" in result.stdout
    assert "row 3, Penghasilan:" in result.stdout


@pytest.mark.parametrize(
    ("data", "code"),
    [(_pdf(), "not_spreadsheet"), (b"", "empty"), (csv_bytes([]), "no_data")],
)
def test_cli_refused_file_exits_non_zero_with_json_reason(session, import_batch, data, code):
    result = import_batch(data, "--user", LIAISON, "--json")
    assert result.exit_code != 0
    out = json.loads(result.stdout)
    assert set(out) == {"refused", "code", "message"}
    assert out["refused"] is True and out["code"] == code and out["message"]
    assert count(session, MemberBatch) == 0


@pytest.mark.parametrize("username", [CLERK, "admin", "nobody"])
def test_cli_refuses_a_user_who_is_not_a_liaison(session, import_batch, username):
    result = import_batch(csv_bytes([person(1)]), "--user", username, "--json")
    assert result.exit_code != 0
    assert count(session, MemberBatch) == 0


# --- 10. invisible characters ----------------------------------------------------------------


def test_zero_width_and_bidi_characters_are_removed_from_uploaded_names(
    session, user, settings, login
):
    # A zero-width space inside the name, a right-to-left override and a BOM around it, and a
    # decomposed "é" (e + combining acute): kept as "Ahmad Zéro" (NFC), found as Ahmad.
    typed = "\ufeffAh\u200bmad \u202eZe\u0301ro\u202c\u2066"
    batch = submitted(session, user, settings, csv_bytes([person(1, name=typed)]))
    assert rows_of(session, batch)[2].name == "Ahmad Z\u00e9ro"
    committed(session, batches.decide, user(CLERK), batch.id, "accept_all")
    member = session.scalars(select(Member).where(Member.batch_id == batch.id)).one()
    assert member.name == "Ahmad Z\u00e9ro"
    body = login("admin").get("/admin/member/?search=ahmad&page_size=100").get_data(as_text=True)
    assert member.kpj in body
