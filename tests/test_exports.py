"""List exports for Indonesian Excel (issue #18): XLSX with typed cells (numbers, Rupiah, dates,
formula-safe text) beside a semicolon CSV with a BOM and Indonesian amounts; both masked and
audited like before."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from backoffice import exports
from backoffice.seed.demo import seed_demo
from models import AuditEvent, Claim, Member
from tests.steps import export_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_of(response):
    assert response.status_code == 200
    assert response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.get_data()))
    return book.worksheets[0]


def test_the_xlsx_of_claims_has_numbers_rupiah_and_dates(session, login):
    seed_demo(session)
    session.commit()
    claims = session.scalars(sa.select(Claim).order_by(Claim.id)).all()
    response = login("petugas.serang").get("/admin/claim/export/xlsx/")
    sheet = sheet_of(response)
    header = [c.value for c in sheet[1]]
    assert "Jumlah (Rp)" in header or any(h.endswith("(Rp)") for h in header)
    amount_col = next(i for i, h in enumerate(header) if h.endswith("(Rp)"))
    event_col = header.index("Tanggal kejadian")
    rows = list(sheet.iter_rows(min_row=2))
    by_number = {row[0].value: row for row in rows}
    for claim in claims:
        row = by_number.get(str(claim))
        if row is None:
            continue  # another office's claim
        assert row[amount_col].value == claim.amount
        assert isinstance(row[amount_col].value, int)
        assert row[amount_col].number_format == exports.RUPIAH_FORMAT
        assert isinstance(row[event_col].value, datetime)  # an Excel date
        assert row[event_col].value.date() == claim.event_date
        assert row[event_col].number_format == exports.DATE_FORMAT
    assert by_number, "the clerk's claims are exported"


def test_a_member_export_is_masked_audited_and_formula_safe_in_both_formats(session, login, user):
    clerk_user = user("petugas.serang")
    member = session.scalars(
        sa.select(Member).where(Member.office_id == clerk_user.office_id).order_by(Member.id)
    ).first()
    member.name = '=HYPERLINK("http://x")'
    session.commit()
    clerk = login("petugas.serang")
    events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    sheet = sheet_of(clerk.get(f"/admin/member/export/xlsx/?search={member.kpj}"))
    header = [c.value for c in sheet[1]]
    (row,) = list(sheet.iter_rows(min_row=2, values_only=True))
    cells = dict(zip(header, row, strict=True))
    name = next(v for v in row if isinstance(v, str) and "HYPERLINK" in v)
    assert name.startswith("'=")
    assert member.nik not in [str(v) for v in row]
    assert any(isinstance(v, str) and re.fullmatch(r"\d{4}\*{8}\d{4}", v) for v in row)
    income = next(v for k, v in cells.items() if k.startswith("Tingkat penghasilan"))
    assert income == member.income_level and isinstance(income, int)
    exported = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert exported == events + 1
    event = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "export_personal_data"

    rows = export_rows(clerk.get(f"/admin/member/export/csv/?search={member.kpj}"))
    assert len(rows) == 2
    csv_cells = dict(zip(rows[0], rows[1], strict=True))
    assert any(v.startswith("'=HYPERLINK") for v in rows[1])
    assert member.nik not in rows[1]
    income_text = next(v for k, v in csv_cells.items() if k.startswith("Tingkat penghasilan"))
    assert income_text == f"{member.income_level:,}".replace(",", ".")
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events + 2


def test_the_csv_is_semicolon_separated_with_a_bom_and_a_jakarta_filename(session, login):
    response = login("admin").get("/admin/income_level/export/csv/")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    header = body.decode("utf-8-sig").splitlines()[0]
    assert ";" in header and "," not in header
    rows = export_rows(response)
    assert rows[0][0] == "Tingkat penghasilan (Rp)"
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*", r[0]) for r in rows[1:])
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", r[1]) for r in rows[1:])
    disposition = response.headers["Content-Disposition"]
    stamp = re.search(r"_(\d{4}-\d{2}-\d{2})_(\d{2})-(\d{2})-\d{2}\.csv", disposition)
    assert stamp, disposition
    from backoffice.clock import JAKARTA, utcnow

    now = utcnow().astimezone(JAKARTA)
    assert stamp.group(1) == now.strftime("%Y-%m-%d") or now.hour == 0
    assert abs(int(stamp.group(2)) - now.hour) in (0, 1, 23)


def test_cells_are_typed_and_text_is_never_a_formula():
    rows = [
        [exports.Money(16800), 7, Decimal("5.63"), date(2026, 1, 2), "=1+1", "-2", "+x", "@a"],
        [None, 0, Decimal("0"), datetime(2026, 1, 2, 8, 30), "Siti", "", "a=b", "Rp 1"],
    ]
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(list("ABCDEFGH"), rows, sheet_title="a/b")))
    sheet = book.worksheets[0]
    first = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert first[0].value == 16800 and first[0].number_format == exports.RUPIAH_FORMAT
    assert first[1].value == 7 and first[2].value == 5.63
    assert first[3].value == datetime(2026, 1, 2) and first[3].number_format == exports.DATE_FORMAT
    assert [c.value for c in first[4:]] == ["'=1+1", "'-2", "'+x", "'@a"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    second = list(sheet.iter_rows(min_row=3, max_row=3))[0]
    assert second[3].number_format == exports.DATETIME_FORMAT
    assert [exports.csv_text(v) for v in rows[0]] == [
        "16.800",
        "7",
        "5,63",
        "02/01/2026",
        "'=1+1",
        "'-2",
        "'+x",
        "'@a",
    ]
    assert exports.csv_text(exports.Money(Decimal("1234567.5"))) == "1.234.567,5"
    assert exports.csv_text(datetime(2026, 1, 2, 8, 30)) == "02/01/2026 08:30"
