"""Hostile list parameters (issue #16): a search beyond the bounds is refused with a message
before Flask-Admin builds anything of it, on every list, for every role that can open it."""

from __future__ import annotations

from typing import Any

import pytest

from tests import test_authorization_matrix as matrix
from tests.test_sweeps import model_views
from views.base import SecuredModelView

TOO_LONG_MESSAGE = "Pencarian paling panjang"


def readers(app: Any) -> list[tuple[str, str]]:
    """(endpoint, username) of every list view and one role of each that may open it."""
    pairs = []
    for view in model_views(app):
        allowed = matrix.POLICY[f"{view.endpoint}.index_view"]
        assert allowed, view.endpoint
        pairs += [(view.endpoint, matrix.ROLES[role]) for role in sorted(allowed)]
    return pairs


def test_a_thousand_word_search_is_refused_on_every_list(app: Any, login: Any, monkeypatch):
    built: list[str] = []
    original = SecuredModelView._apply_search

    def counting(self: Any, *args: Any) -> Any:
        built.append(self.endpoint)
        return original(self, *args)

    monkeypatch.setattr(SecuredModelView, "_apply_search", counting)
    search = " ".join(f"kata{i}" for i in range(1000))
    clients: dict[str, Any] = {}
    for endpoint, username in readers(app):
        client = clients.setdefault(username, login(username))
        response = client.get(f"/admin/{endpoint}/", query_string={"search": search})
        assert response.status_code == 200, (endpoint, username)
        assert TOO_LONG_MESSAGE in response.get_data(as_text=True), (endpoint, username)
    assert built == []  # Flask-Admin never saw the words


@pytest.mark.parametrize(
    "search",
    ["x" * 201, "a b c d e f g h i", "  ".join(["ab"] * 9)],
    ids=["characters", "words", "spaced-words"],
)
def test_each_bound_refuses_on_its_own(login: Any, search: str):
    page = login("admin").get("/admin/office/", query_string={"search": search})
    assert page.status_code == 200
    assert TOO_LONG_MESSAGE in page.get_data(as_text=True)


def test_a_search_within_the_bounds_is_read(login: Any, monkeypatch):
    called: list[str] = []
    original = SecuredModelView._apply_search

    def counting(self: Any, *args: Any) -> Any:
        called.append(args[-1])
        return original(self, *args)

    monkeypatch.setattr(SecuredModelView, "_apply_search", counting)
    page = login("admin").get("/admin/office/", query_string={"search": "a b c d e f g h"})
    assert page.status_code == 200
    assert TOO_LONG_MESSAGE not in page.get_data(as_text=True)
    assert called == ["a b c d e f g h"]


def test_the_bounds_come_from_the_config(app: Any, login: Any):
    app.config["LIST_SEARCH_MAX_WORDS"] = 2
    page = login("admin").get("/admin/office/", query_string={"search": "a b c"})
    assert TOO_LONG_MESSAGE in page.get_data(as_text=True)
