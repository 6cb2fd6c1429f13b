-- The PostgreSQL store's first schema. Every object lives in the inbox's own schema (the
-- migration runs with search_path set to it), so one database holds many inboxes.

-- One row a message. `summary` is the JSON of the summary's text fields, read back as they
-- were written (JSON escapes NUL, which a text column cannot hold); the columns beside it are
-- the ones a query filters or sorts on. `created` comes from the database clock, so instances
-- whose clocks differ still agree on arrival times.
CREATE TABLE messages (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    created double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp()),
    size bigint NOT NULL,
    read boolean NOT NULL DEFAULT false,
    attachment_count integer NOT NULL,
    inline_count integer NOT NULL,
    login text NOT NULL,        -- the SMTP AUTH user, casefolded ('' for none), for login:
    summary text NOT NULL,
    tags text NOT NULL,         -- the JSON list of the message's tags, as shown
    envelope text NOT NULL
);

-- The message as received. EXTERNAL: stored out of line but not compressed, as SQLite keeps
-- it: compressing every arriving message costs the writer CPU that mail rarely repays
-- (attachments are already compressed), and the size the store reports is then the mail's.
CREATE TABLE raw (
    seq bigint PRIMARY KEY REFERENCES messages ON DELETE CASCADE,
    data bytea NOT NULL
);
ALTER TABLE raw ALTER COLUMN data SET STORAGE EXTERNAL;

-- The folded text search reads (`mailtrap.message.searchtext.COLUMNS`, in order).
CREATE TABLE search (
    seq bigint PRIMARY KEY REFERENCES messages ON DELETE CASCADE,
    subject text NOT NULL,
    sender text NOT NULL,
    rcpt_to text NOT NULL,
    cc text NOT NULL,
    bcc text NOT NULL,
    reply_to text NOT NULL,
    message_id text NOT NULL,
    tags text NOT NULL,
    body text NOT NULL
);

-- One row per tag of a message, keyed by its casefolded name, for tags() and tag:.
CREATE TABLE tags (
    seq bigint NOT NULL REFERENCES messages ON DELETE CASCADE,
    key text NOT NULL,
    tag text NOT NULL,
    PRIMARY KEY (seq, key)
);
CREATE INDEX tags_by_key ON tags (key, seq);

-- Message counts, one row per writer (the session setting `mailtrap.writer`), summed on
-- read: instances sharing the inbox never wait on each other's update of one row.
CREATE TABLE counters (
    writer text PRIMARY KEY,
    total bigint NOT NULL DEFAULT 0,
    unread bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION count_change(more_total bigint, more_unread bigint) RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    INSERT INTO counters AS c (writer, total, unread)
    VALUES (coalesce(nullif(current_setting('mailtrap.writer', true), ''), 'other'),
            more_total, more_unread)
    ON CONFLICT (writer) DO UPDATE
        SET total = c.total + excluded.total, unread = c.unread + excluded.unread
$$;

CREATE FUNCTION count_inserted() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM count_change(count(*), count(*) FILTER (WHERE NOT read))
        FROM new_rows HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE FUNCTION count_deleted() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM count_change(-count(*), -count(*) FILTER (WHERE NOT read))
        FROM old_rows HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE FUNCTION count_updated() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    change bigint;
BEGIN
    SELECT (SELECT count(*) FROM new_rows WHERE NOT read)
         - (SELECT count(*) FROM old_rows WHERE NOT read) INTO change;
    IF change <> 0 THEN
        PERFORM count_change(0, change);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_inserted AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_inserted();
CREATE TRIGGER messages_deleted AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deleted();
CREATE TRIGGER messages_updated AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_updated();
