"""Personal data shown masked (UU 27/2022, Pelindungan Data Pribadi).

NIK, phone number and address are personal data: lists, search results and exports show them
masked; the full value is revealed, and audited, only on a record's page to those who need it
(``backoffice.authz.personal_data``). These functions say what a masked value looks like, the
same on every screen and in every export. They keep enough to recognise a value one already
knows (the start and end of a NIK or a phone, the start of an address) and nothing to learn it.
"""

from __future__ import annotations

from collections.abc import Callable

STAR = "*"
#: What stands for the hidden words of an address: a fixed length, the length is not told.
ADDRESS_STARS = STAR * 3

#: A NIK keeps its first and last 4 characters when it has at least this many (16 always does);
#: a shorter value (a mistyped NIK in an uploaded file) is hidden whole.
_NIK_SHOWN = 4
_NIK_MIN_LENGTH = 12
#: A phone keeps its first and last 4 digits from 11 digits, 2 and 2 from 6, none below.
_PHONE_LONG = 11
_PHONE_SHORT = 6


def mask_nik(value: str | None) -> str:
    """``3604********0001``: the first 4 characters (province and regency), 8 stars, the last 4
    (the serial). Under 12 characters, every character is a star."""
    text = (value or "").strip()
    if len(text) < _NIK_MIN_LENGTH:
        return STAR * len(text)
    return text[:_NIK_SHOWN] + STAR * (len(text) - 2 * _NIK_SHOWN) + text[-_NIK_SHOWN:]


def mask_phone(value: str | None) -> str:
    """``0812****7890``: the first and last 4 digits from 11 digits on, the first and last 2
    under 11, every digit hidden under 6. Other characters (``+``, spaces) stay as they are."""
    text = (value or "").strip()
    digits = sum(ch.isdigit() for ch in text)
    if digits >= _PHONE_LONG:
        shown = 4
    elif digits >= _PHONE_SHORT:
        shown = 2
    else:
        shown = 0
    out, seen = [], 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            visible = seen <= shown or seen > digits - shown
            out.append(ch if visible else STAR)
        else:
            out.append(ch)
    return "".join(out)


def mask_address(value: str | None) -> str:
    """``Jl. M***``: the first word, the first letter of the second, three stars (whatever the
    length). A one-word address keeps its first letter only."""
    words = (value or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + ADDRESS_STARS
    return f"{words[0]} {words[1][0]}{ADDRESS_STARS}"


#: A bank account printed on a document keeps its last 4 characters; under 8 it is hidden whole.
_ACCOUNT_SHOWN = 4


def mask_account(value: str | None) -> str:
    """``***********3501``: a bank account's digits (and letters), its separators left out,
    all hidden but the last 4, enough for the payee to recognise their account. A value of
    fewer than 8 characters is hidden whole. (A printed document's; the screens of a claim
    show the account to the office that pays it.)"""
    text = "".join(ch for ch in (value or "") if ch.isalnum())
    if len(text) < 2 * _ACCOUNT_SHOWN:
        return STAR * len(text)
    return STAR * (len(text) - _ACCOUNT_SHOWN) + text[-_ACCOUNT_SHOWN:]


#: The personal data fields of the records, by field name, and how each is masked.
MASKS: dict[str, Callable[[str | None], str]] = {
    "nik": mask_nik,
    "claimant_nik": mask_nik,
    "phone": mask_phone,
    "address": mask_address,
}


def is_personal(field: str) -> bool:
    return field in MASKS


def mask(field: str, value: str | None) -> str | None:
    """``value`` of ``field`` masked (None stays None: nothing to hide)."""
    if value is None:
        return None
    return MASKS[field](value)


__all__ = [
    "ADDRESS_STARS",
    "MASKS",
    "is_personal",
    "mask",
    "mask_account",
    "mask_address",
    "mask_nik",
    "mask_phone",
]
