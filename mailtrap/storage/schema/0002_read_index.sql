-- The few messages someone has opened. A free-text search counts its matches in the FTS index
-- alone and subtracts the read ones found through this index, instead of joining every match
-- to `messages` (40 ms for 100,000 matches). Most mail in a catcher is never opened, so the
-- index stays small, and ingest (new mail is unread) never touches it.
CREATE INDEX messages_read ON messages (seq) WHERE read = 1;
