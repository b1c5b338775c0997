"""Security hardening: login throttling, password policy and changes, sessions, headers, errors.

Throttling is off in the test configuration (the suite signs in hundreds of times from one
address); the ``throttle`` fixture turns it on with small limits for the tests here.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from werkzeug.security import check_password_hash

from backoffice import ConfigurationError, create_app
from backoffice.security import LoginThrottle
from backoffice.services import users as user_service
from models import AuditEvent, User

NEW_PASSWORD = "kebun teh puncak pagi"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    """An app without a database, for the rules that need only its messages."""
    app = create_app(
        {
            "SECRET_KEY": "test-secret-key-not-for-production",
            "BACKOFFICE_ENV": "testing",
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("plain")),
        }
    )
    with app.app_context():
        yield app


@pytest.fixture
def throttle(app):
    """Throttling on: 3 failures per username, 5 per address (a 15-minute moving window)."""
    app.config.update(
        RATELIMIT_ENABLED=True,
        LOGIN_LIMITS_PER_USERNAME="3 per 15 minutes",
        LOGIN_LIMITS_PER_ADDRESS="5 per 15 minutes",
    )
    app.extensions["login_throttle"] = LoginThrottle(app)
    yield app.extensions["login_throttle"]
    app.extensions["login_throttle"].reset()


def attempt(client, username, password, ip="127.0.0.1"):
    """One sign-in from ``ip`` with a fresh browser (its own CSRF token)."""
    browser = type(client)(client.app)
    return browser.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": browser.csrf_token()},
        environ_base={"REMOTE_ADDR": ip},
    )


def events(session, action):
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def token_from(browser, url):
    """The CSRF token of a page (a user who must change the password reaches few pages)."""
    html = browser.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def change_form(current, new, confirm=None):
    return {
        "current_password": current,
        "new_password": new,
        "new_password_confirm": new if confirm is None else confirm,
    }


def _user_form(user, **overrides):
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": "",
        "role": user.role.value,
        "region": str(user.region_id or "__None"),
        "office": str(user.office_id or "__None"),
        "department": str(user.department_id or "__None"),
        "locale": user.locale,
        "active": "y",
        "password": "",
        "password_confirm": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- login throttling ------------------------------------------------------------------------


def test_failures_for_a_username_are_refused_with_429_and_audited(client, throttle, session):
    # From three addresses: only the username's count can be what refuses.
    assert attempt(client, "petugas.serang", "salah-1", "10.0.0.1").status_code == 401
    assert attempt(client, "petugas.serang", "salah-2", "10.0.0.2").status_code == 401
    refused = attempt(client, "petugas.serang", "salah-3", "10.0.0.3")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Terlalu banyak percobaan masuk yang gagal" in html and "menit" in html
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # While throttled even the right password is refused, from anywhere; others sign in.
    assert attempt(client, "Petugas.Serang", "demo1234", "10.0.0.9").status_code == 429
    assert attempt(client, "petugas2.serang", "demo1234", "10.0.0.9").status_code == 302

    throttled = events(session, "login_throttled")
    assert len(throttled) == 1  # audited once per period, not at every refusal
    event = throttled[0]
    clerk = session.scalar(select(User).where(User.username == "petugas.serang"))
    assert event.actor_id is None and event.record_type == "user"
    assert event.record_id == str(clerk.id) and event.ip == "10.0.0.3"
    assert '"by":["username"]' in event.details and '"username":"petugas.serang"' in event.details
    assert event.office_id == clerk.office_id  # the office's auditors see it
    assert len(events(session, "login_failed")) == 3


def test_failures_from_an_address_are_refused_for_every_username(client, throttle, session):
    for n in range(4):
        assert attempt(client, f"nobody{n}", "salah", "10.9.9.9").status_code == 401
    assert attempt(client, "nobody4", "salah", "10.9.9.9").status_code == 429
    assert attempt(client, "admin", "demo1234", "10.9.9.9").status_code == 429
    assert attempt(client, "admin", "demo1234", "10.9.9.10").status_code == 302
    (event,) = events(session, "login_throttled")
    assert event.record_id == "-" and event.ip == "10.9.9.9"
    assert '"by":["address"]' in event.details and '"username":"nobody4"' in event.details
    unknown = events(session, "login_failed")[0]
    assert unknown.record_id == "-" and '"username":"nobody0"' in unknown.details


def test_successful_sign_ins_are_not_counted(client, throttle):
    for _ in range(8):
        assert attempt(client, "admin", "demo1234").status_code == 302


def test_a_right_password_clears_the_username_failures(client, throttle):
    assert attempt(client, "auditor.banten", "salah", "10.1.0.1").status_code == 401
    assert attempt(client, "auditor.banten", "salah", "10.1.0.2").status_code == 401
    assert attempt(client, "auditor.banten", "demo1234", "10.1.0.3").status_code == 302
    assert attempt(client, "auditor.banten", "salah", "10.1.0.4").status_code == 401
    assert attempt(client, "auditor.banten", "salah", "10.1.0.5").status_code == 401


def test_the_refusal_lifts_once_the_window_has_passed(client, throttle, monkeypatch):
    for n in range(3):
        attempt(client, "kepala.serang", "salah", f"10.2.0.{n}")
    assert attempt(client, "kepala.serang", "demo1234").status_code == 429
    # Sixteen minutes later (the limiter's clock, no real waiting).
    later = SimpleNamespace(time=lambda: time.time() + 16 * 60)
    monkeypatch.setattr("limits.storage.memory.time", later)
    assert attempt(client, "kepala.serang", "demo1234").status_code == 302


def test_wrong_current_passwords_on_the_change_page_count_as_failures(login, throttle):
    clerk = login("petugas.serang")
    for _ in range(2):
        response = clerk.post("/account/password", data=change_form("salah", NEW_PASSWORD))
        assert response.status_code == 400
        assert "Kata sandi saat ini salah." in response.get_data(as_text=True)
    response = clerk.post("/account/password", data=change_form("salah", NEW_PASSWORD))
    assert response.status_code == 400
    refused = clerk.post("/account/password", data=change_form("demo1234", NEW_PASSWORD))
    assert refused.status_code == 429


def test_throttling_is_on_outside_tests_with_the_documented_limits(tmp_path):
    app = create_app({"SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["LOGIN_LIMITS_PER_USERNAME"] == "3 per minute; 5 per 15 minutes"
    assert app.config["LOGIN_LIMITS_PER_ADDRESS"] == "10 per minute; 20 per 15 minutes"
    assert app.extensions["login_throttle"].enabled
    testing = create_app(
        {"SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path), "BACKOFFICE_ENV": "testing"}
    )
    assert testing.config["RATELIMIT_ENABLED"] is False


def test_throttle_counts_in_redis_when_configured(app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable (set TEST_REDIS_URL)")
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        LOGIN_LIMITS_PER_USERNAME="2 per 15 minutes",
    )
    # Two workers of one deployment share the counts.
    first, second = LoginThrottle(app), LoginThrottle(app)
    first.failed("petugas.serang", "10.3.0.1")
    second.failed("petugas.serang", "10.3.0.2")
    refusal = first.check("petugas.serang", "10.3.0.3")
    assert refusal is not None and refusal.by == ("username",)
    assert second.check("petugas.serang", "10.3.0.3") is not None
    assert first.check("admin", "10.3.0.3") is None
    first.succeeded("petugas.serang")
    assert second.check("petugas.serang", "10.3.0.3") is None


def test_throttle_keeps_counting_in_the_process_when_redis_is_down(app):
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",  # nothing listens there
        LOGIN_LIMITS_PER_USERNAME="2 per 15 minutes",
    )
    throttle = LoginThrottle(app)
    assert throttle.check("admin", "10.4.0.1") is None
    throttle.failed("admin", "10.4.0.1")
    throttle.failed("admin", "10.4.0.2")
    assert throttle.check("admin", "10.4.0.3") is not None


# --- password policy -------------------------------------------------------------------------

REFUSED = [
    ("pendek12", "minimal 10 karakter"),
    ("x" * 201, "maksimal 200 karakter"),
    ("my-petugas.serang-pass", "tidak boleh memuat nama pengguna"),
    ("bismillah123", "terlalu umum"),
    ("Indonesia2024!", "terlalu umum"),
    ("sayangsayang", "terlalu umum"),
    ("P@ssw0rd2024", "terlalu umum"),
    ("qwertyuiop", "terlalu umum"),
    ("1234567890", "terlalu umum"),
    ("bpjsketenagakerjaan", "terlalu umum"),
    ("aaaaaaaaaaaa", "terlalu umum"),
]


@pytest.mark.parametrize(("password", "message"), REFUSED)
def test_password_policy_refuses(password, message, plain_app):
    assert message in str(user_service.password_problem(password, "petugas.serang"))


@pytest.mark.parametrize(
    "password", [NEW_PASSWORD, "rahasia-panjang-1", "Kopi-Tubruk-Serang-7", "sayang-kucing-oren-42"]
)
def test_password_policy_accepts_long_uncommon_passwords(password, plain_app):
    assert user_service.password_problem(password, "petugas.serang") is None


def test_common_password_list_is_shipped_with_indonesian_favourites():
    common = user_service.common_passwords()
    assert len(common) >= 1000
    assert {"bismillah", "indonesia", "sayang", "password", "qwertyuiop"} <= common


def test_change_page_explains_each_rule(login, session, user):
    clerk = login("petugas.serang")
    for password, message in REFUSED[:6]:
        response = clerk.post("/account/password", data=change_form("demo1234", password))
        assert response.status_code == 400, password
        assert message in response.get_data(as_text=True), password
    session.expire_all()
    assert check_password_hash(user("petugas.serang").password_hash, "demo1234")


def test_change_page_refuses_a_wrong_current_password_a_mismatch_and_the_same_password(
    login, session, user
):
    clerk = login("petugas.serang")
    cases = [
        (change_form("salah", NEW_PASSWORD), "Kata sandi saat ini salah."),
        (change_form("demo1234", NEW_PASSWORD, "lain sekali"), "Kata sandi tidak sama."),
        (change_form("demo1234", "demo1234"), "harus berbeda dari kata sandi saat ini"),
    ]
    for data, message in cases:
        response = clerk.post("/account/password", data=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    session.expire_all()
    assert check_password_hash(user("petugas.serang").password_hash, "demo1234")
    assert events(session, "password_change") == []


def test_admin_user_form_applies_the_policy_on_create(login, session):
    office_id = session.scalar(text("SELECT id FROM office WHERE code = 'B01'"))
    admin = login("admin")
    for password, message in [REFUSED[0], REFUSED[2], REFUSED[3], REFUSED[5]]:
        password = password.replace("petugas.serang", "petugas3.serang")
        response = admin.post(
            "/admin/user/new/",
            data={
                "username": "petugas3.serang",
                "full_name": "Petugas Tiga",
                "role": "branch_clerk",
                "region": "__None",
                "office": str(office_id),
                "department": "__None",
                "locale": "id",
                "active": "y",
                "password": password,
                "password_confirm": password,
            },
        )
        assert response.status_code == 200, password
        assert message in response.get_data(as_text=True), password
    assert session.scalar(select(User).where(User.username == "petugas3.serang")) is None


def test_admin_user_form_applies_the_policy_on_a_new_password(login, user, session):
    clerk = user("petugas.serang")
    old_hash = clerk.password_hash
    response = login("admin").post(
        f"/admin/user/edit/?id={clerk.id}",
        data=_user_form(clerk, password="petugas.serang-1", password_confirm="petugas.serang-1"),
    )
    assert "tidak boleh memuat nama pengguna" in response.get_data(as_text=True)
    session.expire_all()
    assert user("petugas.serang").password_hash == old_hash


def test_admin_setting_a_password_is_audited(login, user, session):
    clerk = user("petugas.serang")
    response = login("admin").post(
        f"/admin/user/edit/?id={clerk.id}",
        data=_user_form(clerk, password=NEW_PASSWORD, password_confirm=NEW_PASSWORD),
    )
    assert response.status_code == 302
    (event,) = events(session, "password_set")
    assert event.actor_username == "admin" and event.record_id == str(clerk.id)


def test_demo_seeding_bypasses_the_policy_explicitly(session):
    # The demo users of the fixtures carry demo1234, below the policy; a real user may not.
    assert user_service.password_problem("demo1234", "admin") is not None
    assert check_password_hash(
        session.scalar(select(User.password_hash).where(User.username == "admin")), "demo1234"
    )
    with pytest.raises(user_service.DomainError):
        user_service.create_user(
            session,
            user_service.UserData(
                username="admin2", full_name="Admin Dua", role=user_service.Role.ADMIN
            ),
            "demo1234",
        )


# --- changing one's password, forced resets --------------------------------------------------


def test_every_user_changes_their_password_and_other_sessions_end(login, app, session, user):
    elsewhere = login("dinas.pertanian.serang")
    here = login("dinas.pertanian.serang")
    page = here.get("/admin/")
    assert 'href="/account/password"' in page.get_data(as_text=True)
    assert here.get("/account/password").status_code == 200
    response = here.post("/account/password", data=change_form("demo1234", NEW_PASSWORD))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert "Kata sandi Anda telah diubah" in here.get("/admin/").get_data(as_text=True)
    assert here.get("/admin/batch/").status_code == 200  # this session goes on
    assert elsewhere.get("/admin/").status_code == 302  # the other one ended
    assert attempt(here, "dinas.pertanian.serang", "demo1234").status_code == 401
    assert attempt(here, "dinas.pertanian.serang", NEW_PASSWORD).status_code == 302
    (event,) = events(session, "password_change")
    assert event.actor_username == "dinas.pertanian.serang" and event.ip == "127.0.0.1"


def test_change_page_needs_a_signed_in_user(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_admin_forces_a_password_change_the_user_cannot_skip(login, client, session, user):
    clerk = user("petugas.serang")
    response = login("admin").post(
        f"/admin/user/edit/?id={clerk.id}", data=_user_form(clerk, must_change_password="y")
    )
    assert response.status_code == 302
    (event,) = events(session, "password_reset_forced")
    assert event.actor_username == "admin" and event.record_id == str(clerk.id)

    browser = client
    signed_in = browser.login("petugas.serang")
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].startswith("/account/password")
    for url in ("/admin/", "/admin/claim/", "/admin/member/?search=1"):
        blocked = browser.get(url)
        assert blocked.status_code == 302, url
        assert blocked.headers["Location"].startswith("/account/password"), url
    token = token_from(browser, "/account/password")
    refused = browser.post("/admin/claim/new/", data={"csrf_token": token})
    assert refused.headers["Location"].startswith("/account/password")
    page = browser.get("/account/password").get_data(as_text=True)
    assert "Administrator meminta Anda memilih kata sandi baru" in page
    language = browser.post("/language", data={"locale": "en", "csrf_token": token})
    assert language.status_code == 302  # still allowed
    changed = browser.post(
        "/account/password",
        data={
            **change_form("demo1234", NEW_PASSWORD),
            "next": "/admin/claim/",
            "csrf_token": token,
        },
    )
    assert changed.headers["Location"] == "/admin/claim/"
    assert browser.get("/admin/claim/").status_code == 200
    session.expire_all()
    assert user("petugas.serang").must_change_password is False


def test_admin_requires_a_password_change_for_several_users_at_once(login, session, user):
    ids = [str(user(name).id) for name in ("petugas.serang", "petugas2.serang")]
    response = login("admin").post(
        "/admin/user/action/", data={"action": "require_password_change", "rowid": ids}
    )
    assert response.status_code == 302
    session.expire_all()
    assert user("petugas.serang").must_change_password
    assert user("petugas2.serang").must_change_password
    assert len(events(session, "password_reset_forced")) == 2


def test_only_the_administrator_may_require_a_password_change(login, session, user):
    clerk = user("petugas.serang")
    login("kanwil.banten").post(
        "/admin/user/action/", data={"action": "require_password_change", "rowid": [str(clerk.id)]}
    )
    session.expire_all()
    assert user("petugas.serang").must_change_password is False
    assert events(session, "password_reset_forced") == []


def test_new_users_must_change_the_first_password_by_default(login):
    html = login("admin").get("/admin/user/new/").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="must_change_password"', html) or re.search(
        r'<input[^>]*name="must_change_password"[^>]*checked', html
    )


# --- sessions --------------------------------------------------------------------------------


def test_session_cookie_is_void_after_logout(login, app):
    browser = login("admin")
    stolen = browser.http.get_cookie("session").value
    assert browser.post("/logout").status_code == 302
    replay = type(browser)(app)
    replay.http.set_cookie("session", stolen)
    assert replay.get("/admin/").status_code == 302


def test_session_cookie_is_void_after_a_password_change(login, app):
    browser = login("kanwil.banten")
    stolen = browser.http.get_cookie("session").value
    assert (
        browser.post("/account/password", data=change_form("demo1234", NEW_PASSWORD)).status_code
        == 302
    )
    replay = type(browser)(app)
    replay.http.set_cookie("session", stolen)
    assert replay.get("/admin/").status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_session_changes_at_login_and_nothing_from_before_carries_over(client, app):
    client.get("/login")
    with client.http.session_transaction() as before:
        before["planted"] = "by-someone-else"
        token_before = before["csrf_token"]
    pre_login = client.http.get_cookie("session").value
    assert client.login("admin").status_code == 302
    post_login = client.http.get_cookie("session").value
    assert post_login != pre_login
    with client.http.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") != token_before
    # The pre-login cookie is anonymous, and the new session's forms keep working.
    replay = type(client)(app)
    replay.http.set_cookie("session", pre_login)
    assert replay.get("/admin/").status_code == 302
    assert client.post("/language", data={"locale": "en"}).status_code == 302


# --- headers ---------------------------------------------------------------------------------


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_security_headers_on_pages_errors_downloads_and_static_files(login, client, session):
    admin = login("admin")
    member_id = session.scalar(text("SELECT id FROM member ORDER BY id LIMIT 1"))
    responses = {
        "login page": client.get("/login"),
        "dashboard": admin.get("/admin/"),
        "list": admin.get("/admin/user/"),
        "details": admin.get(f"/admin/member/details/?id={member_id}"),
        "change password": admin.get("/account/password"),
        "404": admin.get("/admin/no-such-page/"),
        "403": login("petugas.serang").get("/admin/user/"),
        "405": admin.get("/logout"),
        "CSV export": admin.get("/admin/user/export/csv/"),
        "static file": client.get("/admin/static/admin/css/bootstrap4/admin.css"),
        "redirect": client.get("/admin/"),
    }
    for name, response in responses.items():
        assert response.status_code in (200, 302, 403, 404, 405), name
        assert_security_headers(response)
    assert "text/csv" in responses["CSV export"].headers["Content-Type"]
    # Signed-in pages are not kept in the browser's cache; static files are.
    assert "no-store" in responses["dashboard"].headers["Cache-Control"]
    assert "no-store" in responses["CSV export"].headers["Cache-Control"]
    assert "no-store" not in responses["static file"].headers.get("Cache-Control", "")


def test_scripts_carry_the_responses_nonce_and_inline_handlers_are_hashed(login):
    admin = login("admin")
    response = admin.get("/admin/user/")
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    # Flask-Admin's inline handlers (filter menu, bulk actions) run only by their exact hash.
    handlers = set(re.findall(r'onclick="([^"]*)"', html))
    assert "return modelActions.execute('require_password_change');" in handlers
    for handler in handlers:
        digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp, handler
    # A fresh nonce for every response.
    assert nonce not in admin.get("/admin/user/").headers["Content-Security-Policy"]


def test_every_list_page_handler_is_allowed_by_the_policy(login):
    admin = login("kanwil.banten")
    for url in ("/admin/proposal_queue/", "/admin/audit/", "/admin/office/"):
        response = admin.get(url)
        csp = response.headers["Content-Security-Policy"]
        for handler in set(re.findall(r'onclick="([^"]*)"', response.get_data(as_text=True))):
            digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp, (url, handler)


# --- error pages -----------------------------------------------------------------------------


def test_a_server_error_shows_no_traceback_or_sql(app, client):
    def broken_query():
        from backoffice.extensions import db

        db.session.execute(text("SELECT password_hash FROM no_such_table WHERE secret = 1"))

    def broken_code():
        raise RuntimeError("SELECT password_hash FROM user_account -- internal detail")

    app.add_url_rule("/broken-query", "broken_query", broken_query)
    app.add_url_rule("/broken-code", "broken_code", broken_code)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 handler answers
    for url in ("/broken-query", "/broken-code"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 500, url
        assert "Terjadi kesalahan pada sistem" in html
        for leak in (
            "Traceback",
            "SELECT",
            "no_such_table",
            "password_hash",
            "RuntimeError",
            ".py",
        ):
            assert leak not in html, (url, leak)
        assert_security_headers(response)


def test_other_error_statuses_get_the_same_error_page(app, client):
    from flask import abort

    app.add_url_rule("/teapot", "teapot", lambda: abort(418))
    response = client.get("/teapot")
    assert response.status_code == 418
    html = response.get_data(as_text=True)
    assert "Permintaan tidak dapat diselesaikan." in html and "Werkzeug" not in html


# --- configuration ---------------------------------------------------------------------------


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError) as refused:
        create_app(
            {"BACKOFFICE_ENV": "production", "SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)}
        )
    message = str(refused.value)
    assert "SECRET_KEY must be set in production" in message and "token_hex" in message
    assert not (tmp_path / "secret_key").exists()  # no key is made up silently


def test_production_with_debug_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError, match="Debug mode"):
        create_app(
            {
                "BACKOFFICE_ENV": "production",
                "SECRET_KEY": "k" * 40,
                "DEBUG": True,
                "INSTANCE_PATH": str(tmp_path),
            }
        )


def test_production_asks_browsers_for_https_only(tmp_path):
    app = create_app(
        {
            "BACKOFFICE_ENV": "production",
            "SECRET_KEY": "k" * 40,
            "AUDIT_KEYS": "k1=" + "a" * 40,
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    response = app.test_client().get("/admin/static/admin/css/bootstrap4/admin.css")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_client_address_comes_from_trusted_proxies_only(tmp_path, proxies, seen):
    from flask import request

    app = create_app(
        {"SECRET_KEY": "k" * 40, "INSTANCE_PATH": str(tmp_path), "TRUSTED_PROXIES": proxies}
    )
    app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
    response = app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "10.66.6.6, 203.0.113.7"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.get_data(as_text=True) == seen
