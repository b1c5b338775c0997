"""Changes to the organisation and the reference data made on the administrator's screens go to
the audit trail: who, when, the fields set or changed (old and new), in the region they concern.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from backoffice.audit import verify_chain
from backoffice.services import reference
from models import (
    AuditEvent,
    BenefitParameter,
    ContributionRate,
    Department,
    JhtReturnRate,
    Office,
    Programme,
    Regency,
    Region,
)
from tests.steps import export_rows

EVENT_CELL = re.compile(r'<td class="col-id">\s*(\d+)\s*</td>')


def _events(session, record_type, record_id=None):
    query = select(AuditEvent).where(AuditEvent.record_type == record_type)
    if record_id is not None:
        query = query.where(AuditEvent.record_id == str(record_id))
    return session.scalars(query.order_by(AuditEvent.id)).all()


def _changes(event):
    return json.loads(event.details)["changes"]


def _listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return EVENT_CELL.findall(response.get_data(as_text=True))


def _ids(session):
    return {
        "banten": session.scalar(select(Region.id).where(Region.code == "BTN")),
        "serang": session.scalar(select(Office.id).where(Office.code == "B01")),
        "kab_serang": session.scalar(select(Regency.id).where(Regency.code == "3604")),
    }


def _office_form(ids, **overrides):
    form = {
        "code": "B0199",
        "name": "Ciruas",
        "office_type": "KCP",
        "region": ids["banten"],
        "parent": ids["serang"],
        "regency": ids["kab_serang"],
        "address": "Jl. Raya Ciruas",
        "opened_on": "2027-01-04",
        "active": "y",
    }
    form.update(overrides)
    return form


def test_a_new_office_is_audited_in_its_region_with_what_it_was_given(login, session):
    ids = _ids(session)
    response = login("admin").post("/admin/office/new/", data=_office_form(ids))
    assert response.status_code == 302
    office = session.scalar(select(Office).where(Office.code == "B0199"))
    (event,) = _events(session, "office", office.id)
    assert (event.action, event.actor_username) == ("create", "admin")
    assert (event.region_id, event.office_id) == (ids["banten"], office.id)
    assert _changes(event) == {
        "code": "B0199",
        "name": "Ciruas",
        "office_type": "KCP",
        "region": "Kanwil Banten",
        "parent": "KC Serang",
        "regency": "3604 Kab. Serang",
        "address": "Jl. Raya Ciruas",
        "opened_on": "2027-01-04",
        "active": True,
    }
    assert verify_chain(session).ok

    # The region's auditor finds it in the trail; another region's head does not.
    search = f"/admin/audit/?search={event.id}"
    auditor = login("auditor.banten")
    assert _listed(auditor, search) == [str(event.id)]
    assert _listed(login("kanwil.jakarta"), search) == []
    # Named in the reader's language: the record type and the role, on the page and in the CSV.
    page = auditor.get(search).get_data(as_text=True)
    assert re.search(r'<td class="col-record_type">\s*Kantor\s*</td>', page)
    assert re.search(r'<td class="col-actor_role">\s*Administrator\s*</td>', page)
    row = export_rows(auditor.get(f"/admin/audit/export/csv/?search={event.id}"))[1]
    assert "Kantor" in row and "Administrator" in row and "office" not in row


def test_an_office_edit_records_only_the_fields_changed_and_a_refused_one_nothing(login, session):
    ids = _ids(session)
    admin = login("admin")
    cilegon = session.scalar(select(Office).where(Office.code == "B02"))
    address = cilegon.address
    form = {
        "code": "B02",
        "name": "Cilegon",
        "office_type": "KC",
        "region": ids["banten"],
        "parent": "__None",
        "regency": cilegon.regency_id,
        "address": address or "",
        "opened_on": cilegon.opened_on.isoformat() if cilegon.opened_on else "",
        "active": "y",
    }
    assert admin.post(f"/admin/office/edit/?id={cilegon.id}", data=form).status_code == 302
    assert _events(session, "office", cilegon.id) == []  # saved as it was: nothing to record

    moved = {**form, "address": "Jl. Jenderal Sudirman 1, Cilegon"}
    del moved["active"]
    assert admin.post(f"/admin/office/edit/?id={cilegon.id}", data=moved).status_code == 302
    (event,) = _events(session, "office", cilegon.id)
    assert event.action == "edit"
    assert _changes(event) == {
        "address": [address, "Jl. Jenderal Sudirman 1, Cilegon"],
        "active": [True, False],
    }

    # A KC with a parent office is refused by the form: nothing saved, nothing recorded.
    refused = {**form, "parent": ids["serang"]}
    assert admin.post(f"/admin/office/edit/?id={cilegon.id}", data=refused).status_code == 200
    assert len(_events(session, "office", cilegon.id)) == 1


def test_department_region_and_regency_changes_are_audited(login, session):
    ids = _ids(session)
    admin = login("admin")
    department = session.scalar(
        select(Department).where(Department.name == "Dinas Pertanian Kab. Serang")
    )
    email = department.contact_email
    form = {
        "name": department.name,
        "regency": department.regency_id,
        "office": department.office_id,
        "contact_email": "pertanian@serangkab.go.id",
        "staff_count": str(department.staff_count or ""),
    }
    url = f"/admin/department/edit/?id={department.id}"
    assert admin.post(url, data=form).status_code == 302
    (event,) = _events(session, "department", department.id)
    assert (event.region_id, event.office_id, event.department_id) == (
        ids["banten"],
        ids["serang"],
        department.id,
    )
    assert _changes(event) == {"contact_email": [email, "pertanian@serangkab.go.id"]}

    assert admin.post("/admin/region/new/", data={"code": "JBR", "name": "Kanwil Jawa Barat"})
    region = session.scalar(select(Region).where(Region.code == "JBR"))
    (event,) = _events(session, "region", region.id)
    assert (event.action, event.region_id) == ("create", region.id)
    assert _changes(event) == {"code": "JBR", "name": "Kanwil Jawa Barat"}

    regency = {"code": "3699", "name": "Kab. Contoh", "region": region.id}
    assert admin.post("/admin/regency/new/", data=regency).status_code == 302
    created = session.scalar(select(Regency).where(Regency.code == "3699"))
    (event,) = _events(session, "regency", created.id)
    assert event.region_id == region.id and _changes(event)["region"] == "Kanwil Jawa Barat"


def test_ending_a_rate_records_its_old_and_new_last_day(login, session):
    rate = session.scalar(
        select(ContributionRate).where(
            ContributionRate.programme == Programme.JKK, ContributionRate.valid_to.is_(None)
        )
    )
    form = {
        "programme": "JKK",
        "percent": str(rate.percent),
        "flat_amount": "",
        "valid_from": rate.valid_from.isoformat(),
        "valid_to": "2030-12-31",
        "note": rate.note or "",
    }
    response = login("admin").post(f"/admin/contribution_rate/edit/?id={rate.id}", data=form)
    assert response.status_code == 302
    (event,) = _events(session, "contribution_rate", rate.id)
    assert _changes(event) == {"valid_to": [None, "2030-12-31"]}
    # The audit list names the record type in the user's language.
    page = login("admin").get(f"/admin/audit/?search={event.id}").get_data(as_text=True)
    assert "Tarif iuran" in page


def test_the_audit_list_names_roles_in_the_readers_language(login):
    login("petugas.serang")  # signing in is an event of the clerk's, as a branch clerk
    admin = login("admin")
    url = "/admin/audit/?search=petugas.serang"
    page = admin.get(url).get_data(as_text=True)
    assert re.search(r'<td class="col-actor_role">\s*Petugas Pelayanan\s*</td>', page)
    assert "branch_clerk" not in page
    admin.post("/language", data={"locale": "en", "next": "/admin/"})
    page = admin.get(url).get_data(as_text=True)
    assert re.search(r'<td class="col-actor_role">\s*Branch clerk\s*</td>', page)


def _discount_form(rule, **changes):
    form = {
        "key": rule.key,
        "value": str(rule.value),
        "valid_from": rule.valid_from.isoformat(),
        "valid_to": rule.valid_to.isoformat() if rule.valid_to else "",
        "note": rule.note or "",
    }
    return form | changes


def test_the_administrator_ends_the_contribution_discount_and_it_is_audited(login, session):
    rule = session.scalar(
        select(BenefitParameter).where(BenefitParameter.key == reference.discount_key("transport"))
    )
    admin = login("admin")
    page = admin.get("/admin/benefit_parameter/?search=potongan").get_data(as_text=True)
    assert "sektor Transportasi" in page and "Parameter manfaat" in page
    assert reference.DISCOUNT_KEY not in page.split("</thead>")[1]  # named, never its key
    response = admin.post(
        f"/admin/benefit_parameter/edit/?id={rule.id}",
        data=_discount_form(rule, valid_to="2026-06-30"),
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(BenefitParameter, rule.id).valid_to.isoformat() == "2026-06-30"
    (event,) = _events(session, "benefit_parameter", rule.id)
    assert _changes(event) == {"valid_to": ["2027-03-31", "2026-06-30"]}
    assert verify_chain(session).ok


def test_a_discount_over_100_percent_or_overlapping_another_is_refused(login, session):
    rule = session.scalar(
        select(BenefitParameter).where(BenefitParameter.key == reference.discount_key("transport"))
    )
    admin = login("admin")
    events = len(_events(session, "benefit_parameter"))
    response = admin.post(
        f"/admin/benefit_parameter/edit/?id={rule.id}", data=_discount_form(rule, value="150")
    )
    assert "Potongan paling banyak 100 persen." in response.get_data(as_text=True)
    new = _discount_form(rule, valid_from="2026-03-01", value="30", note="")
    response = admin.post("/admin/benefit_parameter/new/", data=new)
    assert "Parameter ini sudah berlaku pada sebagian tanggal tersebut" in response.get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(BenefitParameter, rule.id).value == 50
    assert len(_events(session, "benefit_parameter")) == events
    assert (
        session.scalar(
            select(BenefitParameter).where(BenefitParameter.valid_from == date(2026, 3, 1))
        )
        is None
    )


def test_the_administrator_declares_a_years_jht_return_and_it_is_audited(login, session):
    """domain.md: JHT returns are "a rate declared each year: reference data"."""
    admin = login("admin")
    page = admin.get("/admin/jht_return_rate/").get_data(as_text=True)
    assert "7.19%" in page  # 2016, announced (migration 0017)
    response = admin.post(
        "/admin/jht_return_rate/new/", data={"year": "2026", "percent": "6.15", "note": ""}
    )
    assert response.status_code == 302
    rate = session.scalar(select(JhtReturnRate).where(JhtReturnRate.year == 2026))
    assert str(rate.percent) == "6.150"
    (event,) = _events(session, "jht_return_rate", rate.id)
    assert (event.action, event.actor_username) == ("create", "admin")
    assert _changes(event) == {"year": 2026, "percent": "6.15"}
    assert reference.jht_return_rates(session)[2026] == rate.percent
    # The audit list names the record type in the user's language.
    page = admin.get(f"/admin/audit/?search={event.id}").get_data(as_text=True)
    assert "Hasil pengembangan JHT" in page
    assert verify_chain(session).ok


def test_a_second_rate_for_a_year_or_a_negative_rate_is_refused(login, session):
    admin = login("admin")
    events = len(_events(session, "jht_return_rate"))
    response = admin.post(
        "/admin/jht_return_rate/new/", data={"year": "2020", "percent": "6", "note": ""}
    )
    assert "Hasil pengembangan untuk tahun ini sudah ditetapkan" in response.get_data(as_text=True)
    response = admin.post(
        "/admin/jht_return_rate/new/", data={"year": "2026", "percent": "-1", "note": ""}
    )
    assert "persentase antara 0 dan 100" in response.get_data(as_text=True)
    session.expire_all()
    assert reference.jht_return_rates(session)[2020] == Decimal("5.630")
    assert 2026 not in reference.jht_return_rates(session)
    assert len(_events(session, "jht_return_rate")) == events
