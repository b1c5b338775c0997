"""A list page's rows built in Python, once per row (issue #21): the HTML Flask-Admin's
``admin/model/list.html`` renders with a macro per cell and per row action, at a fraction of
the cost.

``admin/list.html`` (every screen's list template) asks ``LeanRows`` for each row: the list
actions' checkbox, the row actions and the cells. A cell is the view's own ``get_list_value``
(its column and type formatters, exactly as Flask-Admin's ``get_value``), escaped as Jinja
escapes it: only what a formatter returns as ``Markup`` goes out unescaped. A row action's link
is built by ``url_for`` once per page with a placeholder for the id, then the row's id (URL
quoted, then HTML escaped) is put in per row. A row action of a type not known here, and the
delete form (a CSRF form per row), are rendered by Flask-Admin's own macros.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from flask_admin.babel import gettext as admin_gettext
from flask_admin.model.template import EditRowAction, ViewRowAction
from jinja2 import pass_context
from markupsafe import Markup, escape

#: Stands for the row's id in the URLs built once per page (letters only: url_for keeps it).
PLACEHOLDER = "LEANROWIDX"
#: What werkzeug leaves unquoted in a query value (``werkzeug.urls._urlencode``).
QUERY_SAFE = "!$'()*,/:;?@"

_ICONS = {
    ViewRowAction: ("fa fa-eye glyphicon glyphicon-eye-open", ".details_view"),
    EditRowAction: ("fa fa-pencil glyphicon glyphicon-pencil", ".edit_view"),
}

_LINK = '<a class="icon" href="{url}" title="{title}">\n  <span class="{icon}"></span>\n</a>'


class LeanRows:
    """The rows of one list page, for ``admin/list.html``: ``lean_row(row)`` per row."""

    def __init__(
        self,
        view: Any,
        *,
        list_columns: list[tuple[str, Any]],
        row_actions: list[Any],
        return_url: str,
        actions: Any,
    ) -> None:
        self.view = view
        self.columns = [(name, f'<td class="col-{escape(name)}">') for name, _label in list_columns]
        self.display_actions = bool(view.column_display_actions)
        self.checkbox: tuple[str, str] | None = None
        if actions:
            title = escape(admin_gettext("Select record"))
            self.checkbox = (
                '<td>\n<input type="checkbox" name="rowid" class="action-checkbox" value="',
                f'" title="{title}" />\n</td>\n',
            )
        # Per action: (text with the placeholder, the action when it decides row by row), or
        # (None, action) for one Flask-Admin renders itself.
        self.actions: list[tuple[str | None, Any]] = []
        for action in row_actions:
            known = next((_ICONS[k] for k in _ICONS if isinstance(action, k)), None)
            if known is None or not _renders_like(action):
                self.actions.append((None, action))
                continue
            icon, endpoint = known
            url = view.get_url(endpoint, id=PLACEHOLDER, url=return_url)
            if url.count(PLACEHOLDER) != 1:
                # The placeholder is in the return URL too (a search for it): Flask-Admin's.
                self.actions.append((None, action))
                continue
            link = _LINK.format(url=escape(url), title=escape(action.title or ""), icon=icon)
            self.actions.append((link, action))

    def cells(self, context: Any, row: Any) -> str:
        view = self.view
        parts = []
        for name, td in self.columns:
            parts.append(td)
            parts.append(escape(view.get_list_value(context, row, name)))
            parts.append("</td>\n")
        return "".join(parts)

    def row_actions(self, context: Any, row_id: Any, row: Any) -> str:
        quoted = str(escape(quote_plus(str(row_id), safe=QUERY_SAFE)))
        parts = []
        for link, action in self.actions:
            if link is None:
                parts.append(str(action.render_ctx(context, row_id, row)))
            elif getattr(action, "allows", None) is None or action.allows(row):
                parts.append(link.replace(PLACEHOLDER, quoted))
        return "\n".join(parts)

    @pass_context
    def __call__(self, context: Any, row: Any) -> Markup:
        row_id = self.view.get_pk_value(row)
        parts = []
        if self.checkbox is not None:
            parts.extend((self.checkbox[0], escape(row_id), self.checkbox[1]))
        if self.display_actions:
            parts.append('<td class="list-buttons-column">\n')
            parts.append(self.row_actions(context, row_id, row))
            parts.append("\n</td>\n")
        parts.append(self.cells(context, row))
        return Markup("".join(parts))


def _renders_like(action: Any) -> bool:
    """Whether the action renders as Flask-Admin's own link (not a subclass of its own make)."""
    render = type(action).render
    base = next(k for k in _ICONS if isinstance(action, k))
    return render is base.render or getattr(action, "allows", None) is not None
