"""API tokens: who creates and revokes them, and the identity a token gives its calls.

The administrator creates a token for any department or office; a department's liaison for their
own department only. A token's calls act as an ``ApiPrincipal``: a liaison of the token's
department (a clerk of the token's office for a branch system), on behalf of the person who
created the token, so that ``scope``, ``check`` and ``may_reveal`` answer for it exactly as for
the liaison's (or the clerk's) screens. It never signs in to the screens.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from models import ApiToken, Department, Office, Role, User

from .actions import Action, Facts, Policy, Rule

MANAGERS = frozenset({Role.ADMIN, Role.LIAISON})
MANAGES = _l("Only the administrator or the department's liaison manages its API tokens.")


def _own_department(user: User, token: Any, facts: Facts) -> Any:
    """A liaison: only their department's tokens (``token`` may be the department itself)."""
    if user.role is Role.ADMIN:
        return None
    department_id = (
        token.id if isinstance(token, Department) else getattr(token, "department_id", None)
    )
    if isinstance(token, Office) or department_id != user.department_id:
        return MANAGES
    return None


API_TOKENS = Policy(
    record="api_token",
    model=ApiToken,
    actions={
        a.name: a
        for a in (
            Action(
                "create",
                _l("Create an API token"),
                MANAGERS,
                role_refusal=MANAGES,
                rules=(Rule(_own_department, forbids=True),),
            ),
            Action(
                "revoke",
                _l("Revoke"),
                MANAGERS,
                role_refusal=MANAGES,
                rules=(Rule(_own_department, forbids=True),),
            ),
        )
    },
)


class ApiPrincipal:
    """The identity of a call made with an API token (``authz`` reads it like a ``User``)."""

    is_authenticated = True
    is_anonymous = False
    must_change_password = False
    locale = None

    def __init__(self, token: ApiToken, creator: User) -> None:
        self.api_token_id = token.id
        self.token = token
        #: the person accountable for the token's calls (their uploads, their audit events)
        self.id = creator.id
        self.username = creator.username
        self.full_name = creator.full_name
        self.active = bool(creator.active)
        self.region_id = None
        if token.department_id is not None:
            self.role = Role.LIAISON
            self.department_id = token.department_id
            self.department = token.department
            self.office_id = None
            self.office = None
        else:
            self.role = Role.BRANCH_CLERK
            self.department_id = None
            self.department = None
            self.office_id = token.office_id
            self.office = token.office

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> None:  # never a session
        return None

    def __str__(self) -> str:
        return f"API {self.token.prefix} ({self.username})"


__all__ = ["API_TOKENS", "ApiPrincipal"]
