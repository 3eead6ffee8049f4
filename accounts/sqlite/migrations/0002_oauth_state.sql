-- OAuth2 connect links carry the hash of their current state parameter and
-- the sealed PKCE verifier, both cleared when the callback consumes them.
ALTER TABLE links ADD COLUMN state_hash TEXT;
ALTER TABLE links ADD COLUMN verifier BLOB;
CREATE UNIQUE INDEX links_state ON links (state_hash) WHERE state_hash IS NOT NULL;
