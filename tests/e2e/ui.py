"""What a person does on the back-office pages, in Playwright terms (shared by the journeys).

Imported as ``tests.e2e.ui`` by the journeys of tests/e2e (not a test module itself).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

if os.environ.get("REQUIRE_BROWSER") != "1":  # in CI a missing Playwright fails the collection
    pytest.importorskip(
        "playwright", reason="browser tests skipped: Playwright is not installed (.[dev] extras)"
    )

from playwright.sync_api import Locator, Page, expect  # noqa: E402

#: How long the embedded task consumer may take to check an uploaded file, in milliseconds.
PROCESSING_TIMEOUT_MS = 60_000


def menu_link(page: Page, name: str) -> Locator:
    """The entry of the top menu called ``name`` (a count badge may follow the name)."""
    return (
        page.locator("#admin-navbar-collapse")
        .locator("a.nav-link, a.dropdown-item")
        .filter(has_text=re.compile(r"^\s*" + re.escape(name) + r"(\s+\d+)?\s*$"))
    )


def open_menu(page: Page, name: str) -> None:
    """Click a menu entry, opening its drop-down first when it sits in one."""
    link = menu_link(page, name)
    expect(link).to_have_count(1)
    if not link.is_visible():
        link.locator("xpath=ancestor::li[contains(@class, 'dropdown')][1]/a").click()
    link.click()


def menu_badge(page: Page, name: str) -> Locator:
    """The count badge of a menu entry (``Antrean persetujuan 1``)."""
    return menu_link(page, name).locator(".badge-count")


def flash(page: Page, kind: str = "success") -> Locator:
    """The flashed messages of a kind: success, warning, danger (category "error")."""
    return page.locator(f"div.alert.alert-{kind}")


def choose_select2(page: Page, field_id: str, text: str) -> None:
    """Pick ``text`` in a Flask-Admin select2 drop-down: open it, type, pick the result."""
    page.locator(f"#s2id_{field_id} a.select2-choice").click()
    drop = page.locator(".select2-drop-active:visible")
    drop.locator("input.select2-input").fill(text)
    drop.locator(".select2-results li.select2-result-selectable").filter(
        has_text=re.compile("^" + re.escape(text) + "$")
    ).click()
    expect(page.locator(f"#s2id_{field_id} .select2-chosen")).to_have_text(text)


def list_row(page: Page, text: str) -> Locator:
    """The row of a Flask-Admin list that contains ``text`` (exactly one)."""
    row = page.locator("table.model-list tbody tr").filter(has_text=text)
    expect(row).to_have_count(1)
    return row


def ready(page: Page) -> None:
    """Wait until the page's scripts have run (its load event): a decision button clicked
    before static/confirm.js is attached sends its form at once, as without JavaScript."""
    page.wait_for_load_state("load")


def open_details(row: Locator) -> None:
    """Click the "view" icon of a list row."""
    row.get_by_title("Lihat Data").click()


def search_list(page: Page, text: str) -> None:
    box = page.locator("input[name='search']")
    box.fill(text)
    box.press("Enter")


def cell_texts(rows: Locator) -> list[list[str]]:
    """The cell texts of table rows, whitespace collapsed."""
    return [
        [" ".join(text.split()) for text in row.locator("td").all_inner_texts()]
        for row in rows.all()
    ]


def download(page: Page, link: Locator, target_dir: Path) -> Path:
    """Click a link that downloads a file; the saved file (under its suggested name)."""
    with page.expect_download() as info:
        link.click()
    item = info.value
    assert item.failure() is None, item.failure()
    target = target_dir / item.suggested_filename
    item.save_as(target)
    return target


def upload_file(page: Page, file_input: Locator, name: str, content: bytes, mime: str) -> None:
    file_input.set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])


def wait_until_checked(page: Page) -> str:
    """An uploaded member file is checked in the background: the page says "sedang diperiksa"
    and reloads itself every two seconds until the check is over. The state it ends in."""
    state = page.locator("#item-state")
    expect(state).to_have_text(
        re.compile(r"^(sedang diperiksa|draf|berkas ditolak|pemeriksaan gagal)$")
    )
    expect(state).not_to_have_text("sedang diperiksa", timeout=PROCESSING_TIMEOUT_MS)
    return state.inner_text()
