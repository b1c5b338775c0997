"""The SQL statements the app sends while a block runs, each optionally rewritten first (a test
makes one slow inside the database, for instance)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa


class Recorder:
    def __init__(self, engine: sa.Engine, rewrite: Callable[[str], str] | None = None) -> None:
        self.engine = engine
        self.rewrite = rewrite
        self.sql: list[str] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.rewrite is not None:
            statement = self.rewrite(statement)
        self.sql.append(statement)
        return statement, parameters

    def __enter__(self) -> Recorder:
        sa.event.listen(self.engine, "before_cursor_execute", self._before, retval=True)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
