"""Hostile list parameters (issue #16), on every list view for every role that can open it:

- a search beyond the bounds is refused with a message before Flask-Admin builds anything of it;
- any parameter (page, page_size, sort, desc, search, each filter) out of range or malformed is
  ignored or refused with a message, never a 5xx (fixed hostile values, and a hypothesis sweep
  for every demo role, kept to a few examples per list so that the suite stays fast)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Department, Member, Office, Regency, Region, User
from tests import test_authorization_matrix as matrix
from tests.steps import export_rows
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


# --- malformed and oversized list parameters (the sweep) -----------------------------------

#: Values no list parameter should take badly: beyond 64 bits, negative, not numbers, NUL,
#: very long, not a date.
HOSTILE = (
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999",
    "-1",
    "1e400",
    "nan",
    "abc",
    "\x00",
    "%",
    "x" * 5000,
    "99999-01-01",
    "2020-13-45 to 2020-01-01",
)


def parameter_names(view: Any) -> list[str]:
    """Every query parameter a list reads: its paging, order, search, and each filter."""
    filters = [f"flt0_{key}" for key in (view._filter_args or {})]
    return ["page", "page_size", "sort", "desc", "search", *filters]


def assert_no_5xx(client: Any, endpoint: str, params: dict[str, str]) -> None:
    response = client.get(f"/admin/{endpoint}/", query_string=params)
    assert response.status_code < 500, (endpoint, params)


def test_every_list_parameter_takes_hostile_values(app: Any, login: Any):
    """Each parameter of each list alone, with each hostile value, as one role that reads it."""
    for view in model_views(app):
        role = sorted(matrix.POLICY[f"{view.endpoint}.index_view"])[0]
        client = login(matrix.ROLES[role])
        for name in parameter_names(view):
            for value in HOSTILE:
                assert_no_5xx(client, view.endpoint, {name: value})


def test_sweep_of_generated_list_parameters(app: Any, login: Any):
    """Generated parameters (hypothesis) on every list view, for every demo role."""
    values = st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.text(max_size=300),
        st.sampled_from(HOSTILE),
    )

    def sweep_of(client: Any, view: Any) -> Any:
        @settings(
            max_examples=3,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.dictionaries(st.sampled_from(parameter_names(view)), values, max_size=4))
        def sweep(params: dict[str, str]) -> None:
            assert_no_5xx(client, view.endpoint, params)

        return sweep

    for username in matrix.ROLES.values():
        client = login(username)
        for view in model_views(app):
            sweep_of(client, view)()


# --- exports: every cell formula-safe --------------------------------------------------------

HOSTILE_NAME = '=HYPERLINK("http://evil.example","klik")'


def test_every_export_neutralises_hostile_names_of_related_records(app: Any, login: Any, session):
    """Names of users, departments, offices, regions, regencies and members like a formula come
    out of every export (columns of the row, and related records) with the leading ``'``."""
    for model, column in (
        (User, "full_name"),
        (Department, "name"),
        (Office, "name"),
        (Region, "name"),
        (Regency, "name"),
        (Member, "name"),
    ):
        unique = sa.literal(HOSTILE_NAME) + sa.cast(model.id, sa.String)  # names may be unique
        session.execute(sa.update(model).values({column: unique}))
    session.commit()
    exported = 0
    for view in model_views(app):
        exporters = matrix.POLICY.get(f"{view.endpoint}.export")
        if not exporters:
            continue
        client = login(matrix.ROLES[sorted(exporters)[0]])
        response = client.get(f"/admin/{view.endpoint}/export/csv/")
        assert response.status_code == 200, view.endpoint
        cells = [cell for row in export_rows(response) for cell in row]
        assert not [c for c in cells if c.lstrip().startswith("=")], view.endpoint
        exported += any(c.startswith("'" + HOSTILE_NAME) for c in cells)
    assert exported >= 5  # the hostile names did reach the exports
