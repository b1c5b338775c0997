"""Every URL rule of the app, for every demo role, against a declared policy.

A route that is not in POLICY fails the test: whoever adds a route decides who may use it.
"""

from __future__ import annotations

import pytest

ROLES = {
    "admin": "admin",
    "regional_head": "kanwil.banten",
    "auditor": "auditor.banten",
    "branch_head": "kepala.serang",
    "clerk": "petugas.serang",
    "liaison": "dinas.pertanian.serang",
}
EVERYONE = frozenset(ROLES)
PUBLIC = "public"  # also reachable without signing in
#: /api/v1: a bearer token's, never a session's (any cookie gets 401; tests/test_api.py)
API = "api"


def model_view(endpoint: str, *, read: set[str], write: set[str], export: set[str]) -> dict:
    return {
        f"{endpoint}.index_view": frozenset(read),
        f"{endpoint}.details_view": frozenset(read),
        f"{endpoint}.ajax_lookup": frozenset(read),
        f"{endpoint}.action_view": frozenset(read),
        f"{endpoint}.export": frozenset(export),
        f"{endpoint}.create_view": frozenset(write),
        f"{endpoint}.edit_view": frozenset(write),
        f"{endpoint}.ajax_update": frozenset(write),
        f"{endpoint}.delete_view": frozenset(),  # nothing is deleted: records are deactivated
    }


STAFF = {"admin", "regional_head", "auditor", "branch_head", "clerk"}

POLICY: dict[str, frozenset[str] | str] = {
    "static": PUBLIC,
    "favicon": PUBLIC,  # a redirect to the static icon
    "admin.static": PUBLIC,
    # The API's document and its browsable page are public; its calls take a token.
    "api-docs.openapi_json": PUBLIC,
    "api-docs.openapi_swagger_ui": PUBLIC,
    "api_batches.upload_batch": API,
    "api_batches.get_batch": API,
    "api_batches.batch_rows": API,
    "api_batches.submit_batch": API,
    "api_members.list_members": API,
    "api_payer_imports.post_payer_file": API,
    "api_payer_imports.get_payer_file": API,
    "api_token.index": frozenset({"admin", "liaison"}),
    "api_token.revoke": frozenset({"admin", "liaison"}),
    "auth.home": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.language": PUBLIC,
    "auth.change_password": EVERYONE,  # each user changes their own password
    "health.healthz": PUBLIC,  # for load balancers: no account, nothing secret in the answer
    "admin.index": EVERYONE,
    # Each user's own notifications (another user's is 404) and email settings.
    "notifications.index": EVERYONE,
    "notifications.open": EVERYONE,
    "notifications.read": EVERYONE,
    "notifications.read_all": EVERYONE,
    "auth.notification_settings": EVERYONE,
    "outbox.index": {"admin"},
    "outbox.retry": {"admin"},
    "coverage.index": EVERYONE,  # each role its own scope (tests/test_coverage_dashboards.py)
    "coverage.export": EVERYONE,
    **model_view("region", read={"admin", "auditor"}, write={"admin"}, export={"admin", "auditor"}),
    **model_view(
        "regency", read={"admin", "auditor"}, write={"admin"}, export={"admin", "auditor"}
    ),
    **model_view(
        "office", read=STAFF, write={"admin"}, export={"admin", "regional_head", "auditor"}
    ),
    **model_view(
        "department", read=STAFF, write={"admin"}, export={"admin", "regional_head", "auditor"}
    ),
    **model_view(
        "proposal",
        read={"admin", "regional_head", "auditor", "branch_head"},
        write={"admin", "branch_head"},
        export={"admin", "regional_head", "auditor"},
    ),
    "proposal.decide": frozenset({"admin", "regional_head", "branch_head"}),
    **model_view("proposal_queue", read={"regional_head"}, write=set(), export=set()),
    "proposal_queue.decide": frozenset({"regional_head"}),
    **model_view(
        "audit",
        read={"admin", "auditor", "regional_head"},
        write=set(),
        export={"admin", "auditor"},
    ),
    **model_view("batch", read=EVERYONE, write=set(), export=set()),
    "batch.create_view": frozenset({"liaison"}),
    "batch.template": frozenset({"liaison"}),
    "batch.error_report": EVERYONE,
    "batch.decide": frozenset({"liaison", "clerk", "branch_head"}),
    # Personal data in full (UU 27/2022): the office's staff and the liaison who supplied them.
    "batch.reveal_rows": frozenset({"liaison", "clerk", "branch_head"}),
    "registration_queue.reveal_rows": frozenset({"clerk", "branch_head"}),
    "member.reveal_personal_data": frozenset({"liaison", "clerk", "branch_head"}),
    "claim.reveal_personal_data": frozenset({"clerk", "branch_head"}),
    "claim_queue.reveal_personal_data": frozenset({"clerk", "branch_head"}),
    **model_view("registration_queue", read={"clerk", "branch_head"}, write=set(), export=set()),
    **model_view("member", read=EVERYONE, write=set(), export=EVERYONE),
    "member.record_contribution": frozenset({"clerk"}),
    # Corrections of member data: a clerk proposes, another user of the member's office decides.
    "member.propose_correction": frozenset({"clerk"}),
    # Printed documents (the member card, a paid claim's payment letter): the office's staff.
    "member.member_card": frozenset({"clerk", "branch_head"}),
    "claim.payment_letter": frozenset({"clerk", "branch_head"}),
    "claim.documents_receipt": frozenset({"clerk", "branch_head"}),
    **model_view("correction", read={"clerk", "branch_head"}, write=set(), export=set()),
    "correction.decide": frozenset({"clerk", "branch_head"}),
    "correction.document": frozenset({"clerk", "branch_head"}),
    # A payer's contribution file: a branch clerk, for a department their office serves.
    "contribution_import.index": frozenset({"clerk"}),
    "contribution_import.template": frozenset({"clerk"}),
    "contribution_import.preview": frozenset({"clerk"}),
    "contribution_import.error_report": frozenset({"clerk"}),
    "contribution_import.record": frozenset({"clerk"}),
    **model_view(
        "claim",
        read={"admin", "regional_head", "auditor", "branch_head", "clerk"},
        write={"branch_head", "clerk"},
        export={"admin", "regional_head", "auditor", "branch_head", "clerk"},
    ),
    "claim.decide": frozenset({"regional_head", "branch_head", "clerk"}),
    "claim.document": frozenset({"admin", "regional_head", "auditor", "branch_head", "clerk"}),
    "claim.view_document": frozenset({"admin", "regional_head", "auditor", "branch_head", "clerk"}),
    "claim.upload_document": frozenset({"branch_head", "clerk"}),
    "claim.upload_documents": frozenset({"branch_head", "clerk"}),
    "claim.check_document": frozenset({"branch_head", "clerk"}),
    **model_view(
        "claim_queue",
        read={"regional_head", "branch_head", "clerk"},
        write=set(),
        export=set(),
    ),
    **model_view("income_level", read=STAFF, write={"admin"}, export={"admin", "auditor"}),
    **model_view("contribution_rate", read=STAFF, write={"admin"}, export={"admin", "auditor"}),
    **model_view("benefit_parameter", read=STAFF, write={"admin"}, export={"admin", "auditor"}),
    **model_view("jht_return_rate", read=STAFF, write={"admin"}, export={"admin", "auditor"}),
    **model_view("holiday_correction", read=STAFF, write={"admin"}, export={"admin", "auditor"}),
    **model_view("coverage_target", read=STAFF, write={"admin"}, export={"admin", "auditor"}),
    **model_view(
        "user",
        read={"admin", "regional_head", "auditor"},
        write={"admin"},
        export={"admin", "auditor"},
    ),
}


def _url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        values[arg] = {"filename": "admin/css/bootstrap4/admin.css", "export_type": "csv"}.get(
            arg, "1"
        )
    return rule.build(values, append_unknown=False)[1]


def _request(client, rule):
    url = _url(rule)
    if "GET" in rule.methods:
        return client.get(url)
    return client.post(url, data={})


def test_every_route_has_a_policy(app):
    missing = sorted(
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint not in POLICY
    )
    assert missing == [], f"routes without a policy entry: {missing}"


def test_anonymous_users_are_sent_to_login(app, client):
    for rule in app.url_map.iter_rules():
        policy = POLICY[rule.endpoint]
        response = _request(client, rule)
        assert response.status_code < 500, rule.rule
        if policy == API:
            assert response.status_code == 401, rule.rule
        elif policy != PUBLIC:
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/login"), rule.rule


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_answers_match_the_policy(app, login, role):
    client = login(ROLES[role])
    problems = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if rule.endpoint in ("auth.logout",):
            continue  # would end the session under test
        policy = POLICY[rule.endpoint]
        response = _request(client, rule)
        status = response.status_code
        location = response.headers.get("Location", "")
        if status >= 500:
            problems.append(f"{rule.endpoint}: {status}")
        elif policy == API:
            if status != 401:
                problems.append(f"{rule.endpoint}: {status}, a session cookie opened the API")
        elif policy == PUBLIC or role in policy:
            if status == 403 or location.startswith("/login"):
                problems.append(f"{rule.endpoint}: {status} but {role} is allowed")
        elif status != 403:
            problems.append(f"{rule.endpoint}: {status}, expected 403 for {role}")
    assert problems == []
