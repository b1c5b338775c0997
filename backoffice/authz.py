"""Authorization in one place: which rows a user may see and which screens/actions they may use.

Every view, export, lookup, count and dashboard asks this module. Out of scope means 404,
a screen the role may not use means 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Query

from models import (
    AuditEvent,
    BatchRow,
    BenefitParameter,
    Claim,
    ClaimDocument,
    ContributionPayment,
    ContributionRate,
    Department,
    DocumentRequirement,
    IncomeLevel,
    Member,
    MemberBatch,
    Office,
    OfficeProposal,
    Regency,
    Region,
    Role,
    User,
)

M = TypeVar("M")
Q = TypeVar("Q", Select, Query)

# --------------------------------------------------------------------------------------------
# Who the user is, in organisational terms
# --------------------------------------------------------------------------------------------


def region_id_of(user: User) -> int | None:
    """The region a user works in (None for the administrator)."""
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return user.region_id
    if user.role in (Role.BRANCH_HEAD, Role.BRANCH_CLERK) and user.office is not None:
        return user.office.region_id
    if user.role is Role.LIAISON and user.department is not None:
        return user.department.office.region_id
    return None


def office_ids_of(user: User) -> ColumnElement[bool] | None:
    """SQL condition on ``Office`` for the offices a user works for, None when unlimited."""
    if user.role is Role.ADMIN:
        return None
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return Office.region_id == user.region_id
    if user.role is Role.BRANCH_HEAD:
        # A KC head is responsible for the KC and the KCPs under it.
        return or_(Office.id == user.office_id, Office.parent_id == user.office_id)
    if user.role is Role.BRANCH_CLERK:
        return Office.id == user.office_id
    if user.role is Role.LIAISON and user.department is not None:
        return Office.id == user.department.office_id
    return false()


def office_id_subquery(user: User) -> Select | None:
    condition = office_ids_of(user)
    return None if condition is None else select(Office.id).where(condition)


# --------------------------------------------------------------------------------------------
# Row scope, per model
# --------------------------------------------------------------------------------------------

_SCOPES: dict[type, Callable[[User], ColumnElement[bool]]] = {}


def scoper(model: type) -> Callable[[Callable[[User], ColumnElement[bool]]], Any]:
    def register(
        fn: Callable[[User], ColumnElement[bool]],
    ) -> Callable[[User], ColumnElement[bool]]:
        _SCOPES[model] = fn
        return fn

    return register


def _in_offices(user: User, column: Any) -> ColumnElement[bool]:
    sub = office_id_subquery(user)
    return true() if sub is None else column.in_(sub)


@scoper(Region)
def _region_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    return Region.id == region_id_of(user)


@scoper(Regency)
def _regency_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.LIAISON:
        return Regency.id == user.department.regency_id
    return Regency.region_id == region_id_of(user)


@scoper(Office)
def _office_scope(user: User) -> ColumnElement[bool]:
    condition = office_ids_of(user)
    return true() if condition is None else condition


@scoper(Department)
def _department_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.LIAISON:
        return Department.id == user.department_id
    return _in_offices(user, Department.office_id)


@scoper(User)
def _user_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.role in (Role.BRANCH_CLERK, Role.LIAISON):
        return User.id == user.id
    offices = office_id_subquery(user)
    departments = select(Department.id).where(Department.office_id.in_(offices))
    conditions = [User.office_id.in_(offices), User.department_id.in_(departments)]
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        conditions.append(User.region_id == user.region_id)
    return or_(*conditions)


@scoper(OfficeProposal)
def _proposal_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return OfficeProposal.region_id == user.region_id
    if user.role is Role.BRANCH_HEAD:
        return or_(
            OfficeProposal.proposed_by_id == user.id,
            OfficeProposal.parent_id.in_(office_id_subquery(user)),
        )
    return false()


@scoper(AuditEvent)
def _audit_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return AuditEvent.region_id == user.region_id
    return false()


@scoper(MemberBatch)
def _batch_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.LIAISON:
        return MemberBatch.department_id == user.department_id
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return MemberBatch.region_id == user.region_id
    return _in_offices(user, MemberBatch.office_id)


@scoper(BatchRow)
def _batch_row_scope(user: User) -> ColumnElement[bool]:
    return BatchRow.batch_id.in_(select(MemberBatch.id).where(_batch_scope(user)))


@scoper(Member)
def _member_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.LIAISON:
        return Member.department_id == user.department_id
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return Member.region_id == user.region_id
    return _in_offices(user, Member.office_id)


@scoper(ContributionPayment)
def _payment_scope(user: User) -> ColumnElement[bool]:
    return ContributionPayment.member_id.in_(select(Member.id).where(_member_scope(user)))


@scoper(Claim)
def _claim_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return Claim.region_id == user.region_id
    if user.role in (Role.BRANCH_HEAD, Role.BRANCH_CLERK):
        return _in_offices(user, Claim.office_id)
    return false()  # liaisons register members; claims are the office's business


@scoper(ClaimDocument)
def _claim_document_scope(user: User) -> ColumnElement[bool]:
    return ClaimDocument.claim_id.in_(select(Claim.id).where(_claim_scope(user)))


@scoper(BenefitParameter)
def _benefit_parameter_scope(user: User) -> ColumnElement[bool]:
    return true()


@scoper(DocumentRequirement)
def _document_requirement_scope(user: User) -> ColumnElement[bool]:
    return true()


@scoper(IncomeLevel)
def _income_level_scope(user: User) -> ColumnElement[bool]:
    return true()  # national reference data: everyone signed in may read it


@scoper(ContributionRate)
def _rate_scope(user: User) -> ColumnElement[bool]:
    return true()


def choosable(user: User | None, model: type) -> ColumnElement[bool]:
    """Rows offered in a choice list: in scope, and for offices only those already open."""
    condition = row_condition(user, model)
    if model is Office:
        from datetime import date

        condition = (
            condition
            & Office.active.is_(True)
            & (Office.opened_on.is_(None) | (Office.opened_on <= date.today()))
        )
    return condition


def row_condition(user: User | None, model: type) -> ColumnElement[bool]:
    """The WHERE condition selecting the rows of ``model`` that ``user`` may see."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return false()
    try:
        scope = _SCOPES[model]
    except KeyError:
        # A model nobody declared a scope for is visible to nobody: safe by default.
        return false()
    return scope(user)


def scope(user: User | None, query: Q, model: type) -> Q:
    """Restrict a ``select()`` or legacy ``Query`` over ``model`` to the rows in the user's scope."""
    condition = row_condition(user, model)
    if isinstance(query, Select):
        return query.where(condition)
    return query.filter(condition)


def scoped_select(user: User | None, model: type[M]) -> Select:
    return scope(user, select(model), model)


# --------------------------------------------------------------------------------------------
# Screens: which role may open which screen, and what it may do there
# --------------------------------------------------------------------------------------------

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
