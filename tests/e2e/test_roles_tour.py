"""Each demo role in a real browser: home, every menu screen, a details page and a form of the
first screens, each page read by the UI language checker (tests/ui_language.py: no code
identifier, raw JSON or English in the Indonesian UI) and kept as a screenshot under
tests/e2e/artifacts/roles/<role>/ (gitignored). One test per role, at most ``MAX_PAGES`` pages.
"""

from __future__ import annotations

import re
import shutil

import pytest

from backoffice.seed import demo
from tests.e2e import ui
from tests.e2e.conftest import ARTIFACTS
from tests.ui_language import links, problems, screen_of

expect = ui.expect
pytestmark = pytest.mark.e2e

ROLES = [
    "admin",
    "kanwil.banten",
    "kepala.serang",
    "petugas.serang",
    "dinas.pertanian.serang",
    "diskoumperindag.serang",
    "auditor.banten",
]
USERNAMES = {username for username, *_ in demo.USERS}
MAX_PAGES = 15


@pytest.mark.parametrize("username", ROLES)
def test_a_role_tours_its_screens_in_indonesian(actors, username):
    shots = ARTIFACTS / "roles" / username
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    page = actors.login(username)
    found: list[str] = []
    seen: list[str] = []

    def look(url: str) -> str:
        page.goto(url)
        expect(page.locator("#current-user")).to_be_visible()
        html = page.content()
        seen.append(url)
        name = f"{len(seen):02d}-" + re.sub(r"[^A-Za-z0-9]+", "_", url.split("&url=")[0]).strip("_")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        found.extend(f"{url}: {p}" for p in problems(html, USERNAMES))
        return html

    home = look("/admin/")
    menu = [u for u in dict.fromkeys(links(home).menu) if u != "/admin/"]
    assert menu, "the role has screens in its menu"
    extra: list[str] = []
    for url in menu:
        if len(seen) >= MAX_PAGES:
            break
        html = look(url)
        screen = screen_of(url)
        on_list = links(html)
        details = [d for d in on_list.details if screen_of(d) == screen][:1]
        forms = [f for f in on_list.forms if screen_of(f) == screen][:1]
        extra.extend(details + forms)
    for url in extra:
        if len(seen) >= MAX_PAGES:
            break
        look(url)
    assert len(seen) >= 3, seen
    assert not found, "\n".join(found)
    actors.assert_no_problems()
