"""A member's sector of work (transport, trade/UMKM, agriculture, ...) from what they wrote.

The sectors and the words that name them are reference data (the ``sector`` table, migration
0016): "ojek", "ojol", "kurir", "sopir" are transport; "pedagang", "UMKM", "warung" trade. A
sector decides the PP 50/2025 discount (``rules.contributions``) and a department's programme
(the regent of Kab. Serang gives each department its sector). An occupation names the sector
whose word it contains, the sectors taken in their order: "tukang ojek" is transport, because
transport comes before construction ("tukang"). Nothing found: the department's sector, else
``OTHER``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TRANSPORT = "transport"
OTHER = "other"

_NOT_A_LETTER = re.compile(r"[^0-9a-z]+")


def words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as compared: NFKC, case folded, anything but letters and digits a
    space ("Ojek-Online" -> ("ojek", "online"))."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return tuple(_NOT_A_LETTER.sub(" ", folded).split())


@dataclass(frozen=True)
class SectorTerms:
    """A sector's code and the words or phrases that name it (its name among them)."""

    code: str
    terms: tuple[str, ...]

    def phrases(self) -> list[tuple[str, ...]]:
        return [w for w in (words(term) for term in (self.code, *self.terms)) if w]


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def sector_named(text: str | None, sectors: Sequence[SectorTerms]) -> str | None:
    """The first sector (in the order given) one of whose terms is among the words of
    ``text``, or None."""
    if not text:
        return None
    found = words(text)
    if not found:
        return None
    for sector in sectors:
        if any(_contains(found, phrase) for phrase in sector.phrases()):
            return sector.code
    return None


def member_sector(
    explicit: str | None,
    occupation: str | None,
    department_sector: str | None,
    sectors: Sequence[SectorTerms],
) -> str:
    """A new member's sector: the one the batch states, else the one the occupation names, else
    the department's, else ``OTHER``."""
    return explicit or sector_named(occupation, sectors) or department_sector or OTHER


def codes(sectors: Iterable[SectorTerms]) -> frozenset[str]:
    return frozenset(sector.code for sector in sectors)
