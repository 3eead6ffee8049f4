-- A session's tool mode: how it lists toolkit tools ('all', 'search', or ''
-- for the server's default).
ALTER TABLE sessions ADD COLUMN tool_mode TEXT NOT NULL DEFAULT '';

-- Creating a session counts the user's sessions (the per-user cap).
CREATE INDEX sessions_user ON sessions (user_id);
