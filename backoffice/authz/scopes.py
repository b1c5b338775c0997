"""Row scopes: which rows of each model a user may see (out of scope answers 404).

Every list, count, details/edit lookup, export, relationship choice and decision reads its rows
through ``row_condition``/``scope``. The offices a user works for are decided once, in
``offices_of``: the same rule gives the SQL condition of the scopes and the answer to "does this
user work for that office?" that the actions ask about one item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Query

from models import (
    ApiToken,
    AuditEvent,
    BatchRow,
    BenefitParameter,
    Claim,
    ClaimDocument,
    ContributionPayment,
    ContributionRate,
    CoverageActive,
    CoverageClaims,
    CoverageMembers,
    CoveragePayments,
    CoverageStatus,
    CoverageTarget,
    Department,
    DocumentRequirement,
    HolidayCorrection,
    IncomeLevel,
    JhtReturnRate,
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


@dataclass(frozen=True)
class Offices:
    """The offices a user works for: every office, or those of a region, or one office and, for
    a KC, the KCPs under it."""

    every: bool = False
    region_id: int | None = None
    office_id: int | None = None
    #: the KC whose KCPs are included
    kcps_of: int | None = None

    def condition(self) -> ColumnElement[bool]:
        """The SQL condition on ``Office``."""
        if self.every:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if self.region_id is not None:
            conditions.append(Office.region_id == self.region_id)
        if self.office_id is not None:
            conditions.append(Office.id == self.office_id)
        if self.kcps_of is not None:
            conditions.append(Office.parent_id == self.kcps_of)
        return or_(*conditions) if conditions else false()

    def includes(self, office: Office | None) -> bool:
        """Whether ``office`` is one of them: ``condition`` for one office in hand."""
        if self.every:
            return True
        if office is None:
            return False
        return (
            (self.region_id is not None and office.region_id == self.region_id)
            or (self.office_id is not None and office.id == self.office_id)
            or (self.kcps_of is not None and office.parent_id == self.kcps_of)
        )


def offices_of(user: User) -> Offices:
    """The offices ``user`` works for."""
    if user.role is Role.ADMIN:
        return Offices(every=True)
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return Offices(region_id=user.region_id)
    if user.role is Role.BRANCH_HEAD and user.office_id is not None:
        # A KC head is responsible for the KC and the KCPs under it.
        return Offices(office_id=user.office_id, kcps_of=user.office_id)
    if user.role is Role.BRANCH_CLERK and user.office_id is not None:
        return Offices(office_id=user.office_id)
    if user.role is Role.LIAISON and user.department is not None:
        return Offices(office_id=user.department.office_id)
    return Offices()


def works_for(user: User, office: Office | None) -> bool:
    """Whether ``user`` works for ``office`` (a clerk: their office; a KC head: the KC and its
    KCPs; a regional head: the offices of the region)."""
    return offices_of(user).includes(office)


def office_ids_of(user: User) -> ColumnElement[bool] | None:
    """SQL condition on ``Office`` for the offices a user works for, None when unlimited."""
    offices = offices_of(user)
    return None if offices.every else offices.condition()


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


@scoper(ApiToken)
def _api_token_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.LIAISON:
        return ApiToken.department_id == user.department_id
    return false()


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


@scoper(JhtReturnRate)
def _jht_return_rate_scope(user: User) -> ColumnElement[bool]:
    return true()  # national reference data


@scoper(HolidayCorrection)
def _holiday_scope(user: User) -> ColumnElement[bool]:
    return true()  # national reference data


@scoper(CoverageMembers)
def _coverage_members_scope(user: User) -> ColumnElement[bool]:
    return _coverage_place_scope(user, CoverageMembers)


@scoper(CoveragePayments)
def _coverage_payments_scope(user: User) -> ColumnElement[bool]:
    return _coverage_place_scope(user, CoveragePayments)


@scoper(CoverageStatus)
def _coverage_status_scope(user: User) -> ColumnElement[bool]:
    return _coverage_place_scope(user, CoverageStatus)


@scoper(CoverageActive)
def _coverage_active_scope(user: User) -> ColumnElement[bool]:
    return _coverage_place_scope(user, CoverageActive)


def _coverage_place_scope(user: User, model: Any) -> ColumnElement[bool]:
    """The members' summaries a user may read: those of the members they may see."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.LIAISON:
        return model.department_id == (user.department_id or -1)
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return model.region_id == user.region_id
    return _in_offices(user, model.office_id)


@scoper(CoverageClaims)
def _coverage_claims_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR):
        return CoverageClaims.region_id == user.region_id
    if user.role in (Role.BRANCH_HEAD, Role.BRANCH_CLERK):
        return _in_offices(user, CoverageClaims.office_id)
    return false()  # like the claims themselves


@scoper(CoverageTarget)
def _coverage_target_scope(user: User) -> ColumnElement[bool]:
    """Targets are read in their region (a liaison: their department's)."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.LIAISON:
        return CoverageTarget.department_id == (user.department_id or -1)
    region = region_id_of(user)
    return false() if region is None else CoverageTarget.region_id == region


def choosable(user: User | None, model: type) -> ColumnElement[bool]:
    """Rows offered in a choice list: in scope, and for offices only those already open."""
    condition = row_condition(user, model)
    if model is Office:
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
