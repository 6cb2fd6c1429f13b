-- Indexes for searches that match most of the inbox (issue 21's "broad search"), whose
-- counts must visit every match.
--
-- 1. Free text is looked for in the body, then in the other folded columns joined end to end
--    (`_search.HEAD`), each with a trigram index of its own, in place of 0002's single index
--    of all of them joined: a broad term, found in the body, is checked against the body
--    alone rather than against the nine columns concatenated row by row (the concatenation
--    cost as much as the match), and the planner has statistics for `body` to tell a broad
--    term from a rare one. The answers are the same: every non-empty column ends in two
--    spaces, which no folded term holds, so no term spans the head and the body.
-- 2. The read messages, by seq: a search counts its unread matches as all its matches less
--    the read ones, and in a mail catcher few are read, so those few are checked one by one
--    instead of joining every match to `messages` for its flag.
DO $$
DECLARE
    home name;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    EXCEPTION WHEN others THEN
        RAISE NOTICE 'pg_trgm is not available (%); search scans instead', SQLERRM;
    END;
    SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF home IS NOT NULL THEN
        DROP INDEX IF EXISTS search_text;
        EXECUTE format('CREATE INDEX search_body ON search USING gin (body %I.gin_trgm_ops)', home);
        EXECUTE format(
            'CREATE INDEX search_head ON search USING gin ('
            '(subject || sender || rcpt_to || cc || bcc || reply_to || message_id || tags)'
            ' %I.gin_trgm_ops)',
            home
        );
    END IF;
END $$;

CREATE INDEX messages_read ON messages (seq) WHERE read;
