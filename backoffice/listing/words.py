"""Name searches of long lists on PostgreSQL: the words of names, read in the list's order.

A name search (``backoffice.listing.names``) matches the rows whose name has every typed
word. On PostgreSQL tables kept by triggers (migration 0012) hold every word of every name and
every two words of it (``member_name_word``, ``member_name_pair``, ``claim_name_word``,
``claim_name_pair``; primary key word or pair, list time, id) and answer it without reading
every match:

1. Each typed word is measured: the words it stands for (itself, or every word starting with
   it, read one index probe each) and how many entries they have (counted up to
   ``LIST_WORD_CANDIDATES``, beyond that the planner's estimate).
2. The rarest typed word with fewer entries than that, or else the rarest pair of typed words
   (their pairs of words), gives all the candidates: the rows among them in the user's scope
   and filters with the other typed words are the list, counted exactly and paged by their
   ids (any order).
3. Otherwise, in the list's default order: the typed words' entries are read newest first
   (one backward index scan per word they stand for) and merged on (time, id); each row met by
   all of them is checked once (scope, filters) until the page is full. The page costs what it
   must read to find its rows, not the size of the table; the total is an estimate, shown as
   such.
4. Otherwise (another order of a long list, or a walk that took too long): the same
   conditions go to the list's usual path (estimate, ids, statement timeout).

The other typed words are checked by a probe of the primary key per word they stand for; a
typed word standing for too many words, on the row's name with the SQL function
``name_words``, which splits a name like the triggers do.

Steps 1 to 3 are read here and in ``backoffice.listing.name_search``; step 4 is
``backoffice.listing.pages``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from .counts import estimated_rows
from .names import Term, name_has, pair, word_condition

#: A leading word with at most this many entries is read whole: an exact list.
WORD_CANDIDATES = 500
#: A typed word standing for more words than this does not lead a walk (one index scan each).
WALK_WORDS = 200
#: Two typed words standing for more pairs of words than this are not looked up as pairs.
PAIR_LOOKUPS = 50


@dataclass(frozen=True)
class WordIndex:
    """A list's table of name words: the table, its time column (the list's default order,
    newest first) and its id column."""

    table: Table
    key: str
    id: str
    pairs: Table  # every two words of a name, same key and id

    @property
    def word(self) -> Any:
        return self.table.c.word

    def entries(self, term: Term) -> ColumnElement[bool]:
        """The entries of the words a typed word stands for (a range of the primary key)."""
        return word_condition(self.word, term)

    def ids(self, term: Term) -> Any:
        """The ids of the rows having a word a typed word stands for (a select)."""
        return select(self.table.c[self.id]).where(self.entries(term))


@dataclass
class TermStats:
    term: Term
    entries: int  # counted up to the limit, or estimated beyond it
    counted: bool  # every entry was counted: ``entries`` is exact
    words: list[str] | None  # the words it stands for; None when more than WALK_WORDS


def has_term(
    index: WordIndex, stats: TermStats, key: Any, row_id: Any, text_expression: Any
) -> ColumnElement[bool]:
    """The row (its list time ``key`` and id) has a word the typed word matches: one probe of
    the primary key per word the typed word stands for, evaluated row by row (a scalar
    subquery: never a join reading every entry of a common word). A typed word standing for
    too many words is checked on the row's name (``text_expression``) instead."""
    if stats.words is None:
        return name_has(text_expression, stats.term)
    table = index.table
    return (
        select(literal(1))
        .where(
            table.c.word == any_(_texts(stats.words)),
            table.c[index.key] == key,
            table.c[index.id] == row_id,
        )
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def measure(session: Session, index: WordIndex, term: Term, limit: int) -> TermStats:
    """How many entries a typed word has (exact up to ``limit``), and the words it stands for."""
    table = index.table.name  # a name of models.words; every value below is a bound parameter
    if term.prefix:
        # The distinct words of the range, one index probe each (a "skip scan").
        words_sql = f"""
            ARRAY(
                WITH RECURSIVE found(word) AS (
                    (SELECT word FROM {table} WHERE word >= :low AND word < :high
                     ORDER BY word LIMIT 1)
                    UNION ALL
                    SELECT (SELECT t.word FROM {table} t WHERE t.word > found.word
                            AND t.word < :high ORDER BY t.word LIMIT 1)
                    FROM found WHERE found.word IS NOT NULL
                )
                SELECT word FROM found WHERE word IS NOT NULL LIMIT :most
            )"""  # noqa: S608
        range_sql = "word >= :low AND word < :high"
    else:
        words_sql = "ARRAY[CAST(:low AS text)]"
        range_sql = "word = :low"
    row = session.execute(
        text(
            f"SELECT (SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {range_sql}"  # noqa: S608
            f" LIMIT :limit) AS entry), {words_sql}"
        ),
        {
            "low": term.word,
            "high": term.upper_bound,
            "limit": limit + 1,
            "most": WALK_WORDS + 1,
        },
    ).one()
    entries, words = int(row[0]), list(row[1])
    counted = entries <= limit
    known = words if len(words) <= WALK_WORDS else None
    if not counted:
        # The planner's estimate of each word (its statistics know common words; a range of
        # words between two histogram bounds would be estimated at almost nothing).
        condition = index.word == any_(_texts(known)) if known else index.entries(term)
        entries = max(entries, estimated_rows(session, select(literal(1)).where(condition)))
    return TermStats(term, entries, counted, known)


def _texts(values: list[str]) -> Any:
    return bindparam(None, values, type_=ARRAY(Text))


def rare_pair(
    session: Session, index: WordIndex, stats: list[TermStats], limit: int
) -> tuple[Any, list[TermStats]] | None:
    """Two typed words whose rows are few, found by their pairs of words: the ids of those rows
    (a select) and the two typed words they are known to have; None when every two typed words
    have more rows than ``limit`` (or stand for too many pairs to look up).

    Two common words seldom together ("Tubagus Irfan") have few rows: every entry of either
    word would have to be read to find them, their pair's entries are exactly those rows. A
    row whose one word matches both typed words ("nur nura": Nuraini) has no such pair: the
    entries of the words both typed words stand for are added."""
    pairs, words, ident = index.pairs, index.table, index.id
    best: tuple[int, Any, list[TermStats]] | None = None
    for first, second in combinations(stats, 2):
        if first.words is None or second.words is None:
            continue
        if len(first.words) * len(second.words) > PAIR_LOOKUPS:
            continue
        both_pairs = sorted({pair(a, b) for a in first.words for b in second.words if a != b})
        both_words = sorted(set(first.words) & set(second.words))
        found = select(pairs.c[ident]).where(pairs.c.pair == any_(_texts(both_pairs)))
        if both_words:
            found = union_all(
                found, select(words.c[ident]).where(words.c.word == any_(_texts(both_words)))
            )
        rows = session.scalar(select(func.count()).select_from(found.limit(limit + 1).subquery()))
        if rows <= limit and (best is None or rows < best[0]):
            best = (rows, found, [first, second])
    return None if best is None else (best[1], best[2])


def _entries_in_order(index: WordIndex, words: list[str], name: str) -> Any:
    """The entries of ``words`` as (key, id): one backward scan of the primary key per word,
    merged by the planner in the list's order."""
    table = index.table
    key, ident = table.c[index.key], table.c[index.id]
    branches = [
        select(key.label("key"), ident.label("id")).where(table.c.word == word) for word in words
    ]
    return (union_all(*branches) if len(branches) > 1 else branches[0]).subquery(name)


def walk(index: WordIndex, lead: list[str], others: list[list[str]], row_check: Any) -> Any:
    """The (key, id) of the rows having a word of ``lead`` and one of each list of ``others``,
    newest first: the entries of each typed word read in the list's order and merged on (key,
    id), each row met by all of them kept when ``row_check(id, ids of the others)`` says so.
    A row met twice (two of its words start with the same typed word) is kept once. The
    caller pages it."""
    hit = _entries_in_order(index, lead, "hit")
    source: Any = hit
    joined = []
    for number, words in enumerate(others, 1):
        other = _entries_in_order(index, words, f"hit{number}")
        source = source.join(other, and_(other.c.key == hit.c.key, other.c.id == hit.c.id))
        joined.append(other.c.id)
    return (
        select(hit.c.key, hit.c.id)
        .select_from(source)
        .where(row_check(hit.c.id, joined))
        .distinct()
        .order_by(hit.c.key.desc(), hit.c.id.desc())
    )


def checked(query: Select, pk: Any, row_id: Any, conditions: list[Any]) -> ColumnElement[bool]:
    """A candidate's row is in ``query`` (scope, filters) and meets ``conditions``: a scalar
    subquery evaluated for each candidate, never turned into a join that reads every row (nor
    pushed below the merge of the typed words when it names each of their ids)."""
    return (
        query.with_only_columns(literal_column("1"))
        .where(pk == row_id, *conditions)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )
