-- Summary columns live apart from the raw bytes so that listing and counting never read
-- message bodies; `seq` is arrival order and the key every other table hangs off.
CREATE TABLE messages (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    created          REAL NOT NULL,           -- Unix time, UTC
    size             INTEGER NOT NULL,
    read             INTEGER NOT NULL DEFAULT 0,
    message_id       TEXT NOT NULL COLLATE NOCASE,
    subject          TEXT NOT NULL,
    addresses        TEXT NOT NULL,           -- JSON: {"from": [n, a] | null, "to": [[n, a]], ...}
    return_path      TEXT NOT NULL,
    date             TEXT,                    -- ISO 8601 with offset, from the Date header
    attachment_count INTEGER NOT NULL,
    snippet          TEXT NOT NULL,
    tags             TEXT NOT NULL,           -- JSON list, as shown; the tags table is for lookup
    username         TEXT,
    envelope         TEXT NOT NULL            -- JSON: mail_from, rcpt_tos, peer, helo, tls, login
);
CREATE INDEX messages_message_id ON messages (message_id);

CREATE TABLE raw (
    seq  INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);

CREATE TABLE tags (
    seq INTEGER NOT NULL,
    key TEXT NOT NULL,                        -- casefolded: lookups ignore case
    tag TEXT NOT NULL,                        -- as first seen, for display
    PRIMARY KEY (seq, key)
) WITHOUT ROWID;
CREATE INDEX tags_key ON tags (key);

-- Totals kept by triggers: counting 100,000 rows on every list request is not free.
CREATE TABLE counters (
    id     INTEGER PRIMARY KEY CHECK (id = 0),
    total  INTEGER NOT NULL,
    unread INTEGER NOT NULL
);
INSERT INTO counters VALUES (0, 0, 0);

CREATE VIRTUAL TABLE fts USING fts5 (
    subject, sender, rcpt_to, cc, bcc, message_id, tags, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER messages_insert AFTER INSERT ON messages BEGIN
    UPDATE counters SET total = total + 1, unread = unread + (NEW.read = 0);
END;

-- One place that knows everything a message owns.
CREATE TRIGGER messages_delete AFTER DELETE ON messages BEGIN
    UPDATE counters SET total = total - 1, unread = unread - (OLD.read = 0);
    DELETE FROM raw WHERE seq = OLD.seq;
    DELETE FROM tags WHERE seq = OLD.seq;
    DELETE FROM fts WHERE rowid = OLD.seq;
END;

CREATE TRIGGER messages_read AFTER UPDATE OF read ON messages BEGIN
    UPDATE counters SET unread = unread + (NEW.read = 0) - (OLD.read = 0);
END;
