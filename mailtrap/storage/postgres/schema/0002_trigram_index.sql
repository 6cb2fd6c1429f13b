-- A trigram index for free-text search (pg_trgm's GIN operator class), where the database
-- has the extension or lets this user create it. Free text is looked for in the folded
-- columns joined end to end (`_search.ALL_TEXT`): each non-empty column ends in two spaces,
-- which no folded term holds, so a term found in the joined text is found in one column.
-- Without pg_trgm the same LIKE scans the table: slower, with the same answers.
--
-- The extension goes in `public` (one per database, shared by every inbox schema), never in
-- this schema: dropping one inbox must not take the others' indexes with it.
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
        EXECUTE format(
            'CREATE INDEX search_text ON search USING gin ('
            '(subject || sender || rcpt_to || cc || bcc || reply_to || message_id || tags || body)'
            ' %I.gin_trgm_ops)',
            home
        );
    END IF;
END $$;
