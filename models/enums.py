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


class Programme(enum.StrEnum):
    """BPU social-security programmes."""

    JKK = "JKK"  # work accident
    JKM = "JKM"  # death
    JHT = "JHT"  # old-age savings


class BatchState(enum.StrEnum):
    PROCESSING = "processing"  # the file is being read and checked (task queue)
    REFUSED = "refused"  # the file as a whole could not be read: no rows kept
    FAILED = "failed"  # processing stopped on an unexpected error: no rows kept, may retry
    DRAFT = "draft"  # checked; the liaison reviews the preview and submits
    DISCARDED = "discarded"  # the liaison threw the draft away
    SUBMITTED = "submitted"  # waiting in the office's registration queue
    IN_REVIEW = "in_review"  # a clerk decided some rows
    COMPLETED = "completed"  # every submitted row accepted
    PARTIALLY_ACCEPTED = "partially_accepted"  # some accepted, some rejected
    REJECTED = "rejected"  # every submitted row rejected


class RowState(enum.StrEnum):
    INVALID = "invalid"  # failed validation: left out of the submission
    PENDING = "pending"  # valid, waiting for a clerk
    ACCEPTED = "accepted"  # a member was created
    REJECTED = "rejected"  # refused by a clerk, with a reason


class ClaimType(enum.StrEnum):
    JKM = "JKM"  # death not caused by work
    JKK = "JKK"  # work accident
    JHT = "JHT"  # old-age savings


class ClaimState(enum.StrEnum):
    SUBMITTED = "submitted"  # registered by a clerk, documents being gathered and checked
    RETURNED = "returned"  # back to intake for missing information
    VERIFIED = "verified"  # documents complete and checked; waiting for approval at a level
    APPROVED = "approved"  # waiting for payment
    PAID = "paid"
    REJECTED = "rejected"


class PaymentChannel(enum.StrEnum):
    COUNTER = "counter"  # paid at the branch office
    BANK = "bank"  # bank or payment partner
    PAYER = "payer"  # paid by a department/payer for many members at once
    ONLINE = "online"


class HolidayKind(enum.StrEnum):
    ADD = "add"  # a day off besides the public holidays (cuti bersama, a new holiday)
    REMOVE = "remove"  # a public holiday of the library that is a working day after all


class JhtReason(enum.StrEnum):
    AGE = "age"  # reached the retirement age
    STOPPED_WORKING = "stopped_working"
    TOTAL_DISABILITY = "total_disability"
    DEATH = "death"
    LEAVING_INDONESIA = "leaving_indonesia"


class Relationship(enum.StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"


class MemberStatus(enum.StrEnum):
    """Where a member stands in their membership (``backoffice.rules.lifecycle``)."""

    REGISTERED = "registered"  # accepted, no contribution paid yet: not protected
    ACTIVE = "active"  # protected since the first contribution paid
    LAPSED = "lapsed"  # more than N consecutive due months unpaid; arrears may still be paid
    ENDED = "ended"  # lapsed past the window for paying arrears
    DECEASED = "deceased"  # a death claim (JKM, JKK death) was paid
    EXITED = "exited"  # JHT paid out in full, or deregistered at their request


class CorrectionState(enum.StrEnum):
    """A proposed correction of a member's data (maker-checker: another person decides)."""

    SUBMITTED = "submitted"  # proposed by a clerk, waiting for another user of the office
    APPROVED = "approved"  # applied to the member
    REJECTED = "rejected"  # the member was left as they were
