"""A payer's contribution file (SQLite and PostgreSQL): a branch clerk records what a department
paid for many members at once. Whole-file refusals, every row rule, the preview and its error
report, recording all or nothing through the ledger, re-checking at confirm time, scoping, CSRF.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from backoffice import audit
from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError
from backoffice.rules import contributions
from backoffice.rules.coverage import add_months, month_start
from backoffice.rules.kpj import kpj_check_digit
from backoffice.seed import demo
from backoffice.services import ledger, payer_columns, payer_import, payer_tickets, reference
from backoffice.services.numbering import reserve_kpj
from backoffice.transaction import unit_of_work
from models import (
    AuditEvent,
    ContributionPayment,
    Department,
    Member,
    MemberStatus,
    Office,
    PaymentChannel,
    Regency,
)

URL = "/admin/contribution_import/"
HEADER = ["KPJ", "NIK", "Nama", "Bulan", "Jumlah Bulan", "Tanggal Bayar", "Referensi"]
MONTH_NAMES = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def today() -> date:
    return today_in_jakarta()


def this_month() -> date:
    return month_start(today())


def mm(day: date) -> str:
    return day.strftime("%m/%Y")


_serial = iter(range(1, 10_000))


def make_member(
    session,
    *,
    office_code: str = "B01",
    department: str | None = demo.DPU,
    start: date | None = None,
    jht: bool = False,
    active: bool = True,
    name: str = "Karyadi",
) -> Member:
    """A member registered by a department of Kab. Serang six months ago (Rp1.500.000:
    Rp21.800 a month without JHT), nothing paid yet."""
    office = session.scalar(select(Office).where(Office.code == office_code))
    dept = session.scalar(select(Department).where(Department.name == department))
    start = start or add_months(this_month(), -6).replace(day=10)
    programmes = ["JKK", "JKM", "JHT"] if jht else ["JKK", "JKM"]
    contribution = contributions.monthly_contribution(
        1_500_000, programmes, reference.rates_on(session, start)
    )
    serial = next(_serial)
    member = Member(
        kpj=reserve_kpj(session, 1)[0],
        nik=f"36049905058{serial:05d}",
        name=name,
        birth_date=date(1985, 5, 5),
        sex="L",
        occupation="Tukang bangunan",
        income_level=1_500_000,
        programmes=",".join(programmes),
        start_date=start,
        contribution_jkk=contribution.jkk,
        contribution_jkm=contribution.jkm,
        contribution_jht=contribution.jht,
        monthly_contribution=contribution.total,
        office_id=office.id,
        region_id=office.region_id,
        department_id=dept.id if dept is not None and office_code == "B01" else None,
        active=active,
        # Not active: deceased since the first of last month.
        status=MemberStatus.REGISTERED if active else MemberStatus.DECEASED,
        status_since=None if active else add_months(this_month(), -1),
    )
    session.add(member)
    session.flush()
    return member


def department(session, name: str = demo.DPU) -> Department:
    return session.scalar(select(Department).where(Department.name == name))


def demo_member(session, key: str) -> Member:
    return session.scalar(select(Member).where(Member.nik == demo.DEMO_MEMBERS[key]))


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ";", bom: bool = True) -> bytes:
    text = "\r\n".join(delimiter.join("" if c is None else str(c) for c in row) for row in rows)
    data = (text + "\r\n").encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def settings(app) -> payer_tickets.Settings:
    return payer_tickets.Settings.from_config(app.config, app.instance_path)


def stored_files(app) -> list[Path]:
    directory = settings(app).storage_dir
    return sorted(directory.iterdir()) if directory.is_dir() else []


def upload(client, data: bytes, dept: Department | int, filename: str = "iuran.csv", **kw):
    dept_id = dept if isinstance(dept, int) else dept.id
    return client.post(
        URL, data={"department": str(dept_id), "file": (io.BytesIO(data), filename)}, **kw
    )


_TOKEN = re.compile(r'name="t" value="([^"]+)"')
_EXPECTED = re.compile(r'name="expected" value="([0-9a-f]+)"')


def uploaded(client, data: bytes, dept: Department, filename: str = "iuran.csv") -> Any:
    """Upload, follow to the preview; returns (preview page text, token, fingerprint)."""
    response = upload(client, data, dept, filename)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(URL + "preview/?t=")
    page = client.get(location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = location.split("?t=", 1)[1]
    expected = _EXPECTED.search(html)
    return html, token, expected.group(1) if expected else ""


def cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def payments_of(session, member: Member) -> list[ContributionPayment]:
    return list(
        session.scalars(
            select(ContributionPayment)
            .where(ContributionPayment.member_id == member.id)
            .order_by(ContributionPayment.period)
        )
    )


def rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def problems_by_row(preview: payer_import.Preview) -> dict[int, list[str]]:
    with force_locale("en"):
        return {row.number: [str(p) for p in row.problems] for row in preview.rows}


def check(session, app, actor, rows: list[list[Any]], dept: Department) -> payer_import.Preview:
    """The service's preview of an uploaded file (English messages)."""
    s = settings(app)
    token = payer_import.upload(
        session, actor, dept.id, csv_bytes([HEADER, *rows]), "f.csv", settings=s
    )
    return payer_import.preview(session, actor, token, settings=s)


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("03/2026", date(2026, 3, 1)),
        ("3/2026", date(2026, 3, 1)),
        ("03-2026", date(2026, 3, 1)),
        ("2026-03", date(2026, 3, 1)),
        ("2026/3", date(2026, 3, 1)),
        ("Maret 2026", date(2026, 3, 1)),
        ("maret-2026", date(2026, 3, 1)),
        ("Agustus 2025", date(2025, 8, 1)),
        ("Agt 2025", date(2025, 8, 1)),
        ("Nopember 2025", date(2025, 11, 1)),
        ("Mei 2026", date(2026, 5, 1)),
        ("Desember 2025", date(2025, 12, 1)),
        ("December 2025", date(2025, 12, 1)),
        ("15/03/2026", date(2026, 3, 1)),
        ("2026-03-15", date(2026, 3, 1)),
        (datetime(2026, 3, 1), date(2026, 3, 1)),
        (date(2026, 3, 20), date(2026, 3, 1)),
    ],
)
def test_months_are_read_in_the_ways_offices_write_them(value, month):
    assert payer_columns.parse_month(value) == month


@pytest.mark.parametrize(
    "value", ["13/2026", "00/2026", "Maret 26", "03/26", "Marz 2026", 202603, ""]
)
def test_what_is_not_a_month_is_refused(value):
    with pytest.raises(payer_columns.ParseError):
        payer_columns.parse_month(value)


#: The payment periods of the reference data (migration 0013).
PERIODS = (1, 3, 6, 12)


@pytest.mark.parametrize(
    ("value", "months"), [(None, 1), ("", 1), ("1", 1), (3, 3), (6.0, 6), ("12 bulan", 12)]
)
def test_number_of_months(value, months):
    assert payer_columns.parse_months(value, PERIODS) == months


@pytest.mark.parametrize("value", [2, "4", "0", "24", 1.5, "tiga", True])
def test_only_1_3_6_or_12_months(value):
    with pytest.raises(payer_columns.ParseError):
        payer_columns.parse_months(value, PERIODS)


def test_kpj_cells():
    kpj = "1234567890" + kpj_check_digit("1234567890")
    assert payer_columns.parse_kpj(kpj) == kpj
    assert payer_columns.parse_kpj(f" '{kpj[:4]} {kpj[4:]} ") == kpj
    assert payer_columns.parse_kpj(int(kpj)) == kpj  # 11 digits: nothing was lost
    leading = "0000012345" + kpj_check_digit("0000012345")
    assert payer_columns.parse_kpj(leading) == leading
    wrong = kpj[:10] + str((int(kpj[10]) + 1) % 10)
    for value in (wrong, kpj[:10], int(leading), 1.5, True, "KPJ" + kpj[3:]):
        with pytest.raises(payer_columns.ParseError):
            payer_columns.parse_kpj(value)


# --------------------------------------------------------------------------------------------
# The happy paths
# --------------------------------------------------------------------------------------------


def test_semicolon_csv_with_bom_is_checked_previewed_and_recorded(app, session, login, user):
    dept = department(session)
    a = make_member(session, name="Karyadi")
    b = make_member(session, name="Sukiman", jht=True)
    session.commit()
    first = add_months(this_month(), -5)
    second = add_months(first, 3)
    paid_on = today() - timedelta(days=1)
    rows = [
        ["DAFTAR PEMBAYARAN IURAN BPU DINAS PU KAB. SERANG"],  # a title above the header
        HEADER + ["Keterangan"],
        [a.kpj, "", a.name, mm(first), "3", paid_on.strftime("%d/%m/%Y"), "SP2D/DPUPR/0042", "x"],
        # by NIK, a month name, no number of months (1)
        ["", b.nik, b.name, f"{MONTH_NAMES[second.month - 1]} {second.year}", "", paid_on.strftime("%d-%m-%Y"), "SP2D/DPUPR/0042", ""],
        [],
    ]  # fmt: skip
    client = login("petugas.serang")
    page = client.get(URL)
    assert page.status_code == 200 and dept.name in page.get_data(as_text=True)
    html, token, expected = uploaded(client, csv_bytes(rows), dept)
    assert [cell(html, i) for i in ("count-rows", "count-valid", "count-invalid")] == [
        "2",
        "2",
        "0",
    ]
    total = 3 * 21_800 + 51_800
    assert cell(html, "count-months") == "4" and cell(html, "total-amount") == rupiah(total)
    # Whole contributions although these months are within the PP 50/2025 discount: the
    # department pays from a government budget, and the page says so.
    assert cell(html, "no-discount").startswith("Jumlahnya adalah iuran penuh para peserta")
    assert 'id="ignored-note"' in html and "Keterangan" in html
    assert len(stored_files(app)) == 1
    last_event = session.scalar(select(func.max(AuditEvent.id))) or 0

    response = client.post(URL + "record/", data={"t": token, "expected": expected})
    assert response.status_code == 302 and response.headers["Location"] == URL
    clerk = user("petugas.serang")
    pa, pb = payments_of(session, a), payments_of(session, b)
    assert [p.period for p in pa] == [first, add_months(first, 1), add_months(first, 2)]
    assert [p.period for p in pb] == [second]
    for p in pa + pb:
        assert p.channel is PaymentChannel.PAYER and p.payer_department_id == dept.id
        assert p.reference == "SP2D/DPUPR/0042" and p.paid_on == paid_on
        assert p.recorded_by_id == clerk.id
    assert sum(p.total for p in pa + pb) == total
    # One audit event per member payment, as record_payment writes it.
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.id > last_event, AuditEvent.action == "contribution")
        .order_by(AuditEvent.id)
    )
    assert [(e.action, e.record_type, e.record_id) for e in events] == [
        ("contribution", "member", str(a.id)),
        ("contribution", "member", str(b.id)),
    ]
    assert stored_files(app) == []  # the file is forgotten once recorded
    # The success message names the department and the amount.
    done = client.get(URL).get_data(as_text=True)
    assert rupiah(total) in done and dept.name in done
    # The member page shows the payments.
    details = client.get(f"/admin/member/details/?id={a.id}").get_data(as_text=True)
    assert "SP2D/DPUPR/0042" in details and mm(first) in details
    # The same token again: nothing recorded twice.
    again = client.post(URL + "record/", data={"t": token, "expected": expected})
    assert again.status_code == 302 and again.headers["Location"] == URL
    assert len(payments_of(session, a)) == 3


def test_xlsx_with_date_cells_is_recorded(app, session, login):
    dept = department(session, demo.DISTAN)
    a = make_member(session, department=demo.DISTAN)
    b = make_member(session, department=demo.DISTAN)
    session.commit()
    first = add_months(this_month(), -6)
    paid_on = datetime.combine(today() - timedelta(days=3), datetime.min.time())
    rows = [
        HEADER,
        [a.kpj, None, a.name, datetime.combine(first, datetime.min.time()), 6, paid_on, 4471],
        [None, b.nik, b.name, datetime.combine(first, datetime.min.time()), 1, paid_on, None],
    ]
    client = login("petugas2.serang")
    html, token, expected = uploaded(client, xlsx_bytes(rows), dept, "iuran.xlsx")
    assert cell(html, "count-valid") == "2" and cell(html, "count-invalid") == "0"
    assert cell(html, "total-amount") == rupiah(7 * 21_800)
    response = client.post(URL + "record/", data={"t": token, "expected": expected})
    assert response.status_code == 302
    assert [p.period for p in payments_of(session, a)] == [add_months(first, i) for i in range(6)]
    assert {p.reference for p in payments_of(session, a)} == {"4471"}
    [pb] = payments_of(session, b)
    assert pb.period == first and pb.reference is None and pb.paid_on == paid_on.date()
    assert pb.payer_department_id == dept.id


def test_the_template_round_trips_with_the_departments_members(app, session, login):
    dept = department(session)
    member = make_member(session, name='=HYPERLINK("http://x")')
    session.commit()
    client = login("petugas.serang")
    blank = client.get(URL + "template.xlsx")
    assert blank.status_code == 200 and blank.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(blank.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.column_dimensions["A"].number_format == "@"  # KPJ as text
    assert sheet.column_dimensions["B"].number_format == "@"  # NIK as text

    filled = client.get(URL + f"template.xlsx?department={dept.id}")
    workbook = openpyxl.load_workbook(io.BytesIO(filled.data))
    sheet = workbook.worksheets[0]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert member.kpj in rows
    # A list of the department's members left the office: audited with its rows.
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export_personal_data")
    ).one()
    details = json.loads(event.details)
    assert (details["list"], details["columns"], details["masked"]) == ("payer_template", [], True)
    assert details["rows"] == len(rows)
    row = rows[member.kpj]
    # The NIK stays in the office (UU 27/2022): the KPJ finds the member.
    assert row[1].value is None and row[2].data_type == "s"  # a name is never a formula
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    # The clerk fills in the month and the date for this member and uploads the file.
    for kpj, r in rows.items():
        if kpj != member.kpj:
            sheet.delete_rows(r[0].row)
    for r in sheet.iter_rows(min_row=2):
        if r[0].value == member.kpj:
            r[3].value = mm(add_months(this_month(), -6))
            r[5].value = today().strftime("%d/%m/%Y")
    buffer = io.BytesIO()
    workbook.save(buffer)
    html, _token, _expected = uploaded(client, buffer.getvalue(), dept, "iuran.xlsx")
    assert cell(html, "count-valid") == "1", html
    # A department another office serves is not offered.
    assert client.get(URL + "template.xlsx?department=999999").status_code == 404


# --------------------------------------------------------------------------------------------
# Row rules
# --------------------------------------------------------------------------------------------


def test_every_row_rule_reports_all_problems_of_the_row(app, session, user):
    clerk = user("petugas.serang")
    dept = department(session)
    ok = make_member(session)
    paid = make_member(session)
    inactive = make_member(session, active=False)
    late_start = make_member(session, start=this_month().replace(day=3))
    other = make_member(session, office_code="B02", department=None)  # KC Cilegon's member
    start = add_months(this_month(), -6)
    ledger.record_payment(
        session, clerk, paid, period=add_months(start, 1), paid_on=today(), channel="counter",
        months=3,
    )  # fmt: skip
    session.commit()
    unknown = "9999999999" + kpj_check_digit("9999999999")
    bad_digit = ok.kpj[:10] + str((int(ok.kpj[10]) + 1) % 10)
    day = today().strftime("%d/%m/%Y")
    future = (today() + timedelta(days=1)).strftime("%d/%m/%Y")
    rows = [
        [ok.kpj, "", "", mm(start), "3", day, "REF-1"],  # 2: valid
        [unknown, "", "", mm(start), "1", day, ""],  # 3: KPJ not found
        [bad_digit, "", "", mm(start), "1", day, ""],  # 4: check digit
        [other.kpj, "", "", mm(start), "1", day, ""],  # 5: another office's member
        [inactive.kpj, "", "", mm(start), "1", day, ""],  # 6: inactive
        [late_start.kpj, "", "", mm(add_months(this_month(), -1)), "1", day, ""],  # 7: before start
        [paid.kpj, "", "", mm(start), "6", day, ""],  # 8: months already paid
        [ok.kpj, "", "", mm(add_months(start, 2)), "3", day, ""],  # 9: again in the file
        ["", "", "Tanpa nomor", "13/2026", "2", "31/02/2026", "x" * 65],  # 10: everything wrong
        [paid.kpj, "", "", mm(add_months(start, 6)), "1", future, ""],  # 11: paid in the future
        [paid.kpj, "", "", mm(add_months(this_month(), 10)), "6", day, ""],  # 12: too far ahead
        [ok.kpj, paid.nik, "", mm(add_months(start, 5)), "1", day, ""],  # 13: KPJ and NIK differ
        ["", "3.60401E+15", "", mm(start), "1", day, ""],  # 14: NIK made a number
        [paid.kpj, "", "", mm(add_months(start, 1)), "2", day, ""],  # 15: 2 months, 1st paid
    ]
    preview = check(session, app, clerk, rows, dept)
    problems = problems_by_row(preview)
    assert problems[2] == []
    assert problems[3] == [f"KPJ: No member of your office has KPJ {unknown}."]
    assert len(problems[4]) == 1 and "check digit" in problems[4][0]
    assert problems[5] == [f"KPJ: No member of your office has KPJ {other.kpj}."]
    assert problems[6] == [
        f"KPJ: Member {inactive.kpj}: The membership is deceased since "
        f"{add_months(this_month(), -1):%d/%m/%Y}: no contribution can be recorded."
    ]
    assert len(problems[7]) == 1 and "protection started on" in problems[7][0]
    assert problems[8] == [
        "Bulan: The contribution of "
        + ", ".join(mm(add_months(start, i)) for i in (1, 2, 3))
        + " is already paid."
    ]
    assert problems[9] == [
        f"Bulan: {mm(add_months(start, 2))} of this member are also paid in row 2 of this file."
    ]
    assert [p.split(":")[0] for p in problems[10]] == [
        "KPJ", "Bulan", "Jumlah Bulan", "Tanggal Bayar", "Referensi"
    ]  # fmt: skip
    assert "Give the member's KPJ number or NIK." in problems[10][0]
    assert "01 to 12" in problems[10][1] and "not 2" in problems[10][2]
    assert "not a real calendar date" in problems[10][3] and "at most 64" in problems[10][4]
    assert problems[11] == [f"Tanggal Bayar: The payment date {future} is in the future."]
    assert len(problems[12]) == 1 and "at most 12 months ahead" in problems[12][0]
    assert problems[13] == [f"NIK: {paid.nik} is not the NIK of the member with KPJ {ok.kpj}."]
    assert len(problems[14]) == 1 and "turned this NIK into a number" in problems[14][0]
    assert problems[15] == [
        f"Bulan: The contribution of {mm(add_months(start, 1))} is already paid.",
        f"Bulan: {mm(add_months(start, 1))} of this member are also paid in row 8 of this file.",
        "Jumlah Bulan: A payment covers 1, 3, 6 or 12 months, not 2.",
    ]
    assert (len(preview.valid_rows), len(preview.invalid_rows)) == (1, 13)
    assert preview.total_amount == 3 * 21_800
    # The preview page lists every error with its spreadsheet row.
    with force_locale("en"):
        errors = [(e.row, e.column) for e in preview.errors()]
    assert (10, "Referensi") in errors and (3, "KPJ") in errors


# --------------------------------------------------------------------------------------------
# Whole-file refusals: nothing stored
# --------------------------------------------------------------------------------------------

_ROW = ["10000000001", "", "", "01/2026", "1", "10/01/2026", ""]


@pytest.mark.parametrize(
    ("data", "config"),
    [
        (b"%PDF-1.4 not a table", {}),  # not a spreadsheet
        (b"", {}),  # empty
        (b"\xef\xbb\xbf  \r\n", {}),  # blank
        (csv_bytes([HEADER]), {}),  # no data rows
        (csv_bytes([["KPJ", "Jumlah Bulan", "Tanggal Bayar"], _ROW[:3]]), {}),  # no Bulan
        (csv_bytes([["Nama", "Bulan", "Tanggal Bayar"], ["Ani", "01/2026", "1/1/2026"]]), {}),
        (csv_bytes([HEADER, _ROW, _ROW, _ROW, _ROW]), {"PAYER_IMPORT_MAX_ROWS": 3}),
        (csv_bytes([HEADER, _ROW]), {"PAYER_IMPORT_MAX_BYTES": 40}),
        (b"PK\x03\x04 not really a workbook", {}),
    ],
    ids=[
        "not-spreadsheet",
        "empty",
        "blank",
        "no-data",
        "missing-column",
        "no-kpj-or-nik",
        "too-many-rows",
        "too-large",
        "broken-zip",
    ],  # fmt: skip
)
def test_whole_file_refusals_store_nothing(app, session, login, data, config):
    app.config.update(config)
    dept = department(session)
    client = login("petugas.serang")
    payments, events = count(session, ContributionPayment), count(session, AuditEvent)
    response = upload(client, data, dept)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="refusal"' in html, html
    assert stored_files(app) == []
    assert count(session, ContributionPayment) == payments and count(session, AuditEvent) == events


def test_the_missing_column_is_named(app, session, user):
    clerk = user("petugas.serang")
    with pytest.raises(payer_import.FileRefused) as refused:
        payer_import.upload(
            session,
            clerk,
            department(session).id,
            csv_bytes([["Nama", "Tanggal Bayar"], ["Ani", "01/01/2026"]]),
            "f.csv",
            settings=settings(app),
        )
    with force_locale("en"):
        assert str(refused.value) == (
            "Required columns are missing: Bulan, KPJ/NIK. Use the column titles of the upload "
            "template."
        )
    assert stored_files(app) == []


# --------------------------------------------------------------------------------------------
# Recording: all or nothing, re-checked
# --------------------------------------------------------------------------------------------


def _three_members_file(session) -> tuple[list[Member], bytes]:
    members = [make_member(session, name=f"Pekerja {i}") for i in range(3)]
    session.commit()
    first = add_months(this_month(), -4)
    day = today().strftime("%d/%m/%Y")
    rows = [HEADER] + [[m.kpj, "", m.name, mm(first), "3", day, "SP2D/7"] for m in members]
    return members, csv_bytes(rows)


@pytest.mark.parametrize(
    ("where", "failure"),
    [
        ("check_payment", RuntimeError("database went away")),
        ("check_payment", DomainError("refused")),
        # After the payments were inserted: the audit events fail, the payments go too.
        ("append_events", RuntimeError("database went away")),
    ],
)
def test_a_failure_midway_records_nothing(app, session, user, monkeypatch, where, failure):
    clerk = user("petugas.serang")
    members, data = _three_members_file(session)
    s = settings(app)
    token = payer_import.upload(session, clerk, department(session).id, data, "f.csv", settings=s)
    expected = payer_import.preview(session, clerk, token, settings=s).fingerprint
    payments, events = count(session, ContributionPayment), count(session, AuditEvent)
    module = ledger if where == "check_payment" else audit
    real = getattr(module, where)
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == (2 if where == "check_payment" else 1):
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(module, where, flaky)
    with pytest.raises(type(failure)) as raised:
        with unit_of_work(session):  # as its caller records: all or nothing
            payer_import.record(session, clerk, token, expected=expected, settings=s)
    if isinstance(failure, DomainError):
        with force_locale("en"):
            assert str(raised.value).startswith("Row 3 could not be recorded: refused")
    session.expire_all()
    assert len(calls) == (2 if where == "check_payment" else 1)
    assert count(session, ContributionPayment) == payments and count(session, AuditEvent) == events
    assert all(payments_of(session, m) == [] for m in members)
    assert len(stored_files(app)) == 1  # still there: the clerk can try again
    monkeypatch.setattr(module, where, real)
    with unit_of_work(session):
        recorded = payer_import.record(session, clerk, token, expected=expected, settings=s)
    assert (recorded.rows, recorded.members, recorded.months) == (3, 3, 9)
    assert recorded.amount == 9 * 21_800


def test_a_month_paid_since_the_preview_stops_the_recording(app, session, login, user):
    members, data = _three_members_file(session)
    dept = department(session)
    client = login("petugas.serang")
    html, token, expected = uploaded(client, data, dept)
    assert cell(html, "count-valid") == "3"
    # Meanwhile another clerk records a month of the second member at the counter.
    ledger.record_payment(
        session,
        user("petugas2.serang"),
        members[1],
        period=add_months(this_month(), -3),
        paid_on=today(),
        channel="counter",
    )
    session.commit()
    payments = count(session, ContributionPayment)
    response = client.post(URL + "record/", data={"t": token, "expected": expected})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert count(session, ContributionPayment) == payments  # nothing recorded
    assert payments_of(session, members[0]) == [] and payments_of(session, members[2]) == []
    assert cell(html, "count-valid") == "2" and cell(html, "count-invalid") == "1"
    assert 'id="errors"' in html and mm(add_months(this_month(), -3)) in html
    # Recording what is valid now, knowingly.
    again = _EXPECTED.search(html).group(1)
    assert again != expected
    response = client.post(URL + "record/", data={"t": token, "expected": again})
    assert response.status_code == 302
    assert len(payments_of(session, members[0])) == 3 and len(payments_of(session, members[2])) == 3
    assert len(payments_of(session, members[1])) == 1


def test_the_error_report_has_the_original_cells_and_no_formula(app, session, login):
    dept = department(session)
    member = make_member(session)
    session.commit()
    day = today().strftime("%d/%m/%Y")
    rows = [
        HEADER,
        [member.kpj, "", "Benar", mm(add_months(this_month(), -6)), "1", day, ""],
        ["00000000000", "", "=1+1", '=HYPERLINK("http://evil")', "@SUM(A1)", day, "+62-1"],
        ["", "'3604010101900001", "-2+3", "Maret", "1", "kemarin", "=cmd|' /C calc'!A0"],
    ]
    client = login("petugas.serang")
    html, token, _expected = uploaded(client, csv_bytes(rows), dept)
    assert cell(html, "count-invalid") == "2"
    report = client.get(URL + f"errors.xlsx?t={token}")
    assert report.status_code == 200 and report.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(report.data)).worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0] == HEADER + ["Kesalahan"]
    assert [v[:7] for v in values[1:]] == [
        [str(c) if c != "" else None for c in row] for row in rows[2:]
    ]
    assert all(v[7] for v in values[1:])  # every row says what is wrong
    for r in sheet.iter_rows():
        for c in r:
            assert c.data_type != "f", (c.coordinate, c.value)
    # The clerk's own file back, in full, audited first with its rows (UU 27/2022).
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "export_personal_data")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_username == "petugas.serang" and event.record_id == "payer_errors"
    assert json.loads(event.details) == {
        "list": "payer_errors",
        "search": None,
        "filters": [],
        "rows": 2,
        "columns": ["nik"],
        "masked": False,
    }
    # No error report when every row is valid.
    _html, token, _expected = uploaded(client, csv_bytes(rows[:2]), dept)
    assert client.get(URL + f"errors.xlsx?t={token}").status_code == 404


# --------------------------------------------------------------------------------------------
# Who may do it
# --------------------------------------------------------------------------------------------


def test_a_clerk_of_another_office_cannot_record_for_serang(app, session, login, user):
    serang_dept = department(session)
    serang_member = demo_member(session, "serang_department_arrears")
    # A department of Kota Cilegon, served by KC Cilegon.
    regency = session.scalar(select(Regency).where(Regency.code == "3672"))
    cilegon = session.scalar(select(Office).where(Office.code == "B02"))
    cilegon_dept = Department(
        name="Dinas Perikanan Kota Cilegon", regency_id=regency.id, office_id=cilegon.id
    )
    session.add(cilegon_dept)
    cilegon_member = demo_member(session, "cilegon_paid")
    session.commit()

    client = login("petugas.cilegon")
    page = client.get(URL).get_data(as_text=True)
    assert cilegon_dept.name in page and serang_dept.name not in page
    # The Serang department is not offered: the form refuses it and nothing is stored.
    day = today().strftime("%d/%m/%Y")
    data = csv_bytes(
        [
            HEADER,
            [serang_member.kpj, "", "", mm(this_month()), "1", day, ""],
            ["", serang_member.nik, "", mm(this_month()), "1", day, ""],
            [cilegon_member.kpj, "", "", mm(add_months(this_month(), 1)), "1", day, ""],
        ]
    )
    response = upload(client, data, serang_dept)
    assert response.status_code == 200 and stored_files(app) == []
    assert 'class="invalid-feedback d-block"' in response.get_data(as_text=True)
    assert client.get(URL + f"template.xlsx?department={serang_dept.id}").status_code == 404
    # For its own department, the rows of Serang members are refused as not of the office.
    html, token, _expected = uploaded(client, data, cilegon_dept)
    assert cell(html, "count-valid") == "1" and cell(html, "count-invalid") == "2"
    preview = payer_import.preview(session, user("petugas.cilegon"), token, settings=settings(app))
    problems = problems_by_row(preview)
    assert problems[2] == [f"KPJ: No member of your office has KPJ {serang_member.kpj}."]
    assert problems[3] == [f"NIK: No member of your office has NIK {serang_member.nik}."]
    assert problems[4] == []
    # The token is the clerk's own: a Serang clerk cannot open or record it.
    serang = login("petugas.serang")
    assert serang.get(URL + f"preview/?t={token}").status_code == 404
    assert serang.post(URL + "record/", data={"t": token, "expected": "x"}).status_code == 404
    assert serang.get(URL + f"errors.xlsx?t={token}").status_code == 404
    # A forged token is not found either. (One character of the signature changed, not the
    # last: the last base64 character carries padding bits, so replacing it may change nothing.)
    forged = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    assert forged != token
    assert client.get(URL + f"preview/?t={forged}").status_code == 404


@pytest.mark.parametrize("username", ["dinas.pertanian.serang", "kepala.serang", "auditor.banten"])
def test_other_roles_get_403(app, session, login, username):
    client = login(username)
    dept = department(session)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "template.xlsx").status_code == 403
    assert client.get(URL + "preview/?t=x").status_code == 403
    assert upload(client, csv_bytes([HEADER, _ROW]), dept).status_code == 403
    assert client.post(URL + "record/", data={"t": "x", "expected": "x"}).status_code == 403
    assert stored_files(app) == []


def test_the_csrf_token_is_required(app, session, login):
    members, data = _three_members_file(session)
    dept = department(session)
    client = login("petugas.serang")
    assert upload(client, data, dept, csrf=False).status_code == 400
    assert stored_files(app) == []
    _html, token, expected = uploaded(client, data, dept)
    response = client.post(URL + "record/", data={"t": token, "expected": expected}, csrf=False)
    assert response.status_code == 400
    assert all(payments_of(session, m) == [] for m in members)


def test_an_expired_upload_is_asked_again(app, session, login):
    members, data = _three_members_file(session)
    client = login("petugas.serang")
    _html, token, expected = uploaded(client, data, department(session))
    for path in stored_files(app):
        path.unlink()
    response = client.post(URL + "record/", data={"t": token, "expected": expected})
    assert response.status_code == 302 and response.headers["Location"] == URL
    assert client.get(URL + f"preview/?t={token}").status_code == 302
    assert all(payments_of(session, m) == [] for m in members)


def test_zero_width_and_bidi_characters_are_removed_from_payer_text_cells(app, session, user):
    clerk = user("petugas.serang")
    dept = department(session)
    member = make_member(session)
    session.commit()
    day = today().strftime("%d/%m/%Y")
    start = add_months(this_month(), -6)
    typed_name = "\ufeffAh\u200bmad \u202eZe\u0301ro\u202c"
    rows = [[member.kpj, "", typed_name, mm(start), "1", day, "SP2D\u200b-\u2066001\u2069"]]
    preview = check(session, app, clerk, rows, dept)
    assert problems_by_row(preview)[2] == []
    (row,) = preview.valid_rows
    assert (row.name, row.reference) == ("Ahmad Z\u00e9ro", "SP2D-001")
