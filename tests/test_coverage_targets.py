"""Coverage targets are reference data (issue #19): the administrator adds and edits them on
their screen, each change audited in the target's region; a second target for the same year
and place in force on the same days is refused, so is a regency of another region. The demo
has Banten's 2.62 million and a target per Banten regency and per demo department."""

from __future__ import annotations

import json

from sqlalchemy import select

from backoffice.seed.targets import BANTEN, DEPARTMENT_TARGETS, REGENCY_TARGETS
from models import AuditEvent, CoverageTarget, Regency, Region


def _form(session, **overrides):
    banten = session.scalar(select(Region.id).where(Region.code == "BTN"))
    form = {
        "year": "2030",
        "region": banten,
        "workers": "2700000",
        "source": "Gubernur Banten, Januari 2030",
        "valid_from": "2030-01-01",
        "valid_to": "",
        "note": "",
    }
    form.update(overrides)
    return form


def _targets(session, year):
    return session.scalars(select(CoverageTarget).where(CoverageTarget.year == year)).all()


def test_the_demo_has_banten_its_regencies_and_its_departments(session):
    targets = session.scalars(select(CoverageTarget)).all()
    region_wide = [t for t in targets if t.regency_id is None and t.department_id is None]
    assert [t.workers for t in region_wide] == [BANTEN]
    assert "2.620.000 pekerja bukan penerima upah" in region_wide[0].source
    by_regency = {t.regency.code: t.workers for t in targets if t.regency_id}
    assert by_regency == REGENCY_TARGETS and sum(by_regency.values()) == BANTEN
    by_department = {t.department.name: t.workers for t in targets if t.department_id}
    assert by_department == {name: w for name, (w, _) in DEPARTMENT_TARGETS.items()}


def test_the_administrator_adds_a_target_audited_in_its_region(login, session):
    client = login("admin")
    response = client.post("/admin/coverage_target/new/", data=_form(session, workers="2700000"))
    assert response.status_code == 302, response.get_data(as_text=True)
    (target,) = _targets(session, 2030)
    assert target.workers == 2_700_000 and target.regency_id is None
    (event,) = session.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "coverage_target", AuditEvent.record_id == str(target.id)
        )
    ).all()
    assert (event.action, event.actor_username, event.region_id) == (
        "create",
        "admin",
        target.region_id,
    )
    assert json.loads(event.details)["changes"]["workers"] == 2_700_000

    # The same place and year in force on overlapping days: refused, nothing stored.
    again = client.post(
        "/admin/coverage_target/new/", data=_form(session, workers="2800000"), follow_redirects=True
    )
    assert "sudah berlaku" in again.get_data(as_text=True)
    assert len(_targets(session, 2030)) == 1

    # Edited: the change is audited old -> new.
    client.post(
        f"/admin/coverage_target/edit/?id={target.id}",
        data=_form(session, workers="2750000"),
    )
    session.expire_all()
    assert session.get(CoverageTarget, target.id).workers == 2_750_000
    edit = session.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "coverage_target", AuditEvent.action == "edit"
        )
    ).one()
    assert json.loads(edit.details)["changes"]["workers"] == [2_700_000, 2_750_000]


def test_a_regency_of_another_region_is_refused(login, session):
    jakarta = session.scalar(select(Regency.id).where(Regency.code == "3171"))
    response = login("admin").post(
        "/admin/coverage_target/new/",
        data=_form(session, regency=jakarta),
        follow_redirects=True,
    )
    assert "tidak berada di wilayah ini" in response.get_data(as_text=True)
    assert _targets(session, 2030) == []


def test_the_regional_head_reads_the_targets_a_liaison_may_not(login, session):
    page = login("kanwil.banten").get("/admin/coverage_target/")
    assert page.status_code == 200 and "2.620.000" in page.get_data(as_text=True)
    assert login("kanwil.banten").get("/admin/coverage_target/new/").status_code == 403
    assert login("dinas.pertanian.serang").get("/admin/coverage_target/").status_code == 403
