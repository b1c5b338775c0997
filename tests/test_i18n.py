"""Bahasa Indonesia by default, English on request (kept per user), Indonesian formats."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from backoffice.i18n import format_date, format_rupiah

ROOT = Path(__file__).resolve().parent.parent
LC = ROOT / "backoffice" / "translations" / "id" / "LC_MESSAGES"

# Words of Flask-Admin's and our English UI that must not appear on an Indonesian screen.
# fmt: off
ENGLISH = [
    "List", "Create", "Details", "Edit", "Delete", "Save", "Cancel", "Search", "Add Filter",
    "Apply", "Reset", "Export", "Home", "Sign out", "Yes", "No", "Actions", "With selected",
    "Offices", "Users", "Regions", "Departments", "Name", "Code", "Type", "Active", "Role",
    "There are no items", "Page", "items", "Next", "Previous", "Welcome",
]
# fmt: on


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def english_words(text: str) -> list[str]:
    return [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


SCREENS = [
    "/admin/",
    "/admin/office/",
    "/admin/office/?flt0_0=1",
    "/admin/office/new/",
    "/admin/user/",
    "/admin/user/new/",
    "/admin/region/",
    "/admin/department/",
    "/admin/regency/?search=zzz",
]


@pytest.mark.parametrize("url", SCREENS)
def test_screens_are_in_indonesian_by_default(login, url):
    page = login("admin").get(url)
    assert page.status_code == 200
    assert english_words(visible_text(page.get_data(as_text=True))) == []


def test_details_page_is_in_indonesian(login, user):
    page = login("admin").get(f"/admin/user/details/?id={user('petugas.serang').id}")
    assert english_words(visible_text(page.get_data(as_text=True))) == []


def test_login_page_is_in_indonesian(client):
    text = visible_text(client.get("/login").get_data(as_text=True))
    assert "Masuk" in text and "Kata sandi" in text
    assert "Password" not in text and "Sign in" not in text


def test_english_switch_is_kept_per_user(login, app):
    client = login("petugas.serang")
    response = client.post("/language", data={"locale": "en", "next": "/admin/office/"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/office/"
    text = visible_text(client.get("/admin/office/").get_data(as_text=True))
    assert "Offices" in text and "Sign out" in text
    # a new session of the same user starts in English
    fresh = login("petugas.serang")
    assert "Sign out" in visible_text(fresh.get("/admin/").get_data(as_text=True))
    # and switching back restores Indonesian
    fresh.post("/language", data={"locale": "id"})
    assert "Keluar" in visible_text(fresh.get("/admin/").get_data(as_text=True))


def test_unknown_language_is_refused(login):
    assert login("admin").post("/language", data={"locale": "fr"}).status_code == 400


def test_form_validation_messages_are_in_indonesian(login):
    html = (
        login("admin")
        .post("/admin/region/new/", data={"code": "", "name": ""})
        .get_data(as_text=True)
    )
    assert "Kolom ini wajib diisi." in html


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (16800, "Rp16.800"),
        (Decimal("42000000"), "Rp42.000.000"),
        (0, "Rp0"),
        (Decimal("1234.5"), "Rp1.234,50"),
        (-500, "-Rp500"),
        (None, ""),
    ],
)
def test_rupiah_format(amount, text):
    assert format_rupiah(amount) == text


def test_date_format():
    assert format_date(date(2026, 11, 22)) == "22/11/2026"
    # stored in UTC, shown in Jakarta time (UTC+7)
    assert format_date(datetime(2026, 11, 22, 20, 30, tzinfo=UTC)) == "23/11/2026 03:30"


def _app_msgids() -> set[str]:
    method_map = [
        ("backoffice/**.py", "python"),
        ("views/**.py", "python"),
        ("backoffice/templates/**.html", "jinja2"),
    ]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_app_has_an_indonesian_translation():
    translated: dict[str, str] = {}
    for po in sorted(LC.glob("messages*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale="id"):
                if message.id and message.string:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    translated[key] = message.string
    missing = sorted(m for m in _app_msgids() if m and m not in translated)
    assert missing == [], "add translations with tools/po_add.py: " + repr(missing)


def test_state_filters_offer_their_options_in_the_users_language(login):
    """Flask-Admin reads a filter's options once at start-up; the state filters read theirs for
    each page, so the member status filter reads "nonaktif (menunggak)", or "lapsed" in English."""
    client = login("petugas.serang")
    page = client.get("/admin/member/").get_data(as_text=True)
    assert "nonaktif (menunggak)" in page and '"lapsed"]' not in page.replace(", ", ",")
    client.post("/language", data={"locale": "en"})
    page = client.get("/admin/member/").get_data(as_text=True)
    assert "nonaktif (menunggak)" not in page
