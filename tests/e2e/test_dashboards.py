"""The coverage dashboards in Chromium (issue #19): each role's dashboard opens, its charts are
drawn (ECharts from the app's static files, under the Content-Security-Policy without
unsafe-inline), no script error, no console error and no CSP violation (the page's
``securitypolicyviolation`` events), and a screenshot of each is kept in
``tests/e2e/artifacts/``. The regional head clicks a regency, then one of its departments, then a figure, and lands on the
member list it counts."""

from __future__ import annotations

import re

import pytest

from tests.e2e import ui
from tests.e2e.conftest import ARTIFACTS

expect = ui.expect
pytestmark = pytest.mark.e2e

#: Records every CSP violation of the page, before any of its scripts runs.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

USERS = (
    "kanwil.banten",
    "auditor.banten",
    "kepala.serang",
    "petugas.serang",
    "dinas.pertanian.serang",
)


def _open_dashboard(actors, username: str, path: str = "/admin/coverage/"):
    page = actors.login(username)
    page.context.add_init_script(WATCH_CSP)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path)
    expect(page.locator("#coverage-target")).to_be_visible()
    # ECharts draws SVG into each chart's box: the script ran.
    expect(page.locator("#coverage-trend svg")).to_have_count(1)
    return page, errors


def _no_violations(page, errors: list[str]) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []


@pytest.mark.parametrize("username", USERS)
def test_each_dashboard_draws_its_charts_without_error(actors, username):
    page, errors = _open_dashboard(actors, username)
    if page.locator("#coverage-breakdown").count():
        expect(page.locator("#coverage-bars svg")).to_have_count(1)
    # The table beside the chart reads without the chart.
    expect(page.locator("#coverage-trend-table tbody tr")).to_have_count(12)
    _no_violations(page, errors)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{username}.png"), full_page=True)
    actors.assert_no_problems()


def test_the_regional_head_drills_down_and_opens_the_members_a_figure_counts(actors):
    page, errors = _open_dashboard(actors, "kanwil.banten")
    expect(page.locator("#coverage-target")).to_contain_text("dari 2.620.000 pekerja")
    page.locator("#coverage-breakdown a[href*='regency=3604']").first.click()
    expect(page.locator("#coverage-crumbs")).to_contain_text("Kabupaten Serang")
    expect(page.locator("#coverage-trend svg")).to_have_count(1)
    # A regency opens on its departments, with the offices serving it below.
    expect(page.locator("#coverage-offices tbody tr").first).to_be_visible()
    page.locator("#coverage-breakdown a[href*='department=']", has_text="Dinas Pertanian").click()
    expect(page.locator("#coverage-crumbs")).to_contain_text("Dinas Pertanian Kab. Serang")
    expect(page.locator("#coverage-target")).to_contain_text("dari 18.000 pekerja")
    expect(page.locator("#coverage-bars svg")).to_have_count(1)
    shown = page.locator("#fig-active").inner_text().replace(".", "").strip()
    page.locator("#fig-active").click()
    expect(page).to_have_url(re.compile(r"/admin/member/\?"))
    expect(page.locator("td.col-kpj")).to_have_count(min(int(shown), 20))
    _no_violations(page, errors)
    actors.assert_no_problems()
