"""The administrator manages users: one role, the scope it needs, hashed passwords."""

from __future__ import annotations

import json

from sqlalchemy import select
from werkzeug.security import check_password_hash

from backoffice.audit import verify_chain
from models import AuditEvent, Department, Office, Region, User


def _ids(session):
    return {
        "serang": session.scalar(select(Office.id).where(Office.code == "B01")),
        "banten": session.scalar(select(Region.id).where(Region.code == "BTN")),
        "pertanian": session.scalar(
            select(Department.id).where(Department.name.like("Dinas Pertanian%"))
        ),
    }


def _form(**overrides):
    data = {
        "username": "petugas3.serang",
        "full_name": "Petugas Tiga",
        "email": "",
        "role": "branch_clerk",
        "region": "__None",
        "office": "__None",
        "department": "__None",
        "locale": "id",
        "active": "y",
        "password": "rahasia-panjang-1",
        "password_confirm": "rahasia-panjang-1",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def _unchanged_form(clerk):
    """The edit form of a clerk as it opens: saving it changes nothing."""
    return _form(
        username=clerk.username,
        full_name=clerk.full_name,
        office=clerk.office_id,
        password="",
        password_confirm="",
    )


def test_admin_creates_a_clerk_with_an_office(login, session):
    ids = _ids(session)
    response = login("admin").post("/admin/user/new/", data=_form(office=ids["serang"]))
    assert response.status_code == 302
    created = session.scalar(select(User).where(User.username == "petugas3.serang"))
    assert created.office_id == ids["serang"] and created.region_id is None
    assert created.password_hash != "rahasia-panjang-1"
    assert check_password_hash(created.password_hash, "rahasia-panjang-1")


def test_clerk_without_office_is_refused_with_a_form_error(login, session):
    response = login("admin").post("/admin/user/new/", data=_form())
    assert response.status_code == 200
    assert "Peran ini memerlukan kantor." in response.get_data(as_text=True)
    assert session.scalar(select(User).where(User.username == "petugas3.serang")) is None


def test_liaison_with_a_region_is_refused(login, session):
    ids = _ids(session)
    response = login("admin").post(
        "/admin/user/new/",
        data=_form(role="liaison", department=ids["pertanian"], region=ids["banten"]),
    )
    html = response.get_data(as_text=True)
    assert "Peran ini tidak terikat kantor wilayah" in html
    assert session.scalar(select(User).where(User.username == "petugas3.serang")) is None


def test_duplicate_username_is_refused_whatever_the_case(login, session):
    ids = _ids(session)
    response = login("admin").post(
        "/admin/user/new/", data=_form(username="Petugas.Serang", office=ids["serang"])
    )
    assert "Nama pengguna ini sudah dipakai." in response.get_data(as_text=True)


def test_short_password_or_username_as_password_is_refused(login, session):
    ids = _ids(session)
    client = login("admin")
    short = client.post(
        "/admin/user/new/",
        data=_form(office=ids["serang"], password="pendek", password_confirm="pendek"),
    )
    assert "minimal 10 karakter" in short.get_data(as_text=True)
    same = client.post(
        "/admin/user/new/",
        data=_form(
            office=ids["serang"], password="petugas3.serang", password_confirm="petugas3.serang"
        ),
    )
    assert "tidak boleh memuat nama pengguna" in same.get_data(as_text=True)


def test_password_hash_is_never_shown(login, user):
    client = login("admin")
    clerk = user("petugas.serang")
    for url in (
        f"/admin/user/details/?id={clerk.id}",
        f"/admin/user/edit/?id={clerk.id}",
        "/admin/user/",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "scrypt" not in html and clerk.password_hash not in html
    export = client.get("/admin/user/export/csv/").get_data(as_text=True)
    assert "scrypt" not in export


def test_deactivating_a_user_ends_their_session(login, session, user):
    clerk_client = login("petugas.serang")
    clerk = user("petugas.serang")
    data = _unchanged_form(clerk)
    del data["active"]
    response = login("admin").post(f"/admin/user/edit/?id={clerk.id}", data=data)
    assert response.status_code == 302
    assert clerk_client.get("/admin/").status_code == 302


def _events(session, record_type, record_id):
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == str(record_id))
        .order_by(AuditEvent.id)
    ).all()


def test_creating_a_user_on_the_screen_is_audited_without_the_password(login, session):
    ids = _ids(session)
    response = login("admin").post("/admin/user/new/", data=_form(office=ids["serang"]))
    assert response.status_code == 302
    created = session.scalar(select(User).where(User.username == "petugas3.serang"))
    (event,) = _events(session, "user", created.id)
    assert (event.action, event.actor_username, event.office_id) == (
        "create",
        "admin",
        ids["serang"],
    )
    changes = json.loads(event.details)["changes"]
    assert changes["role"] == "branch_clerk" and changes["office"] == "KC Serang"
    assert changes["username"] == "petugas3.serang" and changes["active"] is True
    assert "password_hash" not in event.details and "scrypt" not in event.details
    assert "rahasia" not in event.details
    assert verify_chain(session).ok


def test_changing_a_users_role_scope_or_access_is_audited_field_by_field(login, session, user):
    ids = _ids(session)
    clerk = user("petugas.serang")
    admin = login("admin")
    unchanged = _unchanged_form(clerk)
    assert admin.post(f"/admin/user/edit/?id={clerk.id}", data=unchanged).status_code == 302
    assert _events(session, "user", clerk.id) == []  # saved as it was: nothing happened

    promoted = {**unchanged, "role": "regional_head", "office": "__None", "region": ids["banten"]}
    del promoted["active"]
    assert admin.post(f"/admin/user/edit/?id={clerk.id}", data=promoted).status_code == 302
    (event,) = _events(session, "user", clerk.id)
    assert (event.action, event.actor_username) == ("edit", "admin")
    assert json.loads(event.details)["changes"] == {
        "role": ["branch_clerk", "regional_head"],
        "office": ["KC Serang", None],
        "region": [None, "Kanwil Banten"],
        "active": [True, False],
    }


def test_database_refuses_an_inconsistent_role_scope(session, user):
    import pytest
    from sqlalchemy.exc import IntegrityError

    clerk = user("petugas.serang")
    clerk.office_id = None
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


# --------------------------------------------------------------------------------------------
# The first administrator of a new installation: flask create-admin
# --------------------------------------------------------------------------------------------


def test_create_admin_command_makes_an_audited_administrator(app, session, client):
    from backoffice.audit import verify_chain
    from models import AuditEvent, Role

    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "admin.kanwil", "--full-name", "Admin Kanwil"],
        input="langit-biru-di-serang\nlangit-biru-di-serang\n",
    )
    assert result.exit_code == 0, result.output
    assert "Administrator admin.kanwil created." in result.output
    assert "langit-biru-di-serang" not in result.output  # the prompt hides it
    user = session.scalar(select(User).where(User.username == "admin.kanwil"))
    assert user.role is Role.ADMIN and user.full_name == "Admin Kanwil"
    assert check_password_hash(user.password_hash, "langit-biru-di-serang")
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.record_type == "user").order_by(AuditEvent.id.desc())
    ).first()
    assert (event.action, event.record_id, event.actor_id) == ("create", str(user.id), None)
    assert '"via":"create-admin"' in event.details
    assert verify_chain(session).ok
    response = client.post(
        "/login", data={"username": "admin.kanwil", "password": "langit-biru-di-serang"}
    )
    assert response.status_code == 302


def test_create_admin_command_refuses_weak_passwords_and_taken_names(app, session):
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["create-admin", "admin.baru", "--password-stdin"], input="12345678\n"
    )
    assert weak.exit_code != 0 and "password" in weak.output.lower()
    taken = runner.invoke(
        args=["create-admin", "ADMIN", "--password-stdin"], input="langit-biru-di-serang\n"
    )
    assert taken.exit_code != 0 and "username" in taken.output.lower()
    assert session.scalar(select(User).where(User.username == "admin.baru")) is None
    mismatch = runner.invoke(
        args=["create-admin", "admin.baru"], input="satu-dua-tiga-empat\nlain\n"
    )
    assert mismatch.exit_code != 0
    assert session.scalar(select(User).where(User.username == "admin.baru")) is None
