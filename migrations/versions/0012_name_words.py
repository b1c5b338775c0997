"""lists at scale: name searches by the words of names, in the lists' order (PostgreSQL)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 05:00:00

A trigram index answers a name search by reading the posting lists of the name's trigrams,
which grow with the table: "Ahmad Ramadhan" took 22 ms at 1M members and 61 ms at 10M. These
tables hold every word of every name, and every two words of it, in the order of the list that
shows it (members by registration time, claims by submission time), so a search reads the
entries of its rarest typed word (or pair of typed words) and, when they are many, reads them
newest first and stops when the page is full: a page costs what it finds, not what the table
holds (``views/words.py``).

- ``member_name_word (word, created_at, member_id)``: the words of each member's name;
  ``member_name_pair (pair, created_at, member_id)``: each two of them ("ahmad ramadhan", in
  code point order), for two common words seldom together.
- ``claim_name_word`` and ``claim_name_pair (..., submitted_at, claim_id)``: the same for the
  words of each claim's claimant name and of its member's name together.

They are kept by triggers (a statement trigger with a transition table for inserts, so that a
batch of 50,000 members is split in one statement; row triggers for the rare changes of a name,
a time or a claim's member, and for deletes), using the SQL functions ``name_words`` and
``name_pairs``, which split like ``backoffice.names``. The words are ``COLLATE "C"``: a word
prefix is a range of the primary key. The trigram indexes of ``member.name`` and
``claim.claimant_name`` are dropped (nothing else searches them); pg_trgm stays for the audit
trail's notes.

SQLite has none of this: there a name search asks ``name_match``, a function registered on
every connection (small databases only).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = (
    ("ix_member_name_trgm", "member", "name"),
    ("ix_claim_claimant_name_trgm", "claim", "claimant_name"),
)

FUNCTIONS = r"""
CREATE FUNCTION name_words(name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT DISTINCT word
    FROM regexp_split_to_table(lower(name), '[^0-9a-z\u0080-\uffff]+') AS word
    WHERE word <> ''
$$;
CREATE FUNCTION name_pairs(name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT a.word || ' ' || b.word FROM name_words(name) AS a(word), name_words(name) AS b(word)
    WHERE a.word COLLATE "C" < b.word COLLATE "C"
$$;
"""

#: (table suffix, its text column, the function that splits a name into them)
KINDS = (("word", "word", "name_words"), ("pair", "pair", "name_pairs"))

TABLES = """
CREATE TABLE member_name_{kind} (
    {column} text COLLATE "C" NOT NULL,
    created_at timestamp with time zone NOT NULL,
    member_id integer NOT NULL
);
INSERT INTO member_name_{kind} ({column}, created_at, member_id)
    SELECT w.value, m.created_at, m.id FROM member m, {split}(m.name) AS w(value);
ALTER TABLE member_name_{kind}
    ADD CONSTRAINT pk_member_name_{kind} PRIMARY KEY ({column}, created_at, member_id);

CREATE TABLE claim_name_{kind} (
    {column} text COLLATE "C" NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    claim_id integer NOT NULL
);
INSERT INTO claim_name_{kind} ({column}, submitted_at, claim_id)
    SELECT w.value, c.submitted_at, c.id FROM claim c JOIN member m ON m.id = c.member_id,
        {split}(c.claimant_name || ' ' || m.name) AS w(value);
ALTER TABLE claim_name_{kind}
    ADD CONSTRAINT pk_claim_name_{kind} PRIMARY KEY ({column}, submitted_at, claim_id);
"""

# The statements of the trigger functions, once for the words and once for the pairs.
MEMBER_ADDED = """
    INSERT INTO member_name_{kind} ({column}, created_at, member_id)
        SELECT w.value, n.created_at, n.id FROM added n, {split}(n.name) AS w(value);"""
MEMBER_REMOVED = """
        DELETE FROM member_name_{kind}
            WHERE {column} IN (SELECT {split}(OLD.name))
            AND created_at = OLD.created_at AND member_id = OLD.id;"""
MEMBER_CHANGED = """
        INSERT INTO member_name_{kind} ({column}, created_at, member_id)
            SELECT w.value, NEW.created_at, NEW.id FROM {split}(NEW.name) AS w(value);"""
MEMBER_RENAMED = """
            DELETE FROM claim_name_{kind} cw USING claim c
                WHERE c.member_id = NEW.id AND cw.claim_id = c.id
                AND cw.submitted_at = c.submitted_at
                AND cw.{column} IN (SELECT {split}(c.claimant_name || ' ' || OLD.name));
            INSERT INTO claim_name_{kind} ({column}, submitted_at, claim_id)
                SELECT w.value, c.submitted_at, c.id FROM claim c,
                    {split}(c.claimant_name || ' ' || NEW.name) AS w(value)
                WHERE c.member_id = NEW.id;"""
CLAIM_ADDED = """
    INSERT INTO claim_name_{kind} ({column}, submitted_at, claim_id)
        SELECT w.value, n.submitted_at, n.id FROM added n JOIN member m ON m.id = n.member_id,
            {split}(n.claimant_name || ' ' || m.name) AS w(value);"""
CLAIM_REMOVED = """
        DELETE FROM claim_name_{kind}
            WHERE {column} IN (
                SELECT {split}(OLD.claimant_name || ' ' || m.name)
                FROM member m WHERE m.id = OLD.member_id
            )
            AND submitted_at = OLD.submitted_at AND claim_id = OLD.id;"""
CLAIM_CHANGED = """
        INSERT INTO claim_name_{kind} ({column}, submitted_at, claim_id)
            SELECT w.value, NEW.submitted_at, NEW.id FROM member m,
                {split}(NEW.claimant_name || ' ' || m.name) AS w(value)
            WHERE m.id = NEW.member_id;"""
TRUNCATED = """
    TRUNCATE {table}_name_{kind};"""


def _each(template, **extra):
    return "".join(
        template.format(kind=kind, column=column, split=split, **extra)
        for kind, column, split in KINDS
    )


TRIGGERS = f"""
-- Members --------------------------------------------------------------------------------
CREATE FUNCTION member_name_words_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_each(MEMBER_ADDED)}
    RETURN NULL;
END $$;
CREATE TRIGGER member_name_words_added AFTER INSERT ON member
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION member_name_words_added();

CREATE FUNCTION member_name_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN{_each(MEMBER_REMOVED)}
    END IF;
    IF TG_OP = 'UPDATE' THEN{_each(MEMBER_CHANGED)}
        IF NEW.name IS DISTINCT FROM OLD.name THEN
            -- A claim's words include its member's name.{_each(MEMBER_RENAMED)}
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER member_name_words_changed AFTER UPDATE OF name, created_at ON member
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
                       OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION member_name_words_changed();
CREATE TRIGGER member_name_words_removed AFTER DELETE ON member
    FOR EACH ROW EXECUTE FUNCTION member_name_words_changed();

CREATE FUNCTION member_name_words_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_each(TRUNCATED, table="member")}
    RETURN NULL;
END $$;
CREATE TRIGGER member_name_words_truncated AFTER TRUNCATE ON member
    FOR EACH STATEMENT EXECUTE FUNCTION member_name_words_truncated();

-- Claims ---------------------------------------------------------------------------------
CREATE FUNCTION claim_name_words_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_each(CLAIM_ADDED)}
    RETURN NULL;
END $$;
CREATE TRIGGER claim_name_words_added AFTER INSERT ON claim
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION claim_name_words_added();

CREATE FUNCTION claim_name_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN{_each(CLAIM_REMOVED)}
    END IF;
    IF TG_OP = 'UPDATE' THEN{_each(CLAIM_CHANGED)}
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_name_words_changed AFTER UPDATE OF claimant_name, submitted_at, member_id
    ON claim FOR EACH ROW WHEN (OLD.claimant_name IS DISTINCT FROM NEW.claimant_name
                                OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at
                                OR OLD.member_id IS DISTINCT FROM NEW.member_id)
    EXECUTE FUNCTION claim_name_words_changed();
CREATE TRIGGER claim_name_words_removed AFTER DELETE ON claim
    FOR EACH ROW EXECUTE FUNCTION claim_name_words_changed();

CREATE FUNCTION claim_name_words_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_each(TRUNCATED, table="claim")}
    RETURN NULL;
END $$;
CREATE TRIGGER claim_name_words_truncated AFTER TRUNCATE ON claim
    FOR EACH STATEMENT EXECUTE FUNCTION claim_name_words_truncated();
"""

UPGRADE = (
    FUNCTIONS
    + _each(TABLES)
    + TRIGGERS
    + _each("\nANALYZE member_name_{kind};\nANALYZE claim_name_{kind};")
)

DOWNGRADE = """
DROP TRIGGER claim_name_words_truncated ON claim;
DROP TRIGGER claim_name_words_removed ON claim;
DROP TRIGGER claim_name_words_changed ON claim;
DROP TRIGGER claim_name_words_added ON claim;
DROP TRIGGER member_name_words_truncated ON member;
DROP TRIGGER member_name_words_removed ON member;
DROP TRIGGER member_name_words_changed ON member;
DROP TRIGGER member_name_words_added ON member;
DROP FUNCTION claim_name_words_truncated();
DROP FUNCTION claim_name_words_changed();
DROP FUNCTION claim_name_words_added();
DROP FUNCTION member_name_words_truncated();
DROP FUNCTION member_name_words_changed();
DROP FUNCTION member_name_words_added();
DROP TABLE claim_name_pair;
DROP TABLE member_name_pair;
DROP TABLE claim_name_word;
DROP TABLE member_name_word;
DROP FUNCTION name_pairs(text);
DROP FUNCTION name_words(text);
"""


def upgrade():
    for name, table, _column in TRIGRAM_INDEXES:
        op.drop_index(name, table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(UPGRADE))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(DOWNGRADE))
    for name, table, column in TRIGRAM_INDEXES:
        op.create_index(
            name,
            table,
            [column],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
