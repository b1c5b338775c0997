"""Human labels for enum values, in the user's language."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from models import ClaimType, JhtReason, OfficeType, PaymentChannel, Relationship, Role

LABELS: dict[enum.Enum, object] = {
    Role.ADMIN: _l("Administrator"),
    Role.REGIONAL_HEAD: _l("Regional head"),
    Role.BRANCH_HEAD: _l("Branch head"),
    Role.BRANCH_CLERK: _l("Branch clerk"),
    Role.LIAISON: _l("Department liaison"),
    Role.AUDITOR: _l("Auditor"),
    OfficeType.KC: _l("Branch office (KC)"),
    OfficeType.KCP: _l("Pioneer branch office (KCP)"),
    ClaimType.JKM: _l("JKM (death)"),
    ClaimType.JKK: _l("JKK (work accident)"),
    ClaimType.JHT: _l("JHT (old-age savings)"),
    JhtReason.AGE: _l("reached the retirement age"),
    JhtReason.STOPPED_WORKING: _l("stopped working"),
    JhtReason.TOTAL_DISABILITY: _l("total permanent disability"),
    JhtReason.DEATH: _l("death"),
    JhtReason.LEAVING_INDONESIA: _l("leaving Indonesia for good"),
    Relationship.SELF: _l("the member"),
    Relationship.SPOUSE: _l("spouse"),
    Relationship.CHILD: _l("child"),
    Relationship.PARENT: _l("parent"),
    Relationship.SIBLING: _l("sibling"),
    Relationship.OTHER: _l("other heir"),
    PaymentChannel.COUNTER: _l("at the branch office"),
    PaymentChannel.BANK: _l("bank or payment partner"),
    PaymentChannel.PAYER: _l("paid by a department"),
    PaymentChannel.ONLINE: _l("online"),
}


def label(value: enum.Enum | None) -> str:
    if value is None:
        return ""
    found = LABELS.get(value)
    if found is None:
        # Workflow states (string enums) share the audit trail's state labels.
        found = STATE_LABELS.get(value.value, value.value)
    return str(found)


def choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return [(member.value, label(member)) for member in enum_cls]


# Actions and states as the audit trail stores them (plain strings), in the user's language.
ACTION_LABELS: dict[str, object] = {
    "create": _l("created"),
    "edit": _l("changed"),
    "submit": _l("submitted"),
    "resubmit": _l("resubmitted"),
    "withdraw": _l("withdrawn"),
    "approve": _l("approved"),
    "return": _l("returned for changes"),
    "reject": _l("rejected"),
    "upload": _l("file uploaded"),
    "checked": _l("rows checked"),
    "refused": _l("file refused"),
    "failed": _l("checking failed"),
    "discard": _l("discarded"),
    "retry": _l("checked again"),
    "accept_all": _l("all waiting rows accepted"),
    "accept_rows": _l("rows accepted"),
    "reject_rows": _l("rows rejected"),
    "verify": _l("verified"),
    "escalate": _l("sent to the next approval level"),
    "pay": _l("payment recorded"),
    "document_upload": _l("document uploaded"),
    "document_check": _l("document checked"),
    "contribution": _l("contribution recorded"),
    # UU 27/2022: personal data shown in full, or exported (masked or not)
    "reveal_personal_data": _l("personal data shown in full"),
    "export_personal_data": _l("list with personal data exported"),
    "status": _l("membership status changed"),
    "deregister": _l("deregistered at the member's request"),
    "propose": _l("correction proposed"),
    "correct": _l("data corrected"),
    # Printed documents hold personal data: each download is in the trail.
    "print_member_card": _l("member card printed"),
    "print_payment_letter": _l("payment letter downloaded"),
    "print_document_receipt": _l("receipt of documents downloaded"),
}

#: Why a member's status changed (``rules.lifecycle`` reason codes).
STATUS_REASONS: dict[str, object] = {
    "first_payment": _l("first contribution paid: protection starts"),
    "arrears": _l("more consecutive monthly contributions unpaid than allowed"),
    "arrears_paid": _l("arrears paid within the window: protection restored"),
    "window_passed": _l("arrears not paid within the window: membership ended"),
    "death_claim_paid": _l("death benefit paid"),
    "jht_paid": _l("JHT paid out in full"),
    "deregistered": _l("deregistered at the member's request"),
    "migration": _l("status set from the payment history"),
}
STATE_LABELS: dict[str, object] = {
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "returned": _l("returned for changes"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "withdrawn": _l("withdrawn"),
    "processing": _l("being checked"),
    "refused": _l("file refused"),
    "failed": _l("checking failed"),
    "discarded": _l("discarded"),
    "in_review": _l("in review"),
    "completed": _l("completed"),
    "partially_accepted": _l("partially accepted"),
    "verified": _l("verified"),
    "paid": _l("paid"),
    # rows of a member batch
    "invalid": _l("invalid (left out)"),
    "pending": _l("waiting"),
    "accepted": _l("accepted"),
    # a member's status (models.MemberStatus)
    "registered": _l("registered, not yet paid"),
    "active": _l("active"),
    "lapsed": _l("lapsed"),
    "ended": _l("ended"),
    "deceased": _l("deceased"),
    "exited": _l("exited"),
}


def action_label(value: str | None) -> str:
    return "" if not value else str(ACTION_LABELS.get(value, value))


def role_label(value: str | None) -> str:
    """A role as the audit trail stores it (its value), named in the user's language."""
    try:
        return label(Role(value)) if value else ""
    except ValueError:
        return str(value)


def state_label(value: str | None) -> str:
    return "" if not value else str(STATE_LABELS.get(value, value))


def sex_label(code: str | None) -> str:
    """A member's sex as stored (``L`` laki-laki, ``P`` perempuan), in the user's language."""
    return str(_l("Male") if code == "L" else _l("Female"))
