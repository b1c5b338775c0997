"""The words of a person's name, and what a name search matches.

A name search matches the names that have every typed word: a typed word of three letters or
more is the beginning of a word of the name ("ramad" finds "Ramadhan"), a shorter one a whole
word ("M. Yusuf": "m" and "yusuf"). Words are runs of letters and digits (any character above
ASCII counts as a letter); everything else of ASCII (spaces, dots, dashes, apostrophes,
commas...) separates them; case does not matter. Order does not matter either.

On PostgreSQL the words of every member's name (and of every claim's claimant and member) are
kept in a table by a trigger (migration 0012), which splits names with the SQL function
``name_words``: the same rule as ``name_words`` here, which splits the typed search on both
databases and decides the match on SQLite (``name_match``, registered on every connection).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What separates words (the SQL function of migration 0012 uses the same class).
SEPARATORS = re.compile("[^0-9a-z\u0080-\uffff]+")
#: A typed word this long or longer matches the beginnings of words; a shorter one whole words.
PREFIX_FROM = 3


def name_words(name: str | None) -> list[str]:
    """The distinct words of ``name``, lower case, in the order they come."""
    if not name:
        return []
    return list(dict.fromkeys(w for w in SEPARATORS.split(name.lower()) if w))


def name_pairs(name: str | None) -> list[str]:
    """Every two distinct words of ``name``, each pair as "a b" with a before b in code point
    order (the SQL function ``name_pairs`` of migration 0012)."""
    words = sorted(name_words(name))
    return [f"{a} {b}" for i, a in enumerate(words) for b in words[i + 1 :]]


def pair(a: str, b: str) -> str:
    return f"{a} {b}" if a < b else f"{b} {a}"


@dataclass(frozen=True)
class Term:
    """A typed word: the beginning of a word of the name, or (short) a whole word."""

    word: str
    prefix: bool

    def matches(self, word: str) -> bool:
        return word.startswith(self.word) if self.prefix else word == self.word

    @property
    def upper_bound(self) -> str:
        """The first text after every word that starts with this one (code point order,
        which is the byte order of UTF-8 and of the ``C`` collation)."""
        return self.word[:-1] + chr(ord(self.word[-1]) + 1)


def search_terms(search: str) -> list[Term]:
    """The typed words of a name search (no words: nothing can match)."""
    return [Term(w, len(w) >= PREFIX_FROM) for w in name_words(search)]


def matches(name: str | None, terms: list[Term]) -> bool:
    words = name_words(name)
    return bool(terms) and all(any(t.matches(w) for w in words) for t in terms)


def name_match(name: str | None, search: str | None) -> int:
    """SQLite's ``name_match(name, search)``: 1 when the name has every typed word."""
    return int(matches(name, search_terms(search or "")))
