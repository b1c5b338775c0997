"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from .audit import GENESIS_HASH, AuditChainHead, AuditEvent
from .base import Base
from .claims import Claim, ClaimDocument, ContributionPayment
from .enums import (
    BatchState,
    ClaimState,
    ClaimType,
    HolidayKind,
    JhtReason,
    OfficeType,
    PaymentChannel,
    Programme,
    ProposalState,
    Relationship,
    Role,
    RowState,
)
from .members import BatchRow, KpjCounter, Member, MemberBatch
from .org import Department, KemendagriRegency, Office, Regency, Region
from .proposals import OfficeProposal
from .reference import (
    BenefitParameter,
    ContributionRate,
    DocumentRequirement,
    HolidayCorrection,
    IncomeLevel,
    Sector,
)
from .users import ROLE_SCOPE_COLUMN, User

__all__ = [
    "BenefitParameter",
    "Claim",
    "ClaimDocument",
    "ClaimState",
    "ClaimType",
    "ContributionPayment",
    "DocumentRequirement",
    "HolidayCorrection",
    "HolidayKind",
    "JhtReason",
    "PaymentChannel",
    "Relationship",
    "BatchRow",
    "BatchState",
    "ContributionRate",
    "IncomeLevel",
    "KemendagriRegency",
    "KpjCounter",
    "Member",
    "MemberBatch",
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
