"""The API's browsable page (Swagger UI from the app's static files) runs under the app's CSP, and
a token made on the API tokens screen opens the API.

The liaison of Dinas Pertanian creates a token on the screen (shown once), opens the API
documentation from there and sees the generated operations; a script or style refused by the
Content-Security-Policy would be a console error or leave the page empty: both fail the test.
"""

from __future__ import annotations

import pytest

from tests.e2e import ui

expect = ui.expect
pytestmark = pytest.mark.e2e


def test_the_liaison_makes_a_token_and_reads_the_api_documentation(actors):
    liaison = actors.login("dinas.pertanian.serang")
    liaison.goto("/admin/api_token/")
    liaison.get_by_label("Nama (sistem yang akan memakainya)").fill("SIMTANI")
    liaison.get_by_role("button", name="Buat token API").click()
    secret = liaison.locator("#token-secret").inner_text().strip()
    assert secret.startswith("bpjs_")
    expect(liaison.locator("#tokens")).to_contain_text("SIMTANI")

    answer = liaison.request.get(
        "/api/v1/members?limit=1", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200 and "items" in answer.json()

    liaison.get_by_role("link", name="Dokumentasi API").click()
    expect(liaison.locator(".swagger-ui .info .title")).to_contain_text("BPJS Ketenagakerjaan")
    expect(liaison.locator(".opblock-summary-path").first).to_be_visible()
    expect(liaison.locator("#swagger-ui-container")).to_contain_text("/api/v1/batches")
    refused = [line for line in actors.console if "Content Security Policy" in line]
    assert refused == [], refused
    actors.assert_no_problems()
