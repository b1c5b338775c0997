"""User accounts: creation and changes keep role and scope consistent."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import ROLE_SCOPE_COLUMN, Department, Office, Region, Role, User  # noqa: F401  (ROLE_SCOPE_COLUMN re-exported)

from .errors import DomainError

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
MIN_PASSWORD_LENGTH = 8


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


def password_problem(password: str, username: str) -> object | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("A password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if password.strip().lower() == username.strip().lower():
        return _l("The password may not be the username.")
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


def create_user(session: Session, data: UserData, password: str) -> User:
    if username_taken(session, data.username):
        raise DomainError(_l("This username is already taken."), field="username")
    problem = password_problem(password, data.username)
    if problem:
        raise DomainError(problem, field="password")
    user = User(password_hash=generate_password_hash(password), session_version=1)
    _apply(user, data)
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, user: User, data: UserData, password: str | None = None) -> User:
    if username_taken(session, data.username, except_id=user.id):
        raise DomainError(_l("This username is already taken."), field="username")
    was_active = user.active
    _apply(user, data)
    if password:
        set_password(user, password)
    elif was_active and not user.active:
        end_sessions(user)
    session.flush()
    return user


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
    user = session.scalar(
        select(User).where(func.lower(User.username) == (username or "").strip().lower())
    )
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
