"""How many rows a list has: counted exactly when that is cheap, else PostgreSQL's estimate,
marked as one. SQLite counts exactly (its databases are small)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, literal_column, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement, Executable

#: Counted exactly up to this many rows; beyond, PostgreSQL's estimate is shown as such.
EXACT_COUNT_LIMIT = 1_000
#: A list the planner expects to be this many times longer than ``EXACT_COUNT_LIMIT`` is not
#: probed for its ids: its estimate is shown straight away (a common word in a name would
#: otherwise read a trigram index's long posting lists only to find out the list is long).
ESTIMATE_FIRST_FACTOR = 10


@dataclass(frozen=True)
class Count:
    """The number of rows of a list; ``estimated``: the planner's estimate, not a count."""

    rows: int
    estimated: bool = False


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <select>``: PostgreSQL's row estimate, without running it."""

    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def estimated_rows(session: Session, statement: Any) -> int:
    """The planner's estimate of the rows ``statement`` returns (PostgreSQL only)."""
    plan = session.connection().execute(_Explain(statement)).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def table_rows(session: Session, table: str) -> int:
    """PostgreSQL's estimate of a table's rows (from its statistics, no rows read)."""
    value = session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
        {"table": table},
    ).scalar()
    return max(int(value or 0), 1)


def count_rows(
    session: Session,
    count: Select,
    pk: Any,
    *,
    limit: int = EXACT_COUNT_LIMIT,
    factor: float = ESTIMATE_FIRST_FACTOR,
    probe: int | None = None,
    estimate_first: bool = True,
) -> tuple[Count, list[Any] | None]:
    """The number of rows of a list (``count``: its ``count(*)``), and on PostgreSQL the ids
    (``pk``) of a list short enough.

    SQLite: ``count(*)``. PostgreSQL: first the planner's estimate (``EXPLAIN``); a list it
    expects to be ``factor`` times longer than ``limit`` shows that estimate, marked as one.
    Otherwise the ids of up to ``limit`` rows, or ``probe`` rows when more are wanted (one
    statement that stops there, no ordering: the planner uses the search's own index): when
    every id was read the count is exact and the page is read by those ids, so a rare search
    term never ends in a walk along the order index. A longer list shows the estimate.
    """
    if not is_postgresql(session):
        return Count(session.scalar(count) or 0), None
    estimate = estimated_rows(session, count.with_only_columns(literal_column("1")))
    if estimate_first and estimate >= limit * factor:
        return Count(estimate, estimated=True), None
    wanted = max(probe or 0, limit)
    ids = list(session.scalars(count.with_only_columns(pk).limit(wanted + 1)))
    if len(ids) <= wanted:
        return Count(len(ids)), ids
    return Count(max(estimate, wanted + 1), estimated=True), None
