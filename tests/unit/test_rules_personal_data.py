"""Masked personal data.

UU 27/2022 (Pelindungan Data Pribadi); domain.md "Personal data": "NIK, phone and address are
personal data. Show them masked by default (`3604********0001`), reveal to those who need it,
audit each reveal and each export of personal data."
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.rules.personal_data import (
    is_personal,
    mask,
    mask_account,
    mask_address,
    mask_nik,
    mask_phone,
)


def test_a_nik_keeps_its_region_and_serial_only():
    # domain.md: "Show them masked by default (`3604********0001`)".
    assert mask_nik("3604015203900001") == "3604********0001"
    assert mask_nik(" 3604015203900001 ") == "3604********0001"


def test_a_nik_too_short_to_mask_is_hidden_whole():
    # A mistyped NIK of an uploaded row: showing 8 of 10 digits would reveal most of it.
    assert mask_nik("3604015203") == "**********"
    assert mask_nik("") == ""
    assert mask_nik(None) == ""


@given(st.from_regex(r"\A[0-9]{16}\Z"))
def test_a_masked_nik_never_shows_its_birth_date(nik):
    # The middle 8 digits are the district and the birth date (DDMMYY, +40 for women).
    masked = mask_nik(nik)
    assert len(masked) == 16
    assert masked[4:12] == "********"
    assert masked[:4] == nik[:4] and masked[-4:] == nik[-4:]


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("081234567890", "0812****7890"),  # 12 digits: first and last 4
        ("08123456789", "0812***6789"),  # 11 digits: still 4 and 4
        ("0812345678", "08******78"),  # 10 digits: 2 and 2
        ("081234", "08**34"),  # 6 digits: 2 and 2
        ("08123", "*****"),  # under 6: nothing shown
        ("+62 812-3456-7890", "+62 81*-****-7890"),  # separators kept, digits counted
        ("", ""),
    ],
)
def test_a_phone_keeps_its_ends_by_its_length(phone, masked):
    # UU 27/2022: a phone number is personal data; the ends let a caller recognise it.
    assert mask_phone(phone) == masked


@given(st.from_regex(r"\A0[0-9]{5,14}\Z"))
def test_a_masked_phone_hides_at_least_half_its_digits(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    shown = len(phone) - masked.count("*")
    assert shown <= 8  # never more than the first and last 4 digits
    assert shown <= len(phone) - 2  # always something hidden


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("Jl. Mawar No. 5, Ciruas", "Jl. M***"),
        ("Kp. Cibeber RT 02/RW 03", "Kp. C***"),
        ("Ciruas", "C***"),
        ("  Jl.   Raya Serang  ", "Jl. R***"),
        ("", ""),
    ],
)
def test_an_address_keeps_its_first_word_and_a_letter(address, masked):
    # domain.md: the address is personal data; masked as "Jl. M***" (length not told).
    assert mask_address(address) == masked


def test_the_personal_fields_and_none():
    assert all(is_personal(f) for f in ("nik", "claimant_nik", "phone", "address"))
    assert not is_personal("name") and not is_personal("kpj")
    assert mask("nik", None) is None
    assert mask("claimant_nik", "3604015203900001") == "3604********0001"


def test_a_printed_bank_account_keeps_its_last_four_digits_only():
    # UU 27/2022: a payment letter names the account paid, masked but for its last 4 digits
    # (issue #18), so the payee recognises it and a reader of the letter learns nothing more.
    assert mask_account("0123-01-000123-50-1") == "*" * 11 + "3501"
    assert mask_account("12345678") == "****5678"
    assert mask_account("1234567") == "*******"
    assert mask_account(None) == mask_account("") == ""
    assert not is_personal("bank_account")  # the claim's screens show it to its office


@given(st.text(alphabet="0123456789- ", max_size=30))
def test_a_masked_account_shows_at_most_four_characters(account):
    masked = mask_account(account)
    digits = sum(ch.isdigit() for ch in account)
    assert len(masked) == digits
    assert sum(ch != "*" for ch in masked) <= 4
    assert (
        masked == ""
        or digits < 8
        or masked.endswith("".join(c for c in account if c.isdigit())[-4:])
    )
