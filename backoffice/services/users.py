"""User accounts: creation and changes keep role and scope consistent."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from backoffice.audit import append_event, field_changes, field_values
from models import ROLE_SCOPE_COLUMN, Department, Office, Region, Role, User  # noqa: F401  (ROLE_SCOPE_COLUMN re-exported)

from ..errors import DomainError

_SCOPE_FIELDS = {"region_id": "region", "office_id": "office", "department_id": "department"}
_SCOPE_REQUIRED = {
    "region_id": _l("This role needs a region."),
    "office_id": _l("This role needs an office."),
    "department_id": _l("This role needs a department."),
}
_SCOPE_FORBIDDEN = {
    "region_id": _l("This role works without a region: leave it empty."),
    "office_id": _l("This role works without an office: leave it empty."),
    "department_id": _l("This role works without a department: leave it empty."),
}
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "common_passwords.txt"
# Digits and punctuation people put around a word ("Sayang123!", "2024indonesia").
_AROUND_A_WORD = string.digits + string.punctuation + string.whitespace
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiopasdfghjklzxcvbnm")


@dataclass
class UserData:
    username: str
    full_name: str
    role: Role
    email: str | None = None
    region: Region | None = None
    office: Office | None = None
    department: Department | None = None
    active: bool = True
    locale: str = "id"
    must_change_password: bool = False


def scope_problems(
    role: Role | None, region: Region | None, office: Office | None, department: Department | None
) -> dict[str, object]:
    """Field -> message for every scope that does not fit the role (empty when consistent)."""
    if role is None:
        return {"role": _l("Choose a role.")}
    needed = ROLE_SCOPE_COLUMN[role]
    given = {"region_id": region, "office_id": office, "department_id": department}
    problems: dict[str, object] = {}
    for column, value in given.items():
        if column == needed and value is None:
            problems[_SCOPE_FIELDS[column]] = _SCOPE_REQUIRED[column]
        elif column != needed and value is not None:
            problems[_SCOPE_FIELDS[column]] = _SCOPE_FORBIDDEN[column]
    return problems


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as fh:
        return frozenset(
            line.strip().lower() for line in fh if line.strip() and not line.startswith("#")
        )


def _is_easy_to_guess(password: str) -> bool:
    lowered = password.lower()
    candidates = {lowered, lowered.strip(_AROUND_A_WORD)}
    candidates |= {c.translate(_LEET) for c in candidates}
    candidates |= {c.strip(_AROUND_A_WORD) for c in candidates}
    common = common_passwords()
    for candidate in candidates:
        if not candidate or candidate in common:
            return True
        # "sayangsayang", "abcabcabcabc": one short piece repeated.
        for size in range(1, len(candidate) // 2 + 1):
            if len(candidate) % size == 0 and candidate[:size] * (len(candidate) // size) == (
                candidate
            ):
                return True
    if len(set(lowered)) < 4:
        return True
    return any(lowered in seq or lowered in seq[::-1] for seq in _SEQUENCES)


def password_problem(password: str, username: str) -> object | None:
    """Why a new password is refused (a translated message), or None when it is acceptable.

    The policy for every password set through the screens and services: at least
    MIN_PASSWORD_LENGTH characters, not containing the username, not a common or easily guessed
    password (the shipped list, also with digits or symbols around it or letters written as
    digits). Only ``seed-demo`` bypasses it, explicitly, for the demo password.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("A password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("A password may have at most %(n)s characters.", n=MAX_PASSWORD_LENGTH)
    name = username.strip().lower()
    if name and name in password.lower():
        return _l("The password may not contain the username.")
    if _is_easy_to_guess(password):
        return _l(
            "This password is too common or too easy to guess (a well-known password, a word "
            "with digits added, a repeated or keyboard sequence). Choose a longer phrase only "
            "you know."
        )
    return None


def username_taken(session: Session, username: str, *, except_id: int | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.username) == username.strip().lower())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return session.scalar(stmt) is not None


def _apply(user: User, data: UserData) -> None:
    problems = scope_problems(data.role, data.region, data.office, data.department)
    if problems:
        field, message = next(iter(problems.items()))
        raise DomainError(message, field=field)
    user.username = data.username.strip()
    user.full_name = data.full_name.strip()
    user.email = (data.email or "").strip() or None
    user.role = data.role
    user.region = data.region
    user.office = data.office
    user.department = data.department
    user.active = data.active
    user.locale = data.locale
    user.must_change_password = data.must_change_password


#: The fields of an account its audit events show (never the password's hash).
AUDITED_FIELDS = (
    "username",
    "full_name",
    "email",
    "role",
    "region",
    "office",
    "department",
    "active",
    "locale",
    "must_change_password",
)


def create_user(
    session: Session,
    data: UserData,
    password: str,
    *,
    demo: bool = False,
    actor: User | None = None,
    ip: str | None = None,
    via: str | None = None,
) -> User:
    """A new account, recorded in the audit trail (by ``actor``; ``via`` names a command).

    ``demo=True`` only for the demo data: its password is below the policy, and its accounts
    are fixtures rather than anyone's act, like the rest of the demo data (not audited).
    """
    if username_taken(session, data.username):
        raise DomainError(_l("This username is already taken."), field="username")
    problem = None if demo else password_problem(password, data.username)
    if problem:
        raise DomainError(problem, field="password")
    user = User(
        password_hash=generate_password_hash(password),
        session_version=1,
        must_change_password=data.must_change_password,
    )
    _apply(user, data)
    session.add(user)
    session.flush()
    if demo:
        return user
    details: dict[str, object] = {
        "changes": field_changes(None, field_values(user, AUDITED_FIELDS))
    }
    if via:
        details["via"] = via
    audit_user_event(session, "create", user, actor=actor, ip=ip, details=details)
    return user


def update_user(
    session: Session,
    user: User,
    data: UserData,
    password: str | None = None,
    *,
    actor: User | None = None,
    ip: str | None = None,
) -> User:
    """Change an account, audited (by ``actor``): the fields changed, a new password, a forced
    password change."""
    if username_taken(session, data.username, except_id=user.id):
        raise DomainError(_l("This username is already taken."), field="username")
    was_active = user.active
    was_forced = user.must_change_password
    before = field_values(user, AUDITED_FIELDS)
    _apply(user, data)
    changes = field_changes(before, field_values(user, AUDITED_FIELDS))
    if password:
        set_password(user, password)
    elif was_active and not user.active:
        end_sessions(user)
    session.flush()
    if changes:
        audit_user_event(session, "edit", user, actor=actor, ip=ip, details={"changes": changes})
    if password:
        audit_user_event(session, "password_set", user, actor=actor, ip=ip)
    if user.must_change_password and not was_forced:
        audit_user_event(session, "password_reset_forced", user, actor=actor, ip=ip)
    return user


def require_password_change(
    session: Session, users: list[User], *, actor: User | None, ip: str | None = None
) -> int:
    """Flag users to change their password at next sign-in (audited); returns how many changed."""
    changed = 0
    for user in users:
        if not user.must_change_password:
            user.must_change_password = True
            session.flush()
            audit_user_event(session, "password_reset_forced", user, actor=actor, ip=ip)
            changed += 1
    return changed


def change_own_password(
    session: Session, user: User, current: str, new: str, *, ip: str | None = None
) -> None:
    """A signed-in user changes their password: the current one, then the policy.

    Every other session of the user ends (the session version changes); the caller signs the
    user in again on the session in hand. Clears a password change the administrator required.
    """
    if not check_password_hash(user.password_hash, current or ""):
        raise DomainError(_l("The current password is wrong."), field="current_password")
    if new == current:
        raise DomainError(
            _l("The new password must differ from the current one."), field="new_password"
        )
    problem = password_problem(new, user.username)
    if problem:
        raise DomainError(problem, field="new_password")
    set_password(user, new)
    user.must_change_password = False
    session.flush()
    audit_user_event(session, "password_change", user, actor=user, ip=ip)


def audit_scope(user: User | None) -> dict[str, int | None]:
    """The region, office and department an event about this user belongs to (audit scoping)."""
    if user is None:
        return {"region_id": None, "office_id": None, "department_id": None}
    office = user.office or (user.department.office if user.department else None)
    region_id = user.region_id or (office.region_id if office else None)
    return {
        "region_id": region_id,
        "office_id": office.id if office else None,
        "department_id": user.department_id,
    }


def audit_user_event(
    session: Session,
    action: str,
    user: User | None,
    *,
    actor: User | None = None,
    ip: str | None = None,
    details: dict[str, object] | None = None,
) -> None:
    """A security event about an account (``user`` None: a username that does not exist)."""
    append_event(
        session,
        actor=actor,
        action=action,
        record_type="user",
        record_id=user.id if user is not None else "-",
        ip=ip,
        details={"username": user.username if user is not None else None, **(details or {})},
        **audit_scope(user),
    )


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(
        select(User).where(func.lower(User.username) == (username or "").strip().lower())
    )


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.username)
    if problem:
        raise DomainError(problem, field="password")
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Void every session and remember-me cookie of this user."""
    user.session_version = (user.session_version or 0) + 1


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = find_user(session, username)
    if user is None:
        # Hash anyway so that a missing username takes as long as a wrong password.
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.active:
        return None
    return user


_DUMMY_HASH = generate_password_hash("not-a-real-password")
