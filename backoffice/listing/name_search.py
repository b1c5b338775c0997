"""A name search of a long list on PostgreSQL, read from the list's table of name words
(``backoffice.listing.words`` tells the ways): all the candidates when a typed word or pair is
rare, else a walk in the list's default order, else the search's conditions for the list's
usual path (``backoffice.listing.pages``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, literal_column
from sqlalchemy.orm import Session

from . import words
from .bounds import paginate, within_time
from .counts import Count, estimated_rows, table_rows
from .names import Term


@dataclass(frozen=True)
class Found:
    """What the words answered: the count, and the ids of the whole list (``whole``: paged by
    the caller) or of the page itself (a walk)."""

    count: Count
    ids: list[Any]
    whole: bool


@dataclass(frozen=True)
class NameList:
    """The list a name search reads: its rows' id and list time (``key``, the index's time
    column), its table of name words, and its name as SQL (``name_text()``)."""

    pk: Any
    key: Any
    table: str
    index: words.WordIndex
    name_text: Callable[[], Any]


def search_names(
    session: Session,
    names: NameList,
    terms: list[Term],
    rows: Select,
    count: Select,
    *,
    page: int,
    page_size: int,
    walk: bool,
    candidates: int,
    timeout_ms: int,
) -> tuple[Found | None, Select, Select]:
    """The rows of ``count`` (scope, filters) having every typed word.

    ``walk``: the list is read in its default order (the index's time, newest first) and its
    page executed, so a long list may be walked. Returns what the words answered, else None
    and ``rows`` and ``count`` with the search's conditions, for the list's usual path."""
    if not terms:
        return Found(Count(0), [], True), rows, count
    index, pk = names.index, names.pk
    stats = sorted(
        (words.measure(session, index, t, candidates) for t in terms), key=lambda s: s.entries
    )
    lead = stats[0]

    def conditions(covered: list[words.TermStats]) -> list[Any]:
        """The typed words the candidates are not known to have, checked on each."""
        return [
            words.has_term(index, s, names.key, pk, names.name_text())
            for s in stats
            if not any(s is c for c in covered)
        ]

    # Few candidates: all the entries of the rarest typed word, or of the rarest pair of
    # typed words; those in scope and filters with the other typed words are the list.
    found = (
        (index.ids(lead.term), [lead])
        if lead.counted
        else words.rare_pair(session, index, stats, candidates)
    )
    if found is not None:
        ids_of, covered = found
        ids = list(
            session.scalars(count.with_only_columns(pk).where(pk.in_(ids_of), *conditions(covered)))
        )
        return Found(Count(len(ids)), ids, True), rows, count
    # Many: the walk (the list's order), else the list's usual path.
    if walk and lead.words is not None:
        walked = within_time(
            session,
            lambda: _walk_page(session, names, lead, stats, count, page, page_size),
            timeout_ms,
        )
        if walked is not None:
            return Found(*walked, whole=False), rows, count
    search = [pk.in_(index.ids(lead.term)), *conditions([lead])]
    return None, rows.where(*search), count.where(*search)


def _walk_page(
    session: Session,
    names: NameList,
    lead: words.TermStats,
    stats: list[words.TermStats],
    count: Select,
    page: int,
    page_size: int,
) -> tuple[Count, list[Any]]:
    """One page of a long name search, in the list's default order: the typed words' entries
    newest first, merged, each row met by all of them checked until the page is full."""
    index, pk = names.index, names.pk
    others = [s for s in stats if s is not lead]
    # Typed words standing for few enough words are merged in order with the leading one;
    # the others (hundreds of words begin with them) are checked on the row's name.
    merged = [s.words for s in others if s.words is not None]
    on_row = [
        words.has_term(index, s, names.key, pk, names.name_text())
        for s in others
        if s.words is None
    ]

    def row_check(row_id: Any, merged_ids: list[Any]) -> Any:
        same_row = [pk == merged_id for merged_id in merged_ids]
        return words.checked(count, pk, row_id, [*same_row, *on_row])

    statement = paginate(words.walk(index, lead.words or [], merged, row_check), page, page_size)
    ids = [row_id for _key, row_id in session.execute(statement)]
    offset = page * page_size
    if len(ids) < page_size and (ids or not offset):
        return Count(offset + len(ids)), ids
    # How many there are is not read: the rows in scope and filters, times the share of
    # rows having each typed word (as if the words were independent), shown as an estimate.
    total = estimated_rows(session, count.with_only_columns(literal_column("1")))
    rows = table_rows(session, names.table)
    estimate = float(total)
    for item in stats:
        estimate *= min(1.0, item.entries / rows)
    if not ids:
        return Count(min(round(estimate), offset), estimated=True), ids
    return Count(max(round(estimate), offset + len(ids)), estimated=True), ids
