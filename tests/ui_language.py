"""What a page shows an Indonesian user, checked for code and English (issue #18).

``problems(html)`` reads the text a person sees on a rendered page (not attributes, not hidden
inputs, not scripts or styles) and names each piece that is
- a code identifier: ``snake_case``, a dotted key (``approval.limit.branch_clerk``,
  ``member.kpj``) or an enum value (``JKK_TRANSPORT``);
- raw JSON (``{"field":`` or ``[{``);
- untranslated English: a word of ``ENGLISH_WORDS`` (words no Indonesian screen text uses), or
  an English message of the app's catalogs (a msgid whose Indonesian translation differs) shown
  as it is.

Names, NIK masks (``3604********0001``), Rupiah amounts, usernames (``petugas.serang``, given
as ``allowed``) and file names (``anggota.xlsx``) are not code. ``links(html)`` gives the pages a
page leads to (the menu, details, create and edit links) for the crawls of
tests/test_ui_language.py and tests/e2e/test_roles_tour.py.

Imported by tests (not a test module itself).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

from tests.html_page import VOID_ELEMENTS

CATALOGS = (
    Path(__file__).resolve().parents[1] / "backoffice" / "translations" / "id" / "LC_MESSAGES"
)

#: English words that never appear in the text of an Indonesian screen (whole words, any case).
#: Words Indonesian offices write too (data, status, total, email, filter, online, file, link,
#: nomor, admin, draft...) are not here.
ENGLISH_WORDS = frozenset(
    """
    the and with without from this that these those which who whose when where while there
    their they them is are was were be been being has have had not but also only than then
    into onto upon about above below after before between under over each every any some
    should would could must may might will shall can cannot please
    yes none
    amounts limit limits note notes branch clerk clerks head regional region regions
    claim claims member members office offices approved rejected submitted returned pending
    approve reject submit return withdraw withdrawn save saved cancel delete edit create
    created updated details list search results records record show showing page
    home sign password change changes users user role roles value values field fields
    payment payments paid contribution contributions rate rates benefit benefits
    parameters income level levels invalid error errors warning required optional
    date dates month months year years day days new old name names number reason comments
    approval queue batches rows row accepted waiting review completed partially
    department departments regency regencies holiday holidays returns trail event
    events actor action actions
    """.split()
)

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_ENUM = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_DOTTED = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$")
_JSON = re.compile(r"\{\s*\"[^\"]*\"\s*:|\[\s*\{\s*\"")
_FILE_EXTENSIONS = {"xlsx", "xls", "csv", "pdf", "png", "jpg", "jpeg", "txt", "ico", "id", "com"}
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_WORD_TOKEN = re.compile(r"([A-Za-z]+)(?:'s)?")

_SKIPPED_TAGS = {"script", "style", "template", "noscript", "head"}


class _Text(HTMLParser):
    """The visible text nodes of a page (``<title>`` included: it is the tab's name)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.title: list[str] = []
        self.filters = False
        self.filter_data: list[str] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:
            return
        a = dict(attrs)
        if a.get("id") == "filter-groups-data":
            self.filters = True
        style = (a.get("style") or "").replace(" ", "")
        hidden = (
            tag in _SKIPPED_TAGS
            or "hidden" in a
            or "d-none" in (a.get("class") or "").split()
            or "display:none" in style
            or a.get("aria-hidden") == "true"
            and tag not in {"div", "span"}  # Bootstrap's modals are aria-hidden until opened
        )
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        self.filters = False
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if self.filters:
            self.filter_data.append(data)
        text = " ".join(data.split())
        if not text:
            return
        if self.stack and self.stack[-1][0] == "title" or any(t == "title" for t, _ in self.stack):
            self.title.append(text)
            return
        if not self._hidden():
            self.texts.append(text)


def _filter_texts(data: str) -> list[str]:
    """What Flask-Admin's filter menu shows once opened: its data are hidden JSON on the page
    (filter names, operations and the options' labels, not their values)."""
    texts: list[str] = []
    for name, filters in json.loads(data).items():
        texts.append(name)
        for flt in filters:
            texts.append(flt.get("operation") or "")
            texts.extend(str(label) for _, label in flt.get("options") or ())
    return [" ".join(t.split()) for t in texts if t and t.strip()]


def visible_texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    filters = "".join(parser.filter_data).strip()
    return parser.title + parser.texts + (_filter_texts(filters) if filters else [])


@lru_cache(maxsize=1)
def _catalog_english() -> tuple[frozenset[str], tuple[str, ...]]:
    """The catalogs' English messages whose translation differs: (whole texts, phrases)."""
    whole: set[str] = set()
    phrases: set[str] = set()
    for po in sorted(CATALOGS.glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale="id")
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            translated = {s for s in strings if s}
            for msgid in ids:
                if not translated or msgid in translated:
                    continue
                for part in _PLACEHOLDER.split(msgid):
                    part = " ".join(part.split()).strip(" .,:;()-")
                    words = _WORD.findall(part)
                    if not words or not any(len(w) > 2 for w in words):
                        continue
                    if part in translated or part.isupper():
                        continue  # the same in both languages, or an acronym (JHT)
                    if len(words) >= 3:
                        phrases.add(part)
                    else:
                        whole.add(part)
    return frozenset(whole), tuple(sorted(phrases, key=len, reverse=True))


@dataclass
class Problem:
    kind: str
    piece: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.piece!r} in {self.text[:160]!r}"


def _token_problem(token: str, allowed: set[str]) -> str | None:
    word = token.strip(".,;:()[]«»\"'!?")
    if not word or "@" in word or "/" in word or word in allowed:
        return None
    if _ENUM.match(word):
        return "enum value"
    if _SNAKE.match(word):
        return "code identifier"
    if _DOTTED.match(word):
        parts = word.split(".")
        if parts[-1] in _FILE_EXTENSIONS or all(len(p) <= 2 for p in parts):
            return None  # a file name, or an abbreviation (s.d., a.n.)
        return "dotted key"
    return None


def problems(html: str, allowed: Iterable[str] = ()) -> list[Problem]:
    """Every piece of code, JSON or English a person would read on the page."""
    allowed = set(allowed)
    whole, phrases = _catalog_english()
    found: list[Problem] = []
    for text in visible_texts(html):
        if _JSON.search(text):
            found.append(Problem("raw JSON", _JSON.search(text).group(0), text))
        words = []
        for token in text.split():
            kind = _token_problem(token, allowed)
            if kind:
                found.append(Problem(kind, token, text))
            else:
                words.append(token)
        for word in (w for t in words for w in re.split(r"[-/]", t.strip('.,;:()[]"!?'))):
            match = _WORD_TOKEN.fullmatch(word)
            if match and match.group(1).lower() in ENGLISH_WORDS and word not in allowed:
                found.append(Problem("English word", word, text))
        stripped = text.strip(" .,:;()-")
        if stripped in whole and stripped not in allowed:
            found.append(Problem("untranslated message", stripped, text))
        for phrase in phrases:
            if phrase in text:
                found.append(Problem("untranslated message", phrase, text))
                break
    return found


# --- the pages a page leads to -------------------------------------------------------------


@dataclass
class Links:
    menu: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_menu = 0
        self.depth: list[str] = []
        self.links = Links()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in VOID_ELEMENTS:
            return
        self.depth.append(tag)
        if a.get("id") == "admin-navbar-collapse":
            self.in_menu = len(self.depth)
        href = a.get("href") or ""
        if tag != "a" or not href.startswith("/admin/") or href.startswith("/admin/static"):
            return
        if self.in_menu:
            self.links.menu.append(href)
        elif "/details/" in href:
            self.links.details.append(href)
        elif "/new/" in href or "/edit/" in href:
            self.links.forms.append(href)

    def handle_endtag(self, tag: str) -> None:
        while self.depth:
            if self.in_menu and len(self.depth) == self.in_menu and self.depth[-1] == tag:
                self.in_menu = 0
            if self.depth.pop() == tag:
                return


def links(html: str) -> Links:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.links


def screen_of(url: str) -> str:
    """``/admin/claim/details/?id=3`` -> ``claim``."""
    return url.split("?")[0].removeprefix("/admin/").split("/")[0]
