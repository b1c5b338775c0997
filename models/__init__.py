"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from .audit import GENESIS_HASH, AuditChainHead, AuditEvent
from .base import Base
from .enums import OfficeType, ProposalState, Role
from .org import Department, Office, Regency, Region
from .proposals import OfficeProposal
from .users import ROLE_SCOPE_COLUMN, User

__all__ = [
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
    "User",
]
