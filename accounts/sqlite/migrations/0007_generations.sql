-- A change counter per user, kept by triggers in the same transaction as
-- the change, so that a process may answer from memory what it read
-- earlier while the counter has not moved, whoever wrote in between (see
-- accounts.Generations). Rows are never deleted: a counter that restarted
-- could meet a stale copy tagged with the same number.
--
-- The triggers add a missing row with WHERE NOT EXISTS rather than INSERT
-- OR IGNORE: the conflict clause of the statement that fires a trigger
-- overrides the trigger's own, so an upsert of a selection would turn OR
-- IGNORE into ABORT.
CREATE TABLE generations (
	user_id TEXT    NOT NULL PRIMARY KEY,
	n       INTEGER NOT NULL
) WITHOUT ROWID;

-- Any change to an account: its row, status, alias, policy, last use.
CREATE TRIGGER generations_account_insert AFTER INSERT ON accounts BEGIN
	INSERT INTO generations (user_id, n) SELECT NEW.user_id, 0
		WHERE NOT EXISTS (SELECT 1 FROM generations WHERE user_id = NEW.user_id);
	UPDATE generations SET n = n + 1 WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER generations_account_update AFTER UPDATE ON accounts BEGIN
	INSERT INTO generations (user_id, n) SELECT NEW.user_id, 0
		WHERE NOT EXISTS (SELECT 1 FROM generations WHERE user_id = NEW.user_id);
	UPDATE generations SET n = n + 1 WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER generations_account_delete AFTER DELETE ON accounts BEGIN
	INSERT INTO generations (user_id, n) SELECT OLD.user_id, 0
		WHERE NOT EXISTS (SELECT 1 FROM generations WHERE user_id = OLD.user_id);
	UPDATE generations SET n = n + 1 WHERE user_id = OLD.user_id;
END;

-- A credential replaced (a refresh, a reconnect) or removed. Credentials
-- name their account, whose row carries the user; a credential deleted
-- with its account finds the account gone and moves nothing, the
-- account's own trigger did.
CREATE TRIGGER generations_credential_insert AFTER INSERT ON credentials BEGIN
	INSERT INTO generations (user_id, n) SELECT user_id, 0 FROM accounts
		WHERE id = NEW.account_id AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.user_id = accounts.user_id);
	UPDATE generations SET n = n + 1
		WHERE user_id = (SELECT user_id FROM accounts WHERE id = NEW.account_id);
END;
CREATE TRIGGER generations_credential_update AFTER UPDATE ON credentials BEGIN
	INSERT INTO generations (user_id, n) SELECT user_id, 0 FROM accounts
		WHERE id = NEW.account_id AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.user_id = accounts.user_id);
	UPDATE generations SET n = n + 1
		WHERE user_id = (SELECT user_id FROM accounts WHERE id = NEW.account_id);
END;
CREATE TRIGGER generations_credential_delete AFTER DELETE ON credentials BEGIN
	UPDATE generations SET n = n + 1
		WHERE user_id = (SELECT user_id FROM accounts WHERE id = OLD.account_id);
END;

-- A session's settings and its end; not updated_at alone (TouchSession,
-- which keeps a session in use from being swept, is not a change anyone
-- reads from memory).
CREATE TRIGGER generations_session_update AFTER UPDATE OF user_id, key_id, toolkits,
	auth_configs, require_explicit_selection, tool_mode, token_hash, expires_at ON sessions BEGIN
	INSERT INTO generations (user_id, n) SELECT NEW.user_id, 0
		WHERE NOT EXISTS (SELECT 1 FROM generations WHERE user_id = NEW.user_id);
	UPDATE generations SET n = n + 1 WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER generations_session_delete AFTER DELETE ON sessions BEGIN
	INSERT INTO generations (user_id, n) SELECT OLD.user_id, 0
		WHERE NOT EXISTS (SELECT 1 FROM generations WHERE user_id = OLD.user_id);
	UPDATE generations SET n = n + 1 WHERE user_id = OLD.user_id;
END;

-- A session's selections. A selection deleted with its session finds the
-- session gone and moves nothing; the session's own trigger did.
CREATE TRIGGER generations_selection_insert AFTER INSERT ON session_selections BEGIN
	INSERT INTO generations (user_id, n) SELECT user_id, 0 FROM sessions
		WHERE id = NEW.session_id AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.user_id = sessions.user_id);
	UPDATE generations SET n = n + 1
		WHERE user_id = (SELECT user_id FROM sessions WHERE id = NEW.session_id);
END;
CREATE TRIGGER generations_selection_update AFTER UPDATE ON session_selections BEGIN
	INSERT INTO generations (user_id, n) SELECT user_id, 0 FROM sessions
		WHERE id = NEW.session_id AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.user_id = sessions.user_id);
	UPDATE generations SET n = n + 1
		WHERE user_id = (SELECT user_id FROM sessions WHERE id = NEW.session_id);
END;
CREATE TRIGGER generations_selection_delete AFTER DELETE ON session_selections BEGIN
	UPDATE generations SET n = n + 1
		WHERE user_id = (SELECT user_id FROM sessions WHERE id = OLD.session_id);
END;
