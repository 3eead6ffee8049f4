-- A session's tool mode: how it lists toolkit tools ('all', 'search', or ''
-- for the server's default).
ALTER TABLE sessions ADD COLUMN tool_mode TEXT NOT NULL DEFAULT '';
