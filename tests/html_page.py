"""Pages as a user sees them, for the screen tests: the raw HTML (for escaping checks) and its
elements (found by tag, class, id or attribute), the flashed messages, tables and the
workflow's buttons and version."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Any] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    @property
    def text(self) -> str:
        return self.text_without()

    def text_without(self, *skipped: str) -> str:
        """The text, whitespace collapsed, leaving out elements with the given tags."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, Node):
                    if child.tag not in skipped:
                        walk(child)
                else:
                    parts.append(child)

        walk(self)
        return " ".join("".join(parts).split())

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes())
            and all(n.attrs.get(k) == v for k, v in attrs.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag or '*'} .{cls} {attrs}> found"
        return found[0]

    def by_id(self, id_: str) -> Node:
        return self.one(id=id_)

    def has_id(self, id_: str) -> bool:
        return bool(self.all(id=id_))


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID_ELEMENTS:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class Page:
    """A response as a user sees it: raw HTML (for escaping checks) and its elements."""

    def __init__(self, response: Any) -> None:
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        builder = _TreeBuilder()
        builder.feed(self.html)
        self.dom = builder.root

    def by_id(self, id_: str) -> Node:
        return self.dom.by_id(id_)

    def has_id(self, id_: str) -> bool:
        return self.dom.has_id(id_)

    def text(self, id_: str) -> str:
        return self.dom.by_id(id_).text

    def alerts(self, kind: str) -> list[str]:
        """Flashed messages of a kind: success, warning, danger (category "error")."""
        return [
            n.text_without("button")  # the close button
            for n in self.dom.all("div", "alert-dismissable")
            if f"alert-{kind}" in n.classes()
        ]

    def table(self, id_: str) -> list[list[str]]:
        """The body rows of a table, as cell texts."""
        body = self.dom.by_id(id_).one("tbody")
        return [[td.text for td in tr.all("td")] for tr in body.all("tr")]

    def row(self, number: int) -> Node:
        return self.dom.by_id(f"row-{number}")

    def row_id(self, number: int) -> str:
        """The value of the checkbox of a spreadsheet row (a clerk may decide it)."""
        return self.row(number).one("input", name="row_id").attrs["value"]

    def version(self) -> str:
        """The record's version every decision form of the page sends (one value)."""
        versions = {n.attrs["value"] for n in self.dom.all("input", name="version")}
        assert len(versions) == 1, versions
        return versions.pop()

    def actions(self) -> set[str]:
        """The workflow actions the page offers as buttons."""
        return {
            n.attrs["id"].removeprefix("action-")
            for n in self.dom.all("button")
            if n.attrs.get("id", "").startswith("action-")
        }


def links_to(page: Page, url: str) -> bool:
    """Whether the page links to ``url`` (Flask-Admin may add a ``&url=`` to come back)."""
    return any(a.attrs.get("href", "").split("&")[0] == url for a in page.dom.all("a"))


def get(client: Any, url: str, status: int = 200) -> Page:
    page = Page(client.get(url))
    assert page.status == status, f"GET {url}: {page.status}"
    return page


def follow(client: Any, response: Any) -> Page:
    assert response.status_code == 302, response.status_code
    return get(client, response.headers["Location"])
