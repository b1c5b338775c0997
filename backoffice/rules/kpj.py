"""KPJ, the membership number: a 10-digit serial and its Luhn check digit, 11 digits in all.

The check digit catches a mistyped digit or two swapped neighbours at once. The serials come from
one counter (``services.numbering``); this module only says what a number looks like.
"""

from __future__ import annotations

from itertools import product

SERIAL_DIGITS = 10
LENGTH = SERIAL_DIGITS + 1
#: Serials run from 0 to SERIAL_SPACE - 1.
SERIAL_SPACE = 10**SERIAL_DIGITS

#: A digit doubled as Luhn doubles it (9 taken off above 9).
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
#: The Luhn sum of every group of four digits whose rightmost digit is doubled. Four is even, so
#: every group of a number, counted from the right, starts on a doubled digit: a serial's sum is
#: the sum of its groups' (a million KPJs a second for the bulk seed).
_GROUP = 10_000
_GROUP_SUMS = tuple(
    a + _DOUBLED[b] + c + _DOUBLED[d] for a, b, c, d in product(range(10), repeat=4)
)


def kpj_check_digit(serial: str | int) -> str:
    """The Luhn check digit of a serial (its digits, or the number)."""
    rest, total = int(serial), 0
    while rest:
        rest, group = divmod(rest, _GROUP)
        total += _GROUP_SUMS[group]
    return str((10 - total % 10) % 10)


def kpj_number(serial: int) -> str:
    """The KPJ of a serial: its ten digits and their check digit."""
    if not 0 <= serial < SERIAL_SPACE:
        raise ValueError(f"a KPJ serial is from 0 to {SERIAL_SPACE - 1}, not {serial}")
    return f"{serial:010d}{kpj_check_digit(serial)}"


def kpj_is_valid(kpj: str) -> bool:
    """Eleven digits whose last is the check digit of the first ten."""
    return len(kpj) == LENGTH and kpj.isdigit() and kpj_check_digit(kpj[:SERIAL_DIGITS]) == kpj[-1]
