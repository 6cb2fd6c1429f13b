-- Indexes for searches that match most of the inbox (issue 21's "broad search"), whose
-- counts must check every match.
--
-- 1. Trigram indexes of each folded column, in place of 0002's single index of all of them
--    joined end to end: `search_body` of the body, and `search_fields` of the other columns,
--    one column of it each. Free text is looked for column by column, the body first
--    (`_search.TEXT`): a broad term, found in the body, is checked against the body alone,
--    not against the nine columns concatenated row by row (which cost as much as the match).
--    A field term (`from:`) is a LIKE on its column, which the index serves when it is rare,
--    and which costs a broad one no more than before. The planner has each column's
--    statistics, to tell a broad term from a rare one. The answers are the same: every
--    non-empty column ends in two spaces, which no folded term holds, so no term found in the
--    joined text spans two columns.
-- 2. The read messages, by seq: a search counts its unread matches as all its matches less
--    the read ones, and in a mail catcher few are read, so those few are checked one by one
--    instead of every match being joined to `messages` for its flag.
DO $$
DECLARE
    home name;
    ops text;
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
        ops := format('%I.gin_trgm_ops', home);
        EXECUTE format('CREATE INDEX search_body ON search USING gin (body %s)', ops);
        EXECUTE format(
            'CREATE INDEX search_fields ON search USING gin (subject %1$s, sender %1$s, '
            'rcpt_to %1$s, cc %1$s, bcc %1$s, reply_to %1$s, message_id %1$s, tags %1$s)',
            ops
        );
    END IF;
END $$;

CREATE INDEX messages_read ON messages (seq) WHERE read;
