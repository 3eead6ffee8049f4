-- Sessions created through the application API carry the hash of their
-- session token (st_…) and may expire; links may carry the URL the
-- person's browser returns to once the link completes.
ALTER TABLE sessions ADD COLUMN token_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN expires_at INTEGER;
ALTER TABLE links ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';

-- The operator's listing pages through every user's accounts newest first.
CREATE INDEX accounts_toolkit_seq ON accounts (toolkit, seq);

-- The operator's API follows a link from the account it was issued for,
-- whoever's it is.
CREATE INDEX links_account_only ON links (account_id, created_at);
