"""Row actions of the decision lists: the edit pencil, shown only where editing is allowed."""

from __future__ import annotations

from typing import Any

from flask_admin.model.template import EditRowAction
from flask_login import current_user

from backoffice import authz


class AllowedEditRowAction(EditRowAction):
    """The list's edit pencil, on the rows ``authz`` lets the user edit (the service asks the
    same question when the form is saved). ``views.lean_list`` asks ``allows`` row by row."""

    def allows(self, row: Any) -> bool:
        return authz.check(current_user, "edit", row)

    def render(self, context: Any, row_id: str, row: Any) -> Any:
        if not self.allows(row):
            return ""
        return super().render(context, row_id, row)


def with_allowed_edit(actions: list[Any]) -> list[Any]:
    """A list's row actions with the edit pencil asking ``authz`` row by row."""
    return [AllowedEditRowAction() if type(a) is EditRowAction else a for a in actions]
