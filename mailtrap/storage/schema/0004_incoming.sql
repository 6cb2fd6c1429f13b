-- New mail goes in through this view: one multi-row INSERT per burst, which the trigger fans
-- out to the tables a message lives in. The writer thread lets go of the GIL for every
-- statement it steps and must win it back from the busy SMTP event loop each time; with the
-- view, a burst of untagged mail is one statement, and needs no BEGIN or COMMIT of its own.
-- (Tags are inserted beside it, by message id: few messages have any.)
CREATE VIEW incoming (
    id, created, size, read, message_id, subject, addresses, return_path, date,
    attachment_count, snippet, tags, username, envelope, raw,
    fts_subject, fts_sender, fts_rcpt_to, fts_cc, fts_bcc, fts_message_id, fts_tags, fts_body
) AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
WHERE 0;

CREATE TRIGGER incoming_insert INSTEAD OF INSERT ON incoming BEGIN
    INSERT INTO messages (
        id, created, size, read, message_id, subject, addresses, return_path, date,
        attachment_count, snippet, tags, username, envelope
    ) VALUES (
        NEW.id, NEW.created, NEW.size, NEW.read, NEW.message_id, NEW.subject, NEW.addresses,
        NEW.return_path, NEW.date, NEW.attachment_count, NEW.snippet, NEW.tags, NEW.username,
        NEW.envelope
    );
    -- Inside a trigger, last_insert_rowid() is the row the trigger itself just inserted:
    -- the message's seq, which raw (and then fts) take as their own rowid.
    INSERT INTO raw (seq, data) VALUES (last_insert_rowid(), NEW.raw);
    INSERT INTO fts (rowid, subject, sender, rcpt_to, cc, bcc, message_id, tags, body) VALUES (
        last_insert_rowid(), NEW.fts_subject, NEW.fts_sender, NEW.fts_rcpt_to, NEW.fts_cc,
        NEW.fts_bcc, NEW.fts_message_id, NEW.fts_tags, NEW.fts_body
    );
END;
