"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from .api import ApiIdempotencyKey, ApiToken
from .audit import GENESIS_HASH, AuditChainHead, AuditEvent
from .base import Base
from .claims import SCHOOL_LEVELS, Claim, ClaimChild, ClaimDocument, ContributionPayment
from .corrections import MemberCorrection, PastContribution
from .coverage import (
    NO_MONTH,
    CoverageActive,
    CoverageClaims,
    CoverageMembers,
    CoveragePayments,
    CoverageStatus,
    CoverageTarget,
)
from .enums import (
    BatchState,
    ClaimState,
    ClaimType,
    CorrectionState,
    HolidayKind,
    JhtReason,
    MemberStatus,
    OfficeType,
    PaymentChannel,
    Programme,
    ProposalState,
    Relationship,
    Role,
    RowState,
)
from .members import BatchRow, KpjCounter, Member, MemberBatch, MemberStatusChange
from .notifications import (
    EmailPreference,
    MemberReminder,
    Notification,
    OutboxMessage,
    OutboxState,
)
from .org import Department, KemendagriRegency, Office, Regency, Region
from .proposals import OfficeProposal
from .reference import (
    BenefitParameter,
    ContributionRate,
    DocumentRequirement,
    HolidayCorrection,
    IncomeLevel,
    JhtReturnRate,
    Sector,
)
from .users import ROLE_SCOPE_COLUMN, User

__all__ = [
    "NO_MONTH",
    "CoverageActive",
    "CoverageClaims",
    "CoverageMembers",
    "CoveragePayments",
    "CoverageStatus",
    "CoverageTarget",
    "ApiIdempotencyKey",
    "ApiToken",
    "EmailPreference",
    "MemberReminder",
    "Notification",
    "OutboxMessage",
    "OutboxState",
    "BenefitParameter",
    "Claim",
    "ClaimChild",
    "ClaimDocument",
    "SCHOOL_LEVELS",
    "ClaimState",
    "ClaimType",
    "ContributionPayment",
    "CorrectionState",
    "MemberCorrection",
    "PastContribution",
    "DocumentRequirement",
    "HolidayCorrection",
    "HolidayKind",
    "JhtReason",
    "MemberStatus",
    "PaymentChannel",
    "Relationship",
    "BatchRow",
    "BatchState",
    "ContributionRate",
    "IncomeLevel",
    "JhtReturnRate",
    "KemendagriRegency",
    "KpjCounter",
    "Member",
    "MemberBatch",
    "MemberStatusChange",
    "Programme",
    "RowState",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Department",
    "GENESIS_HASH",
    "Office",
    "OfficeProposal",
    "OfficeType",
    "ProposalState",
    "ROLE_SCOPE_COLUMN",
    "Regency",
    "Region",
    "Role",
    "Sector",
    "User",
]
