"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from .base import Base
from .enums import OfficeType, Role
from .org import Department, Office, Regency, Region
from .users import ROLE_SCOPE_COLUMN, User

__all__ = [
    "Base",
    "Department",
    "Office",
    "OfficeType",
    "ROLE_SCOPE_COLUMN",
    "Regency",
    "Region",
    "Role",
    "User",
]
