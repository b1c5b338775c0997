"""Sweeps over the whole app: CSRF on every state-changing route, no foreign row by any path.

Both sweeps enumerate the app itself (``app.url_map`` and the Flask-Admin views registered on
it), so a route or a screen added later is swept without touching this file:

- CSRF: every URL rule accepting POST (or PUT/PATCH/DELETE) is sent a request without a valid
  token (none, garbage, the token of another person's session, the token of another session of
  the same person) by a signed-in user whom the policy table of
  tests/test_authorization_matrix.py allows there. Each must answer the 400 "form expired" page
  and change nothing (every table, the uploads); the same request with the right token then gets
  past the check (and, where it is a real operation, changes something).
- IDOR: for every model view and every route taking an id, a user of one office, department or
  region asks for rows of another: by URL (details, edit, custom routes, list and export filters
  and searches), by bulk action (``rowid``), by ajax lookup and by export. Every answer is a
  403/404 or leaves the foreign rows out; no foreign name, NIK, KPJ or file name appears in any
  response body, no list, export or dashboard changes at all when the foreign rows are added
  (so no count leaks either), and nothing changes in the database.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
import sqlalchemy as sa
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from backoffice import authz
from backoffice.clock import today_in_jakarta
from backoffice.services import (
    api_tokens,
    batch_intake,
    batches,
    claim_decisions,
    claim_documents,
    corrections,
    ledger,
    proposals,
)
from backoffice.services import claims as claim_service
from backoffice.services import users as user_service
from backoffice.services.personal_data import EXPORT
from backoffice.transaction import unit_of_work
from models import (
    AuditEvent,
    Base,
    BatchRow,
    BenefitParameter,
    Claim,
    ClaimDocument,
    ContributionPayment,
    ContributionRate,
    CoverageTarget,
    Department,
    HolidayCorrection,
    IncomeLevel,
    JhtReturnRate,
    Member,
    MemberBatch,
    Office,
    OfficeType,
    Programme,
    Regency,
    Region,
    Role,
    User,
)
from tests import test_authorization_matrix as matrix
from tests.conftest import Client
from tests.fixtures import claim_world as world

POLICY, PUBLIC, ROLES, API = matrix.POLICY, matrix.PUBLIC, matrix.ROLES, matrix.API
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_MESSAGE = "Formulir sudah kedaluwarsa atau terkirim dua kali"
PASSWORD = "rahasia-panjang-1"
TODAY = date.today()

# --- reading the app and the database ----------------------------------------------------------


def model_views(app: Any) -> list[Any]:
    from views.base import SecuredModelView

    return [v for v in app.extensions["admin"][0]._views if isinstance(v, SecuredModelView)]


def rules_of(app: Any, endpoint_prefix: str) -> list[Any]:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith(endpoint_prefix + ".")),
        key=lambda r: r.endpoint,
    )


def build(rule: Any, **query: Any) -> str:
    values = {arg: {"export_type": "csv"}.get(arg, "x") for arg in rule.arguments}
    url = rule.build(values, append_unknown=False)[1]
    pairs = [(k, v) for k, vs in query.items() for v in (vs if isinstance(vs, list) else [vs])]
    return f"{url}?{urlencode(pairs)}" if pairs else url


def _rows(table: Any, besides_exports: bool) -> Any:
    """``table``'s rows; ``besides_exports``: without the audit events of exports of personal
    data (UU 27/2022: a sweep's own exports are audited, and that is all they change)."""
    rows = select(table)
    if besides_exports and table.name == "audit_event":
        rows = rows.where(table.c.action != EXPORT)
    return rows


def table_counts(session: Any, *, besides_exports: bool = False) -> dict[str, int]:
    return {
        t.name: session.scalar(
            select(func.count()).select_from(_rows(t, besides_exports).subquery())
        )
        for t in Base.metadata.sorted_tables
    }


def database_state(session: Any, *, besides_exports: bool = False) -> str:
    """A digest of every row of every table: any change anywhere shows (``besides_exports``:
    but audited exports of personal data, which move the audit chain's head too)."""
    session.expire_all()
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        if besides_exports and table.name == "audit_chain_head":
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        for row in session.execute(_rows(table, besides_exports).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
        digest.update(table.name.encode())
    return digest.hexdigest()


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


_VOLATILE = [
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]*'), r"\1"),
    (re.compile(r'(value=")[^"]*("[^>]*name="csrf_token")'), r"\1\2"),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
]


def normalised(response: Any) -> tuple[int, str]:
    text = response.get_data(as_text=True)
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return response.status_code, text


# --- 1. CSRF ------------------------------------------------------------------------------------


def state_changing_rules(app: Any) -> list[Any]:
    """Every state-changing route of the screens (the API's have their own sweep below)."""
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.methods & WRITE_METHODS and POLICY.get(r.endpoint) != API
    ]
    # Switching the language or signing out changes the session under test: those go last.
    last = {"auth.language": 1, "auth.logout": 2}
    return sorted(rules, key=lambda r: (last.get(r.endpoint, 0), r.endpoint))


ROLE_PREFERENCE = ("clerk", "branch_head", "liaison", "regional_head", "auditor", "admin")


def allowed_role(endpoint: str) -> str | None:
    """A role the policy allows on the endpoint; None when nobody may use it (or anyone)."""
    policy = POLICY.get(endpoint, frozenset())  # a route without a policy: see the matrix test
    if policy == PUBLIC:
        return "clerk"
    return next((role for role in ROLE_PREFERENCE if role in policy), None)


@dataclass
class CsrfTargets:
    """Rows in scope of the users who act in the CSRF sweep, and what their forms need."""

    ids: dict[str, int]
    versions: dict[str, int]
    member_kpj: str
    open_claim_kpj: str
    jkk_rate: Any
    contribution_period: str
    requirement_id: int


def _verified_claim(session: Any, user: Any, settings: Any, member: Member) -> Claim:
    """Registered by petugas2.serang, verified by kepala.serang: petugas.serang may approve it."""
    claim = claim_service.register_claim(session, user("petugas2.serang"), world.jkm_data(member))
    session.commit()
    for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
        data, filename = world.document_bytes(index)
        document = claim_documents.upload_document(
            session,
            user("petugas2.serang"),
            claim,
            requirement.id,
            data,
            filename,
            settings=settings,
        )
        claim_documents.check_document(session, user("petugas2.serang"), document)
    with unit_of_work(session):
        return claim_decisions.decide(session, user("kepala.serang"), claim.id, "verify")


def _csv(rows: Iterable[tuple[str, str, str, str]]) -> bytes:
    """A member list: (NIK, name, birth date dd/mm/yyyy, sex) per row."""
    lines = ["NIK;Nama Lengkap;Tanggal Lahir;Jenis Kelamin;Alamat;Penghasilan;Program"]
    lines += [
        f"{n};{name};{born};{sex};Kp. Baru RT 001;1000000;JKK, JKM" for n, name, born, sex in rows
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _submitted_batch(
    session: Any, user: Any, app: Any, liaison: str, data: bytes, filename: str
) -> MemberBatch:
    settings = batch_intake.Settings.from_config(app.config, app.instance_path)
    up = batch_intake.upload_batch(
        session, user(liaison), data, filename, settings=settings, today=today_in_jakarta()
    )
    batch = batch_intake.process_batch(session, up.batch.id, settings)
    assert batch is not None and batch.valid_count, batch and batch.refusal
    with unit_of_work(session):
        return batches.decide(session, user(liaison), batch.id, "submit")


def _proposal(session: Any, proposer: User, name: str, parent_code: str, regency: str) -> Any:
    data = proposals.ProposalData(
        name=name,
        office_type=OfficeType.KCP,
        parent=session.scalar(select(Office).where(Office.code == parent_code)),
        regency=session.scalar(select(Regency).where(Regency.code == regency)),
        address="Jl. Raya Rahasia No. 1",
        planned_opening=TODAY + timedelta(days=30),
        staff_count=3,
        justification="Banyak pekerja informal di sekitar pasar.",
    )
    proposal = proposals.propose_office(session, proposer, data, today=TODAY)
    session.commit()
    return proposal


def csrf_targets(app: Any, session: Any, user: Any) -> CsrfTargets:
    settings = claim_documents.DocumentSettings.from_config(app.config, app.instance_path)
    batch = _submitted_batch(
        session,
        user,
        app,
        "dinas.pertanian.serang",
        _csv([("3604011708900101", "Peserta Csrf", "17/08/1990", "L")]),
        "csrf.csv",
    )
    verified = _verified_claim(session, user, settings, world.paid_member(session))
    open_claim = claim_service.register_claim(
        session, user("petugas2.serang"), world.jkm_data(world.paid_member(session))
    )
    session.commit()
    requirement = claim_documents.requirements_for(session, open_claim)[0]
    document = claim_documents.upload_document(
        session,
        user("petugas2.serang"),
        open_claim,
        requirement.id,
        world.PDF,
        "akta.pdf",
        settings=settings,
    )
    head = user("kepala.serang")
    draft = _proposal(session, head, "Kramatwatu", "B01", "3604")
    to_submit = _proposal(session, head, "Padarincang", "B01", "3604")
    queued = _proposal(session, head, "Anyer", "B01", "3604")
    proposals.decide(session, head, queued.id, "submit")
    bulk = _proposal(session, head, "Cinangka", "B01", "3604")
    proposals.decide(session, head, bulk.id, "submit")
    jkk_rate = session.scalar(
        select(ContributionRate).where(ContributionRate.programme == Programme.JKK)
    )
    member = world.paid_member(session)
    summary = ledger.member_ledger(session, member, today_in_jakarta())
    # Proposed by petugas2.serang: petugas.serang may approve it.
    correction = corrections.propose(
        session,
        user("petugas2.serang"),
        world.paid_member(session),
        {"phone": "081355556666"},
        "Nomor telepon berganti.",
        document=None,
        settings=settings,
    )
    session.commit()
    ids = {
        "batch": batch.id,
        "verified_claim": verified.id,
        "open_claim": open_claim.id,
        "document": document.id,
        "draft_proposal": draft.id,
        "proposal_to_submit": to_submit.id,
        "queued_proposal": queued.id,
        "bulk_proposal": bulk.id,
        "member": member.id,
        "correction": correction.id,
        "serang": session.scalar(select(Office.id).where(Office.code == "B01")),
        "cilegon": session.scalar(select(Office.id).where(Office.code == "B02")),
        "banten": session.scalar(select(Region.id).where(Region.code == "BTN")),
        "kab_serang": session.scalar(select(Regency.id).where(Regency.code == "3604")),
        "user": user("petugas.cilegon").id,
        "jkk_rate": jkk_rate.id,
    }
    versions = {
        "batch": batch.version,
        "verified_claim": verified.version,
        "queued_proposal": queued.version,
        "proposal_to_submit": to_submit.version,
        "correction": correction.version,
    }
    return CsrfTargets(
        ids,
        versions,
        member.kpj,
        open_claim.member.kpj,
        jkk_rate,
        summary.first_unpaid.strftime("%Y-%m"),
        requirement.id,
    )


Payload = tuple[str, str, dict[str, Any]]  # role, url, form (files are built fresh each call)


def _proposal_form(t: CsrfTargets, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "office_type": "KCP",
        "parent": t.ids["serang"],
        "regency": t.ids["kab_serang"],
        "address": "Jl. Raya Anyer Km 3",
        "planned_opening": (TODAY + timedelta(days=60)).isoformat(),
        "staff_count": "4",
        "justification": "Kawasan wisata dengan banyak pekerja informal.",
    }


def _claim_form(kpj: str, **overrides: Any) -> dict[str, Any]:
    return {
        "kpj": kpj,
        "claim_type": "JKM",
        "event_date": (TODAY - timedelta(days=3)).isoformat(),
        "jht_reason": "",
        "claimant_name": world.HEIR_NAME,
        "claimant_nik": world.HEIR_NIK,
        "claimant_relationship": "spouse",
        "bank_name": "BRI",
        "bank_account": "0123-01-000123-50-1",
        "account_holder": world.HEIR_NAME,
        "transport_mode": "",
        "children-0-child_name": "Putri",
        "children-0-birth_date": "2018-02-01",
        "children-0-level": "tk_sd",
        **overrides,
    }


def _user_form(**overrides: Any) -> dict[str, Any]:
    return {
        "username": "petugas3.serang",
        "full_name": "Petugas Tiga",
        "email": "",
        "role": "branch_clerk",
        "region": "__None",
        "office": "__None",
        "department": "__None",
        "locale": "id",
        "active": "y",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        **overrides,
    }


def csrf_payloads(t: CsrfTargets) -> dict[str, Callable[[], Payload]]:
    """Real operations: with the right token each of them changes something."""
    ids, v = t.ids, t.versions
    upload = _csv([("3604011708900102", "Peserta Unggah", "17/08/1990", "L")])
    return {
        "auth.login": lambda: (
            "anonymous",
            "/login",
            {"username": "diskoumperindag.serang", "password": "demo1234"},
        ),
        "auth.logout": lambda: ("clerk", "/logout", {}),
        "auth.language": lambda: ("clerk", "/language", {"locale": "en", "next": "/admin/"}),
        "batch.create_view": lambda: (
            "liaison",
            "/admin/batch/new/",
            {"file": (io.BytesIO(upload), "unggah.csv")},
        ),
        "batch.decide": lambda: (
            "clerk",
            "/admin/batch/decide/",
            {"id": ids["batch"], "action": "accept_all", "version": v["batch"]},
        ),
        "claim.decide": lambda: (
            "clerk",
            "/admin/claim/decide/",
            {"id": ids["verified_claim"], "action": "approve", "version": v["verified_claim"]},
        ),
        "claim.create_view": lambda: ("clerk", "/admin/claim/new/", _claim_form(t.member_kpj)),
        "claim.edit_view": lambda: (
            "clerk",
            f"/admin/claim/edit/?id={ids['open_claim']}",
            _claim_form(t.open_claim_kpj, bank_name="Bank Banten"),
        ),
        "claim.upload_document": lambda: (
            "clerk",
            f"/admin/claim/document/upload/?id={ids['open_claim']}",
            {"requirement_id": t.requirement_id, "file": (io.BytesIO(world.PNG), "ganti.png")},
        ),
        "claim.check_document": lambda: (
            "clerk",
            "/admin/claim/document/check/",
            {"document_id": ids["document"]},
        ),
        "member.record_contribution": lambda: (
            "clerk",
            f"/admin/member/contribution/?id={ids['member']}",
            {
                "period": t.contribution_period,
                "months": "1",
                "paid_on": today_in_jakarta().isoformat(),
                "channel": "counter",
                "reference": "LOKET-CSRF-1",
            },
        ),
        "member.propose_correction": lambda: (
            "clerk",
            f"/admin/member/correction/?id={ids['member']}",
            {"address": "Jl. Koreksi Csrf No. 1", "reason": "Alamat pindah."},
        ),
        "correction.decide": lambda: (
            "clerk",
            "/admin/correction/decide/",
            {"id": ids["correction"], "action": "approve", "version": v["correction"]},
        ),
        "proposal.create_view": lambda: (
            "branch_head",
            "/admin/proposal/new/",
            _proposal_form(t, "Pabuaran"),
        ),
        "proposal.edit_view": lambda: (
            "branch_head",
            f"/admin/proposal/edit/?id={ids['draft_proposal']}",
            _proposal_form(t, "Kramatwatu Baru"),
        ),
        "proposal.decide": lambda: (
            "branch_head",
            "/admin/proposal/decide/",
            {
                "id": ids["proposal_to_submit"],
                "action": "submit",
                "version": v["proposal_to_submit"],
            },
        ),
        "proposal_queue.decide": lambda: (
            "regional_head",
            "/admin/proposal_queue/decide/",
            {"id": ids["queued_proposal"], "action": "approve", "version": v["queued_proposal"]},
        ),
        "proposal_queue.action_view": lambda: (
            "regional_head",
            "/admin/proposal_queue/action/",
            {"action": "approve", "rowid": [str(ids["bulk_proposal"])]},
        ),
        "office.create_view": lambda: (
            "admin",
            "/admin/office/new/",
            {
                "code": "B0199",
                "name": "Ciruas",
                "office_type": "KCP",
                "region": ids["banten"],
                "parent": ids["serang"],
                "regency": ids["kab_serang"],
                "address": "Jl. Raya Ciruas",
                "opened_on": "",
                "active": "y",
            },
        ),
        "office.edit_view": lambda: (
            "admin",
            f"/admin/office/edit/?id={ids['cilegon']}",
            {
                "code": "B02",
                "name": "Cilegon",
                "office_type": "KC",
                "region": ids["banten"],
                "parent": "__None",
                "regency": "__None",
                "address": "Jl. Alamat Baru",
                "opened_on": "",
                "active": "y",
            },
        ),
        "department.create_view": lambda: (
            "admin",
            "/admin/department/new/",
            {
                "name": "Dinas Perikanan Kab. Serang",
                "regency": ids["kab_serang"],
                "office": ids["serang"],
                "contact_email": "",
                "staff_count": "",
            },
        ),
        "region.create_view": lambda: (
            "admin",
            "/admin/region/new/",
            {"code": "JBR", "name": "Kanwil Jawa Barat"},
        ),
        "regency.create_view": lambda: (
            "admin",
            "/admin/regency/new/",
            {"code": "3699", "name": "Kab. Contoh", "region": ids["banten"]},
        ),
        "user.create_view": lambda: ("admin", "/admin/user/new/", _user_form(office=ids["serang"])),
        "user.edit_view": lambda: (
            "admin",
            f"/admin/user/edit/?id={ids['user']}",
            _user_form(
                username="petugas.cilegon",
                full_name="Petugas Cilegon (diubah)",
                office=ids["cilegon"],
                password="",
                password_confirm="",
            ),
        ),
        "income_level.create_view": lambda: (
            "admin",
            "/admin/income_level/new/",
            {"amount": "9900000", "valid_from": TODAY.isoformat(), "valid_to": ""},
        ),
        "contribution_rate.edit_view": lambda: (
            "admin",
            f"/admin/contribution_rate/edit/?id={ids['jkk_rate']}",
            {
                "programme": "JKK",
                "percent": str(t.jkk_rate.percent),
                "flat_amount": "",
                "valid_from": t.jkk_rate.valid_from.isoformat(),
                "valid_to": "",
                "note": "Catatan baru",
            },
        ),
    }


#: Operations that change the database without being anyone's decision on a record: a user's
#: own choice of language.
UNAUDITED = frozenset({"auth.language"})


def _generic_payload(endpoint: str, role: str, rule: Any) -> Payload:
    """Any other state-changing route: whatever it does, its CSRF check comes first."""
    return role, build(rule, id="1"), {"id": "1", "rowid": ["1"], "action": "delete"}


def forged(
    endpoint: str, victim: Any, url: str, make: Callable[[], dict], tokens: dict[str, str]
) -> list[str]:
    """Send the request without a valid token in every way; each must get the CSRF page."""
    problems = []
    for label, token in {"no token": None, "garbage token": "abc.def.ghi", **tokens}.items():
        form = make()
        if token is not None:
            form["csrf_token"] = token
        response = victim.post(url, data=form, csrf=False)
        body = response.get_data(as_text=True)
        if response.status_code != 400 or CSRF_MESSAGE not in body:
            problems.append(f"{endpoint} ({label}): {response.status_code}, not refused")
    return problems


def test_every_state_changing_route_refuses_a_request_without_a_valid_csrf_token(
    app, session, login, user
):

    targets = csrf_targets(app, session, user)
    payloads = csrf_payloads(targets)
    rules = state_changing_rules(app)
    assert len(rules) > 40, "the sweep found too few routes: is the app complete?"
    uploads = Path(app.config["UPLOAD_DIR"])

    requests: list[tuple[str, str, str, Callable[[], dict]]] = []
    for rule in rules:
        endpoint = rule.endpoint
        if endpoint in payloads:
            role, url, _form = payloads[endpoint]()
            make = lambda endpoint=endpoint: payloads[endpoint]()[2]  # noqa: E731
            policy = POLICY[endpoint]
            allowed = ("anonymous", "clerk") if policy == PUBLIC else policy
            assert role in allowed, f"{endpoint}: the payload's {role} may not use it"
        else:
            role, url, _form = _generic_payload(endpoint, allowed_role(endpoint) or "admin", rule)
            make = lambda form=_form: dict(form)  # noqa: E731
        requests.append((endpoint, role, url, make))

    clients: dict[str, Any] = {"anonymous": Client(app)}
    for _endpoint, role, _url, _make in requests:
        if role not in clients:
            clients[role] = login(ROLES[role])
    attacker = login("petugas2.serang").csrf_token()  # a colleague's own valid token
    # the victim's own token from another of their sessions (another browser, an old tab)
    other_session = {
        "anonymous": Client(app).csrf_token(),
        "clerk": login(ROLES["clerk"]).csrf_token(),
    }

    # 1. Without a valid token: every request is refused and nothing changes at all.
    problems: list[str] = []
    start = (database_state(session), stored_files(uploads))
    for endpoint, role, url, make in requests:
        before = table_counts(session)
        tokens = {"another person's token": attacker}
        if role in other_session:
            tokens["token of another session"] = other_session[role]
        problems += forged(endpoint, clients[role], url, make, tokens)
        if table_counts(session) != before:
            problems.append(f"{endpoint}: a refused request changed the database")
    assert problems == [], "\n".join(problems)
    assert (database_state(session), stored_files(uploads)) == start
    for role, client in clients.items():
        if role != "anonymous":  # a forged logout or language switch did nothing either
            response = client.get("/admin/")
            assert response.status_code == 200 and "<title>Beranda" in response.get_data(
                as_text=True
            )

    # 2. The same requests with the right token get past the check; the real operations work.
    tokens_of: dict[str, str] = {}
    for endpoint, role, url, make in requests:
        if endpoint in payloads:
            before = (database_state(session), stored_files(uploads))
            events_before = session.scalar(select(func.count()).select_from(AuditEvent))
        victim = clients[role]
        if role not in tokens_of:
            tokens_of[role] = victim.csrf_token()
        response = victim.post(url, data={**make(), "csrf_token": tokens_of[role]})
        policy = POLICY.get(endpoint, frozenset())
        if response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True):
            problems.append(f"{endpoint}: refused even with the right token")
        elif policy != PUBLIC and not policy:
            pass  # nobody may use it: 403 or 404 after the CSRF check
        elif response.status_code == 403 or (
            "/login" in response.headers.get("Location", "") and endpoint != "auth.logout"
        ):
            problems.append(f"{endpoint}: {role} is not allowed after all ({response.status_code})")
        elif endpoint in payloads and (database_state(session), stored_files(uploads)) == before:
            problems.append(f"{endpoint}: the control request changed nothing")
        elif endpoint in payloads and endpoint not in UNAUDITED:
            # Whatever a real operation changes, it says so in the audit trail.
            events = session.scalar(select(func.count()).select_from(AuditEvent))
            if events == events_before:
                problems.append(f"{endpoint}: changed the database without an audit event")
        if endpoint == "auth.language":
            victim.post("/language", data={"locale": "id", "next": "/admin/"})
        if endpoint == "auth.login":
            tokens_of.pop(role)  # a new session at login: a new token
    assert problems == [], "\n".join(problems)
    assert clients["anonymous"].get("/admin/").status_code == 200  # signed in by the control


def test_a_post_route_added_without_csrf_protection_fails_the_sweep(app, login):
    """The sweep enumerates the app: a new POST route exempted from CSRF is found and fails."""
    from backoffice.extensions import csrf

    @app.route("/admin/forgotten", methods=["POST"])
    @csrf.exempt
    def forgotten() -> str:
        return "done"

    [rule] = [r for r in state_changing_rules(app) if r.endpoint == "forgotten"]
    client = login("petugas.serang")
    problems = forged(rule.endpoint, client, rule.rule, dict, {})
    assert problems == [
        "forgotten (no token): 200, not refused",
        "forgotten (garbage token): 200, not refused",
    ]


def api_rules(app: Any) -> list[Any]:
    """Every route of /api/v1 that takes a token (found in the app, so a new one is swept)."""
    rules = [r for r in app.url_map.iter_rules() if POLICY.get(r.endpoint) == API]
    assert all(r.rule.startswith("/api/v1/") for r in rules)
    return sorted(rules, key=lambda r: r.endpoint)


def _api_url(rule: Any, value: int) -> str:
    return rule.build({arg: value for arg in rule.arguments}, append_unknown=False)[1]


def test_no_state_changing_api_route_is_opened_by_a_session_cookie(app, session, login, user):
    """The API is CSRF-exempt because it reads no cookie: a signed-in browser's request, with
    or without its valid CSRF token, is refused with 401 and changes nothing; a token's
    request is never refused as CSRF."""
    browser = login("dinas.pertanian.serang")
    valid = browser.csrf_token()
    writes = [r for r in api_rules(app) if r.methods & WRITE_METHODS]
    assert {r.endpoint for r in writes} >= {
        "api_batches.upload_batch",
        "api_batches.submit_batch",
        "api_payer_imports.post_payer_file",
    }
    problems = []
    before = database_state(session)
    for rule in writes:
        for label, token in {"no CSRF token": None, "its valid CSRF token": valid}.items():
            data = {"file": (io.BytesIO(_csv([])), "a.csv"), "department_id": "1"}
            if token:
                data["csrf_token"] = token
            response = browser.post(_api_url(rule, 1), data=data, csrf=False)
            if response.status_code != 401 or response.mimetype != "application/problem+json":
                problems.append(f"{rule.endpoint} ({label}): {response.status_code}")
    assert problems == []
    assert database_state(session) == before

    with unit_of_work(session):
        secret = api_tokens.create_token(
            session,
            user("dinas.pertanian.serang"),
            name="sweep",
            department_id=user("dinas.pertanian.serang").department_id,
        ).secret
    http = app.test_client(use_cookies=False)
    for rule in writes:
        response = http.post(_api_url(rule, 10**9), headers={"Authorization": f"Bearer {secret}"})
        body = response.get_data(as_text=True)
        assert response.status_code != 400 and CSRF_MESSAGE not in body, rule.endpoint
        assert response.mimetype == "application/problem+json" or response.status_code < 300


# --- 2. IDOR --------------------------------------------------------------------------------------

#: The foreign data each user must never reach: KC Jakarta Salemba (Kanwil DKI Jakarta), KC Cilegon
#: (another KC of Banten), another department served by KC Serang.
FOREIGN_GROUPS = {
    "petugas.serang": ("jakarta", "cilegon"),
    "kepala.serang": ("jakarta", "cilegon"),
    "kanwil.banten": ("jakarta",),
    "auditor.banten": ("jakarta",),
    "dinas.pertanian.serang": ("jakarta", "cilegon", "department"),
}
#: Demo names of foreign offices and regions, per group.
GROUP_NAMES = {
    "jakarta": ("Jakarta Salemba", "Kanwil DKI Jakarta", "Kota Jakarta Pusat", "petugas.salemba"),
    "cilegon": ("Cilegon", "petugas.cilegon"),
    "department": ("Diskoumperindag", "diskoumperindag.serang"),
}
GROUP_ALLOWED = {"cilegon": ("Kota Cilegon",)}


@dataclass
class Foreign:
    ids: dict[type, list[int]] = field(default_factory=lambda: defaultdict(list))
    secrets: set[str] = field(default_factory=set)
    versions: dict[tuple[type, int], int] = field(default_factory=dict)
    searches: list[str] = field(default_factory=list)
    #: names in the user's own scope that contain a secret ("Kota Cilegon", a regency of
    #: Banten, contains "Cilegon", the name of a foreign office)
    allowed: set[str] = field(default_factory=set)

    def add(self, obj: Any, *secrets: Any) -> None:
        model = type(obj)
        if obj.id not in self.ids[model]:
            self.ids[model].append(obj.id)
        if hasattr(obj, "version"):
            self.versions[(model, obj.id)] = obj.version
        self.secrets.update(str(s) for s in secrets if s)


def _nik(regency: str, born: date, sex: str, serial: int) -> str:
    day = born.day + (40 if sex == "P" else 0)
    return f"{regency}01{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def _foreign_group(
    app: Any,
    session: Any,
    user: Any,
    f: Foreign,
    group: str,
    tag: str,
    regency_code: str,
    office_code: str,
    clerk: str,
) -> None:
    """A department with its liaison, a branch head and their proposal, a batch (one row
    accepted, one waiting), a member with a ledger and a claim with a document, all audited."""
    doc_settings = claim_documents.DocumentSettings.from_config(app.config, app.instance_path)
    first_event = session.scalar(select(func.max(AuditEvent.id))) or 0
    office = session.scalar(select(Office).where(Office.code == office_code))
    regency = session.scalar(select(Regency).where(Regency.code == regency_code))
    if group != "department":  # the department's office is the liaison's own
        f.add(office, office.name)
    if group == "jakarta":  # Cilegon's region and regencies are Banten's, reference data
        f.add(office.region, office.region.name)
        f.add(regency, regency.name)
    if group == "department":
        department = session.scalar(
            select(Department).where(Department.name.like("Diskoumperindag%"))
        )
        liaison = user("diskoumperindag.serang")
    else:
        department = Department(
            name=f"Dinas Rahasia {tag}", regency=regency, office=office, staff_count=3
        )
        session.add(department)
        session.flush()
        liaison = user_service.create_user(
            session,
            user_service.UserData(
                username=f"penghubung.rahasia.{tag.lower()}",
                full_name=f"Penghubung Rahasia {tag}",
                role=Role.LIAISON,
                department=department,
            ),
            PASSWORD,
        )
        head = user_service.create_user(
            session,
            user_service.UserData(
                username=f"kepala.rahasia.{tag.lower()}",
                full_name=f"Kepala Rahasia {tag}",
                role=Role.BRANCH_HEAD,
                office=office,
            ),
            PASSWORD,
        )
        session.commit()
        f.add(head, head.username, head.full_name)
        proposal = _proposal(session, head, f"Perintis Rahasia {tag}", office_code, regency_code)
        proposals.decide(session, head, proposal.id, "submit")
        f.add(proposal, proposal.name)
        f.add(user(clerk), clerk)
    f.add(department, department.name)
    f.add(liaison, liaison.username, liaison.full_name)

    serial = {"jakarta": 8100, "cilegon": 8200, "department": 8300}[group]
    born = date(1988, 4, 9)
    rows = [
        (_nik(regency_code, born, "L", serial + 1), f"Rahasia {tag} Satu", "09/04/1988", "L"),
        (_nik(regency_code, born, "P", serial + 2), f"Rahasia {tag} Dua", "09/04/1988", "P"),
        # an invalid row: the batch has an error report to ask for
        (f"NIK-SALAH-{tag}", f"Rahasia {tag} Salah", "09/04/1988", "L"),
    ]
    filename = f"rahasia-{tag.lower()}.csv"
    batch = _submitted_batch(session, user, app, liaison.username, _csv(rows), filename)
    batch_rows = list(
        session.scalars(
            select(BatchRow).where(BatchRow.batch_id == batch.id).order_by(BatchRow.number)
        )
    )
    assert batch.invalid_count == 1
    batch = batches.decide(
        session, user(clerk), batch.id, "accept_rows", row_ids=[batch_rows[0].id]
    )
    f.add(batch, filename)
    for row in batch_rows:
        f.add(row, row.name, row.nik)
    accepted = session.scalar(select(Member).where(Member.nik == rows[0][0]))
    f.add(accepted, accepted.name, accepted.nik, accepted.kpj)
    f.searches += [rows[0][1], rows[1][0], accepted.kpj, filename]

    if group != "department":
        member = world.make_member(session, office_code=office_code, name=f"Rahasia {tag} Klaim")
        f.add(member, member.name, member.nik, member.kpj)
        for payment in session.scalars(
            select(ContributionPayment).where(ContributionPayment.member_id == member.id).limit(3)
        ):
            f.add(payment)
        heir = f"Ahli Waris Rahasia {tag}"
        data = replace(world.jkm_data(member), claimant_name=heir, account_holder=heir)
        claim = claim_service.register_claim(session, user(clerk), data)
        session.commit()
        requirement = claim_documents.requirements_for(session, claim)[0]
        document = claim_documents.upload_document(
            session,
            user(clerk),
            claim,
            requirement.id,
            world.PDF,
            f"akta-rahasia-{tag.lower()}.pdf",
            settings=doc_settings,
        )
        f.add(claim, heir, f"JKM-{claim.id:06d}")
        f.add(document, document.filename)
        correction = corrections.propose(
            session,
            user(clerk),
            member,
            {"address": f"Jl. Koreksi Rahasia {tag}"},
            "Alamat pindah.",
            document=corrections.Upload(world.PDF, f"koreksi-rahasia-{tag.lower()}.pdf"),
            settings=doc_settings,
        )
        f.add(correction, f"Jl. Koreksi Rahasia {tag}", correction.document_filename)
        f.searches += [member.kpj, heir]
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id > first_event)):
        f.add(event)
    session.commit()


def build_foreign(app: Any, session: Any, user: Any, groups: Iterable[str]) -> Foreign:
    f = Foreign()
    specs = {
        "jakarta": ("Salemba", "3173", "D21", "petugas.salemba"),
        "cilegon": ("Cilegon", "3672", "B02", "petugas.cilegon"),
        "department": ("Diskop", "3604", "B01", "petugas.serang"),
    }
    for group in groups:
        tag, regency, office, clerk = specs[group]
        _foreign_group(app, session, user, f, group, tag, regency, office, clerk)
        f.secrets.update(GROUP_NAMES[group])
        f.allowed.update(GROUP_ALLOWED.get(group, ()))
    if "cilegon" in groups:
        f.add(session.scalar(select(Office).where(Office.code == "B0201")))  # KCP Cilegon
    if "jakarta" in groups:
        jakarta = session.scalar(select(Region).where(Region.code == "DKI"))
        target = CoverageTarget(
            year=2026,
            region_id=jakarta.id,
            workers=987_654,
            source="Target Rahasia Jakarta",
            valid_from=date(2026, 1, 1),
        )
        session.add(target)
        session.commit()
        f.add(target, "Target Rahasia Jakarta")
    return f


#: Routes taking an ``id`` of another model than their view's.
ID_MODELS = {"claim.document": ClaimDocument, "claim.check_document": ClaimDocument}
#: GET routes that show one row: out of scope they must answer 403/404.
ONE_ROW = ("details_view", "edit_view", "error_report", "document")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable(response: Any) -> str:
    """The text a person could read in the response: a page, a CSV, JSON, a workbook's cells,
    the bytes of a document."""
    data = response.get_data()
    if response.mimetype == XLSX:
        with zipfile.ZipFile(io.BytesIO(data)) as workbook:
            return "".join(
                workbook.read(name).decode("utf-8", "replace")
                for name in workbook.namelist()
                if name.endswith(".xml")
            )
    if response.mimetype.startswith(("text", "application/json")):
        return data.decode("utf-8", "replace")
    return data.decode("latin-1")


def _relationships(model: type) -> list[str]:
    return list(sa.inspect(model).relationships.keys())


def _selecting(flt: Any) -> bool:
    """A filter that selects rows by the value given (equals, contains, in list)."""
    name = type(flt).__name__
    return not name.endswith(("NotEqualFilter", "NotLikeFilter", "NotInListFilter")) and (
        name.endswith(("EqualFilter", "LikeFilter", "InListFilter", "EnumFilter"))
    )


def _list_count(html: str) -> int | None:
    match = re.search(r'class="nav-link active">[^<(]*\((\d+)\)', html)
    return int(match.group(1)) if match else None


def trail_in_scope(session: Any, username: str) -> list[int]:
    """The audit events the user may read, besides their own exports of personal data."""
    reader = session.scalar(select(User).where(User.username == username))
    own_export = sa.and_(AuditEvent.action == EXPORT, AuditEvent.actor_id == reader.id)
    return list(
        session.scalars(
            select(AuditEvent.id)
            .where(authz.row_condition(reader, AuditEvent), sa.not_(own_export))
            .order_by(AuditEvent.id)
        )
    )


def snapshot(app: Any, client: Any) -> dict[str, tuple[int, str]]:
    """Every list (its first page and its count), export (every row) and the dashboard as the
    user sees them."""
    pages = {"/admin/": normalised(client.get("/admin/"))}
    for view in model_views(app):
        for path in (f"/admin/{view.endpoint}/", f"/admin/{view.endpoint}/export/csv/"):
            pages[path] = normalised(client.get(path))
    return pages


class Sweep:
    def __init__(self, app: Any, session: Any, client: Any, foreign: Foreign, username: str):
        self.app, self.session, self.client, self.f = app, session, client, foreign
        self.username = username
        self.problems: list[str] = []
        self.requests = 0
        self.token = client.csrf_token()  # one per session, as a browser keeps it

    # -- checks ----------------------------------------------------------------------------
    def leaks(self, label: str, response: Any, echoed: Iterable[Any] = ()) -> None:
        """No secret in the body, besides what the request itself sent (a search box shows
        what was typed, the language switch the URL)."""
        self.requests += 1
        status = response.status_code
        if status >= 500:
            self.problems.append(f"{label}: {status}")
        body = readable(response)
        for value in sorted({str(v) for v in echoed}, key=len, reverse=True):
            plus = quote_plus(value)
            for form in (quote(plus, safe=""), plus, quote(value), str(escape(value)), value):
                body = body.replace(form, "")
        for name in self.f.allowed:
            body = body.replace(name, "")
        shown = sorted(s for s in self.f.secrets if s in body)
        # What this request flashed was shown now or not at all (a CSV export shows nothing):
        # it must not surface on the next page, where the value typed here is no echo.
        if response.status_code not in (301, 302, 303):  # a redirect shows them next
            with self.client.app.app_context(), self.client.http.session_transaction() as s:
                s.pop("_flashes", None)
        if shown:
            self.problems.append(f"{label}: shows {shown}")

    def refused(self, label: str, response: Any) -> None:
        self.leaks(label, response)
        if response.status_code not in (403, 404):
            self.problems.append(f"{label}: {response.status_code}, expected 403 or 404")

    def get(self, url: str) -> Any:
        return self.client.get(url)

    def post(self, url: str, data: dict[str, Any]) -> Any:
        response = self.client.post(url, data={**data, "csrf_token": self.token})
        if response.status_code in (301, 302, 303):
            # What the user sees next (flashed messages) must not name foreign rows either.
            self.leaks(f"POST {url} -> {response.headers['Location']}", response)
            return self.client.get(response.headers["Location"])
        return response

    # -- the sweep -------------------------------------------------------------------------
    def run(self) -> None:
        start = database_state(self.session, besides_exports=True)
        views = model_views(self.app)
        for view in views:
            before = table_counts(self.session, besides_exports=True)
            for rule in rules_of(self.app, view.endpoint):
                self.route(view, rule)
            if table_counts(self.session, besides_exports=True) != before:
                self.problems.append(f"{view.endpoint}: rows were added or removed")
        # Every other screen (the home page, imports, ...), asked with foreign ids under every
        # name a screen uses for one; signing out or switching language would end the sweep.
        covered = {f"{v.endpoint}." for v in views}
        for rule in sorted(self.app.url_map.iter_rules(), key=lambda r: r.endpoint):
            endpoint = rule.endpoint
            if endpoint.startswith((*covered, "auth.")) or endpoint.endswith("static"):
                continue
            if POLICY.get(endpoint) == API:
                continue  # a session never opens the API: swept with tokens below
            if "GET" in rule.methods:
                url = build(rule, **self.foreign_ids())
                self.leaks(f"GET {url}", self.get(url))
            if rule.methods & WRITE_METHODS:
                url = build(rule, **self.foreign_ids())
                self.leaks(
                    f"POST {url}",
                    self.post(url, {**self.foreign_references(), **self.foreign_ids()}),
                )
        if database_state(self.session, besides_exports=True) != start:
            self.problems.append("the database changed")

    def foreign_ids(self) -> dict[str, str]:
        f = self.f
        names = {
            "id": Member,
            "member": Member,
            "claim": Claim,
            "batch": MemberBatch,
            "department": Department,
            "office": Office,
            "region": Region,
            "user": User,
        }
        return {name: str(f.ids[model][-1]) for name, model in names.items() if f.ids.get(model)}

    def route(self, view: Any, rule: Any) -> None:
        endpoint, name = rule.endpoint, rule.endpoint.split(".", 1)[1]
        ids = self.f.ids.get(ID_MODELS.get(endpoint, view.model), [])
        ids = list(dict.fromkeys(ids[:2] + ids[-2:]))  # the first and the last group's
        if "GET" in rule.methods:
            self.get_route(view, rule, name, ids)
        if rule.methods & WRITE_METHODS:
            self.post_route(view, rule, name, ids)

    def get_route(self, view: Any, rule: Any, name: str, ids: list[int]) -> None:
        if name in ("index_view", "export"):
            # Searches and filters select foreign rows only: a search is ignored by a view
            # without searchable columns (its plain list is compared with the baseline).
            searches = self.f.searches if name == "index_view" else self.f.searches[:2]
            queries: list[dict[str, Any]] = []
            if view._search_supported:
                queries += [{"search": s} for s in searches]
            for index, flt in enumerate(view._filters or []):
                if _selecting(flt):
                    for value in (*(str(i) for i in ids[:1]), self.f.searches[0]):
                        queries.append({f"flt0_{index}": value})
            for query in queries:
                url = build(rule, **query)
                response = self.get(url)
                self.leaks(f"GET {url}", response, query.values())
                counted = _list_count(response.get_data(as_text=True))
                if "search" in query and view._search_supported and counted:
                    # every search/filter value here is foreign: nothing may be counted
                    self.problems.append(f"GET {url}: counts foreign rows")
        elif name == "ajax_lookup":
            # No screen has an ajax lookup today (each name answers 404); one added later is
            # asked for every foreign name.
            names = {
                **dict.fromkeys(_relationships(view.model), 1),
                **dict.fromkeys(view._form_ajax_refs, 99),
            }
            for field_name, many in names.items():
                for query in self.f.searches[:many]:
                    url = build(rule, name=field_name, query=query)
                    self.leaks(f"GET {url}", self.get(url), [query])
        elif name in ONE_ROW:
            for row_id in ids:
                url = build(rule, id=row_id)
                self.refused(f"GET {url}", self.get(url))
        else:  # a form or a download not about one row: only its content matters
            url = build(rule, id=ids[0]) if ids else build(rule)
            self.leaks(f"GET {url}", self.get(url))

    def post_route(self, view: Any, rule: Any, name: str, ids: list[int]) -> None:
        common = self.foreign_references
        if name == "action_view":
            for action, _text in view._actions:
                data = {"action": action, "rowid": [str(i) for i in ids], "comment": "Rahasia"}
                url = build(rule)
                self.leaks(f"POST {url} {action}", self.post(url, data))
        elif name == "decide":
            for action in view.workflow.transitions:
                for row_id in ids:
                    version = self.f.versions.get((view.model, row_id), 1)
                    data = {**common(), "id": row_id, "action": action, "version": version}
                    url = build(rule)
                    self.refused(f"POST {url} {action} #{row_id}", self.post(url, data))
        elif name == "create_view":
            # Not about an id, but every reference in the form points to a foreign row.
            url = build(rule)
            form = common()
            response = self.post(url, form)
            self.leaks(f"POST {url}", response, [v for v in form.values() if isinstance(v, str)])
        else:
            for row_id in ids:
                url = build(rule, id=row_id)
                data = {**common(), "id": row_id, "document_id": row_id, "list_form_pk": row_id}
                self.refused(f"POST {url}", self.post(url, data))

    def foreign_references(self) -> dict[str, Any]:
        """A form of every field some screen has, each naming a foreign row."""
        f = self.f

        def first(model: type) -> str:
            return str(f.ids[model][0]) if f.ids.get(model) else "__None"

        member = self.session.get(Member, f.ids[Member][-1])
        return {
            "name": "Rahasia Baru",
            "code": "Z01",
            "office": first(Office),
            "parent": first(Office),
            "region": first(Region),
            "regency": first(Regency),
            "department": first(Department),
            "office_type": "KCP",
            "address": "Jl. Rahasia",
            "planned_opening": (TODAY + timedelta(days=30)).isoformat(),
            "staff_count": "3",
            "justification": "Uji",
            "row_id": [str(i) for i in f.ids.get(BatchRow, [])],
            "comment": "Rahasia",
            "payment_reference": "TRF-RAHASIA-1",
            "paid_on": today_in_jakarta().isoformat(),
            "office_code": "Z01",
            "period": today_in_jakarta().strftime("%Y-%m"),
            "months": "1",
            "channel": "counter",
            "reference": "RAHASIA",
            "requirement_id": "1",
            "file": (io.BytesIO(world.PDF), "rahasia.pdf"),
            **_claim_form(member.kpj),
        }


@pytest.mark.parametrize("username", sorted(FOREIGN_GROUPS))
def test_no_user_reaches_rows_of_another_office_department_or_region(
    app, session, login, user, username, monkeypatch
):
    # The foreign users are made with a cheap hash: scrypt is the slow part of making them.
    fast = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    monkeypatch.setattr(user_service, "generate_password_hash", lambda password: fast)
    client = login(username)
    before = snapshot(app, client)
    trail_before = trail_in_scope(session, username)
    foreign = build_foreign(app, session, user, FOREIGN_GROUPS[username])
    for view in model_views(app):  # every screen has foreign rows to be asked for
        assert foreign.ids.get(view.model) or view.model in (
            IncomeLevel,
            ContributionRate,
            BenefitParameter,
            JhtReturnRate,
            HolidayCorrection,
        )
    for model in (BatchRow, ContributionPayment, ClaimDocument):
        assert foreign.ids.get(model), f"no foreign {model.__name__} was made"

    # Lists, exports and the dashboard are exactly what they were: no row, name or count.
    after = snapshot(app, client)
    changed = sorted(path for path in before if before[path] != after[path])
    # The snapshot's own exports of personal data are audited (UU 27/2022): an auditor's
    # trail shows them, and nothing else changed in it.
    assert set(changed) <= {"/admin/audit/", "/admin/audit/export/csv/"}
    assert trail_in_scope(session, username) == trail_before

    sweep = Sweep(app, session, client, foreign, username)
    sweep.run()
    assert sweep.problems == [], "\n".join(sweep.problems)
    assert sweep.requests > 200


# --- 3. IDOR through the API ------------------------------------------------------------------


def test_no_api_token_reaches_rows_of_another_office_department_or_region(
    app, session, user, monkeypatch
):
    """A Dinas Pertanian token asks every API route for the batches of Diskoumperindag, KC
    Cilegon and Jakarta (and a Serang branch system for another office's payer file): each
    answer is exactly the one for an id that does not exist, lists name none of them, and
    nothing changes."""
    fast = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    monkeypatch.setattr(user_service, "generate_password_hash", lambda password: fast)
    liaison = user("dinas.pertanian.serang")
    foreign = build_foreign(app, session, user, FOREIGN_GROUPS[liaison.username])
    serang, cilegon = (
        session.scalar(select(Office).where(Office.code == code)) for code in ("B01", "B02")
    )
    with unit_of_work(session):
        secrets = {
            "department": api_tokens.create_token(
                session, liaison, name="d", department_id=liaison.department_id
            ).secret,
            "office": api_tokens.create_token(
                session, user("admin"), name="o", office_id=serang.id
            ).secret,
        }
        elsewhere = api_tokens.create_token(session, user("admin"), name="c", office_id=cilegon.id)
        foreign_import = api_tokens.remember(
            session,
            elsewhere.token.id,
            "k",
            "POST /payer-imports",
            result={
                "department_id": 1,
                "filename": "Rahasia.csv",
                "rows": 1,
                "members": 1,
                "months": 1,
                "amount": 1,
            },
        )
    http = app.test_client(use_cookies=False)

    def call(rule: Any, value: int, who: str) -> tuple[int, str]:
        method = "post" if "POST" in rule.methods else "get"
        response = getattr(http, method)(
            _api_url(rule, value), headers={"Authorization": f"Bearer {secrets[who]}"}
        )
        return response.status_code, response.get_data(as_text=True)

    foreign_batches = foreign.ids[MemberBatch]
    assert len(foreign_batches) >= 3
    states = {b: session.get(MemberBatch, b).state for b in foreign_batches}
    problems: list[str] = []
    requests = 0
    for rule in api_rules(app):
        if not rule.arguments:
            continue
        if "batch_id" in rule.arguments:
            who, ids = "department", foreign_batches
        else:
            who, ids = "office", [foreign_import.id]
        missing = call(rule, 10**9, who)
        assert missing[0] == 404, rule.endpoint
        for value in ids:
            requests += 1
            if call(rule, value, who) != missing:
                problems.append(f"{rule.endpoint} {value}: answered unlike a missing id")
    assert requests >= 10
    for rule in api_rules(app):
        if not rule.arguments and "GET" in rule.methods:
            status, body = call(rule, 0, "department")
            assert status == 200, rule.endpoint
            leaked = sorted(s for s in foreign.secrets if len(s) > 5 and s in body)
            if leaked:
                problems.append(f"{rule.endpoint}: shows {leaked[:3]}")
    assert problems == [], "\n".join(problems)
    session.expire_all()
    assert {b: session.get(MemberBatch, b).state for b in foreign_batches} == states
