"""The KPJ number: ten serial digits and their Luhn check digit."""

from __future__ import annotations

import pytest

from backoffice.rules.kpj import SERIAL_SPACE, kpj_check_digit, kpj_is_valid, kpj_number


def luhn_digit(serial: str) -> str:
    """The check digit as the textbook computes it, digit by digit."""
    total = 0
    for i, ch in enumerate(reversed(serial)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def test_kpj_check_digit_is_luhn():
    assert kpj_check_digit("7992739871") == "3"  # the textbook Luhn example
    assert kpj_is_valid("79927398713")
    assert not kpj_is_valid("79927398710")  # wrong check digit
    assert not kpj_is_valid("79927398731")  # swapped neighbours
    assert not kpj_is_valid("7992739871")  # too short
    assert not kpj_is_valid("7992739871x")
    for serial in ("0000000000", "2600000001", "9999999999"):
        assert kpj_is_valid(serial + kpj_check_digit(serial))


@pytest.mark.parametrize("serial", [0, 1, 9, 10, 12345, 99_999, 100_000, 2_600_000_001, 10**10 - 1])
def test_a_number_is_its_serial_and_the_luhn_digit(serial: int) -> None:
    text = f"{serial:010d}"
    assert kpj_number(serial) == text + luhn_digit(text) == text + kpj_check_digit(text)
    assert kpj_is_valid(kpj_number(serial))


def test_every_serial_of_a_range_gives_the_textbook_digit() -> None:
    for serial in range(0, 10**10, 7_777_777):
        text = f"{serial:010d}"
        assert kpj_check_digit(serial) == luhn_digit(text)


@pytest.mark.parametrize("serial", [-1, SERIAL_SPACE])
def test_a_serial_outside_the_range_has_no_number(serial: int) -> None:
    with pytest.raises(ValueError):
        kpj_number(serial)
