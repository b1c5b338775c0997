"""The department systems' API (/api/v1): tokens, scoping, batches, members, payer files."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select, update

from backoffice.errors import Forbidden, NotFound
from backoffice.extensions import db
from backoffice.security import LoginThrottle
from backoffice.services import api_tokens
from backoffice.services import batches as batch_service
from backoffice.transaction import unit_of_work
from models import ApiToken, AuditEvent, Member, MemberBatch, Office
from tests.test_member_batches import INVALID_ROWS, MESSY_CSV, VALID_ROWS
from tests.test_payer_import import csv_bytes as payer_csv
from tests.test_payer_import import department as department_named
from tests.test_payer_import import make_member, mm, this_month

LIAISON = "dinas.pertanian.serang"
OTHER_LIAISON = "diskoumperindag.serang"
CLERK = "petugas.serang"


def make_token(session: Any, actor: Any, **owner: Any) -> str:
    if not owner:
        owner = {"department_id": actor.department_id}
    with unit_of_work(session):
        created = api_tokens.create_token(session, actor, name="SIMPEG", **owner)
    return created.secret


class Api:
    """A department system: a bearer token, no cookies."""

    def __init__(self, app: Any, token: str, language: str = "id") -> None:
        self.http = app.test_client(use_cookies=False)
        self.app = app
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}

    def _send(self, method: str, url: str, headers: dict | None = None, **kw: Any) -> Any:
        with self.app.app_context():
            response = getattr(self.http, method)(
                url, headers={**self.headers, **(headers or {})}, **kw
            )
        db.session.expire_all()
        return response

    def get(self, url: str, **kw: Any) -> Any:
        return self._send("get", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self._send("post", url, **kw)

    def upload(self, data: bytes, filename: str = "peserta.csv", **kw: Any) -> Any:
        return self.post(
            "/api/v1/batches",
            data={"file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
            **kw,
        )


@pytest.fixture
def api(app: Any, session: Any, user: Any) -> Any:
    def _api(username: str = LIAISON, language: str = "id", **owner: Any) -> Api:
        return Api(app, make_token(session, user(username), **owner), language)

    return _api


def test_a_department_system_uploads_follows_submits_and_reads_the_kpj_numbers(
    app, session, user, api
):
    pertanian = api()
    first = pertanian.upload(MESSY_CSV, headers={"Idempotency-Key": "upload-2026-12-03"})
    assert first.status_code == 202, first.get_data(as_text=True)
    batch_id = first.get_json()["id"]

    # Poll until checked (the tests' task queue runs the checks at once).
    for _ in range(10):
        state = pertanian.get(f"/api/v1/batches/{batch_id}").get_json()
        if state["checked"]:
            break
    assert state["state"] == "draft" and state["state_label"] == "draf"
    assert (state["rows"], state["valid"], state["invalid"]) == (9, 5, 4)

    # A retry with the same key returns the first batch, and makes no other.
    batches = session.scalar(select(func.count()).select_from(MemberBatch))
    again = pertanian.upload(MESSY_CSV, headers={"Idempotency-Key": "upload-2026-12-03"})
    assert again.status_code == 200 and again.get_json()["id"] == batch_id
    assert session.scalar(select(func.count()).select_from(MemberBatch)) == batches

    errors = pertanian.get(f"/api/v1/batches/{batch_id}/rows?state=invalid").get_json()
    assert [item["row"] for item in errors["items"]] == INVALID_ROWS
    text = {(e["row"], e["column"]): e["message"] for i in errors["items"] for e in i["errors"]}
    assert "NIK harus 16 digit, tertulis 11 digit" in text[7, "NIK"]
    assert text[9, "Nama Lengkap"] == "Nama Lengkap wajib diisi."
    english = Api(app, pertanian.headers["Authorization"][7:], "en")
    in_english = english.get(f"/api/v1/batches/{batch_id}/rows?state=invalid").get_json()
    assert in_english["items"][2]["errors"][0]["message"] == "Nama Lengkap is required."

    # Another department's token: the batch does not exist for it.
    other = api(OTHER_LIAISON)
    for url in (f"/api/v1/batches/{batch_id}", f"/api/v1/batches/{batch_id}/rows"):
        response = other.get(url)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert other.post(f"/api/v1/batches/{batch_id}/submit").status_code == 404

    submitted = pertanian.post(f"/api/v1/batches/{batch_id}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["state"] == "submitted"
    token_id = session.scalar(
        select(ApiToken.id).where(ApiToken.department_id == user(LIAISON).department_id)
    )
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.record_id == str(batch_id), AuditEvent.action == "submit"
        )
    )
    assert event.actor_username == LIAISON and f'"api_token_id":{token_id}' in event.details
    again = pertanian.post(f"/api/v1/batches/{batch_id}/submit")
    assert again.status_code == 409 and "diajukan" in again.get_json()["detail"]

    with unit_of_work(session):
        batch_service.decide(session, user(CLERK), batch_id, "accept_all")
    done = pertanian.get(f"/api/v1/batches/{batch_id}").get_json()
    assert done["state"] == "completed" and done["accepted"] == 5
    # Two at a time: the cursor walks every accepted row once.
    rows, url = [], f"/api/v1/batches/{batch_id}/rows?state=accepted&limit=2"
    while url:
        page = pertanian.get(url).get_json()
        rows += page["items"]
        cursor = page["next_cursor"]
        url = (
            f"/api/v1/batches/{batch_id}/rows?state=accepted&limit=2&cursor={cursor}"
            if cursor
            else None
        )
    assert {r["row"]: r["name"] for r in rows} == VALID_ROWS
    kpjs = {r["kpj"] for r in rows}
    assert kpjs == set(session.scalars(select(Member.kpj).where(Member.batch_id == batch_id)))
    assert all(len(k) == 11 and k.isdigit() for k in kpjs)


def test_json_rows_go_through_the_same_checks_and_a_bad_body_gets_every_error(api):
    pertanian = api(language="en")
    row = {
        "nik": "3604011708900001",
        "name": "Budi",
        "birth_date": "17/08/1990",
        "sex": "L",
        "income": 1000000,
        "programmes": "JKK,JKM",
    }
    made = pertanian.post("/api/v1/batches", json={"rows": [row, {**row, "name": ""}]})
    assert made.status_code == 202, made.get_data(as_text=True)
    assert (made.get_json()["rows"], made.get_json()["invalid"]) == (2, 1)

    bad = pertanian.post("/api/v1/batches", json={"rows": [{"nik": "1"}, {**row, "x": 1}]})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    errors = bad.get_json()["errors"]["rows"]
    assert set(errors["0"]) == {"name", "birth_date", "sex", "income", "programmes"}
    assert "x" in errors["1"]


def test_tokens_are_refused_when_missing_unknown_revoked_or_expired(app, session, user, api):
    pertanian = api()
    assert pertanian.get("/api/v1/members").status_code == 200
    token = session.scalar(select(ApiToken))
    with unit_of_work(session):
        api_tokens.revoke_token(session, user(LIAISON), token.id)
    refused = pertanian.get("/api/v1/members")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert Api(app, "bpjs_not-a-token").get("/api/v1/members").status_code == 401
    anonymous = app.test_client().get("/api/v1/members", headers={"Accept-Language": "en"})
    assert anonymous.status_code == 401 and "Bearer" in anonymous.get_json()["detail"]

    expired = api()
    token = session.scalar(select(ApiToken).where(ApiToken.revoked_at.is_(None)))
    token.expires_at = token.created_at
    session.commit()
    assert expired.get("/api/v1/members").status_code == 401


def test_a_session_cookie_never_opens_the_api_and_a_token_never_opens_the_screens(
    app, session, user, login
):
    browser = login(LIAISON)
    assert browser.get("/admin/batch/").status_code == 200
    assert browser.get("/api/v1/members").status_code == 401
    posted = browser.post("/api/v1/batches", data={"file": (io.BytesIO(MESSY_CSV), "a.csv")})
    assert posted.status_code == 401

    token = make_token(session, user(LIAISON))
    screens = app.test_client(use_cookies=False)
    for url in ("/admin/batch/", "/admin/member/", "/admin/api_token/"):
        response = screens.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_members_list_is_scoped_paginated_and_synchronises(app, session, user, api):
    pertanian = api()
    expected = set(
        session.scalars(
            select(Member.kpj).where(Member.department_id == user(LIAISON).department_id)
        )
    )
    assert expected, "the demo has members of Dinas Pertanian"
    # A member the bulk loader wrote (COPY) has no updated_at: listed by its creation time.
    session.execute(update(Member).where(Member.kpj == min(expected)).values(updated_at=None))
    session.commit()
    seen: list[str] = []
    url = "/api/v1/members?limit=3"
    while url:
        page = pertanian.get(url).get_json()
        seen += [m["kpj"] for m in page["items"]]
        url = (
            f"/api/v1/members?limit=3&cursor={page['next_cursor']}" if page["next_cursor"] else None
        )
    assert sorted(seen) == sorted(expected)
    item = pertanian.get("/api/v1/members?limit=1").get_json()["items"][0]
    assert {"status", "protection_ends", "arrears_months"} <= set(item)

    future = pertanian.get("/api/v1/members?updated_since=2999-01-01T00:00:00%2B07:00")
    assert future.status_code == 200 and future.get_json()["items"] == []
    member = session.scalar(select(Member).where(Member.kpj == max(expected)))
    assert max(expected) != min(expected)
    since = member.updated_at
    member.phone = "081299990000"
    session.commit()
    changed = pertanian.get(
        "/api/v1/members?updated_since="
        + since.isoformat().replace("+", "%2B")
        + ("" if since.tzinfo else "Z")
    ).get_json()["items"]
    assert member.kpj in [m["kpj"] for m in changed]
    bad = pertanian.get("/api/v1/members?cursor=%21%21")
    assert bad.status_code == 422


def test_a_branch_system_records_a_payers_file_and_reads_its_result(app, session, user, api):
    serang = session.scalar(select(Office).where(Office.code == "B01"))
    admin = user("admin")
    branch = api("admin", office_id=serang.id)
    dept = department_named(session)
    member = make_member(session)
    session.commit()
    header = ["KPJ", "NIK", "Nama", "Bulan", "Jumlah Bulan", "Tanggal Bayar", "Referensi"]
    paid_on = date.today().strftime("%d/%m/%Y")
    good = payer_csv(
        [header, [member.kpj, "", member.name, mm(this_month()), 1, paid_on, "SP2D-1"]]
    )
    bad = payer_csv([header, ["12345678901", "", "X", mm(this_month()), 1, paid_on, "SP2D-2"]])

    def post(data: bytes, key: str) -> Any:
        return branch.post(
            "/api/v1/payer-imports",
            data={"department_id": str(dept.id), "file": (io.BytesIO(data), "iuran.csv")},
            content_type="multipart/form-data",
            headers={"Idempotency-Key": key},
        )

    refused = post(bad, "bad")
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert refused.get_json()["errors"][0]["row"] == 2
    recorded = post(good, "good")
    assert recorded.status_code == 201, recorded.get_data(as_text=True)
    result = recorded.get_json()
    assert (result["rows"], result["members"], result["months"]) == (1, 1, 1)
    assert post(good, "good").get_json()["id"] == result["id"]
    assert branch.get(f"/api/v1/payer-imports/{result['id']}").get_json() == result
    # A department's token may not record contributions.
    assert api().get(f"/api/v1/payer-imports/{result['id']}").status_code == 403
    assert admin.active


def test_the_openapi_document_validates_and_the_docs_page_runs_under_the_csp(app):
    http = app.test_client()
    spec = http.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert {"/api/v1/batches", "/api/v1/batches/{batch_id}/rows", "/api/v1/members"} <= set(
        spec["paths"]
    )
    page = http.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 200
        and "unsafe-inline"
        not in page.headers["Content-Security-Policy"].split("style-src-attr")[0]
    )
    assert "<script>" not in html and "cdn" not in html.lower()
    for src in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/api-docs.js"):
        assert f'src="{src}"' in html
        with http.get(src) as script:
            assert script.status_code == 200


def test_a_file_over_the_upload_limit_gets_413(app, api):
    pertanian = api(language="en")
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = pertanian.upload(b"NIK;Nama\r\n" + b"x" * 8192)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "larger than" in response.get_json()["detail"]


def test_calls_are_rate_limited_per_token(app, session, user, api):
    app.config.update(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute")
    throttle = app.extensions["login_throttle"] = LoginThrottle(app)
    try:
        one, two = api(), api()
        answers = [one.get("/api/v1/members") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].mimetype == "application/problem+json"
        assert int(answers[2].headers["Retry-After"]) >= 1
        assert two.get("/api/v1/members").status_code == 200
    finally:
        throttle.reset()


def test_only_the_administrator_or_the_departments_liaison_manage_its_tokens(session, user):
    pertanian = user(LIAISON)
    with pytest.raises(Forbidden):
        api_tokens.create_token(
            session, user(OTHER_LIAISON), name="x", department_id=pertanian.department_id
        )
    with pytest.raises(Forbidden):
        api_tokens.create_token(
            session, user(CLERK), name="x", department_id=pertanian.department_id
        )
    session.rollback()
    secret = make_token(session, pertanian)
    token = session.scalar(select(ApiToken))
    assert token.token_hash == api_tokens.hash_token(secret) and token.prefix == secret[:12]
    assert len(token.prefix) < len(secret)
    with pytest.raises(NotFound):
        api_tokens.revoke_token(session, user(OTHER_LIAISON), token.id)
    events = session.scalars(select(AuditEvent.action).where(AuditEvent.record_type == "api_token"))
    assert list(events) == ["api_token_create"]


def test_the_liaison_creates_sees_once_and_revokes_a_token_on_the_screen(app, session, user, login):
    browser = login(LIAISON)
    page = browser.get("/admin/api_token/")
    assert page.status_code == 200
    department = user(LIAISON).department_id
    created = browser.post(
        "/admin/api_token/", data={"name": "SIMTANI", "owner": f"d:{department}", "days": "30"}
    )
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "no-store" in created.headers["Cache-Control"]
    token = session.scalar(select(ApiToken).where(ApiToken.name == "SIMTANI"))
    secret = html.split('id="token-secret">')[1].split("<")[0]
    assert api_tokens.hash_token(secret) == token.token_hash
    assert Api(app, secret).get("/api/v1/members").status_code == 200
    listed = browser.get("/admin/api_token/").get_data(as_text=True)
    assert token.prefix in listed and secret not in listed

    # Another department's liaison neither sees nor revokes it; the administrator could.
    other = login(OTHER_LIAISON)
    assert token.prefix not in other.get("/admin/api_token/").get_data(as_text=True)
    assert other.post(f"/admin/api_token/revoke/?id={token.id}").status_code == 404
    assert login(CLERK).get("/admin/api_token/").status_code == 403
    revoked = browser.post(f"/admin/api_token/revoke/?id={token.id}")
    assert revoked.status_code == 302
    assert Api(app, secret).get("/api/v1/members").status_code == 401
    actions = list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.record_type == "api_token", AuditEvent.record_id == str(token.id))
            .order_by(AuditEvent.id)
        )
    )
    assert actions == ["api_token_create", "api_token_revoke"]
