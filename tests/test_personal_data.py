"""Personal data masked by default, revealed to those who need it, every reveal and every export
audited (UU 27/2022; domain.md "Personal data": "Show them masked by default
(`3604********0001`), reveal to those who need it, audit each reveal and each export of
personal data"). On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from backoffice.authz import may_reveal
from backoffice.clock import today_in_jakarta
from backoffice.rules.coverage import add_months, month_start
from backoffice.rules.personal_data import mask_address, mask_nik, mask_phone
from models import (
    AuditEvent,
    BatchRow,
    BatchState,
    Claim,
    Member,
    MemberBatch,
    Role,
    RowState,
    User,
)
from tests.factories import (
    make_batch,
    make_claim,
    make_department,
    make_member,
    make_office,
    make_payments,
    make_user,
)
from tests.html_page import Page
from tests.steps import export_rows

pytestmark = pytest.mark.usefixtures("empty_db")

NIK = "3604015203900001"
PHONE = "081234567890"
ADDRESS = "Kp. Pasir Gadung RT 002/RW 001, Kec. Cikande"
OTHER_NIK = "3604015203900002"
BAD_PHONE = "0899123456789"


@dataclass
class World:
    member: Member
    claim: Claim
    batch: MemberBatch
    row: BatchRow
    users: dict[str, User]


@pytest.fixture
def world(session: Any) -> World:
    """A member of a KCP registered from a liaison's batch, a claim of theirs, and a user of
    every role around them (the KCP's clerk, the KC's head, the region's head and auditor, the
    administrator, the uploading liaison and another liaison of the same department)."""
    kc = make_office(session)
    kcp = make_office(session, parent=kc)
    department = make_department(session, office=kcp)
    uploader = make_user(session, Role.LIAISON, department=department)
    batch = make_batch(
        session,
        department=department,
        uploaded_by=uploader,
        state=BatchState.COMPLETED,
        row_count=1,
        valid_count=1,
        invalid_count=1,
        accepted_count=1,
        # The columns of the liaison's own file, as the importer stores them.
        headers=[
            "NIK",
            "Nama Lengkap",
            "Tanggal Lahir",
            "Jenis Kelamin",
            "Alamat",
            "No HP",
            "Pekerjaan",
            "Penghasilan",
            "Program",
        ],
    )
    member = make_member(
        session,
        office=kcp,
        nik=NIK,
        birth_date=date(1990, 3, 12),
        sex="P",
        phone=PHONE,
        address=ADDRESS,
        department=department,
        batch=batch,
        start_date=add_months(month_start(today_in_jakarta()), -24),
    )
    make_payments(session, member, months=25)  # covered: the claim is eligible
    row = BatchRow(
        batch=batch,
        number=2,
        state=RowState.ACCEPTED,
        nik=NIK,
        name=member.name,
        data={},
        original=[NIK, member.name],
        member=member,
        decided_by=make_user(session, Role.BRANCH_CLERK, office=kcp),
        decided_at=batch.submitted_at,
    )
    session.add(row)
    # A row with an error: the error report gives its cells back.
    session.add(
        BatchRow(
            batch=batch,
            number=3,
            state=RowState.INVALID,
            original=[
                OTHER_NIK,
                "Siti Aminah",
                "12/03/1990",
                "P",
                ADDRESS,
                PHONE,
                "Petani",
                "",
                "",
            ],
            problems=[
                {"column": "Penghasilan", "field": "income", "msgid": "The income is empty."},
                # A message quoting the value it refuses.
                {
                    "column": "No HP",
                    "field": "phone",
                    "msgid": "%(value)s is not a phone number.",
                    "params": {"value": BAD_PHONE},
                },
            ],
        )
    )
    claim = make_claim(session, member=member)
    users = {
        "clerk": make_user(session, Role.BRANCH_CLERK, office=kcp),
        "head": make_user(session, Role.BRANCH_HEAD, office=kc),
        "regional_head": make_user(session, Role.REGIONAL_HEAD, region=kc.region),
        "auditor": make_user(session, Role.AUDITOR, region=kc.region),
        "admin": make_user(session, Role.ADMIN),
        "uploader": uploader,
        "other_liaison": make_user(session, Role.LIAISON, department=department),
    }
    session.commit()
    return World(member, claim, batch, row, users)


def _events(session: Any, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


#: Who may see the member's, the claimant's and the batch rows' data in full.
MAY_REVEAL = {
    "clerk": True,  # the office the member belongs to
    "head": True,  # the KC's head, for its KCPs too
    "uploader": True,  # the liaison who supplied the data (member and batch; no claims)
    "regional_head": False,
    "auditor": False,
    "admin": False,
    "other_liaison": False,
}


def test_may_reveal_is_for_the_office_and_the_liaison_who_supplied_the_data(world):
    for who, expected in MAY_REVEAL.items():
        user = world.users[who]
        assert bool(may_reveal(user, world.member)) is expected, who
        assert bool(may_reveal(user, world.batch)) is expected, who
        # A claim is the office's business: its claimant's NIK is never the liaison's.
        assert bool(may_reveal(user, world.claim)) is (expected and who != "uploader"), who
    assert may_reveal(None, world.member).forbidden


@pytest.mark.parametrize("who", sorted(MAY_REVEAL))
def test_the_members_list_and_export_show_the_nik_masked_for_every_role(world, login, session, who):
    client = login(world.users[who].username)
    page = client.get("/admin/member/").get_data(as_text=True)
    assert NIK not in page
    assert mask_nik(NIK) in page
    export = client.get("/admin/member/export/csv/")
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    assert NIK not in text and PHONE not in text and ADDRESS not in text
    assert mask_nik(NIK) in text and mask_phone(PHONE) in text and mask_address(ADDRESS) in text


def test_a_search_by_the_full_nik_finds_the_member_shown_masked(world, login):
    client = login(world.users["clerk"].username)
    found = _list_table(client.get(f"/admin/member/?search={NIK}"))
    assert world.member.kpj in found
    assert mask_nik(NIK) in found and NIK not in found
    # Claims are searched by the member's NIK too (the term itself stays in the search box).
    claims = _list_table(client.get(f"/admin/claim/?search={NIK}"))
    assert world.member.kpj in claims
    assert NIK not in claims


def test_a_nik_is_found_only_whole_so_a_prefix_tells_nothing(world, login):
    # Searching prefix after prefix would give a masked NIK's hidden digits away.
    client = login(world.users["auditor"].username)
    for prefix in (NIK[:6], NIK[:12], NIK[:15]):
        assert world.member.kpj not in _list_table(client.get(f"/admin/member/?search={prefix}"))
    assert world.member.kpj in _list_table(client.get(f"/admin/member/?search={NIK}"))
    # A KPJ prefix still finds the member (the KPJ is shown in full).
    assert world.member.kpj in _list_table(
        client.get(f"/admin/member/?search={world.member.kpj[:8]}")
    )


def _list_table(response: Any) -> str:
    return Page(response).dom.one("table", "model-list").text


@pytest.mark.parametrize("who", sorted(MAY_REVEAL))
def test_the_details_page_offers_show_exactly_when_may_reveal(world, login, who):
    client = login(world.users[who].username)
    page = client.get(f"/admin/member/details/?id={world.member.id}").get_data(as_text=True)
    assert NIK not in page and PHONE not in page and ADDRESS not in page
    assert mask_nik(NIK) in page
    assert ('id="reveal-nik"' in page) is MAY_REVEAL[who]
    assert ('id="reveal-phone"' in page) is MAY_REVEAL[who]


def test_a_reveal_shows_the_full_value_and_is_audited(world, login, session):
    clerk = world.users["clerk"]
    client = login(clerk.username)
    answer = client.post(f"/admin/member/reveal/?id={world.member.id}", {"field": "nik"})
    assert answer.status_code == 200
    assert "no-store" in answer.headers["Cache-Control"]
    page = answer.get_data(as_text=True)
    assert f'id="pd-nik">{NIK}<' in page
    assert PHONE not in page  # only the field asked for
    (event,) = _events(session, "reveal_personal_data")
    assert (event.actor_id, event.record_type, event.record_id) == (
        clerk.id,
        "member",
        str(world.member.id),
    )
    assert json.loads(event.details) == {"fields": ["nik"]}
    assert event.region_id == world.member.region_id


def test_the_claimants_nik_is_revealed_to_the_office_only(world, login, session):
    url = f"/admin/claim/details/?id={world.claim.id}"
    head = login(world.users["head"].username)
    page = head.get(url).get_data(as_text=True)
    assert mask_nik(NIK) in page and NIK not in page and 'id="reveal-claimant_nik"' in page
    answer = head.post(f"/admin/claim/reveal/?id={world.claim.id}", {"field": "claimant_nik"})
    assert f'id="pd-claimant_nik">{NIK}<' in answer.get_data(as_text=True)
    (event,) = _events(session, "reveal_personal_data")
    assert (event.record_type, event.record_id) == ("claim", str(world.claim.id))
    auditor = login(world.users["auditor"].username)
    assert 'id="reveal-claimant_nik"' not in auditor.get(url).get_data(as_text=True)
    refused = auditor.post(f"/admin/claim/reveal/?id={world.claim.id}", {"field": "claimant_nik"})
    assert refused.status_code == 403


@pytest.mark.parametrize("who", ["auditor", "regional_head", "admin", "other_liaison"])
def test_a_reveal_without_the_need_is_refused_and_nothing_audited(world, login, session, who):
    client = login(world.users[who].username)
    answer = client.post(f"/admin/member/reveal/?id={world.member.id}", {"field": "nik"})
    assert answer.status_code == 403
    assert NIK not in answer.get_data(as_text=True)
    assert _events(session, "reveal_personal_data") == []


def test_a_reveal_out_of_scope_or_without_csrf_is_refused(world, login, session):
    elsewhere = make_user(session, Role.BRANCH_CLERK, office=make_office(session))
    session.commit()
    outsider = login(elsewhere.username)
    answer = outsider.post(f"/admin/member/reveal/?id={world.member.id}", {"field": "nik"})
    assert answer.status_code == 404
    clerk = login(world.users["clerk"].username)
    no_token = clerk.post(
        f"/admin/member/reveal/?id={world.member.id}", {"field": "nik"}, csrf=False
    )
    assert no_token.status_code == 400
    not_personal = clerk.post(f"/admin/member/reveal/?id={world.member.id}", {"field": "name"})
    assert not_personal.status_code == 302
    assert _events(session, "reveal_personal_data") == []


def test_batch_rows_show_the_nik_masked_and_reveal_the_page_audited(world, login, session):
    url = f"/admin/batch/details/?id={world.batch.id}"
    auditor = login(world.users["auditor"].username)
    page = auditor.get(url).get_data(as_text=True)
    assert mask_nik(NIK) in page and NIK not in page and 'id="reveal-niks"' not in page
    assert auditor.post(f"/admin/batch/reveal-rows/?id={world.batch.id}").status_code == 403
    uploader = login(world.users["uploader"].username)
    assert 'id="reveal-niks"' in uploader.get(url).get_data(as_text=True)
    answer = uploader.post(f"/admin/batch/reveal-rows/?id={world.batch.id}")
    assert answer.status_code == 200
    assert NIK in answer.get_data(as_text=True)
    (event,) = _events(session, "reveal_personal_data")
    assert (event.record_type, event.record_id) == ("member_batch", str(world.batch.id))
    assert json.loads(event.details) == {"fields": ["nik"], "rows": [2]}


def test_an_export_is_audited_with_its_rows_search_and_columns_before_it_streams(
    world, login, session
):
    for _ in range(2):
        make_member(session, office=world.member.office)
    session.commit()
    auditor = world.users["auditor"]
    client = login(auditor.username)
    everything = client.get("/admin/member/export/csv/")
    rows = export_rows(everything)
    searched = client.get(f"/admin/member/export/csv/?search={NIK}")
    assert len(export_rows(searched)) == 2
    first, second = _events(session, "export_personal_data")
    assert (first.actor_id, first.record_type, first.record_id) == (auditor.id, "list", "members")
    assert first.region_id == auditor.region_id
    assert json.loads(first.details) == {
        "list": "members",
        "search": None,
        "filters": [],
        "rows": len(rows) - 1,  # the header row is not a member
        "columns": ["nik", "address", "phone"],
        "masked": True,
    }
    assert len(rows) - 1 == 3
    # The term was a NIK: the trail, read by auditors, has it masked too.
    assert json.loads(second.details)["search"] == mask_nik(NIK)
    assert json.loads(second.details)["rows"] == 1


def test_an_export_of_a_list_without_personal_data_is_not_audited_as_one(world, login, session):
    client = login(world.users["auditor"].username)
    assert client.get("/admin/claim/export/csv/").status_code == 200
    assert _events(session, "export_personal_data") == []


def test_export_cells_stay_formula_safe_when_masked(world, login, session):
    world.member.address = "=HYPERLINK(evil) Jl. Mawar"
    session.commit()
    client = login(world.users["clerk"].username)
    text = client.get("/admin/member/export/csv/").get_data(as_text=True)
    assert "=HYPERLINK" not in text.replace("'=HYPERLINK", "")


def _report_rows(response: Any) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    return [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]


def test_the_batch_error_report_is_full_for_who_corrects_it_masked_else_audited(
    world, login, session
):
    url = f"/admin/batch/errors.xlsx?id={world.batch.id}"
    uploader = login(world.users["uploader"].username)
    (row,) = _report_rows(uploader.get(url))
    assert row[0] == OTHER_NIK and row[4] == ADDRESS and row[5] == PHONE
    assert BAD_PHONE in row[-1]
    page = uploader.get(f"/admin/batch/details/?id={world.batch.id}")
    assert BAD_PHONE in page.get_data(as_text=True)
    auditor = world.users["auditor"]
    (row,) = _report_rows(login(auditor.username).get(url))
    assert row[0] == mask_nik(OTHER_NIK)
    assert row[4] == mask_address(ADDRESS) and row[5] == mask_phone(PHONE)
    assert row[1] == "Siti Aminah"  # the rest as uploaded
    assert BAD_PHONE not in row[-1] and mask_phone(BAD_PHONE) in row[-1]  # "Kesalahan"
    page = login(auditor.username).get(f"/admin/batch/details/?id={world.batch.id}")
    assert BAD_PHONE not in page.get_data(as_text=True)
    full, masked = _events(session, "export_personal_data")
    assert (full.record_type, full.record_id) == ("member_batch", str(world.batch.id))
    assert json.loads(full.details) == {
        "list": "batch_errors",
        "search": None,
        "filters": [],
        "rows": 1,
        "columns": ["nik", "address", "phone"],
        "masked": False,
    }
    assert masked.actor_id == auditor.id and json.loads(masked.details)["masked"] is True


def test_the_claim_correction_form_keeps_the_nik_masked(world, login, session):
    clerk = login(world.users["clerk"].username)
    url = f"/admin/claim/edit/?id={world.claim.id}"
    form = Page(clerk.get(url))
    field = form.dom.one("input", name="claimant_nik")
    assert field.attrs["value"] == mask_nik(NIK) and NIK not in form.html
    # Sent back masked, the NIK stays as it was; a whole NIK typed corrects it.
    data = {
        i.attrs["name"]: i.attrs.get("value", "")
        for i in form.dom.all("input")
        if i.attrs.get("name") and i.attrs.get("type") != "checkbox"
    }
    data |= {
        s.attrs["name"]: next(
            (o.attrs.get("value", "") for o in s.all("option") if "selected" in o.attrs),
            "",
        )
        for s in form.dom.all("select")
    }
    data.pop("csrf_token", None)
    answer = clerk.post(url, data)
    assert answer.status_code == 302, Page(answer).alerts("danger")
    session.refresh(world.claim)
    assert world.claim.claimant_nik == NIK
    corrected = clerk.post(url, data | {"claimant_nik": OTHER_NIK})
    assert corrected.status_code == 302, Page(corrected).alerts("danger")
    session.refresh(world.claim)
    assert world.claim.claimant_nik == OTHER_NIK
