"""Screens: which role may open which screen, and what it may do there (403 otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

from models import Role, User

READ = frozenset({"view"})
READ_EXPORT = frozenset({"view", "export"})
MANAGE = frozenset({"view", "create", "edit", "export"})


@dataclass(frozen=True)
class Screen:
    name: str
    permissions: dict[Role, frozenset[str]]

    def allows(self, user: User | None, permission: str = "view") -> bool:
        if user is None or not getattr(user, "is_authenticated", False) or not user.active:
            return False
        return permission in self.permissions.get(user.role, frozenset())


SCREENS: dict[str, Screen] = {
    screen.name: screen
    for screen in (
        Screen(
            "dashboard",
            {role: READ for role in Role},
        ),
        # Coverage dashboards: every role, in its scope; the XLSX export for each.
        Screen("coverage", {role: READ_EXPORT for role in Role}),
        Screen("regions", {Role.ADMIN: MANAGE, Role.AUDITOR: READ_EXPORT}),
        Screen("regencies", {Role.ADMIN: MANAGE, Role.AUDITOR: READ_EXPORT}),
        Screen(
            "offices",
            {
                Role.ADMIN: MANAGE,
                Role.REGIONAL_HEAD: READ_EXPORT,
                Role.AUDITOR: READ_EXPORT,
                Role.BRANCH_HEAD: READ,
                Role.BRANCH_CLERK: READ,
            },
        ),
        Screen(
            "departments",
            {
                Role.ADMIN: MANAGE,
                Role.REGIONAL_HEAD: READ_EXPORT,
                Role.AUDITOR: READ_EXPORT,
                Role.BRANCH_HEAD: READ,
                Role.BRANCH_CLERK: READ,
            },
        ),
        Screen(
            "users",
            {Role.ADMIN: MANAGE, Role.REGIONAL_HEAD: READ, Role.AUDITOR: READ_EXPORT},
        ),
        Screen(
            "proposals",
            {
                Role.ADMIN: MANAGE,
                Role.BRANCH_HEAD: frozenset({"view", "create", "edit"}),
                Role.REGIONAL_HEAD: READ_EXPORT,
                Role.AUDITOR: READ_EXPORT,
            },
        ),
        # Deciding is operational: the administrator keeps data, the regional head decides.
        Screen("proposal_queue", {Role.REGIONAL_HEAD: READ}),
        # Member batches: the liaison uploads and submits; the office and region follow them.
        Screen(
            "batches",
            {
                Role.LIAISON: frozenset({"view", "create"}),
                Role.BRANCH_CLERK: READ,
                Role.BRANCH_HEAD: READ,
                Role.REGIONAL_HEAD: READ,
                Role.AUDITOR: READ,
                Role.ADMIN: READ,
            },
        ),
        Screen("registration_queue", {Role.BRANCH_CLERK: READ, Role.BRANCH_HEAD: READ}),
        Screen(
            "members",
            {
                Role.BRANCH_CLERK: READ_EXPORT,
                Role.BRANCH_HEAD: READ_EXPORT,
                Role.REGIONAL_HEAD: READ_EXPORT,
                Role.AUDITOR: READ_EXPORT,
                Role.ADMIN: READ_EXPORT,
                Role.LIAISON: READ_EXPORT,
            },
        ),
        Screen(
            "reference",
            {
                Role.ADMIN: MANAGE,
                Role.AUDITOR: READ_EXPORT,
                Role.REGIONAL_HEAD: READ,
                Role.BRANCH_HEAD: READ,
                Role.BRANCH_CLERK: READ,
            },
        ),
        Screen(
            "claims",
            {
                Role.BRANCH_CLERK: frozenset({"view", "create", "edit", "export"}),
                Role.BRANCH_HEAD: frozenset({"view", "create", "edit", "export"}),
                Role.REGIONAL_HEAD: READ_EXPORT,
                Role.AUDITOR: READ_EXPORT,
                Role.ADMIN: READ_EXPORT,
            },
        ),
        Screen(
            "claim_queue",
            {Role.BRANCH_CLERK: READ, Role.BRANCH_HEAD: READ, Role.REGIONAL_HEAD: READ},
        ),
        # Corrections of member data: a clerk proposes them from the member's page (the
        # member's "propose_correction" action), another clerk or the branch head decides.
        Screen("corrections", {Role.BRANCH_CLERK: READ, Role.BRANCH_HEAD: READ}),
        Screen(
            "contributions",
            {
                Role.BRANCH_CLERK: frozenset({"view", "create", "export"}),
                Role.BRANCH_HEAD: READ_EXPORT,
                Role.REGIONAL_HEAD: READ_EXPORT,
                Role.AUDITOR: READ_EXPORT,
                Role.ADMIN: READ_EXPORT,
            },
        ),
        # API tokens of department (and branch) systems: created and revoked here.
        Screen(
            "api_tokens",
            {
                Role.ADMIN: frozenset({"view", "create"}),
                Role.LIAISON: frozenset({"view", "create"}),
            },
        ),
        Screen(
            "audit", {Role.ADMIN: READ_EXPORT, Role.AUDITOR: READ_EXPORT, Role.REGIONAL_HEAD: READ}
        ),
    )
}


def may(user: User | None, screen: str, permission: str = "view") -> bool:
    try:
        return SCREENS[screen].allows(user, permission)
    except KeyError:
        return False
