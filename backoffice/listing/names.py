"""The name rule: the words of a person's name, and what a name search matches, in Python and
in SQL. Everything that splits a name or matches a typed word asks this module.

A name search matches the names that have every typed word: a typed word of three letters or
more is the beginning of a word of the name ("ramad" finds "Ramadhan"), a shorter one a whole
word ("M. Yusuf": "m" and "yusuf"). Words are runs of letters and digits (any character above
ASCII counts as a letter); everything else of ASCII (spaces, dots, dashes, apostrophes,
commas...) separates them; case does not matter. Order does not matter either.

Where the rule is evaluated:
- here in Python (``name_words``, ``matches``): the typed search on both databases, and each
  row's name on SQLite, where ``name_match`` is registered on every connection
  (``register_sqlite``) and asked by ``sqlite_condition``;
- on PostgreSQL, by the SQL functions ``name_words`` and ``name_pairs`` of migration 0012 (the
  same separators, ``SEPARATORS`` below), which its triggers use to keep the tables of name
  words (``backoffice.listing.words``); ``word_condition`` and ``name_has`` are what a typed
  word matches there, in an index range of those tables or in a row's own name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, select

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


def register_sqlite(dbapi_connection: Any) -> None:
    """Make ``name_match`` callable in SQL on a new SQLite connection."""
    dbapi_connection.create_function("name_match", 2, name_match, deterministic=True)


def sqlite_condition(text: Any, search: str) -> ColumnElement[bool]:
    """The name ``text`` (SQL) has every typed word of ``search``: SQLite asks each row."""
    return func.name_match(text, search) == 1


def word_condition(word: Any, term: Term) -> ColumnElement[bool]:
    """A word column (``COLLATE "C"``, a table of name words) holds a word the typed word
    matches: a range of the primary key for a beginning, else the word itself."""
    if term.prefix:
        return and_(word >= term.word, word < term.upper_bound)
    return word == term.word


def name_has(text: Any, term: Term) -> ColumnElement[bool]:
    """The name ``text`` (SQL), split by PostgreSQL's ``name_words``, has a word the typed word
    matches (a beginning by ``starts_with``: the words it returns are not ``COLLATE "C"``)."""
    found = func.name_words(text).table_valued("word").render_derived("name_word")
    condition = (
        func.starts_with(found.c.word, term.word) if term.prefix else found.c.word == term.word
    )
    return exists(select(literal(1)).select_from(found).where(condition))
