"""Login, logout, sessions, cookies and CSRF."""

from __future__ import annotations

from sqlalchemy import select

from backoffice import create_app
from models import User


def test_login_page_has_username_password_and_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html


def test_valid_login_lands_on_the_dashboard(client):
    response = client.login("petugas.serang")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "Petugas Pelayanan KC Serang" in client.get("/admin/").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(client):
    response = client.login("petugas.serang", "wrong-password")
    assert response.status_code == 401
    assert "salah" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_inactive_user_cannot_log_in(client, session, user):
    clerk = user("petugas.serang")
    clerk.active = False
    session.commit()
    assert client.login("petugas.serang").status_code == 401


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "admin", "password": "demo1234"}, csrf=False)
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_next_redirects_only_to_local_paths(client):
    for target, expected in [
        ("/admin/office/", "/admin/office/"),
        ("https://evil.example/", "/admin/"),
        ("//evil.example/x", "/admin/"),
        ("/\\evil.example", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
    ]:
        c = type(client)(client.app)
        token = c.csrf_token()
        response = c.post(
            "/login",
            data={"username": "admin", "password": "demo1234", "next": target, "csrf_token": token},
        )
        assert response.headers["Location"] == expected, target


def test_protected_page_redirects_to_login_with_next(client):
    response = client.get("/admin/office/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/office/")


def test_logout_needs_post_with_csrf(login):
    client = login("admin")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/admin/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_old_session_cookie_is_void_after_logout(login, app):
    client = login("admin")
    stolen = client.http.get_cookie("session").value
    client.post("/logout")
    replay = type(client)(app)
    replay.http.set_cookie("session", stolen)
    assert replay.get("/admin/").status_code == 302


def test_session_is_void_after_password_change(login, app, session, user):
    from backoffice.services.users import set_password

    client = login("petugas.serang")
    set_password(user("petugas.serang"), "a-new-long-password")
    session.commit()
    assert client.get("/admin/").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.login("admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_requires_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    try:
        create_app(
            {"BACKOFFICE_ENV": "production", "SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)}
        )
    except RuntimeError as exc:
        assert "SECRET_KEY" in str(exc)
    else:
        raise AssertionError("production started without SECRET_KEY")


def test_production_cookies_are_secure(tmp_path):
    app = create_app(
        {
            "BACKOFFICE_ENV": "production",
            "SECRET_KEY": "k" * 40,
            "AUDIT_KEYS": "k1=" + "a" * 40,
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_development_generates_a_secret_key_under_instance(tmp_path):
    app = create_app({"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) >= 32
    again = create_app({"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_last_login_is_recorded(client, session):
    client.login("kanwil.banten")
    assert session.scalar(select(User).where(User.username == "kanwil.banten")).last_login_at


def test_signing_in_and_out_is_in_the_audit_trail(client, session):
    from backoffice.audit import verify_chain
    from models import AuditEvent, Office

    client.login("petugas.serang")
    client.post("/logout")
    clerk = session.scalar(select(User).where(User.username == "petugas.serang"))
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == "user", AuditEvent.record_id == str(clerk.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_username, e.ip) for e in events] == [
        ("login", "petugas.serang", "127.0.0.1"),
        ("logout", "petugas.serang", "127.0.0.1"),
    ]
    serang = session.scalar(select(Office.id).where(Office.code == "B01"))
    assert {(e.office_id, e.region_id) for e in events} == {(serang, clerk.office.region_id)}
    assert "password" not in (events[0].details or "")
    assert verify_chain(session).ok
    # A wrong password is no sign-in: it is audited as a failure, not as "login".
    type(client)(client.app).login("petugas.serang", "wrong-password")
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.record_id == str(clerk.id))
    ).all()
    assert actions.count("login") == 1 and actions[-1] == "login_failed"
