"""Enumerations stored as short strings with a CHECK constraint (portable across databases)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    REGIONAL_HEAD = "regional_head"
    BRANCH_HEAD = "branch_head"
    BRANCH_CLERK = "branch_clerk"
    LIAISON = "liaison"
    AUDITOR = "auditor"


class OfficeType(enum.StrEnum):
    KC = "KC"
    KCP = "KCP"


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A non-native enum storing the member values, with a named CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class ProposalState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
