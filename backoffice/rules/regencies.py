"""A regency or city named by a person: "3604", "Kab. Serang", "Kabupaten Serang", "Kota Serang".

The names come from the Kemendagri list (``kemendagri_regency``), "Kabupaten X" or "Kota X" (in
Jakarta "Kota Administrasi X"). "Kab." and "Kab" stand for "Kabupaten"; a name without its kind
("Serang") is understood only when one regency or city has it (Kabupaten Semarang and Kota
Semarang are two places).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .sectors import words

#: The kinds a name starts with (the longer first) and how they are looked up.
_KINDS = {
    ("kota", "administrasi"): ("kota",),
    ("kabupaten", "administrasi"): ("kabupaten",),
    ("kabupaten",): ("kabupaten",),
    ("kota",): ("kota",),
}
_ABBREVIATIONS = {"kab": "kabupaten", "kabupaten": "kabupaten", "kota": "kota", "kodya": "kota"}


def _key(found: tuple[str, ...]) -> str:
    return " ".join(found)


def regency_lookup(regencies: Iterable[tuple[str, str]]) -> dict[str, str]:
    """What ``regency_named`` looks names up in, from (code, name) pairs of the list."""
    lookup: dict[str, str] = {}
    bare: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for code, name in regencies:
        lookup[code] = code
        found = words(name)
        lookup[_key(found)] = code
        for prefix, kind in _KINDS.items():
            if found[: len(prefix)] == prefix and len(found) > len(prefix):
                rest = found[len(prefix) :]
                lookup[_key(kind + rest)] = code
                bare[_key(rest)] = code
                counts[_key(rest)] += 1
                break
    for name, code in bare.items():
        if counts[name] == 1:
            lookup.setdefault(name, code)
    return lookup


def regency_named(text: str | None, lookup: Mapping[str, str]) -> str | None:
    """The code of the regency or city ``text`` names (its code or its name), or None."""
    if not text:
        return None
    found = list(words(text))
    if found and found[0] in _ABBREVIATIONS:
        found[0] = _ABBREVIATIONS[found[0]]
    return lookup.get(_key(tuple(found)))


def regency_in_address(text: str | None, lookup: Mapping[str, str]) -> str | None:
    """The regency or city an address names with its kind ("..., Kec. Ciruas, Kab. Serang",
    "Jl. Ki Mas Jong, Kota Serang"), the last one named; None when it names none (a district or
    a village name alone is never taken for a regency)."""
    if not text:
        return None
    found = [_ABBREVIATIONS.get(word, word) for word in words(text)]
    code = None
    for start, word in enumerate(found):
        if word not in ("kabupaten", "kota"):
            continue
        for end in range(len(found), start + 1, -1):
            match = lookup.get(_key(tuple(found[start:end])))
            if match is not None:
                code = match
                break
    return code
