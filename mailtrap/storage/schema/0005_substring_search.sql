-- Substring search, as Mailpit's (`LIKE '%term%'`), kept indexed. The FTS table now holds each
-- column's text folded in Python (`searchtext.fold`: case, accents, punctuation, the same
-- folding as the memory store's), ending in two spaces (`searchtext.PAD`), and indexes every
-- three characters of it (the trigram tokenizer; `case_sensitive 1`, as the text is folded
-- already). `detail = none`: without positions the index costs about what the word index did
-- to build; `_sqlsearch` checks candidates against the stored text instead. New columns: the
-- Reply-To addresses, and in `body` the attachments' file names and the Return-Path.
-- `inline_count` backs `has:inline`.
--
-- The old index cannot be converted in SQL (the folding is Python's): `_schema.migrate` fills
-- the new one, and `inline_count`, from each stored message after this script (see
-- `_schema.AFTER_SCRIPT`).
ALTER TABLE messages ADD COLUMN inline_count INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER incoming_insert;
DROP VIEW incoming;
DROP TRIGGER messages_delete;
DROP TABLE fts;

CREATE VIRTUAL TABLE fts USING fts5 (
    subject, sender, rcpt_to, cc, bcc, reply_to, message_id, tags, body,
    tokenize = 'trigram case_sensitive 1', detail = none
);

-- The index's vocabulary (its distinct trigrams), where a one- or two-character term finds the
-- trigrams it starts.
CREATE VIRTUAL TABLE fts_terms USING fts5vocab (fts, 'row');

CREATE TRIGGER messages_delete AFTER DELETE ON messages BEGIN
    UPDATE counters SET total = total - 1, unread = unread - (OLD.read = 0);
    DELETE FROM raw WHERE seq = OLD.seq;
    DELETE FROM tags WHERE seq = OLD.seq;
    DELETE FROM fts WHERE rowid = OLD.seq;
END;

CREATE VIEW incoming (
    id, created, size, read, message_id, subject, addresses, return_path, date,
    attachment_count, snippet, tags, username, envelope, raw, inline_count,
    fts_subject, fts_sender, fts_rcpt_to, fts_cc, fts_bcc, fts_reply_to, fts_message_id,
    fts_tags, fts_body
) AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
WHERE 0;

CREATE TRIGGER incoming_insert INSTEAD OF INSERT ON incoming BEGIN
    INSERT INTO messages (
        id, created, size, read, message_id, subject, addresses, return_path, date,
        attachment_count, snippet, tags, username, envelope, inline_count
    ) VALUES (
        NEW.id, NEW.created, NEW.size, NEW.read, NEW.message_id, NEW.subject, NEW.addresses,
        NEW.return_path, NEW.date, NEW.attachment_count, NEW.snippet, NEW.tags, NEW.username,
        NEW.envelope, NEW.inline_count
    );
    -- Inside a trigger, last_insert_rowid() is the row the trigger itself just inserted:
    -- the message's seq, which raw (and then fts) take as their own rowid.
    INSERT INTO raw (seq, data) VALUES (last_insert_rowid(), NEW.raw);
    INSERT INTO fts (
        rowid, subject, sender, rcpt_to, cc, bcc, reply_to, message_id, tags, body
    ) VALUES (
        last_insert_rowid(), NEW.fts_subject, NEW.fts_sender, NEW.fts_rcpt_to, NEW.fts_cc,
        NEW.fts_bcc, NEW.fts_reply_to, NEW.fts_message_id, NEW.fts_tags, NEW.fts_body
    );
END;
