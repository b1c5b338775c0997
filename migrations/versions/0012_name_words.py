"""lists at scale: name searches by the words of names, in the lists' order (PostgreSQL)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 05:00:00

A trigram index answers a name search by reading the posting lists of the name's trigrams,
which grow with the table: "Ahmad Ramadhan" took 22 ms at 1M members and 61 ms at 10M. These
tables hold every word of every name in the order of the list that shows it (members by
registration time, claims by submission time), so a search reads the entries of its rarest
typed word newest first and stops when the page is full: a page costs what it finds, not what
the table holds (``views/words.py``).

- ``member_name_word (word, created_at, member_id)``: the words of each member's name.
- ``claim_name_word (word, submitted_at, claim_id)``: the words of each claim's claimant name
  and of its member's name.

Both are kept by triggers (a statement trigger with a transition table for inserts, so that a
batch of 50,000 members is split in one statement; row triggers for the rare changes of a name,
a time or a claim's member, and for deletes), using the SQL function ``name_words``, which
splits like ``backoffice.names.name_words``. The words are ``COLLATE "C"``: a word prefix is a
range of the primary key. The trigram indexes of ``member.name`` and ``claim.claimant_name``
are dropped (nothing else searches them); pg_trgm stays for the audit trail's notes.

SQLite has neither: there a name search asks ``name_match``, a function registered on every
connection (small databases only).
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

UPGRADE = r"""
CREATE FUNCTION name_words(name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT DISTINCT word
    FROM regexp_split_to_table(lower(name), '[^0-9a-z\u0080-\uffff]+') AS word
    WHERE word <> ''
$$;

CREATE TABLE member_name_word (
    word text COLLATE "C" NOT NULL,
    created_at timestamp with time zone NOT NULL,
    member_id integer NOT NULL
);
INSERT INTO member_name_word (word, created_at, member_id)
    SELECT w.word, m.created_at, m.id FROM member m, name_words(m.name) AS w(word);
ALTER TABLE member_name_word
    ADD CONSTRAINT pk_member_name_word PRIMARY KEY (word, created_at, member_id);

CREATE TABLE claim_name_word (
    word text COLLATE "C" NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    claim_id integer NOT NULL
);
INSERT INTO claim_name_word (word, submitted_at, claim_id)
    SELECT w.word, c.submitted_at, c.id FROM claim c JOIN member m ON m.id = c.member_id,
        name_words(c.claimant_name || ' ' || m.name) AS w(word);
ALTER TABLE claim_name_word
    ADD CONSTRAINT pk_claim_name_word PRIMARY KEY (word, submitted_at, claim_id);

-- Members --------------------------------------------------------------------------------
CREATE FUNCTION member_name_word_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_name_word (word, created_at, member_id)
        SELECT w.word, n.created_at, n.id FROM added n, name_words(n.name) AS w(word);
    RETURN NULL;
END $$;
CREATE TRIGGER member_name_word_added AFTER INSERT ON member
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION member_name_word_added();

CREATE FUNCTION member_name_word_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM member_name_word
            WHERE word IN (SELECT name_words(OLD.name))
            AND created_at = OLD.created_at AND member_id = OLD.id;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO member_name_word (word, created_at, member_id)
            SELECT w.word, NEW.created_at, NEW.id FROM name_words(NEW.name) AS w(word);
        IF NEW.name IS DISTINCT FROM OLD.name THEN
            -- A claim's words include its member's name.
            DELETE FROM claim_name_word cw USING claim c
                WHERE c.member_id = NEW.id AND cw.claim_id = c.id
                AND cw.submitted_at = c.submitted_at
                AND cw.word IN (SELECT name_words(c.claimant_name || ' ' || OLD.name));
            INSERT INTO claim_name_word (word, submitted_at, claim_id)
                SELECT w.word, c.submitted_at, c.id FROM claim c,
                    name_words(c.claimant_name || ' ' || NEW.name) AS w(word)
                WHERE c.member_id = NEW.id;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER member_name_word_changed AFTER UPDATE OF name, created_at ON member
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
                       OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION member_name_word_changed();
CREATE TRIGGER member_name_word_removed AFTER DELETE ON member
    FOR EACH ROW EXECUTE FUNCTION member_name_word_changed();

CREATE FUNCTION member_name_word_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE member_name_word;
    RETURN NULL;
END $$;
CREATE TRIGGER member_name_word_truncated AFTER TRUNCATE ON member
    FOR EACH STATEMENT EXECUTE FUNCTION member_name_word_truncated();

-- Claims ---------------------------------------------------------------------------------
CREATE FUNCTION claim_name_word_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO claim_name_word (word, submitted_at, claim_id)
        SELECT w.word, n.submitted_at, n.id FROM added n JOIN member m ON m.id = n.member_id,
            name_words(n.claimant_name || ' ' || m.name) AS w(word);
    RETURN NULL;
END $$;
CREATE TRIGGER claim_name_word_added AFTER INSERT ON claim
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION claim_name_word_added();

CREATE FUNCTION claim_name_word_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM claim_name_word
            WHERE word IN (
                SELECT name_words(OLD.claimant_name || ' ' || m.name)
                FROM member m WHERE m.id = OLD.member_id
            )
            AND submitted_at = OLD.submitted_at AND claim_id = OLD.id;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO claim_name_word (word, submitted_at, claim_id)
            SELECT w.word, NEW.submitted_at, NEW.id FROM member m,
                name_words(NEW.claimant_name || ' ' || m.name) AS w(word)
            WHERE m.id = NEW.member_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_name_word_changed AFTER UPDATE OF claimant_name, submitted_at, member_id
    ON claim FOR EACH ROW WHEN (OLD.claimant_name IS DISTINCT FROM NEW.claimant_name
                                OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at
                                OR OLD.member_id IS DISTINCT FROM NEW.member_id)
    EXECUTE FUNCTION claim_name_word_changed();
CREATE TRIGGER claim_name_word_removed AFTER DELETE ON claim
    FOR EACH ROW EXECUTE FUNCTION claim_name_word_changed();

CREATE FUNCTION claim_name_word_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE claim_name_word;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_name_word_truncated AFTER TRUNCATE ON claim
    FOR EACH STATEMENT EXECUTE FUNCTION claim_name_word_truncated();

ANALYZE member_name_word;
ANALYZE claim_name_word;
"""

DOWNGRADE = """
DROP TRIGGER claim_name_word_truncated ON claim;
DROP TRIGGER claim_name_word_removed ON claim;
DROP TRIGGER claim_name_word_changed ON claim;
DROP TRIGGER claim_name_word_added ON claim;
DROP TRIGGER member_name_word_truncated ON member;
DROP TRIGGER member_name_word_removed ON member;
DROP TRIGGER member_name_word_changed ON member;
DROP TRIGGER member_name_word_added ON member;
DROP FUNCTION claim_name_word_truncated();
DROP FUNCTION claim_name_word_changed();
DROP FUNCTION claim_name_word_added();
DROP FUNCTION member_name_word_truncated();
DROP FUNCTION member_name_word_changed();
DROP FUNCTION member_name_word_added();
DROP TABLE claim_name_word;
DROP TABLE member_name_word;
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
