"""The words of names and their pairs, in the order of the lists that show them (PostgreSQL
only).

Kept by triggers of migration 0012, never written by the application; described here for the
queries that read them (``backoffice/listing/words.py``). They are not on ``Base.metadata``:
SQLite has no such tables (its name searches ask the ``name_match`` function instead), and the
migration test compares them separately.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text

#: Tables that exist on PostgreSQL only, created and kept by the migrations.
POSTGRESQL_ONLY = MetaData()


def _word_table(name: str, key: str, row_id: str, column: str = "word") -> Table:
    """Primary key (word or pair, the list's time, the row's id): its rows in the list's order."""
    return Table(
        name,
        POSTGRESQL_ONLY,
        Column(column, Text, primary_key=True),
        Column(key, DateTime(timezone=True), primary_key=True),
        Column(row_id, Integer, primary_key=True),
    )


member_name_word = _word_table("member_name_word", "created_at", "member_id")
claim_name_word = _word_table("claim_name_word", "submitted_at", "claim_id")
#: Every two words of a name ("ahmad ramadhan", in code point order): the rows having both.
member_name_pair = _word_table("member_name_pair", "created_at", "member_id", "pair")
claim_name_pair = _word_table("claim_name_pair", "submitted_at", "claim_id", "pair")
